/**
 * Turning an accepted upload into the HLS ladder: the `transcode` job. The ffmpeg work happens in
 * media/ (ProgressiveTranscodeJob); this module only moves state between the job, the lecture and
 * the uploader's socket. Progress is written at most once a second. First rung first: the job
 * writes into the lecture's new storage folder (`lectures/<id>/hls-<job>`, the same for every
 * attempt of the job), whose master lists only complete rungs. When the lowest rung and the audio
 * are listed the lecture points at that folder and can be watched (`media.pending` names the rungs
 * to come, processing stays running); each later rung updates the lecture again, the last one
 * marks processing ready. A retry resumes from the listed rungs. A ladder the upload replaces is
 * kept (`mediaBefore`, and its folder, where players already on it play on) until the new first
 * rung is complete, and comes back if the upload fails for good before that.
 * The lowest rung is listed while it is still being made (`media.growing`, an EVENT playlist that
 * grows): an hour's upload is watchable from its start within seconds, as far as it is made.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Types } from 'mongoose';
import { probeMedia, ProgressiveTranscodeJob, type LadderSnapshot, type ProgressiveProgress, type Storage } from '../../../media';
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
  /** Sent when the master gained rungs: the rungs it lists now (the studio reloads the lecture). */
  rungs?: string[];
}

export type Notify = (event: ProcessingEvent) => void;

export function makeTranscodeHandler(deps: { models: Models; storage: Storage; catalog: CatalogService; config: AppConfig; notify: Notify; workDir: string; log?: { warn(obj: object, msg: string): void } }) {
  const { models, storage, catalog, config, notify } = deps;
  return async (job: JobDoc, ctx: JobContext) => {
    const lectureId = String((job.payload as { lectureId: string }).lectureId);
    const publish = (job.payload as { publish?: boolean }).publish === true;
    const lecture = await models.Lecture.findById(lectureId).lean<LectureDoc>();
    if (!lecture?.sourceKey) throw new Error(`lecture ${lectureId} has no source to transcode`);
    const input = storage.path(lecture.sourceKey);
    const probe = await probeMedia(input, { ffprobePath: config.ffmpeg.ffprobePath });
    const workDir = join(deps.workDir, String(job._id));
    // One folder per job, kept across its attempts: a retry finds the rungs already listed there.
    const prefix = `lectures/${lectureId}/hls-${String(job._id)}`;
    await writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: { 'processing.state': 'running', 'processing.percent': 0, 'processing.attempts': ctx.attempt, 'processing.jobId': job._id }, $unset: { 'processing.error': 1 } }));
    const tj = await ProgressiveTranscodeJob.create({ input, outDir: storage.path(prefix), workDir, probe, ffmpegPath: config.ffmpeg.ffmpegPath, preset: config.media.transcodePreset, segmentSec: config.media.segmentSec });
    // The stage names the rungs being made ("ladder:720p,480p"), so the studio can say them in words.
    const stageOf = (stage: string, rungs: readonly string[]) => (stage === 'ladder' ? `ladder:${rungs.join(',')}` : stage);
    notify({ lectureId, state: 'running', percent: 0, stage: stageOf('ladder', tj.passes[0] ?? []) });

    const onAbort = () => void tj.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let lastWrite = 0;
    tj.on('progress', (p: ProgressiveProgress) => {
      const percent = Math.min(99, Math.round(p.percent));
      const etaSec = p.etaSec === null ? undefined : Math.round(p.etaSec);
      const stage = stageOf(p.stage, p.rungs);
      notify({ lectureId, state: 'running', percent, etaSec, stage });
      const now = Date.now();
      if (now - lastWrite < 1000) return;
      lastWrite = now;
      // Under the lecture's lock: a progress write still running would otherwise put back the
      // state it read over the final write below (FerretDB rewrites the whole document).
      void writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: { 'processing.percent': percent, 'processing.etaSec': etaSec, 'processing.stage': stage } })).catch(() => {});
      void ctx.progress(percent, etaSec).catch(() => {});
    });
    // The first rung is then listed only once complete, as before: say why.
    tj.on('warning', (err) => deps.log?.warn({ err, lectureId, jobId: String(job._id) }, 'transcode | the growing first rung is not served'));
    // Each time the master gains rungs, the lecture points at them, one write after another.
    let listed: Promise<void> = Promise.resolve();
    tj.on('rungs', (snapshot) => {
      listed = listed.then(async () => {
        const { updated, drop } = await writeLecture(models, lectureId, () => setMedia(models, lectureId, prefix, snapshot, { publish, audioOnly: !probe.video, attempt: ctx.attempt, jobId: job._id as Types.ObjectId }));
        if (updated) catalog.changed(updated);
        // A ladder replaced goes once the new first rung is complete (a player on it then stops at its next segment, as before).
        for (const old of drop) await storage.remove(old).catch(() => {});
        const rungs = snapshot.renditions.map((r) => r.name);
        if (snapshot.pending.length || snapshot.growing.length) notify({ lectureId, state: 'running', percent: Math.min(99, Math.round(updated?.processing?.percent ?? 0)), stage: stageOf('ladder', snapshot.pending), rungs });
      });
    });
    try {
      await tj.wait();
      await listed;
      notify({ lectureId, state: 'ready', percent: 100 });
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await listed.catch(() => {});
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    }
  };
}

