import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addInterval, watchedAgain, covered, fromRuns, frontier, intersect, isNormalized, normalize, playedSegments, progressOf, segmentCoverage, toRuns, type Interval } from '../../server/modules/study/intervals';

const arbInterval = fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 120 })).map(([a, len]) => [a, a + len] as Interval);
const arbList = fc.array(arbInterval, { maxLength: 30 });

/** Reference: covered seconds by sampling whole seconds (intervals have integer bounds here). */
function coveredBySampling(list: Interval[]): number {
  let n = 0;
  for (let t = 0; t < 800; t++) if (list.some(([a, b]) => t >= a && t < b)) n++;
  return n;
}

describe('watched intervals', () => {
  it('union covers exactly what was watched, however it was watched (property)', () => {
    fc.assert(
      fc.property(arbList, (list) => {
        expect(covered(normalize(list))).toBe(coveredBySampling(list));
      }),
    );
  });

  it('is sorted, disjoint and idempotent (property)', () => {
    fc.assert(
      fc.property(arbList, (list) => {
        const n = normalize(list);
        for (let i = 1; i < n.length; i++) expect(n[i]![0]).toBeGreaterThan(n[i - 1]![1]);
        expect(normalize(n)).toEqual(n);
      }),
    );
  });

  it('does not depend on the order intervals arrive in (property)', () => {
    fc.assert(
      fc.property(arbList, (list) => {
        const forward = list.reduce<Interval[]>((acc, iv) => addInterval(acc, iv), []);
        const backward = [...list].reverse().reduce<Interval[]>((acc, iv) => addInterval(acc, iv), []);
        expect(forward).toEqual(backward);
      }),
    );
  });

  it('counts watching the same part twice once', () => {
    expect(covered([[0, 10], [0, 10], [5, 15]])).toBe(15);
  });

  it('gives progress clipped to the duration', () => {
    expect(progressOf([[0, 50], [90, 200]], 100)).toBeCloseTo(0.6);
    expect(progressOf([], 100)).toBe(0);
    expect(progressOf([[0, 10]], 0)).toBe(0);
  });

  it('finds the frontier of the stretch watched from the start', () => {
    expect(frontier([[0, 30], [31, 40], [60, 90]], 2)).toBe(40);
    expect(frontier([[5, 30]])).toBe(0);
    expect(frontier([[0, 30], [60, 90]])).toBe(30);
  });

  it('intersects with delivered segments (property: never more than either side)', () => {
    fc.assert(
      fc.property(arbList, arbList, (a, b) => {
        const x = covered(intersect(a, b));
        expect(x).toBeLessThanOrEqual(covered(a) + 1e-9);
        expect(x).toBeLessThanOrEqual(covered(b) + 1e-9);
      }),
    );
    expect(intersect([[0, 10]], segmentCoverage([0, 2], 4))).toEqual([[0, 4], [8, 10]]);
  });

  it('writes xAPI played-segments', () => {
    expect(playedSegments([[0, 12.5], [30, 45]])).toBe('0[.]12.5[,]30[.]45');
  });

  it('packs delivered segment indexes into runs and back (snapshots)', () => {
    expect(toRuns([5, 0, 2, 1, 9, 5])).toEqual([0, 2, 5, 5, 9, 9]);
    expect(toRuns([])).toEqual([]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 200 }), (xs) => {
        const runs = toRuns(xs);
        expect(fromRuns(runs)).toEqual([...new Set(xs)].sort((a, b) => a - b));
        // Runs are disjoint, ordered and not adjacent: as short as the set allows.
        for (let i = 2; i < runs.length; i += 2) expect(runs[i]!).toBeGreaterThan(runs[i - 1]! + 1);
      }),
    );
  });

  it('answers the same on a list and on its normalized form (the fast paths)', () => {
    fc.assert(
      fc.property(arbList, arbInterval, fc.integer({ min: 1, max: 900 }), (list, iv, duration) => {
        const n = normalize(list);
        expect(isNormalized(n)).toBe(true);
        expect(normalize(n)).toEqual(n);
        expect(covered(n)).toBeCloseTo(covered(list), 9);
        expect(progressOf(n, duration)).toBeCloseTo(progressOf(list, duration), 9);
        expect(frontier(n, 1)).toBe(frontier(list, 1));
        // Adding to a normalized list (the engine's case) equals normalizing everything.
        expect(addInterval(n, iv)).toEqual(normalize([...list, iv]));
        expect(intersect(n, [iv])).toEqual(intersect(list, [iv]));
      }),
    );
    expect(isNormalized([[0, 1], [1, 2]])).toBe(false); // touching: normalize would join them
    expect(isNormalized([[2, 3], [0, 1]])).toBe(false);
    expect(addInterval([[0, 10]], [10, 15])).toEqual([[0, 15]]);
    expect(addInterval([[0, 10]], [20, 25])).toEqual([[0, 10], [20, 25]]);
  });
});

describe('watchedAgain', () => {
  it('notes the offered media already covered, leaving out a beat edge under 2 s', () => {
    expect(watchedAgain([], [[0, 30]], [[29, 45]])).toEqual([]);
    expect(watchedAgain([], [[0, 30]], [[10, 45]])).toEqual([[10, 30]]);
    // Going back in short beats: each piece lies inside what was watched, however short.
    expect(watchedAgain([], [[0, 30]], [[4, 5.5]])).toEqual([[4, 5.5]]);
    expect(watchedAgain([], [[0, 10], [20, 30]], [[9, 25]])).toEqual([[20, 25]]);
    expect(watchedAgain([[10, 30]], [[0, 60]], [[20, 40]])).toEqual([[10, 40]]);
    expect(watchedAgain([], [], [[0, 10]])).toEqual([]);
  });

  it('never notes more than the union already covered (property)', () => {
    fc.assert(
      fc.property(arbList, arbList, (union, offered) => {
        const again = watchedAgain([], normalize(union), offered);
        expect(covered(intersect(again, normalize(union)))).toBeCloseTo(covered(again), 6);
        expect(covered(again)).toBeLessThanOrEqual(covered(normalize(offered)) + 1e-9);
      }),
    );
  });
});
