/**
 * Shared set-up of the live-lecture benches (live-join.ts, live-glass.ts): the client built into
 * a private folder, a throwaway portal on 127.0.0.1 with the demo county seeded, a published live
 * lecture, Chromium (the system browser through playwright-core, never downloaded) and the
 * lecturer's page publishing and live, as in test/e2e/live-lectures.test.ts.
 *
 * The client is built into $TMPDIR/cadre-bench/client-<pid> (CLIENT_DIST), not dist/client,
 * so a bench never rewrites the build that someone's e2e run may be serving; `--client DIR`
 * uses a copy of an existing build instead (e.g. `--client dist/client`, after `npm run build`).
 *
 * Without a browser (forum-start.ts): feedRtp() publishes ffmpeg's test picture and tone as a
 * lecturer's camera and microphone, fakeViewerJoin() joins as the live page does with
 * mediasoup-client's FakeHandler (signaling and server-side transports real, no ICE/DTLS/media).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Profiler } from 'node:inspector';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { spawnTied } from '../media/child';
import type { LiveRoom, ProducerInfo } from '../media/live';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { benchApp } from './lib';

const run = promisify(execFile);

/** The flags of test/helpers/browser.ts (bench/ does not import test/). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS] });
}

/** Builds the client into a private folder (or copies the build in `dir` there); returns the folder. */
export async function clientBuild(dir?: string): Promise<string> {
  const out = join(tmpdir(), 'cadre-bench', `client-${process.pid}`);
  mkdirSync(out, { recursive: true });
  if (dir) {
    const abs = resolve(dir);
    if (!existsSync(join(abs, 'index.html'))) throw new Error(`no index.html in ${abs}: run npm run build first`);
    // A copy: a build running meanwhile (an e2e run rebuilds dist/client) cannot pull it away.
    cpSync(abs, out, { recursive: true });
    return out;
  }
  await run(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { maxBuffer: 16 * 1024 * 1024 });
  return out;
}

export interface LivePortal {
  url: string;
  app: Awaited<ReturnType<typeof benchApp>>['app'];
  lectureId: string;
  /** `sid=...` of a demo user, logged in through the API. */
  cookie(username: string): Promise<string>;
  close(): Promise<void>;
}

