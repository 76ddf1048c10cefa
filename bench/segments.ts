/**
 * Segment delivery: requests per second and p99 latency for an HLS segment served by the portal
 * (signed playback URL: token check, audience check, Range-capable send), beside a minimal
 * static file server (node:http + fs.createReadStream) serving the same file in the same run.
 * Target: at least 0.8 of the baseline's requests per second. Loopback only; bounded duration.
 * Run: node --import tsx bench/segments.ts [--seconds 10] [--connections 16] [--kb 700] [--rounds 2]
 */
import { createReadStream, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { benchApp } from './lib';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    kb: { type: 'string', default: '700' },
    rounds: { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const b = await benchApp();
const baselineServer = createServer((req, res) => {
  const file = join(b.app.config.media.root, 'lectures', 'bench', 'hls', '720p', 'seg_00000.ts');
  const { size } = statSync(file);
  res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': size });
  createReadStream(file).pipe(res);
});
try {
  const { models } = b.app.store;
  await seedDemo(models);
  // A ~4 s 1.4 Mbit/s segment's worth of bytes; what is inside does not matter for delivery.
  const dir = join(b.app.config.media.root, 'lectures', 'bench', 'hls', '720p');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'seg_00000.ts'), randomBytes(Number(values.kb) * 1024));
  writeFileSync(join(b.app.config.media.root, 'lectures', 'bench', 'hls', 'master.m3u8'), '#EXTM3U\n');
  const lecture = await models.Lecture.create({
    title: '分发基准课程', category: 'service', state: 'published', publishedAt: new Date(), durationSec: 4,
    media: { prefix: 'lectures/bench/hls', master: 'master.m3u8', renditions: [], segmentSec: 4 },
  });
  const login = await fetch(`${b.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'cadre', password: DEMO_PASSWORD }) });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const pb = (await (await fetch(`${b.url}/api/lectures/${lecture._id}/playback`, { method: 'POST', headers: { cookie } })).json()) as { masterUrl: string };
  const segUrl = b.url + pb.masterUrl.replace('master.m3u8', '720p/seg_00000.ts');
  const check = await fetch(segUrl);
  if (check.status !== 200) throw new Error(`segment URL answered ${check.status}`);
  await check.arrayBuffer();

  await new Promise<void>((r) => baselineServer.listen(0, '127.0.0.1', r));
  const addr = baselineServer.address();
  const baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/seg_00000.ts`;

  const run = async (url: string) => {
    const r = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
    return { rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, errors: r.errors + r.non2xx, mbps: (r.throughput.average * 8) / 1e6 };
  };
  const ours: Awaited<ReturnType<typeof run>>[] = [];
  const base: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < Number(values.rounds); i++) {
    // Alternate the order so warm-up and thermal drift do not favour one side.
    if (i % 2 === 0) {
      ours.push(await run(segUrl));
      base.push(await run(baseUrl));
    } else {
      base.push(await run(baseUrl));
      ours.push(await run(segUrl));
    }
  }
  const avg = (xs: typeof ours, k: 'rps' | 'p99' | 'p50' | 'mbps') => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const o = { rps: avg(ours, 'rps'), p50: avg(ours, 'p50'), p99: avg(ours, 'p99'), mbps: avg(ours, 'mbps'), errors: ours.reduce((a, x) => a + x.errors, 0) };
  const s = { rps: avg(base, 'rps'), p50: avg(base, 'p50'), p99: avg(base, 'p99'), mbps: avg(base, 'mbps'), errors: base.reduce((a, x) => a + x.errors, 0) };
  console.log(`segment delivery, ${values.kb} KB segment, ${connections} connections, ${seconds} s x ${values.rounds} rounds, ${cpus().length} cores (load generator on the same machine)`);
  console.log(`  portal (Fastify, signed URL):  ${o.rps.toFixed(0)} req/s  p50 ${o.p50} ms  p99 ${o.p99} ms  ${o.mbps.toFixed(0)} Mbit/s  errors ${o.errors}`);
  console.log(`  baseline (node:http static):   ${s.rps.toFixed(0)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms  ${s.mbps.toFixed(0)} Mbit/s  errors ${s.errors}`);
  console.log(`  ratio req/s portal/baseline: ${(o.rps / s.rps).toFixed(3)} (target >= 0.8: ${o.rps / s.rps >= 0.8 ? 'met' : 'NOT met'})`);
  console.log(JSON.stringify({ bench: 'segments', portal: o, baseline: s, ratio: o.rps / s.rps }));
} finally {
  baselineServer.close();
  await b.close();
}
