// A simulcast camera without a browser: one ffmpeg encodes testsrc2 twice (VP8, a low and a
// top layer, each with its SSRC) and sends both to a UDP relay, which forwards them from one
// address into a comedia plain transport of the room (mediasoup takes RTP from one tuple only).
// The relay holds the top layer back until openTop(), as a browser does while its bandwidth
// estimate is low.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { spawnTied } from '../../media/child';
import type { LiveRoom, ProducerInfo } from '../../media/live';
import { VIDEO_PT, type RtpSource } from './live-rtp';

export interface SimulcastCamera {
  producer: ProducerInfo;
  low: { width: number; height: number };
  top: { width: number; height: number };
  /** From now on the top layer reaches the room. */
  openTop(): void;
  stop(): Promise<void>;
}

let nextSsrc = 0x3000_0000 + Math.floor(Math.random() * 0x1000_0000);

/** RTP (payload type < 72 or > 76) carries the SSRC at byte 8; RTCP SR/RR at byte 4. */
function ssrcOf(packet: Buffer): number | undefined {
  if (packet.length < 12) return undefined;
  const pt = packet[1]! & 0x7f;
  const isRtcp = pt >= 72 && pt <= 76;
  return isRtcp ? packet.readUInt32BE(4) : packet.readUInt32BE(8);
}

export async function simulcastCamera(
  room: LiveRoom,
  peerId: string,
  o: { low?: { width: number; height: number }; top?: { width: number; height: number }; seconds?: number } = {},
): Promise<SimulcastCamera> {
  const low = o.low ?? { width: 320, height: 180 };
  const top = o.top ?? { width: 640, height: 360 };
  const t = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: true });
  const ssrcs = [nextSsrc++, nextSsrc++];
  const producer = await room.produce(peerId, t.id, {
    kind: 'video',
    source: 'camera',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }],
      encodings: ssrcs.map((ssrc) => ({ ssrc })),
    },
  });

  const relay: Socket = createSocket('udp4');
  relay.bind(0, '127.0.0.1');
  await once(relay, 'listening');
  let topOpen = false;
  relay.on('message', (packet) => {
    if (!topOpen && ssrcOf(packet) === ssrcs[1]) return;
    relay.send(packet, t.port, t.ip);
  });
  const port = relay.address().port;

  const vp8 = (kbps: number) => [
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', `${kbps}k`,
    // The RTP muxer ignores PLI: a keyframe every second is how a layer switch happens.
    '-g', '25', '-keyint_min', '25', '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1', '-pix_fmt', 'yuv420p',
  ];
  const out = (ssrc: number) => ['-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(VIDEO_PT), `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=1200`];
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-re', '-f', 'lavfi', '-i', `testsrc2=size=${top.width}x${top.height}:rate=25`, '-t', String(o.seconds ?? 120),
    '-filter_complex', `[0:v]split=2[a][b];[a]scale=${low.width}:${low.height}[lo];[b]null[hi]`,
    '-map', '[lo]', ...vp8(150), ...out(ssrcs[0]!),
    '-map', '[hi]', ...vp8(500), ...out(ssrcs[1]!),
  ];
  const child = spawnTied('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = once(child, 'close');
  const source: RtpSource = {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return {
    producer,
    low,
    top,
    openTop: () => (topOpen = true),
    async stop() {
      await source.stop();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
