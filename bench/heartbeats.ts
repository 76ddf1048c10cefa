/**
 * Heartbeat ingestion, store included. The portal (`server/main.ts` bundled as `npm run build`
 * does and run with plain node, in its own process, on a fresh FerretDB) receives heartbeats from many logged-in cadres, each with its own playback
 * whose segments were fetched first (so beats are credited through the whole evidence path), at
 * a constant offered rate. Positions and client clocks advance with wall time, as a player's do.
 * Beside it, in the same run, a bare Fastify endpoint that does nothing (parses the same JSON
 * bodies with the same headers) is driven the same way.
 *
 * The load comes from bench/loadgen (Go, open loop, latency from each request's due time, fixed
 * keep-alive connections). By default the servers run on CPU 1 and everything else (this
 * script, FerretDB, the generator) on CPU 0, so the generator cannot take the server's core;
 * `--pin none` turns that off. Reports achieved rate, p50/p95/p99/p99.9, errors, the portal's RSS
 * over time, CPU per request of portal + FerretDB against the bare server, and checks afterwards
 * that the store holds every beat (each playback's last sequence number) once the portal closed.
 * Target: >= 5,000/s for 5 minutes with p99 <= 50 ms and flat memory. Loopback only.
 *
 * Each request carries `--beats-per-request` ticks of its cadre (default 4, as the player sends
 * them with STUDY_BEATS_PER_REQUEST's default; 1 is the one-beat requests of the runs before
 * 2026-12-05). `--rate` is beats per second, so requests come at rate / K a second; the bare
 * endpoint gets the same bodies at the same request rate, and CPU is also given per beat.
 *
 * Run: node --import tsx bench/heartbeats.ts [--rate 5000] [--seconds 300] [--warmup 10]
 *        [--users 200] [--segment-sec 4] [--conns 512] [--baseline-seconds 60] [--pin 1/0 | none]
 *        [--beats-per-request 4] [--env KEY=VALUE ...]
 * BENCH_CPU_PROF=dir also writes a CPU profile of the portal there; BENCH_NODE_FLAGS="..." passes
 * Node/V8 flags to the portal only (e.g. --trace-gc).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureLoadgen, runLoadgen, type LoadgenJob, type LoadgenResult } from './loadgen';
import { loadConfig } from '../config';
import { openStore } from '../server/store';
import { FerretDb, freePort } from '../server/store/ferretdb';
import { hashPassword } from '../server/modules/auth/password';
import { seedDemo } from '../server/seed/demo';
import { batchEntries, walDb } from '../server/modules/study/wal';
import { covered, unflatten } from '../server/modules/study/intervals';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '10' },
    users: { type: 'string', default: '200' },
    // Segment length of the bench lecture: longer segments mean fewer fetches to set up many cadres.
    'segment-sec': { type: 'string', default: '4' },
    // Browsers each hold their own connection; a small pool would cap concurrency (Little's law:
    // 64 connections at 15 ms each carry at most ~4,300/s) and measure the pool, not the server.
    conns: { type: 'string', default: '512' },
    'baseline-seconds': { type: 'string', default: '60' },
    pin: { type: 'string', default: '1/0' },
    // Ticks per request, as the player sends them (STUDY_BEATS_PER_REQUEST); --rate is beats per second.
    'beats-per-request': { type: 'string', default: '4' },
    // Portal configuration overrides, e.g. --env STUDY_CHECKPOINT_MS=30000 (repeatable).
    env: { type: 'string', multiple: true, default: [] },
  },
});
const beatRate = Number(values.rate);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const nUsers = Number(values.users);
const conns = Number(values.conns);
const baseSeconds = Math.min(seconds, Number(values['baseline-seconds']));
const [serverCpus, otherCpus] = values.pin === 'none' ? [undefined, undefined] : values.pin.split('/');
const SEGMENT_SEC = Number(values['segment-sec']);
const beatsPerRequest = Math.max(1, Math.floor(Number(values['beats-per-request'])));
/** Requests per second: what the generator offers. */
const rate = beatRate / beatsPerRequest;

ensureLoadgen();
// Pin before FerretDB starts, so it and the generator inherit "the other" CPUs.
if (otherCpus) execFileSync('taskset', ['-a', '-p', '-c', otherCpus, String(process.pid)], { stdio: 'ignore' });

const dir = mkdtempSync(join(tmpdir(), 'cadre-hb-'));
// The portal's bundle goes inside the project, so it finds the installed packages (node_modules stays external).
const serverBuild = resolve('node_modules/.cache', `bench-server-${process.pid}`);
const db = await FerretDb.start({ bin: resolve('.tools/bin/ferretdb'), dataDir: join(dir, 'db') });
const overrides = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const env = { NODE_ENV: 'production', LOG_LEVEL: 'warn', MONGODB_URI: db.uri, MONGODB_DB: 'hb', DATA_DIR: join(dir, 'data'), MEDIASOUP_NUM_WORKERS: '1', HOST: '127.0.0.1', PORT: '0', LOGIN_RATE_LIMIT_PER_MINUTE: '1000000', ...overrides };
const children: ChildProcess[] = [];

