/**
 * Delivery evidence (heartbeat-policy.ts: media earns credit only if it was delivered to the
 * session): the media routes report what they sent to a playback, after the body went out — whole
 * segments by index, or a span of seconds on the lecture's or the live timeline. It is kept on the
 * playback in memory and goes to the log (`d` entries, replayed at start by log-replay.ts).
 */
import { addInterval, covered, normalize, segmentCoverage, type Interval } from './intervals';
import type { PlaybackSession } from './records';
import type { WalWriter } from './wal';

type Sessions = ReadonlyMap<string, PlaybackSession>;
type Wal = Pick<WalWriter, 'enqueue'>;

/** Evidence: a whole segment's bytes were sent to this playback (the media routes, after the body went out). */
export function recordDelivery(sessions: Sessions, wal: Wal, playbackId: string, segmentIndex: number) {
  if (!Number.isSafeInteger(segmentIndex) || segmentIndex < 0) return;
  const s = sessions.get(playbackId);
  if (s) {
    if (s.delivered.has(segmentIndex)) return;
    s.delivered.add(segmentIndex);
    s.dirty = true;
  }
  wal.enqueue([{ k: 'd', p: playbackId, i: [segmentIndex] }]);
}

/** Evidence: part of the media (seconds on the lecture's or the live timeline) was sent to this playback. */
export function recordDeliveredSpan(sessions: Sessions, wal: Wal, playbackId: string, fromSec: number, toSec: number) {
  if (!(Number.isFinite(fromSec) && Number.isFinite(toSec) && toSec > fromSec && fromSec >= 0)) return;
  const s = sessions.get(playbackId);
  if (s) {
    s.deliveredSpans = addInterval(s.deliveredSpans, [fromSec, toSec]);
    s.dirty = true;
  }
  wal.enqueue([{ k: 'd', p: playbackId, iv: [fromSec, toSec] }]);
}

/** Media time delivered to the session, recomputed only when evidence was added. */
export function deliveredCoverage(s: PlaybackSession, segmentSec: number): Interval[] {
  const key = `${s.delivered.size}|${s.deliveredSpans.length}|${covered(s.deliveredSpans)}|${segmentSec}`;
  if (s.coverage?.key === key) return s.coverage.iv;
  const iv = normalize([...segmentCoverage(s.delivered, segmentSec), ...s.deliveredSpans]);
  s.coverage = { key, iv };
  return iv;
}
