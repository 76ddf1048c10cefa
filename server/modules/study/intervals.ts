/**
 * Watched intervals of media time, in seconds: a sorted list of disjoint [start, end) pairs.
 * Progress is the covered length over the duration; overlapping or repeated viewing never
 * counts twice. Pure functions; inputs are never mutated.
 */
export type Interval = readonly [number, number];

/** Joins gaps smaller than this (float noise between consecutive heartbeats). */
const EPS = 1e-6;

/**
 * True when the list is already what normalize() returns: finite, non-empty, sorted and apart
 * by more than EPS. Every beat reads a progress's intervals several times (coverage, frontier,
 * progress), and they are nearly always normalized already: checking costs one pass and no
 * allocation, where normalize() copies, filters and sorts (it was a third of the portal's
 * allocations at 5,000 beats a second).
 */
export function isNormalized(list: readonly Interval[]): boolean {
  let prevEnd = -Infinity;
  for (const [a, b] of list) {
    if (!(Number.isFinite(a) && Number.isFinite(b) && b > a && a > prevEnd + EPS)) return false;
    prevEnd = b;
  }
  return true;
}

const normalized = (list: readonly Interval[]): readonly Interval[] => (isNormalized(list) ? list : normalize(list));

export function normalize(list: readonly Interval[]): Interval[] {
  if (isNormalized(list)) return list.slice();
  const sorted = list.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > a).map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + EPS) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function addInterval(list: readonly Interval[], iv: Interval): Interval[] {
  // The usual case, playing on: the new span starts at or after the last one.
  const last = list[list.length - 1];
  const [a, b] = iv;
  if (last && a >= last[0] && Number.isFinite(a) && Number.isFinite(b) && b > a && isNormalized(list)) {
    const out = list.slice();
    if (a <= last[1] + EPS) out[out.length - 1] = [last[0], Math.max(last[1], b)];
    else out.push([a, b]);
    return out;
  }
  return normalize([...list, iv]);
}

export function union(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  return normalize([...a, ...b]);
}

export function clip(list: readonly Interval[], lo: number, hi: number): Interval[] {
  return normalize(list.map(([a, b]) => [Math.max(a, lo), Math.min(b, hi)] as const));
}

export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalized(a);
  const y = normalized(b);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const lo = Math.max(x[i]![0], y[j]![0]);
    const hi = Math.min(x[i]![1], y[j]![1]);
    if (hi > lo) out.push([lo, hi]);
    if (x[i]![1] < y[j]![1]) i++;
    else j++;
  }
  return out;
}

/**
 * `again` with the parts of `offered` that `union` already covers added (media watched again).
 * A piece that only begins inside the union and goes on past it by a little — its overlap a
 * prefix under `edgeSec` — is a beat meeting the one before (beats may share a second or so), not
 * a cadre going back, and is left out.
 */
export function watchedAgain(again: readonly Interval[], union: readonly Interval[], offered: readonly Interval[], edgeSec = 2): Interval[] {
  if (!union.length || !offered.length) return again as Interval[];
  const twice: Interval[] = [];
  for (const iv of offered) {
    for (const o of intersect(union, [iv])) {
      const edge = o[0] <= iv[0] && o[1] < iv[1] && o[1] - o[0] < edgeSec;
      if (!edge) twice.push(o);
    }
  }
  return twice.length ? normalize([...again, ...twice]) : (again as Interval[]);
}

export function covered(list: readonly Interval[]): number {
  let sum = 0;
  for (const [a, b] of normalized(list)) sum += b - a;
  return sum;
}

/** Covered fraction of [0, duration], 0..1. */
export function progressOf(list: readonly Interval[], durationSec: number): number {
  if (!(durationSec > 0)) return 0;
  let sum = 0;
  for (const [a, b] of normalized(list)) {
    const lo = Math.max(a, 0);
    const hi = Math.min(b, durationSec);
    if (hi > lo) sum += hi - lo;
  }
  return Math.min(1, sum / durationSec);
}

/** End of the watched stretch that starts at 0 (within `slack` seconds); 0 when nothing from the start. */
export function frontier(list: readonly Interval[], slack = 0): number {
  let end = 0;
  for (const [a, b] of normalized(list)) {
    if (a > end + slack) break;
    end = Math.max(end, b);
  }
  return end;
}

/** Time ranges covered by delivered HLS segments of `segmentSec` each. */
export function segmentCoverage(indexes: Iterable<number>, segmentSec: number): Interval[] {
  return normalize([...indexes].map((i) => [i * segmentSec, (i + 1) * segmentSec] as const));
}

/** xAPI video profile "played-segments": "0[.]12.5[,]30[.]45". */
export function playedSegments(list: readonly Interval[]): string {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return normalize(list).map(([a, b]) => `${r(a)}[.]${r(b)}`).join('[,]');
}

/** Flat [a0, b0, a1, b1, ...] form for storage (FerretDB 1.24 rejects nested arrays). */
export function flatten(list: readonly Interval[]): number[] {
  return normalize(list).flatMap(([a, b]) => [a, b]);
}

export function unflatten(flat: readonly number[]): Interval[] {
  const out: Interval[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return normalize(out);
}

/** Whole numbers (segment indexes) as inclusive runs, flat: {0,1,2,5} -> [0, 2, 5, 5]. */
export function toRuns(values: Iterable<number>): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (const v of sorted) {
    if (out.length && v <= out[out.length - 1]! + 1) out[out.length - 1] = Math.max(out[out.length - 1]!, v);
    else out.push(v, v);
  }
  return out;
}

/** The numbers of flat inclusive runs (toRuns' inverse). */
export function fromRuns(runs: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < runs.length; i += 2) for (let v = runs[i]!; v <= runs[i + 1]!; v++) out.push(v);
  return out;
}
