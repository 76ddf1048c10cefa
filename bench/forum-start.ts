/**
 * A forum's start (issue 20): while a lecturer is live, `--viewers` cadres (default 200) join the
 * live lecture within `--window` seconds (default 30; `--burst`: all at once). Reports join
 * latency p50/p95/max, failures, the mediasoup workers' CPU and the portal's event-loop delay,
 * beside baselines of the same run: the same join made alone (`--serial` joins one at a time,
 * each leaving before the next), a bare socket.io round trip probed every 250 ms through every
 * phase, and an idle phase (lecturer live, nobody joining).
 *
 * - The portal runs in this process (fresh FerretDB, demo county plus `--viewers` cadres of the
 *   demo cadre's unit, logged in through /api/auth/login for their cookies; the workers as
 *   configured by default: one per core). Nothing else runs here, so the event-loop delay
 *   (perf_hooks monitorEventLoopDelay, 10 ms resolution) is the portal's.
 * - The lecturer: a socket (lecturer cookie) joins as host; ffmpeg sends a 640x360 25 fps VP8
 *   test picture (~600 kbit/s, one layer: no simulcast) and an Opus tone in real time into two
 *   plain transports produced as the host's camera and microphone; the host starts the lecture,
 *   so the live recording (ffmpeg: VP8 -> H.264 HLS) runs as in a real forum. Joins begin once
 *   its first segment is out.
 * - The viewers run in a child process (this file with FORUM_START_CHILD=1): socket.io-client and
 *   mediasoup-client doing what the live page does (bench/live-lib.ts fakeViewerJoin): connect
 *   with the cookie (polling then websocket, as the browser), live:join, Device.load, recv
 *   transport created on the server, consume + client consume (which connects the transport) +
 *   resume of every producer. Join latency = socket connect start -> all of the lecturer's
 *   producers consumed and resumed. The Device uses mediasoup-client's FakeHandler: NO ICE and NO
 *   DTLS happen, the server's transports accept the fake DTLS parameters but never connect, and
 *   NO MEDIA FLOWS to the viewers. Worker CPU here is signaling and set-up only; forwarding cost
 *   per consumer is bench/live-consumers.ts's. Viewers stay in the room until the phase is over.
 *   After joining, each viewer opens its study playback (POST /api/lectures/:id/playback and
 *   live:track), as the page does once the video plays; timed apart, not part of the join.
 * - CPU from /proc/<pid>/stat over each phase: this process, and its descendants by name
 *   (mediasoup-worker, ffmpeg: source + recorder, ferretdb, node: the viewers), plus the
 *   machine's busy share from /proc/stat (others' load shows there).
 *
 * - Also per phase: a store round trip (findById from the portal, every 250 ms), the peers in all
 *   the live:peers lists the viewers received (the room sends everyone the whole list on every
 *   join and leave), run-queue wait of each process (a busy machine shows there, not in CPU), and
 *   CPU ms per join. A join not done within `--join-timeout` counts as failed (its socket leaves).
 * - `--profile FILE`: a CPU profile of this process over the forum phase(s), with the top self
 *   times printed. `--coalesce-peers MS`: an experiment, bench only: each forum phase is run again
 *   with LiveService.peersChanged wrapped on this app instance so that a room's live:peers goes
 *   out at most once per MS; the product code is unchanged.
 *
 * Human-readable lines to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/forum-start.ts [--viewers 200] [--window 30] [--burst | --mode spread|burst|both]
 *        [--serial 20] [--idle 5] [--hold 5] [--workers N] [--transports polling,websocket] [--join-timeout 30]
 *        [--profile FILE] [--coalesce-peers MS]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import { hashPassword } from '../server/modules/auth/password';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import type { LiveEntry } from '../server/modules/live/live.service';
import { benchApp, percentile } from './lib';
import { ask, connectSocket, fakeViewerJoin, feedRtp, processMeter, profileSelfTime, type JoinMarks } from './live-lib';

const log = (line: string) => void process.stderr.write(`${line}\n`);
const r0 = (x: number) => Math.round(x);
const r1 = (x: number) => Math.round(x * 10) / 10;
/** The histogram holds the whole interval between ticks of its 10 ms timer: the delay is what exceeds 10 ms. */
const loopDelay = (h: IntervalHistogram) => {
  const d = (ns: number) => r1(Math.max(0, ns / 1e6 - 10));
  return { p50: d(h.percentile(50)), p99: d(h.percentile(99)), max: d(h.max) };
};

