/**
 * The `live-replay` job (回放): a live lecture that ended becomes a recorded lecture.
 *
 * - Queued by the live service when a lecture ends, with the replay's id chosen then, so every
 *   attempt (a retry, or another process after a restart) makes the same replay.
 * - The parts are read from the store (`live.parts`: folder and offset on the live timeline),
 *   so parts recorded before a portal restart are in the replay; once each is described (its
 *   final place is stored as its recorder exits, after the lecture's end), at most
 *   PARTS_DESCRIBED_WAIT_MS. media/ renders them on the
 *   live timeline (renderReplay: slates in the gaps, one picture size) into the replay's source.
 * - Each step is skipped when an earlier attempt did it: the source (a complete file, renamed
 *   into place), the recorded lecture (insert with its _id), the transcode job (its id on the
 *   replay). The transcode publishes the replay when its ladder is ready.
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import type { AppConfig } from '../../../config';
import { renderReplay, type Storage } from '../../../media';
import type { Models } from '../../store/models';
import { writeLecture, type CatalogService } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import type { JobHandler, JobQueue } from '../jobs/job-queue';

export const LIVE_REPLAY_JOB = 'live-replay';

export interface LiveReplayPayload {
  lectureId: string;
  replayLectureId: string;
}

export function liveReplayPayload(lectureId: string): LiveReplayPayload {
  return { lectureId, replayLectureId: String(new Types.ObjectId()) };
}

/**
 * How long the replay waits for its parts to be described (length, size and final place, stored
 * as each recorder exits, a moment after the lecture ended; seconds on a busy machine) before it
 * goes on with what is stored (a portal that died mid-lecture never describes its last part).
 */
export const PARTS_DESCRIBED_WAIT_MS = 60_000;

async function whenPartsDescribed(models: Models, lectureId: string, signal: AbortSignal, waitMs = PARTS_DESCRIBED_WAIT_MS): Promise<LectureDoc | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = await models.Lecture.findById(lectureId).lean<LectureDoc>();
    const described = (live?.live?.parts ?? []).every((p) => p.durationSec !== undefined && p.durationSec !== null);
    if (!live || described || Date.now() >= deadline || signal.aborted) return live;
    await sleep(500, undefined, { signal }).catch(() => undefined);
  }
}

export function makeLiveReplayHandler(deps: {
  models: Models;
  storage: Storage;
  catalog: CatalogService;
  jobs: JobQueue;
  config: AppConfig;
  /** The replay lecture exists and is being transcoded: the room is told. */
  onQueued: (lectureId: string, replayLectureId: string) => void;
}): JobHandler {
  const { models, storage, catalog, jobs, config } = deps;
  return async (job, ctx) => {
    const { lectureId, replayLectureId } = job.payload as LiveReplayPayload;
    const key = `lectures/${replayLectureId}/source/recording.mp4`;
    const out = storage.path(key);
    const rendered = await stat(out).then(() => true, () => false);
    const live = rendered ? await models.Lecture.findById(lectureId).lean<LectureDoc>() : await whenPartsDescribed(models, lectureId, ctx.signal);
    if (!live) throw new Error(`live lecture ${lectureId} is gone`);
    let lastProgress = 0;
    if (!rendered) {
      await renderReplay({
        parts: (live.live?.parts ?? []).map((p) => ({ dir: storage.path(p.prefix!), offsetSec: p.offsetSec ?? 0 })),
        totalSec: live.durationSec,
        outPath: out,
        ffmpegPath: config.ffmpeg.ffmpegPath,
        ffprobePath: config.ffmpeg.ffprobePath,
        preset: config.media.transcodePreset,
        signal: ctx.signal,
        onProgress: (fraction) => {
          if (Date.now() - lastProgress < 2_000) return;
          lastProgress = Date.now();
          void ctx.progress(Math.min(99, Math.round(fraction * 100))).catch(() => {});
        },
      });
    }
    await models.Lecture.create({
      _id: replayLectureId,
      title: `${live.title}（回放）`,
      summary: live.summary,
      lecturer: live.lecturer,
      institution: live.institution,
      topic: live.topic,
      category: live.category,
      tags: live.tags,
      creditHours: live.creditHours,
      required: live.required,
      attentionChecks: live.attentionChecks,
      audienceUnitIds: live.audienceUnitIds,
      kind: 'recorded',
      createdBy: live.createdBy,
      replayOf: live._id,
      sourceKey: key,
      state: 'processing',
      processing: { state: 'queued', percent: 0, attempts: 0 },
    }).catch((err: { code?: number }) => {
      if (err.code !== 11000) throw err; // made by an earlier attempt
    });
    const replay = await models.Lecture.findById(replayLectureId, { processing: 1 }).lean<LectureDoc>();
    if (!replay?.processing?.jobId) {
      const transcode = await jobs.enqueue('transcode', { lectureId: replayLectureId, publish: true });
      await writeLecture(models, replayLectureId, () => models.Lecture.updateOne({ _id: replayLectureId }, { $set: { 'processing.jobId': transcode._id } }));
    }
    await writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: { 'live.replayLectureId': new Types.ObjectId(replayLectureId) } }));
    catalog.changed((await models.Lecture.findById(lectureId).lean<LectureDoc>())!);
    deps.onQueued(lectureId, replayLectureId);
  };
}
