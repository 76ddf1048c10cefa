/**
 * Consumers per mediasoup worker on this machine (直播课堂 capacity): one ~1 Mbps VP8 producer
 * fed by ffmpeg over a PlainTransport (a cached testsrc2 clip sent with -re -c copy), then
 * consumers added in steps, each on its own PlainTransport sending to a local UDP sink, until
 * the worker's CPU passes 90 % or packets are lost. Compared with mediasoup's published figure
 * (~500 consumers per worker).
 *
 * How it is measured:
 * - One worker from WorkerPool (the Debian mediasoup-worker 3.8.4), one router, used directly:
 *   LiveRoom's plain transports have no SRTP option, and this measures the worker, not LiveRoom.
 * - `plain` mode: RTP in the clear. `srtp` mode: `enableSrtp` (AES_CM_128_HMAC_SHA1_80 unless
 *   --srtp-suite), so the worker encrypts every packet per consumer as it does for WebRTC. Not
 *   the same cipher (Chromium negotiates AEAD_AES_256_GCM with this worker; 3.8.4's
 *   PlainTransport takes only the AES_CM suites), and no ICE, DTLS, RTCP feedback or
 *   congestion control: an approximation of a WebRTC viewer's cost, not a measure of it.
 * - Consumers use the codec alone (no RTX/NACK, no header extensions: no probing padding), with
 *   RTCP on a separate port to one shared sink, so the RTP sinks see RTP only.
 * - Sinks cost no CPU: each is a UDP socket bound on 127.0.0.1 that never reads (its libuv
 *   receive is stopped) with a small receive buffer, so once full the kernel drops every packet
 *   at the socket and counts it (`drops` in /proc/net/udp). The drops during a window are the
 *   packets that reached that sink. The kernel's loopback receive path runs in the sender's
 *   context, so it is billed to the worker (as a NIC's transmit path would be).
 * - Per step: add `--step` consumers, settle `--settle` s, then over `--window` s (between two
 *   snapshots taken with ffmpeg briefly stopped and the worker drained, see quiet()) read the
 *   worker's utime+stime and run-queue wait (/proc/<pid>/stat, schedstat), its RSS, the whole
 *   machine's busy share (/proc/stat), the producer's received and lost packets (getStats) and
 *   the sinks' packets. Loss combines the packets the producer lost on the way in (the worker
 *   not reading its socket in time) and, on the way out, what the sinks got short of
 *   consumers x the producer's packets. The CPU figure is the worker's CPU time per packet
 *   received, at the clip's average packet rate (a 3 s window holds +-10 % packets).
 * - Stops when worker CPU > 90 %, loss > --max-loss (default 0.5 %), or --max consumers.
 *   Reports the largest step that stayed under both, and the count at 90 % CPU interpolated
 *   between the steps around it.
 * - The worker's CPU is a share of one core (it is single-threaded). On a shared machine the
 *   run-queue wait says how much CPU it wanted and did not get: loss with CPU under 90 % and a
 *   large wait means the machine, not the worker, was the limit.
 *
 * Loopback only. Human-readable lines to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/live-consumers.ts [--modes plain,srtp] [--step 50] [--window 3]
 *        [--settle 1.5] [--max 1500] [--max-loss 0.5] [--kbps 1000] [--ports 30000-33999]
 */
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { PlainTransport, Producer, Router, SrtpCryptoSuite } from 'mediasoup/lib/types';
import { WorkerPool, recorderRtpCapabilities, spawnTied } from '../media';

const { values } = parseArgs({
  options: {
    modes: { type: 'string', default: 'plain,srtp' },
    step: { type: 'string', default: '50' },
    window: { type: 'string', default: '3' },
    settle: { type: 'string', default: '1.5' },
    max: { type: 'string', default: '1500' },
    'max-loss': { type: 'string', default: '0.5' },
    'max-cpu': { type: 'string', default: '90' },
    kbps: { type: 'string', default: '1000' },
    size: { type: 'string', default: '640x360' },
    ports: { type: 'string', default: '30000-33999' },
    'srtp-suite': { type: 'string', default: 'AES_CM_128_HMAC_SHA1_80' },
  },
});
const modes = values.modes.split(',').map((m) => m.trim()) as ('plain' | 'srtp')[];
for (const m of modes) if (m !== 'plain' && m !== 'srtp') throw new Error(`unknown mode ${m}`);
const step = Number(values.step);
const windowSec = Number(values.window);
const settleSec = Number(values.settle);
const maxConsumers = Number(values.max);
const maxLoss = Number(values['max-loss']) / 100;
const maxCpu = Number(values['max-cpu']);
const [minPort, maxPort] = values.ports.split('-').map(Number) as [number, number];
const suite = values['srtp-suite'] as SrtpCryptoSuite;
const PUBLISHED = 500;
const VIDEO_PT = 101;
const log = (line: string) => void process.stderr.write(`${line}\n`);

