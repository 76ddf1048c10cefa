/**
 * Group credit (集体收看): what a learner present at a station earns from the station's playing.
 * The study engine judges the station's beats and hands over each credited span (wall-clock
 * from/to, media from/to, the credited media intervals). A learner earns the part of that span
 * during which they were present: the wall-clock overlap, mapped linearly onto the span's media
 * and intersected with what was credited; the wall seconds earned are the span's, pro rata. So a
 * learner present for the whole session gets all the station's credited media, one who came
 * half-way the second half, and nobody gets more than the station played.
 * Presence is a list of wall-clock [from, to) ms intervals (server clock): check-in to check-out,
 * and at most to the end of the session (an open presence is stored ending at the session's end).
 * What is shared is the *evidenced* part of it (presence-evidence.ts); `wall` names the server-time
 * pieces of the span that evidence covers, so the engine's per-cadre clock can refuse a second
 * already credited elsewhere.
 * The station's credited spans are kept per run (to credit evidence that arrives later: a 签退
 * scan, the roster confirmation) in a flat form, contiguous spans at one rate merged.
 * Pure functions.
 */
import { covered, intersect, normalize, type Interval } from '../study/intervals';
import type { GroupSpan } from '../study/study-engine';

/** What the share rule reads of a credited span (the engine's span has more). */
export type SpanFacts = Pick<GroupSpan, 'wallFrom' | 'wallTo' | 'mediaFrom' | 'mediaTo' | 'intervals' | 'wallSec'>;

export interface Share {
  intervals: Interval[];
  wallSec: number;
  wall: Interval[];
}

const nothing = (): Share => ({ intervals: [], wallSec: 0, wall: [] });

export function shareOfSpan(presence: readonly Interval[], span: SpanFacts): Share {
  const credited = normalize(span.intervals);
  const creditedLen = covered(credited);
  if (!(creditedLen > 0)) return nothing();
  const wallLen = span.wallTo - span.wallFrom;
  if (!(wallLen > 0)) {
    // A span without wall time (beats in the same ms): present at its moment or not.
    const here = normalize(presence).some(([a, b]) => a <= span.wallTo && span.wallTo < b);
    return here ? { intervals: credited, wallSec: span.wallSec, wall: [] } : nothing();
  }
  const rate = (span.mediaTo - span.mediaFrom) / wallLen;
  const at = (t: number) => span.mediaFrom + (t - span.wallFrom) * rate;
  const wall = intersect(presence, [[span.wallFrom, span.wallTo]]);
  const pieces = wall.map(([a, b]) => [at(a), at(b)] as const);
  const intervals = intersect(pieces, credited);
  const got = covered(intervals);
  if (!(got > 1e-9)) return nothing();
  return { intervals, wallSec: span.wallSec * Math.min(1, got / creditedLen), wall };
}

// ---- the station's credited spans, kept per run ------------------------------------------------

/** Adds a span to a list, merging it into the last one when it continues it at the same rate. */
export function keepSpan(list: SpanFacts[], span: SpanFacts): void {
  const last = list[list.length - 1];
  const rate = (s: SpanFacts) => (s.wallTo > s.wallFrom ? (s.mediaTo - s.mediaFrom) / (s.wallTo - s.wallFrom) : NaN);
  const perSec = (s: SpanFacts) => s.wallSec / Math.max(1e-9, covered(s.intervals));
  if (
    last &&
    Math.abs(span.wallFrom - last.wallTo) < 1 &&
    Math.abs(span.mediaFrom - last.mediaTo) < 1e-6 &&
    Math.abs(rate(span) - rate(last)) < 1e-6 &&
    Math.abs(perSec(span) - perSec(last)) < 1e-6
  ) {
    list[list.length - 1] = { ...last, wallTo: span.wallTo, mediaTo: span.mediaTo, intervals: normalize([...last.intervals, ...span.intervals]), wallSec: last.wallSec + span.wallSec };
  } else list.push({ wallFrom: span.wallFrom, wallTo: span.wallTo, mediaFrom: span.mediaFrom, mediaTo: span.mediaTo, intervals: normalize(span.intervals), wallSec: span.wallSec });
}

/** Flat storage form: [wallFrom, wallTo, mediaFrom, mediaTo, wallSec, k, a1, b1, ..., ak, bk] per span. */
export function flattenSpans(list: readonly SpanFacts[]): number[] {
  return list.flatMap((s) => [s.wallFrom, s.wallTo, s.mediaFrom, s.mediaTo, s.wallSec, s.intervals.length, ...s.intervals.flatMap(([a, b]) => [a, b])]);
}

export function unflattenSpans(flat: readonly number[]): SpanFacts[] {
  const out: SpanFacts[] = [];
  let i = 0;
  while (i + 6 <= flat.length) {
    const [wallFrom, wallTo, mediaFrom, mediaTo, wallSec, k] = flat.slice(i, i + 6) as [number, number, number, number, number, number];
    const intervals: Interval[] = [];
    for (let j = 0; j < k; j++) intervals.push([flat[i + 6 + 2 * j]!, flat[i + 7 + 2 * j]!]);
    out.push({ wallFrom, wallTo, mediaFrom, mediaTo, wallSec, intervals });
    i += 6 + 2 * k;
  }
  return out;
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