export async function livePortal(o: { client?: string; env?: Record<string, string> } = {}): Promise<LivePortal> {
  const client = await clientBuild(o.client);
  const b = await benchApp({ CLIENT_DIST: client, TRANSCODE_PRESET: 'ultrafast', ...(o.env ?? {}) });
  try {
    await seedDemo(b.app.store.models);
    const cookie = async (username: string) => {
      const res = await fetch(`${b.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    };
    const lecturer = await cookie('lecturer');
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(b.url + path, { method, headers: body === undefined ? { cookie: lecturer } : { cookie: lecturer, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json().catch(() => undefined)) as { id?: string } | undefined;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const created = await api('POST', '/api/lectures', { title: '乡村振兴战略专题直播讲座（基准）', category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1, topic: '乡村振兴' });
    const lectureId = created!.id!;
    await api('POST', `/api/lectures/${lectureId}/publish`);
    return {
      url: b.url,
      app: b.app,
      lectureId,
      cookie,
      async close() {
        await b.close();
        rmSync(client, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await b.close();
    rmSync(client, { recursive: true, force: true });
    throw error;
  }
}

/** A browser context logged in as `username` (session cookie set, e2e hooks on). */
export async function userContext(browser: Browser, portal: LivePortal, username: string, initScript?: () => void): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  context.setDefaultTimeout(30_000);
  const [name, value] = (await portal.cookie(username)).split(';')[0]!.split('=') as [string, string];
  await context.addCookies([{ name, value, url: portal.url }]);
  // tsx (esbuild, keepNames) wraps named functions in __name(...): functions serialised into the
  // page (init scripts, evaluate) need it defined there.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  if (initScript) await context.addInitScript(initScript);
  return context;
}

/**
 * The lecturer opens the live page, turns camera and microphone on and starts the lecture (the
 * e2e flow). Resolves once the page says live and, with `waitHls`, once the live HLS output has
 * its first segment.
 */
export async function hostLive(browser: Browser, portal: LivePortal, o: { initScript?: () => void; initScripts?: (() => void)[]; share?: boolean; waitHls?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const [first, ...more] = o.initScripts ?? (o.initScript ? [o.initScript] : []);
  const context = await userContext(browser, portal, 'lecturer', first);
  for (const script of more) await context.addInitScript(script);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${portal.url}/live/${portal.lectureId}`);
  await page.locator('[data-testid="live-page"][data-status="joined"][data-role="host"]').waitFor();
  await page.getByTestId('live-camera-toggle').click();
  await page.getByTestId('live-mic-toggle').click();
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video[data-source="camera"][data-local="true"]')?.videoWidth ?? 0) > 0);
  if (o.share) {
    await page.getByTestId('live-screen-toggle').click();
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video[data-source="screen"][data-local="true"]')?.videoWidth ?? 0) > 0);
  }
  await page.getByTestId('live-start').click();
  await page.locator('[data-testid="live-page"][data-state="live"]').waitFor();
  if (o.waitHls) {
    const deadline = Date.now() + 60_000;
    while (!portal.app.live.get(portal.lectureId)?.state.hls?.ready) {
      if (Date.now() > deadline) throw new Error('the live HLS output had no segment within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { context, page };
}

// ---- headless lecturer and viewers (bench/forum-start.ts) --------------------------------------

/**
 * A lecturer without a browser: ffmpeg sends testsrc2 (VP8, one layer, a keyframe a second) and
 * a sine (Opus) in real time into two plain send transports of `room`, produced as `peerId`'s
 * camera and microphone (the way test/helpers/live-rtp.ts feeds rooms; bench/ does not import
 * test/). `peerId` should be the host's socket id, so the recording follows these producers.
 */
export async function feedRtp(room: LiveRoom, peerId: string, o: { size?: string; kbps?: number; seconds?: number } = {}): Promise<{ producers: ProducerInfo[]; ffmpeg: ChildProcess; stop(): Promise<void> }> {
  const ssrc0 = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);
  const video = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: false });
  const camera = await room.produce(peerId, video.id, { kind: 'video', source: 'camera', rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: ssrc0 }] } });
  const audio = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: false });
  const mic = await room.produce(peerId, audio.id, { kind: 'audio', source: 'mic', rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: ssrc0 + 1 }] } });
  const rtp = (port: number, rtcpPort: number | undefined) => `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`;
  // prettier-ignore
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-re', '-f', 'lavfi', '-i', `testsrc2=size=${o.size ?? '640x360'}:rate=25`,
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(o.seconds ?? 900),
    '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', `${o.kbps ?? 600}k`,
    // The RTP muxer ignores PLI: a keyframe every second is how a new consumer (the recorder) starts.
    '-g', '25', '-keyint_min', '25', '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1', '-pix_fmt', 'yuv420p',
    '-f', 'rtp', '-ssrc', String(ssrc0), '-payload_type', '101', rtp(video.port, video.rtcpPort),
    '-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-ar', '48000', '-b:a', '48k',
    '-f', 'rtp', '-ssrc', String(ssrc0 + 1), '-payload_type', '100', rtp(audio.port, audio.rtcpPort),
  ];
  const ffmpeg = spawnTied('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(ffmpeg, 'close');
  return {
    producers: [camera, mic],
    ffmpeg,
    async stop() {
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) ffmpeg.kill('SIGKILL');
      await exited;
    },
  };
}

type Ack<T> = ({ ok: true } & T) | { error: { code: string; messageEn: string } };

/** A signaling request as client/src/lib/live/signaling.ts makes it (ack or a bounded wait). */
export function ask<T = Record<string, never>>(socket: Socket, event: string, payload: object = {}, timeoutMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: Ack<T>) => {
      if (err) return reject(new Error(`${event}: no answer within ${timeoutMs} ms`));
      if ('error' in res) return reject(new Error(`${event}: ${res.error.code} ${res.error.messageEn}`));
      resolve(res);
    });
  });
}

