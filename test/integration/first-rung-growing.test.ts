// First rung first, while it is made (issue 20; real ffmpeg, media/ only): the lowest rung is
// listed in the master once it has two segments, as an EVENT playlist that only grows, whose
// segments are hard links to the pass's files; at the pass's end the finished files replace the
// links (same inodes) and the playlist becomes the VOD. An attempt stopped while the rung grows is
// resumed on the same folder without shrinking what players were given.
// The encoder reads its source at 4× real time (an ffmpeg wrapper adding `-readrate 4`), as a
// slower machine would, so "while it is made" does not depend on this machine's speed; when the
// rung is listed its ffmpeg is paused (SIGSTOP) to look at it.
import { execFile } from 'node:child_process';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressiveTranscodeJob } from '../../media/hls/ProgressiveTranscodeJob';
import type { LadderSnapshot } from '../../media/hls/ProgressiveTranscodeJob';
import { probeMedia, type ProbeResult } from '../../media/probe';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { continuePaused } from '../helpers/process';

const run = promisify(execFile);
let dir: string;
let clip: string;
let probe: ProbeResult;
let slowFfmpeg: string;
const paused = new Set<number>();

const uris = (m3u8: string) => m3u8.split('\n').filter((l) => l && !l.startsWith('#'));
const growingSnapshot = (job: ProgressiveTranscodeJob) =>
  new Promise<LadderSnapshot>((resolve) =>
    job.on('rungs', (s) => {
      if (s.growing.length === 0 || paused.size > 0) return;
      const pid = job.pid;
      if (pid) {
        process.kill(pid, 'SIGSTOP');
        paused.add(pid);
      }
      resolve(s);
    }),
  );
const resume = () => continuePaused(paused);

beforeAll(async () => {
  dir = await makeMediaTmpDir('first-rung-growing-');
  clip = await makeClip(dir, { seconds: 30, width: 1280, height: 720 });
  probe = await probeMedia(clip);
  slowFfmpeg = join(dir, 'ffmpeg-readrate-4');
  await writeFile(slowFfmpeg, '#!/bin/sh\nexec ffmpeg -readrate 4 "$@"\n');
  await chmod(slowFfmpeg, 0o755);
}, 60_000);
afterAll(async () => {
  resume();
  await removeDir(dir);
});

