/**
 * Where a stopped part of a live recording sits on the live timeline. No I/O here.
 *
 * A part is placed where its media begins (LiveRecorder.mediaStartAt). Its media cannot run past
 * the moment it stopped (its consumers paused or gone): a part whose offset plus length ends
 * later than that was seen to begin too late (an event loop held up on a busy machine, or a start
 * that is not where ffmpeg's file begins) and is moved back to end there, never before its
 * recorder started. Otherwise it stays: a part cut short (an ffmpeg killed before it wrote its
 * last segment) keeps its start.
 */

/** Within this, a part ending after its stop is packets in flight, not a misplaced start. */
export const PART_END_TOLERANCE_SEC = 0.25;

export interface StoppedPart {
  /** Where it was placed (s on the live timeline). */
  offsetSec: number;
  /** Its recorded length (s, from its playlist). */
  durationSec: number;
  /** When its recorder resumed the consumers (s on the live timeline). */
  startedSec: number;
  /** When its media stopped (s on the live timeline). */
  stoppedSec: number;
}

/** The part's offset (s), moved back when it would end after its media stopped. */
export function placeStoppedPart(p: StoppedPart): number {
  if (!(p.durationSec > 0) || p.offsetSec + p.durationSec <= p.stoppedSec + PART_END_TOLERANCE_SEC) return p.offsetSec;
  return Math.round(Math.max(p.startedSec, p.stoppedSec - p.durationSec) * 1000) / 1000;
}
