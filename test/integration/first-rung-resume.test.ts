// First rung first, restart-safe (real ffmpeg, media/ only): a job stopped after its first rung was
// listed is started again on the same folder and makes only the higher rungs, leaving the first
// rung's files untouched; the master it writes is always whole.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressiveTranscodeJob, planPasses } from '../../media/hls/ProgressiveTranscodeJob';
import type { LadderSnapshot } from '../../media/hls/ProgressiveTranscodeJob';
import { planLadder } from '../../media/hls/ladder';
import { probeMedia, type ProbeResult } from '../../media/probe';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';

let dir: string;
let clip: string;
let probe: ProbeResult;

beforeAll(async () => {
  dir = await makeMediaTmpDir('first-rung-resume-');
  clip = await makeClip(dir, { seconds: 10, width: 1280, height: 720 });
  probe = await probeMedia(clip);
}, 60_000);
afterAll(async () => {
  await removeDir(dir);
});

const uris = (m3u8: string) => m3u8.split('\n').filter((l) => l && !l.startsWith('#'));

describe('ProgressiveTranscodeJob', () => {
  it('plans the lowest video rung first, then the higher rungs with the audio-only rung', () => {
    const plan = planLadder(probe);
    expect(planPasses(plan)).toEqual([['360p'], ['720p', '480p', 'audio']]);
    expect(planPasses(plan, 'each')).toEqual([['360p'], ['480p', 'audio'], ['720p']]);
  });

  it('encodes the first pass with the faster preset and the higher pass with the lecture preset', async () => {
    const job = await ProgressiveTranscodeJob.create({ input: clip, probe, outDir: join(dir, 'presets'), workDir: join(dir, 'presets-work'), preset: 'veryfast', thumbnails: false });
    const argvOf = async (): Promise<string[]> => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const pid = job.pid;
        const text = pid ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
        if (text) return text.split('\0');
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no ffmpeg running within 20 s');
    };
    const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
    const first = await argvOf();
    expect(after(first, '-preset')).toBe('superfast');
    // 720p to 360p is a reduction by 2: a box average.
    expect(after(first, '-filter_complex')).toMatch(/scale=640:360:flags=area\[v0\]$/);
    // The first `rungs` lists 360p while it grows; the higher pass starts once it is complete.
    const complete = await new Promise<LadderSnapshot>((resolve) => job.on('rungs', (s) => s.growing.length === 0 && resolve(s)));
    expect(complete.renditions.map((r) => r.name)).toEqual(['360p']);
    const higher = await argvOf();
    expect(after(higher, '-preset')).toBe('veryfast');
    expect(after(higher, '-var_stream_map')).toContain('name:720p');
    await job.abort();
  }, 120_000);

  it('resumes after a stop without making the first rung again', async () => {
    const outDir = join(dir, 'out');
    const opts = { input: clip, probe, outDir, workDir: join(dir, 'work'), preset: 'ultrafast' };
    const first = await ProgressiveTranscodeJob.create(opts);
    // The first rung complete (not while it grows: first-rung-growing.test.ts has that case).
    const listed = new Promise<LadderSnapshot>((resolve) => first.on('rungs', (s) => s.growing.length === 0 && resolve(s)));
    const snapshot = await listed;
    await first.abort();
    expect(first.state).toBe('aborted');
    expect(snapshot.renditions.map((r) => r.name)).toEqual(['360p']);
    expect(snapshot.pending).toEqual(['720p', '480p', 'audio']);
    // The poster with the first rung; the seek previews come with the next pass.
    expect(snapshot.posterPath).toBe('poster.jpg');
    expect(snapshot.thumbnailsVtt).toBeNull();
    const master1 = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    expect(uris(master1)).toEqual(['360p/index.m3u8']);
    const segs = (await readdir(join(outDir, '360p'))).filter((f) => f.endsWith('.ts'));
    const mtimes = await Promise.all(segs.map(async (f) => (await stat(join(outDir, '360p', f))).mtimeMs));

    const second = await ProgressiveTranscodeJob.create(opts);
    expect(second.done).toEqual(['360p']);
    expect(second.passes).toEqual([['720p', '480p', 'audio']]);
    const seen: string[][] = [];
    second.on('rungs', (s) => seen.push(s.renditions.map((r) => r.name)));
    const result = await second.wait();
    // The resumed state first (so the caller can point the lecture at it), then the full ladder.
    expect(seen).toEqual([['360p'], ['720p', '480p', '360p', 'audio']]);
    expect(result.pending).toEqual([]);
    expect(result.timings.firstRungMs).toBeNull();
    expect(result.posterPath).toBe('poster.jpg');
    expect(result.thumbnailsVtt).toBe('thumbnails.vtt');
    expect(await Promise.all(segs.map(async (f) => (await stat(join(outDir, '360p', f))).mtimeMs))).toEqual(mtimes);
    const master2 = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    expect(uris(master2)).toEqual(['720p/index.m3u8', '480p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8']);
    // Nothing half-written is left beside the master, and the scratch folder is gone.
    expect((await readdir(outDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(stat(join(dir, 'work'))).rejects.toThrow();
  }, 180_000);
});
