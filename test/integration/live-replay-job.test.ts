/**
 * The `live-replay` job on the real store, job queue and ffmpeg: recorded parts (HLS folders made
 * here with ffmpeg, as the recorder writes them) of different sizes, with a gap between them,
 * become a replay as long as the live timeline, at the largest part's size, published after its
 * transcode; an attempt that fails is retried; a job interrupted by a shutdown is handed back and
 * finished by the next process.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import type { JobDoc } from '../../server/modules/jobs/job.model';
import { LIVE_REPLAY_JOB, liveReplayPayload } from '../../server/modules/live/replay-job';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import { build, testEnv, type TestApp } from '../helpers/build';
import { waitUntil } from '../helpers/live-rtp';
import { makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';

const run = promisify(execFile);
let t: TestApp;
let staging: string;

/** A recorder-like part: 2 s MPEG-TS segments of H.264 yuv420p + AAC in an HLS EVENT playlist. */
async function makePart(dir: string, seconds: number, width: number, height: number) {
  await mkdir(dir, { recursive: true });
  await run('ffmpeg', [
    ...['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-c:a', 'aac', '-ac', '2'],
    ...['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_filename', join(dir, 'seg_%05d.ts'), join(dir, 'index.m3u8')],
  ]);
}

/** Mean luma (0-255) of the frame at `atSec`. */
async function lumaAt(file: string, atSec: number): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-ss', String(atSec), '-i', file, '-frames:v', '1', '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG', '-f', 'null', '-']);
  return Number(/YAVG=([\d.]+)/.exec(stderr)?.[1]);
}

beforeAll(async () => {
  t = await build({ TRANSCODE_PRESET: 'ultrafast', JOB_RETRY_BASE_MS: '1000', JOB_POLL_MS: '200' });
  staging = await makeMediaTmpDir('live-replay-parts-');
  await Promise.all([makePart(join(staging, 'part-1'), 4, 640, 360), makePart(join(staging, 'part-2'), 4, 1280, 720), makePart(join(staging, 'long', 'part-1'), 30, 640, 360)]);
}, 60_000);

afterAll(() => Promise.all([t?.close(), staging && removeDir(staging)]));

