/**
 * Group credit (集体收看): what a learner present at a station earns from the station's playing.
 * The study engine judges the station's beats and hands over each credited span (wall-clock
 * from/to, media from/to, the credited media intervals). A learner earns the part of that span
 * during which they were present: the wall-clock overlap, mapped linearly onto the span's media
 * and intersected with what was credited; the wall seconds earned are the span's, pro rata. So a
 * learner present for the whole session gets all the station's credited media, one who came
 * half-way the second half, and nobody gets more than the station played.
 * Presence is a list of wall-clock [from, to) ms intervals: check-in to check-out, and at most to
 * the end of the session (an open presence is stored ending at the session's end).
 * Pure functions.
 */
import { covered, intersect, normalize, type Interval } from '../study/intervals';
import type { GroupSpan } from '../study/study-engine';

export function shareOfSpan(presence: readonly Interval[], span: GroupSpan): { intervals: Interval[]; wallSec: number } {
  const credited = normalize(span.intervals);
  const creditedLen = covered(credited);
  if (!(creditedLen > 0)) return { intervals: [], wallSec: 0 };
  const wallLen = span.wallTo - span.wallFrom;
  if (!(wallLen > 0)) {
    // A span without wall time (beats in the same ms): present at its moment or not.
    const here = normalize(presence).some(([a, b]) => a <= span.wallTo && span.wallTo < b);
    return here ? { intervals: credited, wallSec: span.wallSec } : { intervals: [], wallSec: 0 };
  }
  const rate = (span.mediaTo - span.mediaFrom) / wallLen;
  const at = (t: number) => span.mediaFrom + (t - span.wallFrom) * rate;
  const pieces = intersect(presence, [[span.wallFrom, span.wallTo]]).map(([a, b]) => [at(a), at(b)] as const);
  const intervals = intersect(pieces, credited);
  const got = covered(intervals);
  if (!(got > 1e-9)) return { intervals: [], wallSec: 0 };
  return { intervals, wallSec: span.wallSec * Math.min(1, got / creditedLen) };
}

/** Flat [in0, out0, in1, out1, ...] ms (the stored form) to intervals. */
export function spansOf(flat: readonly number[]): Interval[] {
  const out: Interval[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return normalize(out);
}

/**
 * Presence after a check-in at `at`: unchanged when already inside a span; otherwise a span from
 * `at` to the next recorded check-in, or to the session's end (a late-uploaded offline check-in
 * never undoes a check-out recorded after it).
 */
export function checkIn(spans: readonly Interval[], at: number, endAt: number): Interval[] {
  if (spans.some(([a, b]) => a <= at && at < b)) return normalize(spans);
  const next = Math.min(endAt, ...spans.map(([a]) => a).filter((a) => a > at));
  return next > at ? normalize([...spans, [at, next]]) : normalize(spans);
}

/** Presence after a check-out at `at`: the span containing `at` ends there; later spans stay. */
export function checkOut(spans: readonly Interval[], at: number): Interval[] {
  return normalize(spans.map(([a, b]) => (a <= at && at < b ? ([a, at] as const) : ([a, b] as const))));
}

/** Is the presence open (the learner is in the room) at `at`? */
export const presentAt = (spans: readonly Interval[], at: number) => spans.some(([a, b]) => a <= at && at < b);