// ---- /proc readings --------------------------------------------------------------------------

const TICK = 100; // getconf CLK_TCK on Linux x86_64
function procCpu(pid: number): { user: number; sys: number; waitNs: number } {
  // Fields after the command (which may contain spaces) start at field 3 (state).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const schedstat = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ');
  return { user: Number(f[11]) / TICK, sys: Number(f[12]) / TICK, waitNs: Number(schedstat[1]) };
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function machine(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3]! + cpu[4]!;
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
/** `drops` per local port of the UDP sockets on 127.0.0.1 (this network namespace). */
function udpDrops(): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 13) continue;
    const [ip, port] = cols[1]!.split(':');
    if (ip !== '0100007F') continue;
    out.set(parseInt(port!, 16), Number(cols[12]));
  }
  return out;
}

// ---- sinks -----------------------------------------------------------------------------------

/** A UDP socket on 127.0.0.1 that never reads: the kernel drops and counts what arrives. */
async function darkSink(): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4096 });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  socket.setRecvBufferSize(4096);
  // Node has no public way to stop reading a dgram socket; its libuv handle has recvStop().
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state ? (socket as unknown as Record<symbol, { handle?: { recvStop?: () => number } }>)[state]?.handle : undefined;
  if (!handle?.recvStop || handle.recvStop() !== 0) throw new Error('cannot stop reading a dgram socket on this Node version');
  return { port: socket.address().port, socket };
}

// ---- the producer ----------------------------------------------------------------------------

/**
 * A ~kbps VP8 clip (testsrc2 with moving noise, so the encoder needs the bit rate; CBR, a
 * keyframe every second), made once and cached: streaming it with `-c copy` costs ffmpeg almost
 * no CPU, which matters on 2 cores where a live encoder would compete with the worker.
 */