/** A socket.io connection as the page's realtime() opens it, with a session cookie instead of the browser's jar. */
export function connectSocket(url: string, cookie: string, o: { transports?: string[]; timeoutMs?: number } = {}): Promise<Socket> {
  const socket = io(url, { path: '/socket.io', extraHeaders: { cookie }, forceNew: true, reconnection: false, timeout: o.timeoutMs ?? 20_000, ...(o.transports ? { transports: o.transports } : {}) });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(new Error(`socket connect: ${err.message}`));
    });
  });
}

/** Milliseconds from the start of a viewer's join to each step. */
export interface JoinMarks {
  connected: number;
  joined: number;
  loaded: number;
  transport: number;
  /** The recv transport's `connect` (fake DTLS parameters) answered. */
  dtls?: number;
  consumed?: number;
  /** Every producer consumed and resumed: the join's end. */
  resumed: number;
}

/**
 * A viewer without a browser, doing what client/src/lib/live/live-room.svelte.ts does on join:
 * socket connect (session cookie), `live:join`, a Device loaded with the router's capabilities,
 * `live:transport:create` (recv), then for every producer of other peers, in parallel,
 * `live:consume`, the client-side consume (which connects the transport first:
 * `live:transport:connect`) and `live:consumer:resume`. The Device runs mediasoup-client's
 * FakeHandler with the RTP capabilities of its own tests (opus, VP8, VP9 with RTX): no ICE and no
 * DTLS happen, so the server's transports never connect and no media flows to these viewers.
 */
export async function fakeViewerJoin(o: { url: string; cookie: string; lectureId: string; transports?: string[]; timeoutMs?: number }): Promise<{ socket: Socket; marks: JoinMarks; consumers: number }> {
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const socket = await connectSocket(o.url, o.cookie, { transports: o.transports, timeoutMs });
  try {
    const connected = at();
    const r = await ask<{ you: { peerId: string }; rtpCapabilities: unknown; producers: ProducerInfo[] }>(socket, 'live:join', { lectureId: o.lectureId }, timeoutMs);
    const joined = at();
    if (!r.rtpCapabilities) throw new Error('live:join: the room has no media (ended?)');
    const device = new Device({ handlerFactory: FakeHandler.createFactory(testFakeParameters) });
    await device.load({ routerRtpCapabilities: r.rtpCapabilities as never });
    const loaded = at();
    const { transport: info } = await ask<{ transport: never }>(socket, 'live:transport:create', { direction: 'recv' }, timeoutMs);
    const recv = device.createRecvTransport(info);
    const transport = at();
    const marks: JoinMarks = { connected, joined, loaded, transport, resumed: NaN };
    recv.on('connect', ({ dtlsParameters }, callback, errback) => {
      ask(socket, 'live:transport:connect', { transportId: recv.id, dtlsParameters }, timeoutMs).then(() => {
        marks.dtls = at();
        callback();
      }, errback);
    });
    const others = r.producers.filter((p) => p.peerId !== r.you.peerId);
    if (!others.length) throw new Error('live:join: no producer to consume (is the lecturer live?)');
    await Promise.all(
      others.map(async (p) => {
        const { consumer } = await ask<{ consumer: { id: string; producerId: string; kind: 'audio' | 'video'; rtpParameters: never } }>(socket, 'live:consume', { transportId: recv.id, producerId: p.id, rtpCapabilities: device.rtpCapabilities }, timeoutMs);
        const c = await recv.consume({ id: consumer.id, producerId: consumer.producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters });
        marks.consumed = Math.max(marks.consumed ?? 0, at());
        await ask(socket, 'live:consumer:resume', { consumerId: c.id }, timeoutMs);
      }),
    );
    marks.resumed = at();
    return { socket, marks, consumers: others.length };
  } catch (error) {
    socket.close();
    throw error;
  }
}

// ---- CPU of this process and its descendants, from /proc (bench/forum-start.ts) ---------------

/** utime + stime (s) and run-queue wait (s, summed over threads) of a process; zeros when it is gone. */
function procTimes(pid: number): { cpu: number; wait: number } {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    let wait = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) wait += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
    return { cpu: (Number(f[11]) + Number(f[12])) / 100, wait };
  } catch {
    return { cpu: 0, wait: 0 };
  }
}

