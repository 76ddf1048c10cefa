/**
 * The transcode job as the studio shows it: validating the `lecture:processing` socket payload
 * at run time (the server is another program; a bad message is dropped, not trusted) and
 * folding it into the lecture the list holds.
 */
import type { LectureAdmin, ProcessingEvent, ProcessingState } from '../api/types.ts';

const EVENT_STATES: readonly ProcessingState[] = ['queued', 'running', 'ready', 'failed', 'rejected'];

export function isProcessingEvent(value: unknown): value is ProcessingEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.lectureId !== 'string' || !v.lectureId) return false;
  if (typeof v.state !== 'string' || !EVENT_STATES.includes(v.state as ProcessingState)) return false;
  if (typeof v.percent !== 'number' || !Number.isFinite(v.percent)) return false;
  if (v.etaSec !== undefined && v.etaSec !== null && typeof v.etaSec !== 'number') return false;
  if (v.stage !== undefined && v.stage !== null && typeof v.stage !== 'string') return false;
  if (v.error !== undefined && v.error !== null) {
    const e = v.error as Record<string, unknown>;
    if (typeof e !== 'object' || typeof e.code !== 'string') return false;
  }
  if (v.rungs !== undefined && !(Array.isArray(v.rungs) && v.rungs.every((r) => typeof r === 'string'))) return false;
  return true;
}

/** The lecture with the event's progress applied (percent kept within 0…100). */
export function applyProcessing(lecture: LectureAdmin, event: ProcessingEvent): LectureAdmin {
  const percent = Math.min(100, Math.max(0, event.state === 'ready' ? 100 : event.percent));
  const processing = {
    ...lecture.processing,
    state: event.state,
    percent,
    etaSec: event.state === 'running' || event.state === 'queued' ? (event.etaSec ?? undefined) : undefined,
    stage: event.stage ?? undefined,
    error: event.error ?? undefined,
  };
  // A draft already playable at its first rung stays a draft while the higher rungs are made.
  const state = lecture.state === 'draft' && !hasHigherRungsPending(lecture) && (event.state === 'queued' || event.state === 'running') ? 'processing' : lecture.state;
  return { ...lecture, state, processing };
}

/** Whether the job is still moving (worth a live subscription). */
export function isProcessingActive(state: ProcessingState): boolean {
  return state === 'queued' || state === 'running';
}

/** First rung first: playable now, higher rungs still being made (高清版本处理中). */
export function hasHigherRungsPending(lecture: Pick<LectureAdmin, 'pendingRungs'>): boolean {
  return (lecture.pendingRungs?.length ?? 0) > 0;
}

/** Publishable once the ladder's first rung is listed (the higher rungs may still be in the making). */
export function canPublish(lecture: LectureAdmin): boolean {
  return lecture.state !== 'published' && (lecture.processing.state === 'ready' || hasHigherRungsPending(lecture));
}

export function canWithdraw(lecture: LectureAdmin): boolean {
  return lecture.state === 'published';
}

/** A new file may replace the media unless the lecture is on air or a job is running on it. */
export function canUpload(lecture: LectureAdmin): boolean {
  return lecture.state !== 'published' && !isProcessingActive(lecture.processing.state);
}

/** Tags typed as "乡村振兴，基层治理; 党建" → ["乡村振兴", "基层治理", "党建"] (deduplicated). */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[,，、;；\s]+/)) {
    const tag = part.trim();
    if (tag && tag.length <= 30) seen.add(tag);
  }
  return [...seen].slice(0, 20);
}