/** Starts a server process (on the server CPUs) on a free port and waits until it answers. */
async function startProcess(args: string[], extraEnv: Record<string, string>, probe: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const argv = serverCpus ? ['taskset', '-c', serverCpus, process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...extraEnv, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('server did not start');
    try {
      await fetch(url + probe, { method: probe === '/hb' ? 'POST' : 'GET' });
      return { child, url };
    } catch {
      await sleep(200);
    }
  }
}

const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
/** User + system CPU seconds of a process (all its threads). */
const cpuSec = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function drive(name: string, job: Omit<LoadgenJob, 'epochMs' | 'rate' | 'warmup' | 'conns'>, pids: { server: number; store?: number }) {
  const rss: { t: number; mb: number }[] = [];
  const t0 = Date.now();
  const sampler = setInterval(() => rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssMb(pids.server) }), 5000);
  rss.push({ t: 0, mb: rssMb(pids.server) });
  const load = loadavg()[0]!;
  // CPU is counted over the whole job (warm-up included) against the whole job's requests.
  const cpu0 = { server: cpuSec(pids.server), store: pids.store ? cpuSec(pids.store) : 0 };
  const w0 = performance.now();
  const r: LoadgenResult = await runLoadgen({ ...job, rate, warmup, conns, epochMs: Date.now() }, join(dir, `${name.replace(/\W+/g, "-")}.job.json`));
  const cpu = { server: cpuSec(pids.server) - cpu0.server, store: pids.store ? cpuSec(pids.store) - cpu0.store : 0 };
  const wall = (performance.now() - w0) / 1000;
  clearInterval(sampler);
  rss.push({ t: Math.round((Date.now() - t0) / 1000), mb: rssMb(pids.server) });
  const requests = r.done + r.warmup.done;
  const measured = rss.filter((x) => x.t >= warmup);
  const out = {
    name,
    offered: rate,
    seconds: job.seconds,
    warmup,
    achieved: round(r.achieved, 0),
    p50: r.p50, p90: r.p90, p95: r.p95, p99: r.p99, p999: r.p999, max: r.max,
    errors: r.errors, non2xx: r.non2xx,
    worstWindowP99: Math.max(...r.windows.map((w) => w.p99)),
    windows: r.windows,
    warmupPhase: { achieved: round(r.warmup.achieved, 0), p50: r.warmup.p50, p99: r.warmup.p99, max: r.warmup.max, errors: r.warmup.errors + r.warmup.non2xx },
    rssMb: { start: measured[0]?.mb, end: measured[measured.length - 1]?.mb, min: Math.min(...measured.map((x) => x.mb)), max: Math.max(...measured.map((x) => x.mb)), samples: rss },
    cpuMsPerRequest: { server: round((cpu.server * 1000) / requests, 3), store: round((cpu.store * 1000) / requests, 3) },
    cpuMsPerBeat: { server: round((cpu.server * 1000) / (requests * beatsPerRequest), 3), store: round((cpu.store * 1000) / (requests * beatsPerRequest), 3) },
    cpuShare: { server: round(cpu.server / wall, 2), store: round(cpu.store / wall, 2), loadgen: round(r.cpuSeconds / wall, 2) },
    loadgen: { maxDispatchLagMs: r.maxDispatchLagMs, conns: r.conns },
    loadavg: { before: round(load, 2), after: round(loadavg()[0]!, 2) },
  };
  console.error(
    `  ${name}: ${out.achieved}/s of ${rate}/s for ${job.seconds} s (after ${warmup} s warm-up)  p50 ${out.p50} ms  p95 ${out.p95} ms  p99 ${out.p99} ms  p99.9 ${out.p999} ms  max ${out.max} ms  (worst 10 s p99 ${out.worstWindowP99} ms)  errors ${out.errors}  non-2xx ${out.non2xx}`,
  );
  console.error(`    per 10 s (rate/s, p99 ms): ${r.windows.map((w) => `${Math.round(w.rate)}/${w.p99}`).join(' ')}`);
  console.error(
    `    RSS ${out.rssMb.start} → ${out.rssMb.end} MB (min ${out.rssMb.min}, max ${out.rssMb.max});  CPU per request ${out.cpuMsPerRequest.server} ms server + ${out.cpuMsPerRequest.store} ms store${beatsPerRequest > 1 ? ` (per beat ${out.cpuMsPerBeat.server} + ${out.cpuMsPerBeat.store} ms)` : ''};  cores busy: server ${out.cpuShare.server}, store ${out.cpuShare.store}, generator ${out.cpuShare.loadgen} (dispatch lag max ${r.maxDispatchLagMs} ms);  load ${out.loadavg.before} → ${out.loadavg.after}`,
  );
  return { out, acked: r.maxAcked, sent: r.sent };
}