/**
 * Points the lecture at the rungs its master lists now. The first time it becomes watchable a
 * replay is published (once: a later rung does not undo a withdrawal); an upload becomes a draft
 * its editor may publish (an edited state is kept).
 * While rungs remain, `media.pending` names them and processing stays running; the last write
 * marks processing ready.
 * A ladder it replaces is kept as `mediaBefore` while the new first rung only grows (it comes back
 * if this upload fails for good), and its folder is returned in `drop` once that rung is complete.
 */
async function setMedia(models: Models, lectureId: string, prefix: string, s: LadderSnapshot, o: { publish: boolean; audioOnly: boolean; attempt: number; jobId: Types.ObjectId }): Promise<{ updated: LectureDoc | null; drop: string[] }> {
  // The state now, not at the job's start: an editor may have published or withdrawn it meanwhile.
  const current = await models.Lecture.findById(lectureId, { state: 1, publishedAt: 1, processing: 1, media: 1, mediaBefore: 1, durationSec: 1 }).lean<LectureDoc>();
  if (!current) return { updated: null, drop: [] };
  const complete = s.pending.length === 0 && s.growing.length === 0;
  const switching = current.media?.prefix !== prefix;
  // A replay is published when it first becomes watchable; later rungs keep what an editor did since.
  const publish = o.publish && switching;
  const { keep, drop } = ladderBefore(current, prefix, s.growing.length > 0);
  const updated = await models.Lecture.findByIdAndUpdate(
    lectureId,
    {
      $set: {
        media: {
          prefix,
          master: s.masterPath,
          renditions: s.renditions,
          poster: s.posterPath ?? undefined,
          thumbnails: s.thumbnailsVtt ?? undefined,
          segmentSec: s.segmentSec,
          audioOnly: o.audioOnly,
          ...(s.pending.length ? { pending: s.pending } : {}),
          ...(s.growing.length ? { growing: s.growing } : {}),
        },
        durationSec: Math.round(s.durationSec),
        ...(publish ? { state: 'published', publishedAt: current.publishedAt ?? new Date() } : { state: current.state === 'processing' ? 'draft' : current.state }),
        processing: complete
          ? { state: 'ready', percent: 100, attempts: o.attempt, jobId: o.jobId }
          : { state: 'running', percent: current.processing?.percent ?? 0, stage: current.processing?.stage, attempts: o.attempt, jobId: o.jobId },
        ...(keep ? { mediaBefore: keep } : {}),
      },
      ...(keep ? {} : { $unset: { mediaBefore: 1 } }),
    },
    { returnDocument: 'after' },
  ).lean<LectureDoc>();
  return { updated, drop };
}

type KeptLadder = NonNullable<LectureDoc['mediaBefore']>;

/**
 * The ladder to keep aside while the new one (`prefix`) only grows, and the folders no longer
 * needed. The kept ladder is a complete one: the lecture's media before this upload, or the one
 * already kept (when the media now is itself a growing ladder of an upload given up on).
 */
