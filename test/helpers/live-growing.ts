// A screen share whose size grows while it is shared, as Chromium's does when its bandwidth
// estimate climbs: one H.264 stream that starts small and goes on larger (a new SPS on a
// keyframe), made by ffmpeg once and sent over RTP as it is (-c:v copy) into a comedia plain
// transport of the room. The router's H.264 is Constrained Baseline with packetization-mode 1
// (media/codecs.ts), so the fixture is Baseline too.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LiveRoom, ProducerSource } from '../../media/live';
import { spawnSource, type FedVideo } from './live-screen';

const run = promisify(execFile);
export const H264_PT = 107;
const FPS = 25;

export interface Step {
  width: number;
  height: number;
  seconds: number;
}

/** Raw H.264 (Annex B) of `color`, one keyframe a second, in `steps` of growing size, at `dir`/grow.h264. */
export async function growingH264(dir: string, color: string, steps: readonly Step[]): Promise<string> {
  const parts: Buffer[] = [];
  for (const [i, s] of steps.entries()) {
    const file = join(dir, `grow-${i}.h264`);
    await run('ffmpeg', [
      '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `color=c=${color}:size=${s.width}x${s.height}:rate=${FPS}`, '-t', String(s.seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
      '-g', String(FPS), '-keyint_min', String(FPS), '-sc_threshold', '0', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', file,
    ]);
    parts.push(await readFile(file));
  }
  const out = join(dir, 'grow.h264');
  await writeFile(out, Buffer.concat(parts));
  return out;
}

let nextSsrc = 0x6000_0000 + Math.floor(Math.random() * 0x1000_0000);

/** Sends `file` (raw H.264) in real time as a `source` producer of `peerId`. */
export async function feedH264(room: LiveRoom, peerId: string, source: ProducerSource, file: string): Promise<FedVideo> {
  const t = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: false });
  const ssrc = nextSsrc++;
  const producer = await room.produce(peerId, t.id, {
    kind: 'video',
    source,
    rtpParameters: {
      codecs: [{ mimeType: 'video/H264', payloadType: H264_PT, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } }],
      encodings: [{ ssrc }],
    },
  });
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-re', '-f', 'h264', '-framerate', String(FPS), '-i', file,
    '-c:v', 'copy', '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(H264_PT), `rtp://127.0.0.1:${t.port}?rtcpport=${t.rtcpPort}&pkt_size=1200`,
  ];
  return { producer, source: spawnSource(args) };
}