/** The main thread's run time and run-queue wait (s): for a Node process, its event loop's thread. */
function mainThread(pid: number): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { run: run! / 1e9, wait: wait! / 1e9 };
  } catch {
    return { run: 0, wait: 0 };
  }
}

/** This process's descendants: pid -> command name. */
function descendants(): Map<number, string> {
  const parent = new Map<number, { ppid: number; comm: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), { ppid: Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]), comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')) });
    } catch {
      // gone meanwhile
    }
  }
  const out = new Map<number, string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of parent) if (!out.has(pid) && (p.ppid === process.pid || out.has(p.ppid))) (out.set(pid, p.comm), (grew = true));
  }
  return out;
}

function machineTicks(): { busy: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3]! - v[4]!, total };
}

const pct1 = (part: number, whole: number) => Math.round((1000 * part) / whole) / 10;

/**
 * CPU over a stretch of time, in % of one core: this process (all threads), its descendants
 * grouped by command name (`mediasoup-worker` for `workerPids()`), the workers' busiest second,
 * the run-queue wait of each group (time runnable but not running: a busy machine, not the
 * program) and of this process's and `mainPids`' main threads, and the whole machine's busy share.
 * start() returns stop(), which returns the figures and the CPU seconds used (for per-join costs).
 */
export function processMeter(workerPids: () => number[], mainPids: () => Record<string, number> = () => ({})) {
  return {
    start() {
      const at = performance.now();
      const base = new Map([...descendants().keys(), process.pid].map((p) => [p, procTimes(p)]));
      const mains0 = Object.fromEntries(Object.entries({ portal: process.pid, ...mainPids() }).map(([k, p]) => [k, { pid: p, ...mainThread(p) }]));
      const m0 = machineTicks();
      const peaks: number[] = [];
      let last = { t: at, w: workerPids().reduce((a, p) => a + procTimes(p).cpu, 0) };
      const timer = setInterval(() => {
        const now = { t: performance.now(), w: workerPids().reduce((a, p) => a + procTimes(p).cpu, 0) };
        peaks.push(pct1(now.w - last.w, (now.t - last.t) / 1000));
        last = now;
      }, 1000);
      return () => {
        clearInterval(timer);
        const sec = (performance.now() - at) / 1000;
        const cpuSec: Record<string, number> = {};
        const waitSec: Record<string, number> = {};
        for (const [pid, name] of [[process.pid, 'portal'] as const, ...descendants()]) {
          const now = procTimes(pid);
          const was = base.get(pid) ?? { cpu: 0, wait: 0 };
          const key = workerPids().includes(pid) ? 'mediasoup-worker' : name;
          cpuSec[key] = (cpuSec[key] ?? 0) + now.cpu - was.cpu;
          waitSec[key] = (waitSec[key] ?? 0) + now.wait - was.wait;
        }
        const mainThreads = Object.fromEntries(
          Object.entries(mains0).map(([k, m]) => {
            const now = mainThread(m.pid);
            return [k, { runPct: pct1(now.run - m.run, sec), runQueueWaitPct: pct1(now.wait - m.wait, sec) }];
          }),
        );
        const m1 = machineTicks();
        return {
          seconds: Math.round(sec * 10) / 10,
          cpuSec,
          cpuPct: Object.fromEntries(Object.entries(cpuSec).map(([k, v]) => [k, pct1(v, sec)])),
          runQueueWaitPct: Object.fromEntries(Object.entries(waitSec).map(([k, v]) => [k, pct1(v, sec)])),
          mainThreads,
          workerPeak1sPct: Math.max(0, ...peaks),
          machineBusyPct: pct1(m1.busy - m0.busy, m1.total - m0.total),
        };
      };
    },
  };
}

/** Self time (ms) by function and file, largest first. */
export function profileSelfTime(profile: Profiler.Profile): [string, number][] {
  const dt = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples?.length ?? 1);
  const by = new Map<string, number>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/)/, '$1').replace(`file://${process.cwd()}/`, '')}:${f.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + (n.hitCount ?? 0) * dt);
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}