async function clip(): Promise<string> {
  const dir = join(tmpdir(), 'cadre-bench');
  const file = join(dir, `live-vp8-${values.size}-${values.kbps}k.webm`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const kbps = Number(values.kbps);
  log(`live-consumers: generating ${file} (once) ...`);
  // prettier-ignore
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${values.size}:rate=30,noise=alls=12:allf=t`, '-t', '20',
    '-c:v', 'libvpx', '-deadline', 'good', '-cpu-used', '4',
    '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-g', '30', '-keyint_min', '30', '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1', '-pix_fmt', 'yuv420p',
    `${file}.partial.webm`,
  ];
  const p = spawnTied('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(p, 'close')) as [number | null];
  if (code !== 0) throw new Error(`ffmpeg could not make the test clip (exit ${code})`);
  renameSync(`${file}.partial.webm`, file);
  return file;
}

async function startProducer(router: Router): Promise<{ producer: Producer; ffmpeg: ChildProcess; transport: PlainTransport }> {
  const file = await clip();
  const transport = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: false, comedia: true });
  const ssrc = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);
  const producer = await transport.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }], encodings: [{ ssrc }] },
  });
  // prettier-ignore
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-re', '-stream_loop', '-1', '-i', file, '-map', '0:v:0', '-c:v', 'copy',
    '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(VIDEO_PT),
    `rtp://127.0.0.1:${transport.tuple.localPort}?rtcpport=${transport.rtcpTuple!.localPort}&pkt_size=1200`,
  ];
  const ffmpeg = spawnTied('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return { producer, ffmpeg, transport };
}

async function producerStats(producer: Producer): Promise<{ packets: number; lost: number; bytes: number }> {
  const [s] = (await producer.getStats()) as unknown as { packetCount: number; packetsLost: number; byteCount: number }[];
  return { packets: s?.packetCount ?? 0, lost: s?.packetsLost ?? 0, bytes: s?.byteCount ?? 0 };
}

// ---- one mode --------------------------------------------------------------------------------

/**
 * A snapshot at a quiet moment: ffmpeg is stopped (SIGSTOP) and the worker has finished sending
 * what it had (the sinks' counts no longer move), then everything is read and ffmpeg resumes
 * (SIGCONT; with -re it catches up on the pause, so the packets of a window still span its wall
 * time). Without this, a snapshot taken while the worker fans a keyframe's burst out to
 * hundreds of consumers puts sinks tens of packets apart.
 */
async function quiet(ffmpeg: ChildProcess, producer: Producer, pid: number, ports: number[]) {
  ffmpeg.kill('SIGSTOP');
  try {
    const total = () => {
      const d = udpDrops();
      return ports.reduce((a, p) => a + (d.get(p) ?? 0), 0);
    };
    let prev = total();
    for (let i = 0, stable = 0; stable < 2; i++) {
      if (i > 100) throw new Error('the sinks kept receiving for 3 s after the source stopped');
      await sleep(30);
      const now = total();
      stable = now === prev ? stable + 1 : 0;
      prev = now;
    }
    const prod = await producerStats(producer);
    return { producer: prod, drops: udpDrops(), cpu: procCpu(pid), machine: machine(), at: performance.now() };
  } finally {
    ffmpeg.kill('SIGCONT');
  }
}

interface StepResult {
  consumers: number;
  /** Worker CPU (% of one core) for the clip's average packet rate; cpuRaw is over wall time. */
  cpu: number;
  cpuRaw: number;
  userCpu: number;
  sysCpu: number;
  waitPct: number;
  machinePct: number;
  rssMb: number;
  producerKbps: number;
  inputLost: number;
  /** Fewest packets a sink got in the window; producerPackets when nothing is lost. */
  sinkMin: number;
  producerPackets: number;
  lossPct: number;
}

async function runMode(mode: 'plain' | 'srtp', router: Router, producer: Producer, ffmpeg: ChildProcess, pid: number, rtcpSinkPort: number, nominalPps: number) {
  const caps = recorderRtpCapabilities(router.rtpCapabilities, { mimeType: 'video/VP8' })!;
  const consumers: { transport: PlainTransport; port: number; socket: Socket }[] = [];
  const steps: StepResult[] = [];
  let stopReason = `reached --max ${maxConsumers}`;
  const rssBase = rssMb(pid);
  const addConsumers = async () => {
    for (let i = 0; i < step; i++) {
      const sink = await darkSink();
      try {
        const transport = await router.createPlainTransport({
          listenIp: { ip: '127.0.0.1' },
          rtcpMux: false,
          comedia: false,
          ...(mode === 'srtp' ? { enableSrtp: true, srtpCryptoSuite: suite } : {}),
        });
        await transport.connect({
          ip: '127.0.0.1',
          port: sink.port,
          rtcpPort: rtcpSinkPort,
          // The remote key is only used to decrypt what the sink would send back (nothing).
          ...(mode === 'srtp' ? { srtpParameters: { cryptoSuite: suite, keyBase64: randomBytes(suite.startsWith('AEAD_AES_256') ? 44 : suite.startsWith('AEAD') ? 28 : 30).toString('base64') } } : {}),
        });
        await transport.consume({ producerId: producer.id, rtpCapabilities: caps });
        consumers.push({ transport, ...sink });
      } catch (error) {
        sink.socket.close();
        throw error;
      }
    }
  };
  try {
    while (consumers.length < maxConsumers) {
      try {
        await addConsumers();
      } catch (error) {
        // e.g. 'Channel request timeout': the worker did not answer a request within 15 s.
        stopReason = `the worker failed a request at ${consumers.length} consumers: ${(error as Error).message}`;
        break;
      }
      await sleep(settleSec * 1000);
      const ports = consumers.map((c) => c.port);
      const s0 = await quiet(ffmpeg, producer, pid, ports);
      await sleep(windowSec * 1000);
      const s1 = await quiet(ffmpeg, producer, pid, ports);
      const wall = (s1.at - s0.at) / 1000;
      // Both snapshots were taken with the source stopped and the worker drained, so with no
      // loss every sink got exactly the packets the producer received in between.
      const perSink = ports.map((port) => (s1.drops.get(port) ?? 0) - (s0.drops.get(port) ?? 0));
      const inPackets = s1.producer.packets - s0.producer.packets;
      const received = perSink.reduce((a, c) => a + c, 0);
      const outLossPct = inPackets > 0 ? Math.max(0, 1 - received / (inPackets * perSink.length)) * 100 : 100;
      const inputLost = Math.max(0, s1.producer.lost - s0.producer.lost);
      const inLossPct = inPackets + inputLost > 0 ? (inputLost / (inPackets + inputLost)) * 100 : 100;
      const lossPct = 100 - ((100 - outLossPct) * (100 - inLossPct)) / 100;
      const r: StepResult = {
        consumers: consumers.length,
        // Scaled to the clip's average packet rate: a window's rate varies by +-10 % (keyframes).
        cpu: round1(((s1.cpu.user + s1.cpu.sys - s0.cpu.user - s0.cpu.sys) / (inPackets / nominalPps)) * 100),
        cpuRaw: round1(((s1.cpu.user + s1.cpu.sys - s0.cpu.user - s0.cpu.sys) / wall) * 100),
        userCpu: round1(((s1.cpu.user - s0.cpu.user) / wall) * 100),
        sysCpu: round1(((s1.cpu.sys - s0.cpu.sys) / wall) * 100),
        waitPct: round1(((s1.cpu.waitNs - s0.cpu.waitNs) / 1e9 / wall) * 100),
        machinePct: round1(((s1.machine.busy - s0.machine.busy) / (s1.machine.total - s0.machine.total)) * 100),
        rssMb: round1(rssMb(pid)),
        producerKbps: Math.round(((s1.producer.bytes - s0.producer.bytes) * 8) / wall / 1000),
        inputLost,
        sinkMin: Math.min(...perSink),
        producerPackets: inPackets,
        lossPct: Math.round(lossPct * 100) / 100,
      };
      steps.push(r);
      log(
        `  ${mode.padEnd(5)} ${String(r.consumers).padStart(5)} consumers  worker CPU ${String(r.cpu).padStart(5)} % (measured ${r.cpuRaw} %: user ${r.userCpu}, sys ${r.sysCpu})  run-queue wait ${String(r.waitPct).padStart(4)} %  RSS ${r.rssMb} MB  machine busy ${r.machinePct} %  producer ${r.producerKbps} kbit/s  loss ${r.lossPct} %${inputLost ? ` (producer lost ${inputLost} on input)` : ''}  fewest at a sink ${r.sinkMin}/${r.producerPackets}`,
      );
      if (r.cpu > maxCpu) {
        stopReason = `worker CPU ${r.cpu} % > ${maxCpu} %`;
        break;
      }
      if (r.lossPct > maxLoss * 100) {
        stopReason = `loss ${r.lossPct} %${inputLost ? `, producer lost ${inputLost} packets on input` : ''}`;
        if (r.waitPct > 20) stopReason += ` (the worker waited for a CPU ${r.waitPct} % of the window: the machine, not the worker, was the limit)`;
        break;
      }
    }
  } finally {
    for (const c of consumers) {
      c.transport.close();
      c.socket.close();
    }
  }
  const ok = steps.filter((s) => s.cpu <= maxCpu && s.lossPct <= maxLoss * 100);
  const lastOk = ok.at(-1);
  const at90 = crossing(steps);
  const last = steps.at(-1);
  const kbPerConsumer = last ? Math.round(((last.rssMb - rssBase) * 1024) / last.consumers) : NaN;
  return { mode, steps, stopReason, lastOk: lastOk ?? null, at90, kbPerConsumer, rssBase: round1(rssBase) };
}

/**
 * Consumers at maxCpu: linear between the last step below it and the first above it (CPU per
 * consumer grows somewhat with the count, so a fit over all steps would overshoot); without a
 * crossing, extrapolated from the last two steps.
 */
function crossing(steps: StepResult[]): { consumers: number; extrapolated: boolean } | null {
  const above = steps.findIndex((s) => s.cpu > maxCpu);
  const [a, b] = above > 0 ? [steps[above - 1]!, steps[above]!] : [steps.at(-2), steps.at(-1)];
  if (!a || !b || b.cpu <= a.cpu) return null;
  return { consumers: Math.round(a.consumers + ((maxCpu - a.cpu) * (b.consumers - a.consumers)) / (b.cpu - a.cpu)), extrapolated: above <= 0 };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

// ---- main ------------------------------------------------------------------------------------

/** One mode on a fresh worker (so memory figures start from the same place): producer alone, then the steps. */
async function measureMode(mode: 'plain' | 'srtp') {
  const pool = await WorkerPool.create({
    numWorkers: 1,
    logLevel: 'error',
    rtcMinPort: minPort,
    rtcMaxPort: maxPort,
    workerBin: process.env.MEDIASOUP_WORKER_BIN ?? '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker',
  });
  const rtcpSink = await darkSink();
  let ffmpeg: ChildProcess | undefined;
  try {
    const { router } = await pool.createRouter();
    const pid = pool.getWorker(0)!.pid;
    const started = await startProducer(router);
    ffmpeg = started.ffmpeg;
    const { producer } = started;
    // Wait for media, then measure the worker with the producer alone.
    const deadline = Date.now() + 15_000;
    while ((await producerStats(producer)).packets < 100) {
      if (Date.now() > deadline || ffmpeg.exitCode !== null) throw new Error('no RTP from ffmpeg within 15 s');
      await sleep(200);
    }
    await sleep(2000);
    // The producer alone over 6 s (six keyframes): the worker's own cost and the clip's average rate.
    const c0 = procCpu(pid);
    const p0 = await producerStats(producer);
    const f0 = procCpu(ffmpeg.pid!);
    const t0 = performance.now();
    await sleep(6000);
    const c1 = procCpu(pid);
    const p1 = await producerStats(producer);
    const f1 = procCpu(ffmpeg.pid!);
    const secs = (performance.now() - t0) / 1000;
    const producerAlone = {
      workerCpu: round1(((c1.user + c1.sys - c0.user - c0.sys) / secs) * 100),
      ffmpegCpu: round1(((f1.user + f1.sys - f0.user - f0.sys) / secs) * 100),
      kbps: Math.round(((p1.bytes - p0.bytes) * 8) / secs / 1000),
      pps: Math.round((p1.packets - p0.packets) / secs),
    };
    log(`${mode}${mode === 'srtp' ? ` (${suite})` : ''}: fresh worker (pid ${pid}); VP8 ${values.size} 30 fps from ffmpeg at ${producerAlone.kbps} kbit/s (${producerAlone.pps} packets/s); producer alone: worker CPU ${producerAlone.workerCpu} %, ffmpeg ${producerAlone.ffmpegCpu} %`);
    const r = await runMode(mode, router, producer, ffmpeg, pid, rtcpSink.port, (p1.packets - p0.packets) / secs);
    return { ...r, producerAlone };
  } finally {
    if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
      const exited = once(ffmpeg, 'close');
      ffmpeg.kill('SIGKILL');
      await exited;
    }
    rtcpSink.socket.close();
    await pool.close();
  }
}

const load0 = loadavg()[0]!;
log(`live-consumers: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; steps of ${step}, ${settleSec} s settle + ${windowSec} s window; stop at worker CPU > ${maxCpu} % or loss > ${maxLoss * 100} %`);
const results: Awaited<ReturnType<typeof measureMode>>[] = [];
for (const mode of modes) results.push(await measureMode(mode));
for (const r of results) {
  log(`${r.mode}${r.mode === 'srtp' ? ` (${suite})` : ''}: stopped: ${r.stopReason}`);
  log(`  largest step under ${maxCpu} % CPU without loss: ${r.lastOk ? `${r.lastOk.consumers} consumers (worker CPU ${r.lastOk.cpu} %)` : 'none'}`);
  const n = r.at90?.consumers;
  log(`  at ${maxCpu} % worker CPU (${r.at90?.extrapolated ? 'extrapolated from the last two steps' : 'interpolated between the steps around it'}): ~${n ?? 'n/a'} consumers; mediasoup's published figure: ~${PUBLISHED} per worker (ratio ${n ? (n / PUBLISHED).toFixed(2) : 'n/a'})`);
  log(`  worker RSS ${r.rssBase} MB with the producer alone, ~${r.kbPerConsumer} KB per consumer`);
}
process.stdout.write(
  `${JSON.stringify({
    bench: 'live-consumers', cpus: cpus().length, loadAvg1mBefore: round1(load0), loadAvg1mAfter: round1(loadavg()[0]!),
    size: values.size, step, windowSec, maxCpu, maxLossPct: maxLoss * 100, srtpSuite: suite, published: PUBLISHED,
    results: results.map((r) => ({ mode: r.mode, producerAlone: r.producerAlone, stopReason: r.stopReason, lastOk: r.lastOk?.consumers ?? null, lastOkCpu: r.lastOk?.cpu ?? null, at90: r.at90?.consumers ?? null, at90Extrapolated: r.at90?.extrapolated ?? null, kbPerConsumer: r.kbPerConsumer, steps: r.steps })),
  })}\n`,
);