describe('a growing first rung', () => {
  it('is listed as an EVENT playlist of linked segments that only grows, then becomes the VOD with the same files', async () => {
    const outDir = join(dir, 'grow');
    const job = await ProgressiveTranscodeJob.create({ input: clip, probe, outDir, workDir: join(dir, 'grow-work'), preset: 'ultrafast', ffmpegPath: slowFfmpeg, growPollMs: 100, thumbnails: false });
    const snapshot = await growingSnapshot(job);
    expect(paused.size).toBe(1);
    expect(snapshot.growing).toEqual(['360p']);
    expect(snapshot.renditions.map((r) => r.name)).toEqual(['360p']);
    expect(snapshot.pending).toEqual(['720p', '480p', 'audio']);
    // The lecture is as long as its source while the rung grows.
    expect(snapshot.durationSec).toBeGreaterThanOrEqual(29.9);

    expect(uris(await readFile(join(outDir, 'master.m3u8'), 'utf8'))).toEqual(['360p/index.m3u8']);
    const growing = await readFile(join(outDir, '360p/index.m3u8'), 'utf8');
    expect(growing).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(growing).toContain('#EXT-X-START:TIME-OFFSET=0');
    expect(growing).not.toContain('#EXT-X-ENDLIST');
    const early = uris(growing);
    expect(early.length).toBeGreaterThanOrEqual(2);
    expect(early.length).toBeLessThan(8);
    const inodes = new Map<string, number>();
    for (const seg of early) {
      const info = await stat(join(outDir, '360p', seg));
      expect(info.nlink).toBe(2); // a link to the pass's file, not a copy
      expect(info.size).toBeGreaterThan(1000);
      inodes.set(seg, info.ino);
    }
    const probeSeg = JSON.parse((await run('ffprobe', ['-v', 'error', '-of', 'json', '-show_entries', 'stream=codec_name,height', join(outDir, '360p', early[0]!)])).stdout) as { streams: { codec_name: string; height?: number }[] };
    expect(probeSeg.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(probeSeg.streams.find((s) => s.codec_name === 'h264')?.height).toBe(360);

    // From here to the end, every playlist a player could read starts with what it was given.
    const seen: string[][] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const text = await readFile(join(outDir, '360p/index.m3u8'), 'utf8');
        seen.push(uris(text));
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const complete = new Promise<LadderSnapshot>((resolve) => job.on('rungs', (s) => s.growing.length === 0 && resolve(s)));
    resume();
    const done = await complete;
    watching = false;
    await watcher;
    expect(done.renditions.map((r) => r.name)).toEqual(['360p']);
    const final = await readFile(join(outDir, '360p/index.m3u8'), 'utf8');
    expect(final).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(final).toContain('#EXT-X-ENDLIST');
    const all = uris(final);
    expect(all.length).toBeGreaterThan(early.length);
    expect(seen.length).toBeGreaterThan(3);
    for (const list of seen) expect(all.slice(0, list.length)).toEqual(list);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.length).toBeGreaterThanOrEqual(seen[i - 1]!.length);
    // The files a player fetched while it grew are the finished ones.
    for (const [seg, ino] of inodes) expect((await stat(join(outDir, '360p', seg))).ino).toBe(ino);
    const files = (await readdir(join(outDir, '360p'))).sort();
    expect(files).toEqual([...all, 'index.m3u8'].sort());

    const result = await job.wait();
    expect(result.growing).toEqual([]);
    expect(result.renditions.map((r) => r.name)).toEqual(['720p', '480p', '360p', 'audio']);
    expect(result.timings.firstListedMs).not.toBeNull();
    expect(result.timings.firstListedMs!).toBeLessThan(result.timings.firstRungMs!);
  }, 180_000);

  it('resumes a rung stopped while it grew without shrinking what it lists', async () => {
    const outDir = join(dir, 'again');
    const opts = { input: clip, probe, outDir, workDir: join(dir, 'again-work'), preset: 'ultrafast', ffmpegPath: slowFfmpeg, growPollMs: 100, thumbnails: false as const };
    const first = await ProgressiveTranscodeJob.create(opts);
    await growingSnapshot(first);
    const given = uris(await readFile(join(outDir, '360p/index.m3u8'), 'utf8'));
    resume();
    await first.abort();
    expect(first.state).toBe('aborted');
    // What players were given is still there after the attempt stopped.
    expect(uris(await readFile(join(outDir, 'master.m3u8'), 'utf8'))).toEqual(['360p/index.m3u8']);
    for (const seg of given) expect((await stat(join(outDir, '360p', seg))).size).toBeGreaterThan(1000);

    const second = await ProgressiveTranscodeJob.create(opts);
    expect(second.done).toEqual([]);
    expect(second.passes[0]).toEqual(['360p']);
    const lists: number[] = [];
    second.on('rungs', (s) => lists.push(s.renditions.length));
    let watching = true;
    const counts: number[] = [];
    const watcher = (async () => {
      while (watching) {
        counts.push(uris(await readFile(join(outDir, '360p/index.m3u8'), 'utf8')).length);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const result = await second.wait();
    watching = false;
    await watcher;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(given.length);
    expect(lists[0]).toBe(1);
    expect(result.renditions.map((r) => r.name)).toEqual(['720p', '480p', '360p', 'audio']);
    const final = uris(await readFile(join(outDir, '360p/index.m3u8'), 'utf8'));
    expect(final.slice(0, given.length)).toEqual(given);
    // Nothing half-made is left in the served folder.
    expect((await readdir(join(outDir, '360p'))).sort()).toEqual([...final, 'index.m3u8'].sort());
  }, 180_000);
});
