/**
 * Turning an accepted upload into the HLS ladder: the `transcode` job. The ffmpeg work happens in
 * media/ (TranscodeJob); this module only moves state between the job, the lecture and the
 * uploader's socket. Progress is written at most once a second. The ladder is built in a work
 * folder and moved into storage under a new prefix only when complete, then the lecture points
 * at it and the previous ladder is removed, so viewers never see a half-written one.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Types } from 'mongoose';
import { probeMedia, TranscodeJob, type Storage, type TranscodeProgress } from '../../../media';
import type { AppConfig } from '../../../config';
import type { Models } from '../../store/models';
import type { JobContext } from '../jobs/job-queue';
import type { JobDoc } from '../jobs/job.model';
import { writeLecture, type CatalogService } from './catalog.service';
import type { LectureDoc } from './lecture.model';

export interface ProcessingEvent {
  lectureId: string;
  state: 'queued' | 'running' | 'ready' | 'failed' | 'rejected';
  percent: number;
  etaSec?: number;
  stage?: string;
  error?: { code: string; message: string; messageEn: string };
}

export type Notify = (event: ProcessingEvent) => void;

export function makeTranscodeHandler(deps: { models: Models; storage: Storage; catalog: CatalogService; config: AppConfig; notify: Notify; workDir: string }) {
  const { models, storage, catalog, config, notify } = deps;
  return async (job: JobDoc, ctx: JobContext) => {
    const lectureId = String((job.payload as { lectureId: string }).lectureId);
    const publish = (job.payload as { publish?: boolean }).publish === true;
    const lecture = await models.Lecture.findById(lectureId).lean<LectureDoc>();
    if (!lecture?.sourceKey) throw new Error(`lecture ${lectureId} has no source to transcode`);
    const input = storage.path(lecture.sourceKey);
    const probe = await probeMedia(input, { ffprobePath: config.ffmpeg.ffprobePath });
    const outDir = join(deps.workDir, String(job._id));
    await rm(outDir, { recursive: true, force: true });
    await writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: { 'processing.state': 'running', 'processing.percent': 0, 'processing.attempts': ctx.attempt, 'processing.jobId': job._id }, $unset: { 'processing.error': 1 } }));
    const tj = await TranscodeJob.create({ input, outDir, probe, ffmpegPath: config.ffmpeg.ffmpegPath, preset: config.media.transcodePreset, segmentSec: config.media.segmentSec });
    // The ladder stage names the rungs being made ("ladder:720p,360p,audio"), so the studio can say them in words.
    const stageOf = (stage: string) => (stage === 'ladder' ? `ladder:${tj.plan.rungs.map((r) => r.name).join(',')}` : stage);
    notify({ lectureId, state: 'running', percent: 0, stage: stageOf('ladder') });

    const onAbort = () => void tj.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let lastWrite = 0;
    tj.on('progress', (p: TranscodeProgress) => {
      const percent = Math.min(99, Math.round(p.percent));
      const etaSec = p.etaSec === null ? undefined : Math.round(p.etaSec);
      const stage = stageOf(p.stage);
      notify({ lectureId, state: 'running', percent, etaSec, stage });
      const now = Date.now();
      if (now - lastWrite < 1000) return;
      lastWrite = now;
      // Under the lecture's lock: a progress write still running would otherwise put back the
      // state it read over the final write below (FerretDB rewrites the whole document).
      void writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: { 'processing.percent': percent, 'processing.etaSec': etaSec, 'processing.stage': stage } })).catch(() => {});
      void ctx.progress(percent, etaSec).catch(() => {});
    });
    try {
      const result = await tj.wait();
      const prefix = `lectures/${lectureId}/hls-${String(job._id)}`;
      await storage.putDir(outDir, prefix);
      const previous = lecture.media?.prefix;
      const updated = await writeLecture(models, lectureId, async () => {
        // The state now, not at the job's start: an editor may have published or withdrawn it meanwhile.
        const current = (await models.Lecture.findById(lectureId, { state: 1, publishedAt: 1 }).lean<LectureDoc>()) ?? lecture;
        return models.Lecture.findByIdAndUpdate(
          lectureId,
          {
            $set: {
              media: {
                prefix,
                master: result.masterPath,
                renditions: result.renditions,
                poster: result.posterPath ?? undefined,
                thumbnails: result.thumbnailsVtt ?? undefined,
                segmentSec: result.segmentSec,
                audioOnly: !probe.video,
              },
              durationSec: Math.round(result.durationSec),
              // A replay of a live lecture is published as soon as it is ready; an upload waits for its editor.
              ...(publish ? { state: 'published', publishedAt: current.publishedAt ?? new Date() } : { state: current.state === 'processing' ? 'draft' : current.state }),
              processing: { state: 'ready', percent: 100, attempts: ctx.attempt, jobId: job._id as Types.ObjectId },
            },
          },
          { returnDocument: 'after' },
        ).lean<LectureDoc>();
      });
      if (updated) catalog.changed(updated);
      if (previous && previous !== prefix) await storage.remove(previous).catch(() => {});
      notify({ lectureId, state: 'ready', percent: 100 });
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await rm(outDir, { recursive: true, force: true }).catch(() => {});
    }
  };
}

/** Records a failed attempt on the lecture: retrying (shown as queued with the error) or failed for good. */
export async function recordTranscodeOutcome(models: Models, notify: Notify, job: JobDoc, outcome: 'done' | 'retry' | 'failed', error?: Error) {
  if (outcome === 'done') return;
  const lectureId = String((job.payload as { lectureId: string }).lectureId);
  const err = {
    code: 'TRANSCODE_FAILED',
    message: outcome === 'failed' ? `视频转码失败(已重试 ${job.attempts} 次):${error?.message ?? ''}` : `视频转码出错,将自动重试:${error?.message ?? ''}`,
    messageEn: outcome === 'failed' ? `Transcoding failed after ${job.attempts} attempts: ${error?.message ?? ''}` : `Transcoding failed and will be retried: ${error?.message ?? ''}`,
  };
  const state = outcome === 'failed' ? 'failed' : 'queued';
  await writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: { 'processing.state': state, 'processing.error': err, 'processing.attempts': job.attempts } }));
  notify({ lectureId, state, percent: 0, error: err });
}