// ---- messages between this process and the viewers' -----------------------------------------

interface Setup { url: string; lectureId: string; lecturer: string; probe: string; cookies: string[]; transports?: string[]; timeoutMs: number }
interface PhaseOrder { name: string; n: number; spacingMs: number; serial: boolean; /** Time to stay after the joins (viewers in, the probe still asking). */ holdMs: number }
interface JoinResult { i: number; startMs: number; ms: number; marks?: JoinMarks; studyMs?: number; error?: string }
interface PhaseResult { joins: JoinResult[]; rttMs: number[]; /** Peers in all the live:peers lists the viewers received. */ peerEntries: number; childDelayMs: { p50: number; p99: number; max: number } }
type ToChild = { type: 'setup'; setup: Setup } | { type: 'start' } | { type: 'phase'; order: PhaseOrder } | { type: 'leave-all' } | { type: 'exit' };
type FromChild = { type: 'host'; peerId: string } | { type: 'started' } | { type: 'phase-done'; result: PhaseResult } | { type: 'left' } | { type: 'error'; message: string };

// ---- the viewers' process ---------------------------------------------------------------------

async function child() {
  const send = (m: FromChild) => process.send!(m);
  const inbox: ToChild[] = [];
  let wake: (() => void) | null = null;
  process.on('message', (m: ToChild) => {
    inbox.push(m);
    wake?.();
  });
  const next = async (): Promise<ToChild> => {
    while (!inbox.length) await new Promise<void>((r) => (wake = r));
    return inbox.shift()!;
  };
  const first = await next();
  if (first.type !== 'setup') throw new Error('expected setup');
  const s = first.setup;
  const host = await connectSocket(s.url, s.lecturer, { transports: s.transports });
  const hostJoin = await ask<{ you: { peerId: string; role: string } }>(host, 'live:join', { lectureId: s.lectureId });
  if (hostJoin.you.role !== 'host') throw new Error(`the lecturer joined as ${hostJoin.you.role}`);
  send({ type: 'host', peerId: hostJoin.you.peerId });
  if ((await next()).type !== 'start') throw new Error('expected start');
  await ask(host, 'live:start');
  send({ type: 'started' });

  // The bare round trip: a socket in no room asks live:leave, answered by the handler's first check.
  const probe = await connectSocket(s.url, s.probe, { transports: s.transports });
  let rtt: number[] = [];
  const probing = setInterval(() => {
    const t = performance.now();
    probe.timeout(10_000).emit('live:leave', {}, () => rtt.push(performance.now() - t));
  }, 250);
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const viewers: Socket[] = [];
  let peerEntries = 0;

  const study = async (cookie: string, socket: Socket) => {
    const t = performance.now();
    const res = await fetch(`${s.url}/api/lectures/${s.lectureId}/playback`, { method: 'POST', headers: { cookie } });
    if (!res.ok) throw new Error(`playback: ${res.status}`);
    const { playbackId } = (await res.json()) as { playbackId: string };
    await ask(socket, 'live:track', { playbackId }, s.timeoutMs);
    return performance.now() - t;
  };
  const oneJoin = async (i: number, t0: number): Promise<JoinResult> => {
    const startMs = performance.now() - t0;
    const t = performance.now();
    const cookie = s.cookies[i % s.cookies.length]!;
    let timer: NodeJS.Timeout | undefined;
    const joined = fakeViewerJoin({ url: s.url, cookie, lectureId: s.lectureId, transports: s.transports, timeoutMs: s.timeoutMs });
    try {
      const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no join within ${s.timeoutMs} ms`)), s.timeoutMs)));
      const { socket, marks } = await Promise.race([joined, deadline]);
      const ms = performance.now() - t;
      socket.on('live:peers', (list: unknown[]) => (peerEntries += list.length));
      viewers.push(socket);
      const studyMs = await study(cookie, socket).catch(() => NaN);
      return { i, startMs, ms, marks, studyMs };
    } catch (error) {
      // A join that ends after its deadline leaves: failed joins hold no place in the room.
      void joined.then(({ socket }) => socket.close(), () => undefined);
      return { i, startMs, ms: performance.now() - t, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
  const closeAll = async () => {
    for (const v of viewers.splice(0)) v.close();
    await sleep(500);
  };

  for (;;) {
    const m = await next();
    if (m.type === 'exit') break;
    if (m.type === 'leave-all') {
      await closeAll();
      send({ type: 'left' });
      continue;
    }
    if (m.type !== 'phase') continue;
    const { n, spacingMs, serial, holdMs } = m.order;
    rtt = [];
    peerEntries = 0;
    eld.reset();
    const t0 = performance.now();
    const joins: JoinResult[] = [];
    if (serial) {
      for (let i = 0; i < n; i++) {
        joins.push(await oneJoin(i, t0));
        await closeAll(); // alone each time: the next join finds only the lecturer
      }
    } else {
      joins.push(...(await Promise.all(Array.from({ length: n }, async (_, i) => {
        await sleep(Math.max(0, t0 + i * spacingMs - performance.now()));
        return oneJoin(i, t0);
      }))));
    }
    await sleep(holdMs);
    send({ type: 'phase-done', result: { joins, rttMs: rtt, peerEntries, childDelayMs: loopDelay(eld) } });
  }
  clearInterval(probing);
  probe.close();
  host.close();
  process.exit(0);
}

if (process.env.FORUM_START_CHILD === '1') {
  await child().catch((error: unknown) => {
    process.send!({ type: 'error', message: String((error as Error)?.stack ?? error) } satisfies FromChild);
    process.exit(1);
  });
}

// ---- this process: the portal, the lecturer's media, the measurements ------------------------

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '200' },
    window: { type: 'string', default: '30' },
    burst: { type: 'boolean', default: false },
    mode: { type: 'string' },
    serial: { type: 'string', default: '20' },
    idle: { type: 'string', default: '5' },
    hold: { type: 'string', default: '5' },
    workers: { type: 'string', default: String(cpus().length) },
    transports: { type: 'string', default: 'polling,websocket' },
    'join-timeout': { type: 'string', default: '30' },
    // Writes a CPU profile of this process (the portal) over the forum phase(s) and prints where its time went.
    profile: { type: 'string' },
    // Experiment, bench only: each forum phase is run again with live:peers broadcasts coalesced to
    // one per room every MS (LiveService.peersChanged wrapped on this app instance; no product change).
    'coalesce-peers': { type: 'string' },
  },
});
const nViewers = Number(values.viewers);
const windowSec = Number(values.window);
const mode = values.mode ?? (values.burst ? 'burst' : 'spread');
const forumPhases = mode === 'both' ? ['spread', 'burst'] : [mode];
if (!forumPhases.every((p) => p === 'spread' || p === 'burst')) throw new Error(`--mode must be spread, burst or both (got ${mode})`);

const load0 = loadavg();
const t00 = Date.now();
const b = await benchApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000000', MEDIASOUP_NUM_WORKERS: values.workers, MEDIASOUP_RTC_MIN_PORT: '52000', MEDIASOUP_RTC_MAX_PORT: '53999' });
let viewerProc: ChildProcess | undefined;
let feed: Awaited<ReturnType<typeof feedRtp>> | undefined;
try {
  const { models } = b.app.store;
  await seedDemo(models);
  const unit = (await models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const hash = await hashPassword('benchpass1');
  await models.User.insertMany(Array.from({ length: nViewers }, (_, i) => ({ username: `forum${i}`, displayName: `学员${i}`, passwordHash: hash, role: 'cadre', rank: 'township', orgUnitId: unit })));
  const login = async (username: string, password: string) => {
    const res = await fetch(`${b.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  };
  const lecturer = await login('lecturer', DEMO_PASSWORD);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(b.url + path, { method, headers: body === undefined ? { cookie: lecturer } : { cookie: lecturer, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json().catch(() => undefined)) as { id?: string } | undefined;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const lectureId = (await api('POST', '/api/lectures', { title: '县委理论学习中心组扩大会议专题直播（基准）', category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1, topic: '乡村振兴' }))!.id!;
  await api('POST', `/api/lectures/${lectureId}/publish`);
  const cookies: string[] = [];
  for (let i = 0; i < nViewers; i += 4) cookies.push(...(await Promise.all(Array.from({ length: Math.min(4, nViewers - i) }, (_, k) => login(`forum${i + k}`, 'benchpass1')))));
  const probe = await login('cadre', DEMO_PASSWORD);
  log(`forum-start: portal up, ${nViewers} cadres created and logged in, in ${r0((Date.now() - t00) / 1000)} s`);

  const vp = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, FORUM_START_CHILD: '1' }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  viewerProc = vp;
  const inbox: FromChild[] = [];
  let wake: (() => void) | null = null;
  vp.on('message', (m: FromChild) => {
    inbox.push(m);
    wake?.();
  });
  const exited = once(vp, 'exit');
  const from = async <K extends FromChild['type']>(type: K, timeoutMs: number): Promise<Extract<FromChild, { type: K }>> => {
    const deadline = Date.now() + timeoutMs;
    while (!inbox.length) {
      if (Date.now() > deadline) throw new Error(`the viewers' process sent no ${type} within ${timeoutMs} ms`);
      await Promise.race([new Promise<void>((r) => (wake = r)), sleep(1000), exited]);
      if (vp.exitCode !== null && !inbox.length) throw new Error(`the viewers' process exited (${vp.exitCode})`);
    }
    const m = inbox.shift()!;
    if (m.type === 'error') throw new Error(`viewers' process: ${m.message}`);
    if (m.type !== type) throw new Error(`expected ${type} from the viewers' process, got ${m.type}`);
    return m as Extract<FromChild, { type: K }>;
  };
  const order = (m: ToChild) => vp.send(m);
  const transports = values.transports.split(',').filter(Boolean);
  const timeoutMs = Number(values['join-timeout']) * 1000;
  order({ type: 'setup', setup: { url: b.url, lectureId, lecturer, probe, cookies, transports, timeoutMs } });
  const { peerId } = await from('host', 60_000);
  const entry = b.app.live.get(lectureId)!;
  feed = await feedRtp(entry.room!, peerId);
  order({ type: 'start' });
  await from('started', 30_000);
  for (const deadline = Date.now() + 60_000; !b.app.live.get(lectureId)?.state.hls?.ready; await sleep(250)) {
    if (Date.now() > deadline) throw new Error('the live recording had no segment within 60 s');
  }
  log(`forum-start: lecturer live (ffmpeg 640x360 VP8 ~600 kbit/s + Opus into plain transports, recording to HLS); ${b.app.media.pool.workers.length} mediasoup worker(s)`);

  const workerPids = () => b.app.media.pool.workers.map((w) => w.pid);
  const meter = processMeter(workerPids, () => ({ viewers: vp.pid! }));
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const roomNow = () => {
    const e = b.app.live.get(lectureId);
    const loads = e?.room?.routerLoads() ?? [];
    return { peers: e?.session.peers.size ?? 0, consumers: loads.reduce((a, r) => a + r.consumers, 0), routers: loads.length };
  };
  const measure = async <T>(run: () => Promise<T>) => {
    eld.reset();
    const elu0 = performance.eventLoopUtilization();
    const stop = meter.start();
    const storeRtt: number[] = [];
    const storeProbe = setInterval(() => {
      const t = performance.now();
      void models.Lecture.findById(lectureId, { _id: 1 }).lean().then(() => storeRtt.push(performance.now() - t));
    }, 250);
    const out = await run();
    clearInterval(storeProbe);
    const cpu = stop();
    const elu = performance.eventLoopUtilization(elu0);
    const d = loopDelay(eld);
    return { out, cpu, storeRtt, portalLoop: { delayP50Ms: d.p50, delayP99Ms: d.p99, delayMaxMs: d.max, utilisation: Math.round(elu.utilization * 1000) / 1000 } };
  };
  const pct = (xs: number[]) => {
    const s = [...xs].filter(Number.isFinite).sort((a, c) => a - c);
    return { n: s.length, p50: r0(percentile(s, 50)), p95: r0(percentile(s, 95)), max: r0(s.at(-1) ?? NaN) };
  };
  const summarise = (name: string, r: PhaseResult, m: Omit<Awaited<ReturnType<typeof measure>>, 'out'>) => {
    const ok = r.joins.filter((j) => !j.error);
    const failed = r.joins.filter((j) => j.error);
    const step = (k: keyof JoinMarks, from?: keyof JoinMarks) => pct(ok.map((j) => (j.marks![k] ?? NaN) - (from ? (j.marks![from] ?? NaN) : 0)));
    // CPU per join: everything each process used over the phase (study set-up, probes and broadcasts included) / joins.
    const perJoin = r.joins.length ? Object.fromEntries(Object.entries(m.cpu.cpuSec).filter(([, v]) => v > 0).map(([k, v]) => [k, r1((1000 * v) / r.joins.length)])) : {};
    const summary = {
      phase: name,
      joins: r.joins.length,
      failures: failed.length,
      failureReasons: [...new Set(failed.map((f) => f.error))].slice(0, 5),
      joinMs: pct(ok.map((j) => j.ms)),
      stepsMs: { connect: step('connected'), join: step('joined', 'connected'), deviceLoad: step('loaded', 'joined'), transportCreate: step('transport', 'loaded'), consumeResume: step('resumed', 'transport') },
      studySetupMs: pct(ok.map((j) => j.studyMs ?? NaN)),
      lastJoinStartedAtMs: r0(Math.max(0, ...r.joins.map((j) => j.startMs))),
      rttMs: pct(r.rttMs),
      storeRttMs: pct(m.storeRtt),
      peerListEntriesReceived: r.peerEntries,
      viewerProcessLoop: { delayP50Ms: r.childDelayMs.p50, delayP99Ms: r.childDelayMs.p99, delayMaxMs: r.childDelayMs.max },
      cpuMsPerJoin: perJoin,
      portalLoop: m.portalLoop,
      cpu: { ...m.cpu, cpuSec: undefined },
    };
    const c = summary.cpu;
    const list = (o: Record<string, number>) => Object.entries(o).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
    log(`  ${name}${r.joins.length ? `: ${summary.joins} joins, ${summary.failures} failed${failed.length ? ` (${summary.failureReasons.join('; ')})` : ''}; join p50 ${summary.joinMs.p50} ms, p95 ${summary.joinMs.p95} ms, max ${summary.joinMs.max} ms` : ''}`);
    const st = summary.stepsMs;
    if (r.joins.length) log(`    steps p50 (p95): connect ${st.connect.p50} (${st.connect.p95}), live:join ${st.join.p50} (${st.join.p95}), Device.load ${st.deviceLoad.p50} (${st.deviceLoad.p95}), transport ${st.transportCreate.p50} (${st.transportCreate.p95}), consume+connect+resume ${st.consumeResume.p50} (${st.consumeResume.p95}); study set-up after the join ${summary.studySetupMs.p50} (${summary.studySetupMs.p95}) ms`);
    log(`    round trips p50 / p95 / max: bare socket.io ${summary.rttMs.p50} / ${summary.rttMs.p95} / ${summary.rttMs.max} ms (${summary.rttMs.n} probes), store (findById from the portal) ${summary.storeRttMs.p50} / ${summary.storeRttMs.p95} / ${summary.storeRttMs.max} ms; live:peers entries received by the viewers ${r.peerEntries}`);
    log(`    portal event loop: delay p50 ${m.portalLoop.delayP50Ms} ms, p99 ${m.portalLoop.delayP99Ms} ms, max ${m.portalLoop.delayMaxMs} ms, utilisation ${m.portalLoop.utilisation}; viewers' process delay p99 ${summary.viewerProcessLoop.delayP99Ms} ms`);
    log(`    CPU over ${c.seconds} s, % of one core: ${list(c.cpuPct)}; worker(s) busiest second ${c.workerPeak1sPct}; machine busy ${c.machineBusyPct} % of ${cpus().length} cores`);
    log(`    waiting for a CPU (run queue), % of the time: ${list(c.runQueueWaitPct)}; main threads run / wait: ${Object.entries(c.mainThreads).map(([k, v]) => `${k} ${v.runPct} / ${v.runQueueWaitPct}`).join(', ')}`);
    if (r.joins.length) log(`    CPU ms per join (whole phase / joins): ${list(perJoin)}`);
    return summary;
  };
  const phase = async (name: string, o: PhaseOrder) => {
    const m = await measure(async () => {
      order({ type: 'phase', order: o });
      const { result } = await from('phase-done', o.n * (o.spacingMs + timeoutMs + 5000) + o.holdMs + 60_000);
      return result;
    });
    const s = summarise(name, m.out, m);
    const room = { ...roomNow(), peerListJsonBytes: JSON.stringify(b.app.live.get(lectureId)?.session.list() ?? []).length };
    order({ type: 'leave-all' });
    await from('left', 60_000);
    for (const deadline = Date.now() + 10_000; roomNow().peers > 1 && Date.now() < deadline; ) await sleep(200);
    const after = roomNow();
    log(`    room with everyone in: ${room.peers} peers (live:peers list ${room.peerListJsonBytes} bytes of JSON), ${room.consumers} consumers on ${room.routers} router(s); after they left: ${after.peers} peer(s), ${after.consumers} consumer(s)`);
    return { ...s, roomWithAll: room, roomAfter: after };
  };

  const idle = await measure(async () => {
    order({ type: 'phase', order: { name: 'idle', n: 0, spacingMs: 0, serial: true, holdMs: Number(values.idle) * 1000 } });
    return (await from('phase-done', 60_000)).result;
  });
  const idleSummary = summarise(`idle (${values.idle} s, lecturer live, nobody joining)`, idle.out, idle);
  const serial = await phase(`baseline: ${values.serial} joins one at a time`, { name: 'serial', n: Number(values.serial), spacingMs: 0, serial: true, holdMs: 0 });
  const forum = [];
  const profiler = values.profile ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const live = b.app.live;
  const peersChanged = live.peersChanged;
  const coalesceMs = values['coalesce-peers'] === undefined ? null : Number(values['coalesce-peers']);
  const coalesced = (ms: number) => {
    const due = new Set<string>();
    return (e: LiveEntry) => {
      if (due.has(e.lectureId)) return;
      due.add(e.lectureId);
      setTimeout(() => (due.delete(e.lectureId), peersChanged.call(live, e)), ms);
    };
  };
  for (const p of forumPhases) {
    for (const ms of coalesceMs === null ? [null] : [null, coalesceMs]) {
      const spacingMs = p === 'burst' ? 0 : (windowSec * 1000) / nViewers;
      const label = ms === null ? p : `${p}, live:peers coalesced to one per ${ms} ms`;
      log(`forum-start: ${nViewers} viewers ${p === 'burst' ? 'all at once' : `one every ${r0(spacingMs)} ms over ${windowSec} s`}, staying in the room; then ${values.hold} s held${ms === null ? '' : ` (live:peers coalesced to one per ${ms} ms per room: a bench-only wrapper)`}`);
      live.peersChanged = ms === null ? peersChanged : coalesced(ms);
      forum.push({ ...(await phase(`forum start (${label})`, { name: p, n: nViewers, spacingMs, serial: false, holdMs: Number(values.hold) * 1000 })), coalescePeersMs: ms });
      live.peersChanged = peersChanged;
    }
  }
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(values.profile!, JSON.stringify(profile));
    log(`forum-start: the portal's CPU profile over the forum phase(s) is in ${values.profile}; self time by function:`);
    for (const [where, ms] of profileSelfTime(profile).filter(([w]) => !w.startsWith('(idle)')).slice(0, 15)) log(`    ${String(r0(ms)).padStart(6)} ms  ${where}`);
  }
  for (const f of forum) {
    log(`${f.phase}: join p50 ${f.joinMs.p50} ms (alone: ${serial.joinMs.p50} ms, ${r1(f.joinMs.p50 / serial.joinMs.p50)}x), p95 ${f.joinMs.p95} ms, max ${f.joinMs.max} ms, ${f.failures} failed; target p50 <= 1000 ms: ${f.joinMs.p50 <= 1000 && f.failures === 0 ? 'met' : 'NOT met'}`);
  }
  log(`  ${cpus().length} cores, load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${loadavg().map((x) => x.toFixed(2)).join(' ')} after`);
  order({ type: 'exit' });
  await Promise.race([exited, sleep(5000)]);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'forum-start', at: new Date().toISOString(), viewers: nViewers, windowSec, mode, workers: b.app.media.pool.workers.length, transports,
      method: 'socket.io-client + mediasoup-client FakeHandler in a child process; join = socket connect start -> every producer consumed and resumed; no ICE/DTLS, no media to viewers',
      lecturer: 'ffmpeg 640x360 25 fps VP8 600 kbit/s + Opus over plain RTP, recorded to HLS',
      idle: idleSummary, serial, forum, cpus: cpus().length, loadAvgBefore: load0.map((x) => r1(x)), loadAvgAfter: loadavg().map((x) => r1(x)),
    })}\n`,
  );
} finally {
  if (viewerProc && viewerProc.exitCode === null) viewerProc.kill('SIGKILL');
  await feed?.stop();
  await b.close();
}