export function ladderBefore(current: Pick<LectureDoc, 'media' | 'mediaBefore' | 'durationSec'>, prefix: string, growing: boolean): { keep: KeptLadder | null; drop: string[] } {
  const media = current.media?.prefix && current.media.prefix !== prefix ? current.media : null;
  const mediaIsPartial = Boolean(media?.growing?.length);
  const candidate = current.mediaBefore?.media?.prefix && current.mediaBefore.media.prefix !== prefix ? current.mediaBefore : null;
  const kept: KeptLadder | null = media && !mediaIsPartial ? { media, durationSec: current.durationSec } : candidate;
  const drop = new Set<string>();
  // A growing ladder replaced by another is never kept.
  if (media && (mediaIsPartial || !growing)) drop.add(media.prefix!);
  if (candidate && (kept !== candidate || !growing)) drop.add(candidate.media!.prefix!);
  if (!growing) return { keep: null, drop: [...drop] };
  return { keep: kept, drop: [...drop] };
}

/**
 * Records a failed attempt on the lecture: retrying (shown as queued with the error) or failed for
 * good. Failed for good while its first rung was still growing, the lecture has no complete rung
 * of this upload: it goes back to the ladder it had before (`mediaBefore`), or, with none, to
 * having no media (unlisted: its state goes back to processing); the partial folder is removed.
 */
export async function recordTranscodeOutcome(deps: { models: Models; storage: Storage; catalog: CatalogService; notify: Notify }, job: JobDoc, outcome: 'done' | 'retry' | 'failed', error?: Error) {
  if (outcome === 'done') return;
  const { models, notify } = deps;
  const lectureId = String((job.payload as { lectureId: string }).lectureId);
  const err = {
    code: 'TRANSCODE_FAILED',
    message: outcome === 'failed' ? `视频转码失败(已重试 ${job.attempts} 次):${error?.message ?? ''}` : `视频转码出错,将自动重试:${error?.message ?? ''}`,
    messageEn: outcome === 'failed' ? `Transcoding failed after ${job.attempts} attempts: ${error?.message ?? ''}` : `Transcoding failed and will be retried: ${error?.message ?? ''}`,
  };
  const state = outcome === 'failed' ? 'failed' : 'queued';
  const processing = { 'processing.state': state, 'processing.error': err, 'processing.attempts': job.attempts };
  if (outcome === 'retry') {
    await writeLecture(models, lectureId, () => models.Lecture.updateOne({ _id: lectureId }, { $set: processing }));
    notify({ lectureId, state, percent: 0, error: err });
    return;
  }
  const partial = await writeLecture(models, lectureId, async () => {
    const l = await models.Lecture.findById(lectureId, { state: 1, media: 1, mediaBefore: 1 }).lean<LectureDoc>();
    if (!l) return null;
    if (!l.media?.growing?.length) {
      // No higher rung is coming; the lecture stays watchable at the complete rungs it has.
      await models.Lecture.updateOne({ _id: lectureId }, { $set: processing, $unset: { 'media.pending': 1, 'media.growing': 1 } });
      return null;
    }
    const before = l.mediaBefore?.media?.prefix ? l.mediaBefore : null;
    const restored = { ...err, message: `${err.message}。课程继续播放原来的视频`, messageEn: `${err.messageEn}. The lecture plays its previous video.` };
    const back = before
      ? { $set: { ...processing, 'processing.error': restored, media: before.media, durationSec: before.durationSec ?? 0 }, $unset: { mediaBefore: 1 } }
      : { $set: { ...processing, ...(l.state === 'published' || l.state === 'draft' ? { state: 'processing' } : {}) }, $unset: { media: 1, mediaBefore: 1 } };
    const updated = await models.Lecture.findByIdAndUpdate(lectureId, back, { returnDocument: 'after' }).lean<LectureDoc>();
    if (updated) deps.catalog.changed(updated);
    return l.media.prefix ?? null;
  });
  if (partial) await deps.storage.remove(partial).catch(() => {});
  notify({ lectureId, state, percent: 0, error: err });
}
