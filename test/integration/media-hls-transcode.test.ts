// Real ffmpeg on generated clips: the ladder, its playlists and segments, poster and sprites,
// progress, abort and the .partial folder.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TranscodeError, TranscodeJob } from '../../media/hls/TranscodeJob';
import type { TranscodeProgress, TranscodeResult } from '../../media/hls/TranscodeJob';
import { parseMediaPlaylist } from '../../media/hls/playlist';
import { probeMedia } from '../../media/probe';
import type { ProbeResult } from '../../media/probe';
import { makeClip, makeMediaTmpDir, makeTextAsMp4, removeDir } from '../helpers/media-fixtures';

const run = promisify(execFile);

async function ffprobeJson(file: string, args: string[]): Promise<Record<string, unknown[]>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args, file]);
  return JSON.parse(stdout) as Record<string, unknown[]>;
}

interface StreamInfo {
  codec_type: string;
  codec_name: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
}

async function streams(file: string): Promise<StreamInfo[]> {
  const out = await ffprobeJson(file, ['-show_entries', 'stream=codec_type,codec_name,profile,pix_fmt,width,height,sample_rate']);
  return out.streams as StreamInfo[];
}

/** The first video packet of a segment (decode order): its pts and whether it is a keyframe. */
async function firstVideoPacket(file: string): Promise<{ pts: number; key: boolean }> {
  const out = await ffprobeJson(file, ['-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'packet=pts_time,flags']);
  const [packet] = out.packets as { pts_time: string; flags: string }[];
  return { pts: Number(packet!.pts_time), key: packet!.flags.startsWith('K') };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** ffmpeg processes whose command line mentions `text` (our unique tmp folder). */
async function ffmpegProcessesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0')[0]?.endsWith('ffmpeg') && cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

let dir: string;
let clip: string;
let probe: ProbeResult;

beforeAll(async () => {
  dir = await makeMediaTmpDir('media-hls-');
  clip = await makeClip(dir, { seconds: 12, width: 1280, height: 720 });
  probe = await probeMedia(clip);
});

afterAll(async () => {
  await removeDir(dir);
});

describe('TranscodeJob on a 12 s 1280x720 lecture with audio', () => {
  let outDir: string;
  let result: TranscodeResult;
  const progress: TranscodeProgress[] = [];
  let ends = 0;
  let errors = 0;

  beforeAll(async () => {
    outDir = join(dir, 'lecture-720');
    const job = await TranscodeJob.create({ input: clip, outDir, probe });
    job.on('progress', (p) => progress.push(p));
    job.on('end', () => ends++);
    job.on('error', () => errors++);
    result = await job.wait();
    await job.abort(); // after the end: changes nothing, fires nothing
  });

  it('ends exactly once, with the output renamed into place and no .partial left', async () => {
    expect([ends, errors]).toEqual([1, 0]);
    expect(result.outDir).toBe(outDir);
    expect(await exists(join(outDir, 'master.m3u8'))).toBe(true);
    expect(await exists(`${outDir}.partial`)).toBe(false);
  });

  it('lists 720p, 480p, 360p and audio in the master, each with BANDWIDTH and CODECS', async () => {
    const master = await readFile(join(outDir, result.masterPath), 'utf8');
    const variants = [...master.matchAll(/#EXT-X-STREAM-INF:(.*)\n(.*)/g)].map((m) => ({ attrs: m[1]!, uri: m[2]! }));
    expect(variants.map((v) => v.uri)).toEqual(['720p/index.m3u8', '480p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8']);
    for (const v of variants) {
      expect(v.attrs).toMatch(/BANDWIDTH=\d+/);
      expect(v.attrs).toMatch(/CODECS="[^"]+"/);
    }
    expect(variants.slice(0, 3).map((v) => /RESOLUTION=(\d+x\d+)/.exec(v.attrs)?.[1])).toEqual(['1280x720', '854x480', '640x360']);
    expect(variants[0]!.attrs).toContain('CODECS="avc1.64001f,mp4a.40.2"');
    expect(variants[3]!.attrs).toContain('CODECS="mp4a.40.2"');
    expect(result.renditions.map((r) => [r.name, r.height])).toEqual([
      ['720p', 720],
      ['480p', 480],
      ['360p', 360],
      ['audio', undefined],
    ]);
  });

  it('announces measured bit rates close to the targets', () => {
    const [r720, r480, r360, audio] = result.renditions;
    expect(r720!.bandwidth).toBeGreaterThan(2_000_000);
    expect(r720!.bandwidth).toBeLessThan(3_900_000);
    expect(r480!.bandwidth).toBeLessThan(r720!.bandwidth);
    expect(r360!.bandwidth).toBeLessThan(r480!.bandwidth);
    expect(audio!.bandwidth).toBeGreaterThan(55_000);
    expect(audio!.bandwidth).toBeLessThan(90_000);
  });

  it('writes audio.m3u8 with only the audio rung, which hls.js keeps (no video variant beside it)', async () => {
    const audioMaster = await readFile(join(outDir, result.audioMasterPath!), 'utf8');
    expect(audioMaster.match(/#EXT-X-STREAM-INF/g)).toHaveLength(1);
    expect(audioMaster).toContain('CODECS="mp4a.40.2"\naudio/index.m3u8');
  });

  it('encodes every video rung as H.264 High yuv420p at its height with AAC 48 kHz audio', async () => {
    for (const r of result.renditions.filter((x) => x.kind === 'video')) {
      const s = await streams(join(outDir, r.name, 'seg_00000.ts'));
      const video = s.find((x) => x.codec_type === 'video')!;
      const audio = s.find((x) => x.codec_type === 'audio')!;
      expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: r.width, height: r.height });
      expect(['High', 'Main']).toContain(video.profile);
      expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000' });
    }
    const audioOnly = await streams(join(outDir, 'audio', 'seg_00000.ts'));
    expect(audioOnly.map((x) => [x.codec_type, x.codec_name])).toEqual([['audio', 'aac']]);
  });

  it('cuts 4 s segments (±1 s), except the last', async () => {
    for (const r of result.renditions) {
      const playlist = parseMediaPlaylist(await readFile(join(outDir, r.playlist), 'utf8'));
      expect(playlist.ended).toBe(true);
      expect(playlist.segments.length).toBeGreaterThanOrEqual(3);
      for (const s of playlist.segments.slice(0, -1)) {
        expect(Math.abs(s.durationSec - 4)).toBeLessThanOrEqual(1);
      }
      expect(playlist.segments.reduce((sum, s) => sum + s.durationSec, 0)).toBeCloseTo(12, 0);
    }
  });

  it('starts every segment of every rung with a keyframe, at the same time in all rungs', async () => {
    const starts: Record<string, number[]> = {};
    for (const r of result.renditions.filter((x) => x.kind === 'video')) {
      const playlist = parseMediaPlaylist(await readFile(join(outDir, r.playlist), 'utf8'));
      starts[r.name] = [];
      for (const s of playlist.segments) {
        const first = await firstVideoPacket(join(outDir, r.name, s.uri));
        expect(first.key, `${r.name}/${s.uri} starts with a keyframe`).toBe(true);
        starts[r.name]!.push(first.pts);
      }
    }
    expect(starts['480p']).toEqual(starts['720p']);
    expect(starts['360p']).toEqual(starts['720p']);
    // Segment starts 4 s apart, so a player can switch rungs at any boundary.
    const s720 = starts['720p']!;
    expect(s720[1]! - s720[0]!).toBeCloseTo(4, 1);
  });

  it('writes a JPEG poster at most 720 px wide', async () => {
    const poster = join(outDir, result.posterPath!);
    const head = (await readFile(poster)).subarray(0, 3);
    expect([...head]).toEqual([0xff, 0xd8, 0xff]);
    const [image] = await streams(poster);
    expect(image!.width).toBe(720);
  });

  it('writes a thumbnails VTT whose cues all point at existing 1600x900 sprite sheets', async () => {
    const vtt = await readFile(join(outDir, result.thumbnailsVtt!), 'utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    const refs = [...vtt.matchAll(/^(\S+\.jpg)#xywh=(\d+),(\d+),160,90$/gm)];
    expect(refs).toHaveLength(3);
    for (const name of new Set(refs.map((m) => m[1]!))) {
      expect(await exists(join(outDir, name))).toBe(true);
      const [sheet] = await streams(join(outDir, name));
      expect([sheet!.width, sheet!.height]).toEqual([1600, 900]);
    }
    expect(result.sprites).toEqual(['sprite_0.jpg']);
  });

  it('reports progress that only goes up, ladder before thumbnails, ending at 100', () => {
    expect(progress.length).toBeGreaterThanOrEqual(4);
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(progress.filter((p) => p.stage === 'ladder').length).toBeGreaterThanOrEqual(2);
    const firstThumb = progress.findIndex((p) => p.stage === 'thumbnails');
    expect(firstThumb).toBeGreaterThan(0);
    expect(progress.slice(firstThumb).every((p) => p.stage === 'thumbnails')).toBe(true);
    expect(progress.some((p) => p.stage === 'ladder' && p.etaSec !== null)).toBe(true);
  });
});

describe('TranscodeJob lifecycle', () => {
  it('abort() mid-ladder reaps ffmpeg, removes the .partial folder and fails once with "aborted"', async () => {
    const outDir = join(dir, 'aborted');
    const job = await TranscodeJob.create({ input: clip, outDir, probe });
    const errors: TranscodeError[] = [];
    let ends = 0;
    job.on('error', (e) => errors.push(e));
    job.on('end', () => ends++);
    await new Promise<void>((resolve) => job.once('progress', () => resolve()));
    const pid = job.pid!;
    expect(alive(pid)).toBe(true);

    await Promise.all([job.abort(), job.abort()]);
    await job.abort();

    expect(alive(pid)).toBe(false);
    expect(await ffmpegProcessesMentioning(outDir)).toEqual([]);
    expect(await exists(`${outDir}.partial`)).toBe(false);
    expect(await exists(outDir)).toBe(false);
    expect(job.state).toBe('aborted');
    expect(errors.map((e) => e.code)).toEqual(['aborted']);
    expect(ends).toBe(0);
    await expect(job.wait()).rejects.toMatchObject({ code: 'aborted' });
  });

  it('abort() SIGKILLs an ffmpeg that ignores SIGTERM once the kill timeout has passed', async () => {
    // A stand-in for a wedged ffmpeg: prints progress, shrugs off SIGTERM.
    const stubborn = join(dir, 'stubborn-ffmpeg.sh');
    await writeFile(
      stubborn,
      "#!/bin/sh\ntrap '' TERM\ni=0\nwhile true; do i=$((i+1)); printf 'out_time_us=%d000000\\nspeed=1x\\nprogress=continue\\n' $i; sleep 0.1; done\n",
    );
    await chmod(stubborn, 0o755);
    const outDir = join(dir, 'stubborn');
    const job = await TranscodeJob.create({ input: clip, outDir, probe, ffmpegPath: stubborn, killTimeoutMs: 500 });
    await new Promise<void>((resolve) => job.once('progress', () => resolve()));
    const pid = job.pid!;
    const started = performance.now();
    await job.abort();
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    expect(alive(pid)).toBe(false);
    expect(job.state).toBe('aborted');
    expect(await exists(`${outDir}.partial`)).toBe(false);
  });

  it('gives an audio-only source audio rungs only, no poster and no sprites', async () => {
    const audioClip = await makeClip(dir, { seconds: 10, width: 0, height: 0, video: false });
    const outDir = join(dir, 'audio-only');
    const job = await TranscodeJob.create({ input: audioClip, outDir, probe: await probeMedia(audioClip) });
    const result = await job.wait();
    expect(result.renditions.map((r) => [r.name, r.kind])).toEqual([
      ['audio-128k', 'audio'],
      ['audio-64k', 'audio'],
    ]);
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    expect(master).not.toContain('RESOLUTION');
    expect(master).not.toContain('avc1');
    expect([result.posterPath, result.thumbnailsVtt]).toEqual([null, null]);
    const s = await streams(join(outDir, 'audio-64k', 'seg_00000.ts'));
    expect(s.map((x) => [x.codec_type, x.codec_name, x.sample_rate])).toEqual([['audio', 'aac', '48000']]);
  });

  it('starts clean when a crashed run left a .partial folder behind', async () => {
    const audioClip = await makeClip(dir, { seconds: 4, width: 0, height: 0, video: false, name: 'short-audio.mp4' });
    const outDir = join(dir, 'after-crash');
    await mkdir(join(`${outDir}.partial`, '720p'), { recursive: true });
    await writeFile(join(`${outDir}.partial`, '720p', 'seg_00007.ts'), 'left over');
    const job = await TranscodeJob.create({ input: audioClip, outDir, probe: await probeMedia(audioClip) });
    await job.wait();
    expect((await readdir(outDir)).sort()).toEqual(['audio-128k', 'audio-64k', 'audio.m3u8', 'master.m3u8']);
    expect(await exists(`${outDir}.partial`)).toBe(false);
  });

  it('replaces a finished ladder only once the new one is complete', async () => {
    const audioClip = await makeClip(dir, { seconds: 4, width: 0, height: 0, video: false, name: 'again.mp4' });
    const outDir = join(dir, 'redo');
    const audioProbe = await probeMedia(audioClip);
    await (await TranscodeJob.create({ input: audioClip, outDir, probe: audioProbe })).wait();
    await writeFile(join(outDir, 'stale.txt'), 'from the first run');
    await (await TranscodeJob.create({ input: audioClip, outDir, probe: audioProbe })).wait();
    expect(await exists(join(outDir, 'stale.txt'))).toBe(false);
    expect(await exists(join(outDir, 'master.m3u8'))).toBe(true);
    expect((await readdir(dir)).filter((n) => n.startsWith('redo.'))).toEqual([]);
  });

  it('fails with ffmpeg-failed and its stderr when the input is not media, leaving nothing behind', async () => {
    const text = await makeTextAsMp4(dir);
    const outDir = join(dir, 'broken');
    const job = await TranscodeJob.create({ input: text, outDir, probe });
    const error = await job.wait().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TranscodeError);
    expect(error).toMatchObject({ code: 'ffmpeg-failed', stage: 'ladder' });
    expect((error as TranscodeError).stderrTail).toMatch(/Invalid data|moov atom/);
    expect(await exists(`${outDir}.partial`)).toBe(false);
    expect(await exists(outDir)).toBe(false);
  });

  it('fails with ffmpeg-missing when the ffmpeg binary does not exist', async () => {
    const job = await TranscodeJob.create({ input: clip, outDir: join(dir, 'no-ffmpeg'), probe, ffmpegPath: '/nonexistent/ffmpeg' });
    await expect(job.wait()).rejects.toMatchObject({ code: 'ffmpeg-missing' });
    expect(await exists(join(dir, 'no-ffmpeg.partial'))).toBe(false);
  });

  it('refuses an output folder with % in its name (ffmpeg would read it as a pattern)', async () => {
    await expect(TranscodeJob.create({ input: clip, outDir: join(dir, '100%'), probe })).rejects.toMatchObject({
      code: 'invalid-input',
    });
  });

  it('turns a ~6 s 1080p source into 1080p/720p/480p/360p with level 4.0 on the top rung', async () => {
    const big = await makeClip(dir, { seconds: 6, width: 1920, height: 1080 });
    const outDir = join(dir, 'lecture-1080');
    const job = await TranscodeJob.create({ input: big, outDir, probe: await probeMedia(big), thumbnails: false });
    const result = await job.wait();
    expect(result.renditions.map((r) => r.name)).toEqual(['1080p', '720p', '480p', '360p', 'audio']);
    expect(result.posterPath).toBeNull();
    const out = await ffprobeJson(join(outDir, '1080p', 'seg_00000.ts'), ['-select_streams', 'v:0', '-show_entries', 'stream=width,height,level,profile']);
    expect(out.streams![0]).toMatchObject({ width: 1920, height: 1080, level: 40, profile: 'High' });
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    expect(master).toContain('RESOLUTION=1920x1080,FRAME-RATE=25.000,CODECS="avc1.640028,mp4a.40.2"');
  });
});