try {
  // Seed: the demo county, N cadres, one published lecture with enough segments for the run.
  const t0 = Date.now();
  // The bench's own handle on the store (setup, then the check) holds a data folder of its own:
  // the portal's is locked by the portal (one process per data folder).
  const store = await openStore(loadConfig({ ...env, DATA_DIR: join(dir, 'bench-data') }), { info() {}, warn() {}, debug() {} });
  await seedDemo(store.models);
  const unit = (await store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const hash = await hashPassword('benchpass1');
  const users = Array.from({ length: nUsers }, (_, i) => ({ username: `hb${i}`, displayName: `心跳${i}`, passwordHash: hash, role: 'cadre', rank: 'township', orgUnitId: unit }));
  await store.models.User.insertMany(users);
  const lecture = await store.models.Lecture.create({
    title: '心跳基准课程', category: 'service', state: 'published', publishedAt: new Date(), durationSec: 3600, creditHours: 4,
    media: { prefix: 'lectures/hb/hls', master: 'master.m3u8', renditions: [], segmentSec: SEGMENT_SEC },
  });
  const nSegments = Math.ceil((warmup + seconds + 30) / SEGMENT_SEC); // positions run from 0 with the portal's load
  const segDir = join(env.DATA_DIR, 'media', 'lectures', 'hb', 'hls', '360p');
  mkdirSync(segDir, { recursive: true });
  writeFileSync(join(env.DATA_DIR, 'media', 'lectures', 'hb', 'hls', 'master.m3u8'), '#EXTM3U\n');
  for (let i = 0; i < nSegments; i++) writeFileSync(join(segDir, `seg_${String(i).padStart(5, '0')}.ts`), Buffer.alloc(188 * 10));

  const profile = [
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`] : []),
    // Node/V8 flags for the portal only, e.g. BENCH_NODE_FLAGS="--trace-gc" or "--max-semi-space-size=64".
    ...(process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
  ];
  // The portal as production runs it (`npm run build` + `npm start`): the server bundle, plain node.
  execFileSync(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.server.config.ts', '--outDir', serverBuild, '--logLevel', 'warn'], { stdio: 'inherit' });
  const portal = await startProcess([...profile, '--enable-source-maps', join(serverBuild, 'main.js')], env, '/healthz');
  const bare = await startProcess(['-e', `
    const app = require('fastify')();
    app.post('/hb', async () => ({ ok: true }));
    app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  `], {}, '/hb');

  // Log everyone in and open a playback each; fetch its segments as a player would (the evidence
  // of delivery the engine credits against).
  const sessions: { cookie: string; playbackId: string; masterUrl: string }[] = new Array(nUsers);
  await pool(users, 8, async (u, i) => {
    const login = await fetch(`${portal.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u.username, password: 'benchpass1' }) });
    if (!login.ok) throw new Error(`login ${u.username}: ${login.status}`);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const pb = (await (await fetch(`${portal.url}/api/lectures/${lecture._id}/playback`, { method: 'POST', headers: { cookie } })).json()) as { playbackId: string; masterUrl: string };
    sessions[i] = { cookie, ...pb };
  });
  const fetches = sessions.flatMap((x) => Array.from({ length: nSegments }, (_, s) => x.masterUrl.replace('master.m3u8', `360p/seg_${String(s).padStart(5, '0')}.ts`)));
  await pool(fetches, 16, async (path) => {
    const res = await fetch(portal.url + path);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`segment ${path}: ${res.status}`);
  });
  await store.close();
  console.error(`setup: ${nUsers} cadres logged in, ${fetches.length} segments fetched, in ${Math.round((Date.now() - t0) / 1000)} s`);

  console.error(
    `heartbeat ingestion: ${beatRate} beats/s offered, ${beatsPerRequest} per request (${rate} requests/s) (open loop, latency from each request's due time), ${nUsers} cadres round-robin (each sends every ${round(nUsers / rate, 2)} s), ${conns} keep-alive connections; ` +
      `${cpus().length} cores, ${serverCpus ? `servers pinned to CPU ${serverCpus}, FerretDB + generator + this script to CPU ${otherCpus}` : 'no CPU pinning'}`,
  );
  const clients = sessions.map((x) => ({ headers: { cookie: x.cookie }, playbackId: x.playbackId }));
  await sleep(3000); // let the setup's checkpoint and WAL settle
  const { out: base } = await drive('bare Fastify endpoint', { url: `${bare.url}/hb`, seconds: baseSeconds, body: 'heartbeat', clients, beatsPerRequest }, { server: bare.child.pid! });
  const { out: ours, acked, sent } = await drive('portal /api/study/heartbeats', { url: `${portal.url}/api/study/heartbeats`, seconds, body: 'heartbeat', clients, beatsPerRequest }, { server: portal.child.pid!, store: db.pid });

  // Close the portal (it drains the WAL and checkpoints) and check that the store holds every
  // acknowledged beat: each playback's last sequence number, from its checkpointed record or from
  // WAL batches not yet applied (what a restart would replay), is at least the highest one the
  // portal acknowledged (and, when nothing failed, the number of beats sent).
  const closed = new Promise((r) => portal.child.once('exit', r));
  portal.child.kill('SIGTERM');
  await Promise.race([closed, sleep(30_000)]);
  const check = await openStore(loadConfig({ ...env, DATA_DIR: join(dir, 'bench-data') }), { info() {}, warn() {}, debug() {} });
  const rows = await check.models.Playback.find({ _id: { $in: sessions.map((x) => x.playbackId) } }, { lastSeq: 1 }).lean();
  const lastSeq = new Map(rows.map((r) => [String(r._id), Number(r.lastSeq ?? 0)]));
  const raw = walDb(check.models);
  let walBatches = 0;
  // Coverage from the log's snapshots: records are written back to their collection only when they leave memory.
  const logCovered = new Map<string, number>();
  for (const { name } of await raw.listCollections({}, { nameOnly: true }).toArray()) {
    if (!name.startsWith('studywal')) continue;
    for (const batch of await raw.collection<{ e?: string; entries?: unknown[] }>(name).find({}).toArray()) {
      walBatches++;
      for (const e of batchEntries(batch)) {
        if (e.k === 'b' || e.k === 's') lastSeq.set(e.p, Math.max(lastSeq.get(e.p) ?? 0, e.seq));
        if (e.k === 'p') logCovered.set(`${e.u}:${e.l}`, Math.max(logCovered.get(`${e.u}:${e.l}`) ?? 0, covered(unflatten(e.iv))));
      }
    }
  }
  const missing = sessions.filter((x, i) => (lastSeq.get(x.playbackId) ?? 0) < acked[i]!).length;
  const short = sessions.filter((x, i) => (lastSeq.get(x.playbackId) ?? 0) < sent[i]!).length;
  for (const p of await check.models.Progress.find({}, { coveredSec: 1 }).lean()) logCovered.set(String(p._id), Math.max(logCovered.get(String(p._id)) ?? 0, Number(p.coveredSec ?? 0)));
  const meanCovered = round([...logCovered.values()].reduce((a, c) => a + c, 0) / Math.max(1, logCovered.size), 0);
  await check.close();
  const durable = { playbacksChecked: sessions.length, missingAcknowledged: missing, shortOfSent: short, meanCoveredSec: meanCovered, walBatchesLeft: walBatches };
  console.error(
    `  store after close: ${missing} of ${sessions.length} playbacks lack acknowledged beats, ${short} lack beats that were sent (last sequence number, in the playback record or the log); log batches left ${walBatches}; mean stored coverage ${meanCovered} s per cadre`,
  );

  const ratio = {
    achieved: round(ours.achieved / base.achieved, 3),
    p99: round(ours.p99 / base.p99, 2),
    cpuPerRequest: round((ours.cpuMsPerRequest.server + ours.cpuMsPerRequest.store) / base.cpuMsPerRequest.server, 2),
    // A beat's CPU (portal + store) against one bare request of the same rate and body.
    cpuPerBeat: round((ours.cpuMsPerBeat.server + ours.cpuMsPerBeat.store) / base.cpuMsPerRequest.server, 2),
  };
  const met = ours.achieved >= rate * 0.99 && ours.p99 <= 50 && ours.errors + ours.non2xx === 0 && missing === 0;
  console.error(`  ratio portal/bare: achieved ${ratio.achieved}, p99 ${ratio.p99} (${ours.p99} vs ${base.p99} ms), CPU per request ${ratio.cpuPerRequest} (portal + store vs bare), per beat ${ratio.cpuPerBeat} (target <= 1.5)`);
  console.error(`  target >= ${beatRate} beats/s (${rate} requests/s) for ${seconds} s with p99 <= 50 ms, no errors, every beat in the store: ${met ? 'met' : 'NOT met'}; RSS ${ours.rssMb.start} → ${ours.rssMb.end} MB`);
  console.log(JSON.stringify({ bench: 'heartbeats', at: new Date().toISOString(), rate: beatRate, requestRate: rate, beatsPerRequest, seconds, warmup, users: nUsers, conns, pin: values.pin, env: overrides, portal: ours, bare: base, ratio, durable, met }));
} finally {
  for (const c of children) c.kill('SIGTERM');
  await sleep(1500);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(serverBuild, { recursive: true, force: true });
}
