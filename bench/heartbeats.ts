/**
 * Heartbeat ingestion, store included: the portal (`server/main.ts` in its own process, on a
 * fresh FerretDB) receives heartbeats from many logged-in cadres, each with its own playback
 * session whose segments were fetched first (so decisions run the whole evidence path), at a
 * fixed offered rate for a fixed time. Reports achieved rate, p50/p99 latency, errors and the
 * server's RSS over time (flat memory), beside a bare Fastify endpoint that does nothing, driven
 * the same way in the same run (for at most 60 s). Target: >= 5,000/s for 5 minutes with
 * p99 <= 50 ms. The load is open-loop (bench/open-loop.ts): latency counts from the scheduled time.
 * Loopback only; every phase is bounded in time.
 * Run: node --import tsx bench/heartbeats.ts [--rate 5000] [--seconds 300] [--users 200]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { openLoop } from './open-loop';
import { loadConfig } from '../config';
import { openStore } from '../server/store';
import { FerretDb, freePort } from '../server/store/ferretdb';
import { hashPassword } from '../server/modules/auth/password';
import { seedDemo } from '../server/seed/demo';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '300' },
    users: { type: 'string', default: '200' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const nUsers = Number(values.users);

const dir = mkdtempSync(join(tmpdir(), 'cadre-hb-'));
const db = await FerretDb.start({ bin: resolve('.tools/bin/ferretdb'), dataDir: join(dir, 'db') });
const env = { NODE_ENV: 'production', LOG_LEVEL: 'warn', MONGODB_URI: db.uri, MONGODB_DB: 'hb', DATA_DIR: join(dir, 'data'), MEDIASOUP_NUM_WORKERS: '1', HOST: '127.0.0.1', PORT: '0', LOGIN_RATE_LIMIT_PER_MINUTE: '1000000' };
const children: ChildProcess[] = [];

/** Starts a server process on a free port and waits until it answers (logs stay at warn). */
async function startProcess(args: string[], extraEnv: Record<string, string>, probe: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...extraEnv, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('server did not start');
    try {
      await fetch(url + probe);
      return { child, url };
    } catch {
      await sleep(200);
    }
  }
}

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function drive(name: string, url: string, clients: { headers: Record<string, string>; playbackId?: string }[], body: 'heartbeat' | 'empty', pid: number, secs: number) {
  const samples: number[] = [Math.round(rss(pid))];
  const timer = setInterval(() => samples.push(Math.round(rss(pid))), 30_000);
  const r = await openLoop({ url, rate, seconds: secs, clients, body });
  clearInterval(timer);
  samples.push(Math.round(rss(pid)));
  const out = { name, offered: rate, seconds: secs, achieved: r.achieved, p50: r.p50, p99: r.p99, max: r.max, errors: r.errors + r.non2xx + (r.sent - r.done), rssMb: samples, windows: r.windows };
  const worstWindow = r.windows.reduce((w, x) => Math.max(w, x.p99), 0);
  console.log(`  ${name}: ${out.achieved}/s of ${rate}/s offered for ${secs} s  p50 ${out.p50} ms  p99 ${out.p99} ms (worst 10 s window ${worstWindow} ms)  max ${out.max} ms  errors ${out.errors}  RSS MB ${samples.join(' → ')}`);
  return out;
}

try {
  // Seed: the demo county, N cadres, one published lecture with a segment file per 4 s.
  const store = await openStore(loadConfig(env), { info() {}, warn() {}, debug() {} });
  await seedDemo(store.models);
  const unit = (await store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const hash = await hashPassword('benchpass1');
  const users = Array.from({ length: nUsers }, (_, i) => ({ username: `hb${i}`, displayName: `心跳${i}`, passwordHash: hash, role: 'cadre', rank: 'township', orgUnitId: unit }));
  await store.models.User.insertMany(users);
  const lecture = await store.models.Lecture.create({
    title: '心跳基准课程', category: 'service', state: 'published', publishedAt: new Date(), durationSec: 3600, creditHours: 4,
    media: { prefix: 'lectures/hb/hls', master: 'master.m3u8', renditions: [], segmentSec: 4 },
  });
  await store.close();
  const segDir = join(env.DATA_DIR, 'media', 'lectures', 'hb', 'hls', '360p');
  mkdirSync(segDir, { recursive: true });
  writeFileSync(join(env.DATA_DIR, 'media', 'lectures', 'hb', 'hls', 'master.m3u8'), '#EXTM3U\n');
  for (let i = 0; i < 10; i++) writeFileSync(join(segDir, `seg_${String(i).padStart(5, '0')}.ts`), Buffer.alloc(188 * 100));

  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const portal = await startProcess([...profile, '--import', 'tsx', 'server/main.ts'], env, '/healthz');
  const bare = await startProcess(['-e', `
    const app = require('fastify')();
    app.post('/hb', async () => ({ ok: true }));
    app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  `], {}, '/hb');

  // Log everyone in and open a playback each; fetch a few segments as a player would.
  const sessions: { cookie: string; playbackId: string }[] = [];
  for (let i = 0; i < nUsers; i++) {
    const login = await fetch(`${portal.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `hb${i}`, password: 'benchpass1' }) });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const pb = (await (await fetch(`${portal.url}/api/lectures/${lecture._id}/playback`, { method: 'POST', headers: { cookie } })).json()) as { playbackId: string; masterUrl: string };
    for (let s = 0; s < 10; s++) await (await fetch(portal.url + pb.masterUrl.replace('master.m3u8', `360p/seg_${String(s).padStart(5, '0')}.ts`))).arrayBuffer();
    sessions.push({ cookie, playbackId: pb.playbackId });
  }


  console.log(`heartbeat ingestion: ${rate}/s offered (open loop, evenly spread), ${nUsers} cadres; ${cpus().length} cores, load generator on the same machine`);
  const base = await drive('bare Fastify endpoint', `${bare.url}/hb`, [{ headers: {} }], 'empty', bare.child.pid!, Math.min(60, seconds));
  const ours = await drive('portal /api/study/heartbeats', `${portal.url}/api/study/heartbeats`, sessions.map((x) => ({ headers: { cookie: x.cookie }, playbackId: x.playbackId })), 'heartbeat', portal.child.pid!, seconds);
  const growth = ours.rssMb.length > 3 ? ours.rssMb[ours.rssMb.length - 1]! - ours.rssMb[2]! : 0;
  console.log(`  ratio achieved portal/bare: ${(ours.achieved / base.achieved).toFixed(3)}; p99 portal ${ours.p99} ms vs bare ${base.p99} ms`);
  console.log(`  target >= 5000/s with p99 <= 50 ms: ${ours.achieved >= 5000 * 0.98 && ours.p99 <= 50 && ours.errors === 0 ? 'met' : 'NOT met'}; RSS change after warm-up ${growth} MB`);
  console.log(JSON.stringify({ bench: 'heartbeats', rate, seconds, users: nUsers, portal: ours, bare: base }));
} finally {
  for (const c of children) c.kill('SIGTERM');
  await sleep(1500);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
