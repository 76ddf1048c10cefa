// Media fixtures generated at test time with ffmpeg (testsrc2 + sine): nothing binary is
// committed and nothing is downloaded. Each helper writes into a directory the test owns
// (see makeMediaTmpDir) and returns the file's path.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClipOptions {
  seconds: number;
  width: number;
  height: number;
  /** Default true. */
  audio?: boolean;
  /** Default true. */
  video?: boolean;
  /**
   * Default true: moov before mdat, as the portal's own outputs are. False leaves moov at the
   * end, as cameras and recorders write it, so that cutting the file loses the moov.
   */
  faststart?: boolean;
  /** File name inside dir; default clip-<w>x<h>-<s>s[-audio|-video].mp4 */
  name?: string;
  ffmpegPath?: string;
}

export async function makeMediaTmpDir(prefix = 'media-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** H.264 High yuv420p (25 fps) + AAC-LC 48 kHz stereo in MP4. */
export async function makeClip(dir: string, opts: ClipOptions): Promise<string> {
  const video = opts.video ?? true;
  const audio = opts.audio ?? true;
  if (!video && !audio) throw new Error('makeClip: a clip needs video or audio');
  const suffix = video && audio ? '' : video ? '-video' : '-audio';
  const file = join(dir, opts.name ?? `clip-${opts.width}x${opts.height}-${opts.seconds}s${suffix}.mp4`);

  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=25`);
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(opts.seconds));
  if (video) {
    // superfast, not ultrafast: ultrafast turns CABAC and 8x8dct off, and x264 then labels the
    // stream Constrained Baseline even with -profile:v high.
    args.push('-c:v', 'libx264', '-preset', 'superfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p');
  }
  if (audio) args.push('-c:a', 'aac', '-ac', '2', '-b:a', '96k');
  if (opts.faststart ?? true) args.push('-movflags', '+faststart');
  args.push(file);

  await run(opts.ffmpegPath ?? 'ffmpeg', args);
  return file;
}

/** A text file with an .mp4 name: what a mis-click in a file picker uploads. */
export async function makeTextAsMp4(dir: string): Promise<string> {
  const file = join(dir, 'not-a-video.mp4');
  await writeFile(file, '第一讲 讲稿\nThis is lecture notes, not a video.\n'.repeat(20));
  return file;
}

/** The first half of `src`: an upload cut off mid-way. */
export async function makeTruncated(dir: string, src: string): Promise<string> {
  const bytes = await readFile(src);
  const file = join(dir, `truncated-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.mp4`);
  await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return file;
}

export async function makeEmpty(dir: string): Promise<string> {
  const file = join(dir, 'empty.mp4');
  await writeFile(file, '');
  return file;
}

/** An MP4 whose only stream is a subtitle track (mov_text): a container with nothing to play. */
export async function makeSubtitleOnly(dir: string, ffmpegPath = 'ffmpeg'): Promise<string> {
  const srt = join(dir, 'subtitles.srt');
  await writeFile(srt, '1\n00:00:00,000 --> 00:00:02,000\n同志们好\n\n2\n00:00:02,000 --> 00:00:04,000\n现在开始上课\n');
  const file = join(dir, 'subtitles-only.mp4');
  await run(ffmpegPath, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', srt, '-c:s', 'mov_text', file]);
  return file;
}
