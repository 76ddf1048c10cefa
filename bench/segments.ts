/**
 * Segment delivery: requests per second and p99 latency for an HLS segment served by the portal
 * (signed playback URL: token check, audience check, Range-capable send), beside a minimal
 * static file server (node:http + fs.createReadStream) serving the same file in the same run.
 * Target: at least 0.8 of the baseline's requests per second. Loopback only; bounded duration.
 * The load generator runs in a child process (http-load.ts), so the servers' event loop is
 * theirs alone. Besides req/s, the servers' main-thread busy time per request (event-loop
 * utilisation) is reported; with 2 cores shared by server, load generator and the fs thread
 * pool it includes time the thread was preempted, so compare it between sides of one run only.
 * Human-readable lines go to stderr, one JSON line to stdout.
 * Segment requests carry the session cookie, as the browser sends it (same origin); --no-cookie
 * drops it; --range asks for the segment as `Range: bytes=0-` (the portal's Range path).
 * Run: node --import tsx bench/segments.ts [--seconds 10] [--connections 16] [--kb 700] [--rounds 2] [--no-cookie] [--range]
 */
import { createReadStream, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { benchApp } from './lib';
import { httpLoad } from './http-load';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    kb: { type: 'string', default: '700' },
    rounds: { type: 'string', default: '2' },
    // The player page is same-origin, so a browser sends the session cookie with every segment.
    'no-cookie': { type: 'boolean', default: false },
    // Ask for the segment as `Range: bytes=0-` (players that fetch by range); the baseline ignores it.
    range: { type: 'boolean', default: false },
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
  const segHeaders: Record<string, string> = { ...(values['no-cookie'] ? {} : { cookie }), ...(values.range ? { range: 'bytes=0-' } : {}) };
  const check = await fetch(segUrl, { headers: segHeaders });
  if (check.status !== (values.range ? 206 : 200)) throw new Error(`segment URL answered ${check.status}`);
  await check.arrayBuffer();

  await new Promise<void>((r) => baselineServer.listen(0, '127.0.0.1', r));
  const addr = baselineServer.address();
  const baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/seg_00000.ts`;

  const run = async (url: string) => {
    const elu0 = performance.eventLoopUtilization();
    const r = await httpLoad({ url, connections, seconds, headers: url === segUrl ? segHeaders : {} });
    const elu = performance.eventLoopUtilization(elu0);
    if (r.requests === 0) throw new Error(`no request completed against ${url}`);
    return { rps: r.rps, p50: r.p50, p99: r.p99, mbps: r.mbps, errors: r.errors + r.non2xx, busyMsPerReq: elu.active / r.requests, elu: elu.utilization };
  };
  type Sample = Awaited<ReturnType<typeof run>>;
  // A short untimed warm-up of each server (JIT, file cache, keep-alive sockets).
  await httpLoad({ url: segUrl, connections, seconds: 2, headers: segHeaders });
  await httpLoad({ url: baseUrl, connections, seconds: 2 });
  const ours: Sample[] = [];
  const base: Sample[] = [];
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
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const avg = (xs: Sample[], k: 'rps' | 'p99' | 'p50' | 'mbps' | 'busyMsPerReq' | 'elu') => r2(xs.reduce((a, x) => a + x[k], 0) / xs.length);
  const summary = (xs: Sample[]) => ({ rps: avg(xs, 'rps'), p50: avg(xs, 'p50'), p99: avg(xs, 'p99'), mbps: avg(xs, 'mbps'), busyMsPerReq: avg(xs, 'busyMsPerReq'), elu: avg(xs, 'elu'), errors: xs.reduce((a, x) => a + x.errors, 0) });
  const o = summary(ours);
  const s = summary(base);
  const ratio = o.rps / s.rps;
  const busyRatio = o.busyMsPerReq / s.busyMsPerReq;
  const log = (line: string) => void process.stderr.write(`${line}\n`);
  const line = (x: typeof o) => `${x.rps.toFixed(0)} req/s  p50 ${x.p50} ms  p99 ${x.p99} ms  ${x.mbps.toFixed(0)} Mbit/s  main thread ${x.busyMsPerReq} ms/req (ELU ${x.elu})  errors ${x.errors}`;
  log(`segment delivery, ${values.kb} KB segment, ${connections} connections, ${seconds} s x ${values.rounds} rounds, ${values['no-cookie'] ? 'no cookie' : 'session cookie sent'}${values.range ? ', Range: bytes=0-' : ''}, ${cpus().length} cores (load generator in a child process, same machine)`);
  log(`  portal (Fastify, signed URL):  ${line(o)}`);
  log(`  baseline (node:http static):   ${line(s)}`);
  log(`  ratio req/s portal/baseline: ${ratio.toFixed(3)} (target >= 0.8: ${ratio >= 0.8 ? 'met' : 'NOT met'}); main-thread ms/req portal/baseline: ${busyRatio.toFixed(3)}`);
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'segments', kb: Number(values.kb), connections, cookie: !values['no-cookie'], range: values.range, seconds, rounds: Number(values.rounds), cpus: cpus().length,
      portal: o, baseline: s, ratio: round3(ratio), busyRatio: round3(busyRatio),
      samples: { portal: ours.map((x) => r2(x.rps)), baseline: base.map((x) => r2(x.rps)) },
      loadAvg1m: r2(loadavg()[0]!), target: 0.8, pass: ratio >= 0.8,
    })}\n`,
  );
} finally {
  baselineServer.close();
  await b.close();
}
