// Real ffprobe/ffmpeg on clips generated at test time.
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeError, probeMedia } from '../../media/probe';
import type { ProbeFailureReason } from '../../media/probe';
import { checkFfmpeg } from '../../media/tools';
import {
  makeClip,
  makeEmpty,
  makeMediaTmpDir,
  makeSubtitleOnly,
  makeTextAsMp4,
  makeTruncated,
  removeDir,
} from '../helpers/media-fixtures';

let dir: string;
let clip: string;

beforeAll(async () => {
  dir = await makeMediaTmpDir();
  clip = await makeClip(dir, { seconds: 5, width: 320, height: 240 });
});

afterAll(async () => {
  await removeDir(dir);
});

async function rejectionReason(file: string, opts?: Parameters<typeof probeMedia>[1]): Promise<ProbeFailureReason> {
  const error = await probeMedia(file, opts).then(
    () => {
      throw new Error(`expected ${file} to be rejected`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProbeError);
  return (error as ProbeError).reason;
}

describe('probeMedia', () => {
  it('accepts a 5 s H.264 High yuv420p + AAC clip and reports what is in it', async () => {
    const result = await probeMedia(clip);
    expect(result.durationSec).toBeCloseTo(5, 1);
    expect(result.formatName).toContain('mp4');
    expect(result.sizeBytes).toBeGreaterThan(0);
    expect(result.bitRate).toBeGreaterThan(0);
    expect(result.video).toEqual({ codec: 'h264', profile: 'High', width: 320, height: 240, pixFmt: 'yuv420p', fps: 25 });
    expect(result.audio).toEqual({ codec: 'aac', sampleRate: 48000, channels: 2 });
    expect(result.streams.map((s) => s.type)).toEqual(['video', 'audio']);
  });

  it('accepts an audio-only file, with audio and without video', async () => {
    const audioOnly = await makeClip(dir, { seconds: 3, width: 0, height: 0, video: false });
    const result = await probeMedia(audioOnly);
    expect(result.video).toBeUndefined();
    expect(result.audio).toMatchObject({ codec: 'aac', channels: 2 });
    expect(result.durationSec).toBeCloseTo(3, 1);
  });

  it('accepts a video-only file, with video and without audio', async () => {
    const videoOnly = await makeClip(dir, { seconds: 2, width: 160, height: 120, audio: false });
    const result = await probeMedia(videoOnly);
    expect(result.audio).toBeUndefined();
    expect(result.video).toMatchObject({ codec: 'h264', width: 160, height: 120 });
  });

  it('probes a relative name that looks like a URL, with Chinese characters, as a local file', async () => {
    const name = 'http:第一讲-开班动员.mp4';
    await copyFile(clip, join(dir, name));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await probeMedia(name)).durationSec).toBeCloseTo(5, 1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('rejects a text file named .mp4 as not-media', async () => {
    expect(await rejectionReason(await makeTextAsMp4(dir))).toBe('not-media');
  });

  it('rejects a 0-byte file as empty-file', async () => {
    expect(await rejectionReason(await makeEmpty(dir))).toBe('empty-file');
  });

  it('rejects a missing file as not-found', async () => {
    expect(await rejectionReason(join(dir, 'never-uploaded.mp4'))).toBe('not-found');
  });

  it('rejects a directory as not-found', async () => {
    expect(await rejectionReason(dir)).toBe('not-found');
  });

  it('rejects the first half of an mp4 with moov at the end as corrupt', async () => {
    const moovAtEnd = await makeClip(dir, { seconds: 5, width: 320, height: 240, faststart: false, name: 'camera.mp4' });
    const truncated = await makeTruncated(dir, moovAtEnd);
    const error = await probeMedia(truncated).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'corrupt' });
    expect((error as ProbeError).detail).toContain('moov atom not found');
  });

  it('rejects the first half of a faststart mp4 (moov intact, mdat cut) as corrupt', async () => {
    const truncated = await makeTruncated(dir, clip);
    const error = await probeMedia(truncated).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'corrupt' });
    expect((error as ProbeError).detail).toMatch(/box 'mdat'/);
  });

  it('rejects a file whose only stream is a subtitle track as no-streams', async () => {
    expect(await rejectionReason(await makeSubtitleOnly(dir))).toBe('no-streams');
  });

  it('gives each rejection a Chinese message and an English one', async () => {
    const error = (await probeMedia(await makeTextAsMp4(dir)).catch((e: unknown) => e)) as ProbeError;
    expect(error.message).toMatch(/[\u4e00-\u9fff]/);
    expect(error.messageEn).toMatch(/^[\x20-\x7e]+$/);
  });

  it('reports ffprobe-missing when the ffprobe binary does not exist', async () => {
    expect(await rejectionReason(clip, { ffprobePath: '/nonexistent/ffprobe' })).toBe('ffprobe-missing');
  });

  it('reports timeout when ffprobe does not answer in time', async () => {
    // Stands in for an ffprobe stuck on a pathological file.
    const stuck = join(dir, 'stuck-ffprobe.sh');
    await writeFile(stuck, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const started = Date.now();
    expect(await rejectionReason(clip, { ffprobePath: stuck, timeoutMs: 200 })).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('checkFfmpeg', () => {
  it('finds ffmpeg with libx264 and aac, and ffprobe', async () => {
    const result = await checkFfmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' });
    expect(result).toMatchObject({ ok: true, h264: true, aac: true });
    expect(result.version).toMatch(/^\d+\.\d+/);
    expect(result.ffprobeVersion).toMatch(/^\d+\.\d+/);
    expect(result.reason).toBeUndefined();
  });

  it('fails with an install hint when ffmpeg is missing', async () => {
    const result = await checkFfmpeg({ ffmpegPath: '/nonexistent/ffmpeg', ffprobePath: 'ffprobe' });
    expect(result).toMatchObject({ ok: false, h264: false, aac: false });
    expect(result.reason).toContain('/nonexistent/ffmpeg not found');
    expect(result.reason).toContain('apt-get install ffmpeg');
  });

  it('fails with an install hint when ffprobe is missing', async () => {
    const result = await checkFfmpeg({ ffprobePath: '/nonexistent/ffprobe' });
    expect(result.ok).toBe(false);
    expect(result.h264).toBe(true);
    expect(result.reason).toContain('/nonexistent/ffprobe not found (apt-get install ffmpeg)');
  });
});