describe('live-replay job', () => {
  it('keeps the live timeline (a slate in the gap), scales parts to the largest, and retries a failed attempt', async () => {
    const { models } = t.app.store;
    const startedAt = new Date(Date.now() - 60_000);
    const live = await models.Lecture.create({ title: '直播回放测试', category: 'service', kind: 'live', state: 'published', durationSec: 13, live: { state: 'ended', startedAt } });
    const id = String(live._id);
    const prefix = `live/${id}/${startedAt.getTime()}`;
    // The second part is not described yet (its recorder still exiting): its start was seen late,
    // at 10 s; once stopped it is moved back to 7 s (part-placement.ts). The job waits for that.
    const part1 = { prefix: `${prefix}/part-1`, offsetSec: 0, index: 1, durationSec: 4, width: 640, height: 360 };
    await models.Lecture.updateOne({ _id: id }, { $set: { 'live.recordingPrefix': prefix, 'live.parts': [part1, { prefix: `${prefix}/part-2`, offsetSec: 10 }] } });
    const payload = liveReplayPayload(id);
    const job = await t.app.jobs.enqueue(LIVE_REPLAY_JOB, { ...payload });
    const jobNow = async () => (await models.Job.findById(job._id).lean<JobDoc>())!;
    await waitUntil(async () => (await jobNow()).state === 'running', 10_000, 'the job running');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await jobNow()).toMatchObject({ state: 'running', attempts: 1 });
    expect((await jobNow()).lastError).toBeUndefined();
    await models.Lecture.updateOne({ _id: id }, { $set: { 'live.parts': [part1, { prefix: `${prefix}/part-2`, offsetSec: 7, index: 2, durationSec: 4, width: 1280, height: 720 }] } });

    // The parts' files are not there yet: the first attempt fails and is queued again.
    await waitUntil(async () => (await jobNow()).lastError !== undefined, 20_000, 'a failed first attempt');
    expect(await jobNow()).toMatchObject({ state: 'queued', attempts: 1, lastError: 'the recording has no segments' });
    for (const part of ['part-1', 'part-2']) await cp(join(staging, part), t.app.storage.path(`${prefix}/${part}`), { recursive: true });

    let replay: LectureDoc | null = null;
    await waitUntil(
      async () => {
        replay = await models.Lecture.findById(payload.replayLectureId).lean<LectureDoc>();
        if (replay?.processing?.state === 'failed') throw new Error(`transcode failed: ${JSON.stringify(replay.processing)}`);
        // Published at its first rung (first rung first); the whole ladder a little later.
        return replay?.state === 'published' && replay.processing?.state === 'ready';
      },
      45_000,
      'the published replay with its whole ladder',
    );
    expect(await jobNow()).toMatchObject({ state: 'done', attempts: 2 });
    expect(replay!).toMatchObject({ kind: 'recorded', title: '直播回放测试（回放）' });
    expect(String(replay!.replayOf)).toBe(id);
    expect(String((await models.Lecture.findById(id).lean<LectureDoc>())!.live!.replayLectureId)).toBe(payload.replayLectureId);

    // As long as the live timeline, within one segment; the ladder from the 720p part, nothing above it.
    const segmentSec = t.app.config.media.segmentSec;
    const master = t.app.storage.path(`${replay!.media!.prefix}/${replay!.media!.master}`);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', master]);
    expect(Math.abs(Number(stdout) - 13)).toBeLessThanOrEqual(segmentSec);
    const heights = replay!.media!.renditions!.map((r) => r.height ?? 0).filter((h) => h > 0);
    expect(Math.max(...heights)).toBe(720);

    // The source itself: 1280x720, the parts where they were on the timeline and a dark slate between.
    const source = t.app.storage.path(replay!.sourceKey!);
    const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height:format=duration', '-of', 'json', source])).stdout);
    expect(probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    expect(Math.abs(Number(probe.format.duration) - 13)).toBeLessThan(0.5);
    expect(await lumaAt(source, 1)).toBeGreaterThan(80);
    expect(await lumaAt(source, 5.5)).toBeLessThan(50);
    expect(await lumaAt(source, 9)).toBeGreaterThan(80);
  }, 90_000);

  it('hands a job interrupted by a shutdown back, and the next process finishes it', async () => {
    const env = testEnv({ TRANSCODE_PRESET: 'ultrafast', JOB_POLL_MS: '100' });
    let app: App | undefined;
    const open = async () => {
      app = await buildApp(loadConfig(env));
      await app.ready();
      return app;
    };
    try {
      let a = await open();
      const live = await a.store.models.Lecture.create({ title: '中断的回放', category: 'service', kind: 'live', state: 'published', durationSec: 30, live: { state: 'ended', parts: [{ prefix: 'live/x/1/part-1', offsetSec: 0, index: 1, durationSec: 30 }] } });
      await cp(join(staging, 'long', 'part-1'), a.storage.path('live/x/1/part-1'), { recursive: true });
      const payload = liveReplayPayload(String(live._id));
      const job = await a.jobs.enqueue(LIVE_REPLAY_JOB, { ...payload });
      await waitUntil(async () => (await a.store.models.Job.findById(job._id).lean<JobDoc>())!.state === 'running', 10_000, 'the job running');
      await a.close();
      a = await open();
      await waitUntil(async () => (await a.store.models.Job.findById(job._id).lean<JobDoc>())!.state === 'done', 40_000, 'the job done after the restart');
      // The interrupted attempt was handed back uncounted, and left no half-written source.
      expect(await a.store.models.Job.findById(job._id).lean<JobDoc>()).toMatchObject({ attempts: 1 });
      const sourceDir = a.storage.path(`lectures/${payload.replayLectureId}/source`);
      expect(await readdir(sourceDir)).toEqual(['recording.mp4']);
    } finally {
      await app?.store.conn.dropDatabase().catch(() => {});
      await app?.close();
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    }
  }, 60_000);
});
