// Live-room test media without a browser: ffmpeg sends testsrc2 (VP8) and a sine (Opus) over
// RTP into plain transports of a LiveRoom, and a UDP socket stands in for a viewer.
// Kept small (320x240, 25 fps, realtime VP8) because the machine has 2 cores and is shared.
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTied } from '../../media/child';
import { WorkerPool } from '../../media/worker-pool';
import type { LiveRoom, ProducerInfo } from '../../media/live';

export const WORKER_BIN = process.env.MEDIASOUP_WORKER_BIN ?? '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker';

export const VIDEO_PT = 101;
export const AUDIO_PT = 100;

export function createLivePool(numWorkers: number, rtcMinPort: number, rtcMaxPort: number): Promise<WorkerPool> {
  return WorkerPool.create({
    numWorkers,
    logLevel: 'error',
    rtcMinPort,
    rtcMaxPort,
    workerBin: WORKER_BIN,
    restartDelayMs: 100,
  });
}

export const NETWORK = { listenIp: '127.0.0.1', enableUdp: true, enableTcp: false, preferUdp: true } as const;

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

interface RtpTarget {
  port: number;
  rtcpPort: number;
  ssrc: number;
}

export interface RtpSource {
  child: ChildProcess;
  stderr(): string;
  /** Media seconds the sender has got out so far (its progress report, every 0.1 s; startRtpSource's only). */
  sentSec?(): number;
  stop(): Promise<void>;
}

/** ffmpeg sending VP8 and/or Opus RTP to the given ports (real time, at most `seconds`). */
export function startRtpSource(o: { video?: RtpTarget; audio?: RtpTarget; seconds?: number }): RtpSource {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-progress', 'pipe:1', '-stats_period', '0.1'];
  if (o.video) args.push('-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25');
  if (o.audio) args.push('-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(o.seconds ?? 120));
  let input = 0;
  if (o.video) {
    args.push(
      '-map', `${input++}:v`,
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k',
      // The RTP muxer ignores PLI: a keyframe every second is the only way a new viewer starts.
      '-g', '25', '-keyint_min', '25', '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1',
      '-pix_fmt', 'yuv420p',
      '-f', 'rtp', '-ssrc', String(o.video.ssrc), '-payload_type', String(VIDEO_PT),
      `rtp://127.0.0.1:${o.video.port}?rtcpport=${o.video.rtcpPort}&pkt_size=1200`,
    );
  }
  if (o.audio) {
    args.push(
      '-map', `${input++}:a`,
      '-c:a', 'libopus', '-ac', '2', '-ar', '48000', '-b:a', '48k',
      '-f', 'rtp', '-ssrc', String(o.audio.ssrc), '-payload_type', String(AUDIO_PT),
      `rtp://127.0.0.1:${o.audio.port}?rtcpport=${o.audio.rtcpPort}&pkt_size=1200`,
    );
  }
  const child = spawnTied('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let sentUs = 0;
  let progress = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    const lines = (progress + d).split('\n');
    progress = lines.pop()!;
    for (const line of lines) {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m) sentUs = Math.max(sentUs, Number(m[1]));
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = once(child, 'close');
  return {
    child,
    stderr: () => stderr,
    sentSec: () => sentUs / 1e6,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface FedProducers {
  video?: ProducerInfo;
  audio?: ProducerInfo;
  source: RtpSource;
}

let nextSsrc = 0x1000_0000 + Math.floor(Math.random() * 0x1000_0000);

/**
 * Plain send transports (comedia, RTCP not muxed: ffmpeg sends RTCP from another port), one per
 * stream, producers on them, then ffmpeg feeding them. The producers are what a presenter's
 * camera and microphone would be.
 */
export async function feedRoom(
  room: LiveRoom,
  peerId: string,
  what: { video?: boolean; audio?: boolean } = { video: true, audio: true },
): Promise<FedProducers> {
  const targets: { video?: RtpTarget; audio?: RtpTarget } = {};
  const result: Partial<FedProducers> = {};
  if (what.video) {
    const t = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: false });
    const ssrc = nextSsrc++;
    result.video = await room.produce(peerId, t.id, {
      kind: 'video',
      source: 'camera',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }],
        encodings: [{ ssrc }],
      },
    });
    targets.video = { port: t.port, rtcpPort: t.rtcpPort!, ssrc };
  }
  if (what.audio) {
    const t = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: false });
    const ssrc = nextSsrc++;
    result.audio = await room.produce(peerId, t.id, {
      kind: 'audio',
      source: 'mic',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc }],
      },
    });
    targets.audio = { port: t.port, rtcpPort: t.rtcpPort!, ssrc };
  }
  result.source = startRtpSource(targets);
  return result as FedProducers;
}

export interface UdpSink {
  port: number;
  packets: number;
  bytes: number;
  close(): Promise<void>;
}

/** A UDP socket on 127.0.0.1 that counts what arrives (RTP and muxed RTCP). */
export async function udpSink(): Promise<UdpSink> {
  const socket: Socket = createSocket('udp4');
  const sink = {
    port: 0,
    packets: 0,
    bytes: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg) => {
    // RTP (payload types below 72..76, the RTCP range) counted; RTCP ignored.
    const pt = (msg[1] ?? 0) & 0x7f;
    if (pt >= 72 && pt <= 76) return;
    sink.packets++;
    sink.bytes += msg.length;
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  sink.port = socket.address().port;
  return sink;
}

/**
 * A viewer without a browser: a plain recv transport (RTCP muxed) to a UDP sink, consuming
 * `producerId` with the router's own capabilities, resumed.
 */
export async function plainViewer(
  room: LiveRoom,
  peerId: string,
  producerIds: string[],
): Promise<{ sink: UdpSink; transportId: string; consumerIds: string[] }> {
  const sink = await udpSink();
  const t = await room.createPlainTransport(peerId, 'recv', { rtcpMux: true });
  await room.connectPlainTransport(peerId, t.id, { ip: '127.0.0.1', port: sink.port });
  const consumerIds: string[] = [];
  for (const producerId of producerIds) {
    const c = await room.consume(peerId, t.id, producerId, room.rtpCapabilities);
    await room.resumeConsumer(peerId, c.id);
    consumerIds.push(c.id);
  }
  return { sink, transportId: t.id, consumerIds };
}
