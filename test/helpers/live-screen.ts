// A lecturer's camera and screen share without a browser, told apart by colour: ffmpeg sends a
// one-colour VP8 clip (encoded once, sent by stream copy) over RTP into a comedia plain transport of the room, produced with the
// given source. And the frame checks the picture-in-picture tests make on decoded frames.
import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { spawnTied } from '../../media/child';
import type { LiveRoom, ProducerInfo, ProducerSource } from '../../media/live';
import { VIDEO_PT, type RtpSource } from './live-rtp';
import { once } from 'node:events';

const run = promisify(execFile);

let nextSsrc = 0x5000_0000 + Math.floor(Math.random() * 0x1000_0000);

export interface FedVideo {
  producer: ProducerInfo;
  source: RtpSource;
}

/**
 * A solid `color` (ffmpeg colour name or 0xRRGGBB) of `width`x`height` as a `source` producer.
 * The picture is encoded once (colourClip) and sent by stream copy: an encoding sender falls
 * behind real time on a busy machine (a 1280x720 one ran at 0.58x at load 8), and its stream's
 * own timeline would then look like a recording losing time.
 */
export async function feedColour(room: LiveRoom, peerId: string, o: ColourPicture & { source: ProducerSource; seconds?: number }): Promise<FedVideo> {
  const clip = await colourClip(o);
  const t = await room.createPlainTransport(peerId, 'send', { comedia: true, rtcpMux: false });
  const ssrc = nextSsrc++;
  const producer = await room.produce(peerId, t.id, {
    kind: 'video',
    source: o.source,
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }], encodings: [{ ssrc }] },
  });
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-re', '-stream_loop', '-1', '-i', clip, '-t', String(o.seconds ?? 120), '-map', '0:v:0', '-c:v', 'copy',
    '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(VIDEO_PT), `rtp://127.0.0.1:${t.port}?rtcpport=${t.rtcpPort}&pkt_size=1200`,
  ];
  return { producer, source: spawnSource(args) };
}

export interface ColourPicture {
  color: string;
  width: number;
  height: number;
  /** Frames a second (default 25). */
  fps?: number;
  /** Seconds between keyframes (default 1): a browser answers a keyframe request within a round trip, this sender never does. */
  keyframeSec?: number;
}

const CLIP_SEC = 10;
const clips = new Map<string, Promise<string>>();

/**
 * A VP8 WebM of CLIP_SEC seconds of one colour, a keyframe every `keyframeSec` (the RTP muxer
 * ignores PLI: that is how a consumer starts), made once per machine in the temp folder. A test
 * that times a feed started mid-way makes its clip first.
 */
export function colourClip(picture: ColourPicture): Promise<string> {
  const o = { ...picture, fps: picture.fps ?? 25 };
  const gop = Math.max(1, Math.round(o.fps * (picture.keyframeSec ?? 1)));
  const file = join(tmpdir(), 'cadre-test-clips', `colour-${o.color}-${o.width}x${o.height}-${o.fps}fps-g${gop}.webm`);
  let made = clips.get(file);
  if (!made) {
    made = (async () => {
      if (await stat(file).then((st) => st.size > 0, () => false)) return file;
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp.webm`;
      await run('ffmpeg', [
        '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
        '-f', 'lavfi', '-i', `color=c=${o.color}:size=${o.width}x${o.height}:rate=${o.fps}`, '-t', String(CLIP_SEC),
        '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k',
        '-g', String(gop), '-keyint_min', String(gop), '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1', '-pix_fmt', 'yuv420p',
        tmp,
      ]);
      await rename(tmp, file);
      return file;
    })();
    clips.set(file, made);
  }
  return made;
}

/** ffmpeg with `args` as a test's media source: its stderr's tail kept, stop() kills and reaps it. */
export function spawnSource(args: string[]): RtpSource {
  const child = spawnTied('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = once(child, 'close');
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface DecodedFrame {
  width: number;
  height: number;
  /** [r, g, b] at (x, y). */
  rgb(x: number, y: number): [number, number, number];
}

/** The first video frame of `file` (a segment or a playlist), decoded to RGB, at `seekSec`. */
export async function decodeFrame(file: string, seekSec = 0): Promise<DecodedFrame> {
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', file]);
  const [width, height] = (probe.stdout.split('\n').find(Boolean) ?? '').split('x').map(Number) as [number, number];
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-ss', String(seekSec), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const buf = stdout as unknown as Buffer;
  if (buf.length < width * height * 3) throw new Error(`decoded ${buf.length} bytes, wanted ${width}x${height}x3`);
  return {
    width,
    height,
    rgb: (x, y) => {
      const i = (Math.round(y) * width + Math.round(x)) * 3;
      return [buf[i]!, buf[i + 1]!, buf[i + 2]!];
    },
  };
}

type Colour = 'red' | 'green' | 'blue' | 'other';

/** Which of the test colours a pixel is ('red' camera, 'blue' screen; Chromium's fake screen is 'green'). */
export function colourName([r, g, b]: [number, number, number]): Colour {
  if (r > 150 && g < 90 && b < 90) return 'red';
  if (g > 50 && g > 2 * r && g > 2 * b) return 'green';
  if (b > 150 && r < 90 && g < 110) return 'blue';
  return 'other';
}

/** The share (0..1) of pixels of `colour` in the rectangle [x0, x1) x [y0, y1), sampled every 4 px. */
export function colourShare(frame: DecodedFrame, [x0, y0, x1, y1]: [number, number, number, number], colour: Colour): number {
  let hits = 0;
  let all = 0;
  for (let y = Math.round(y0); y < y1; y += 4) {
    for (let x = Math.round(x0); x < x1; x += 4) {
      all++;
      if (colourName(frame.rgb(x, y)) === colour) hits++;
    }
  }
  return all ? hits / all : 0;
}
