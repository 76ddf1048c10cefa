import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CadreClock, subtract } from '../../server/modules/study/cadre-clock';
import { covered, isNormalized } from '../../server/modules/study/intervals';

describe('CadreClock: one wall clock per cadre', () => {
  it('grants a span once: the same server time offered by a second session is refused', () => {
    const clock = new CadreClock(() => 10_000);
    expect(clock.grantFirstFit('u', 0, 4000, 10_000)).toEqual({ granted: [[0, 4000]], refusedMs: 0, tooOldMs: 0 });
    // A second device over [0, 4000) gets what is free after it, up to `until`.
    expect(clock.grantFirstFit('u', 0, 4000, 6000)).toEqual({ granted: [[4000, 6000]], refusedMs: 2000, tooOldMs: 0 });
    expect(clock.intervals('u')).toEqual([[0, 6000]]);
    // Another cadre is not affected.
    expect(clock.grantFirstFit('v', 0, 4000, 10_000).granted).toEqual([[0, 4000]]);
  });

  it('appends continuing pieces in place and keeps the clock normalized', () => {
    let now = 0;
    const clock = new CadreClock(() => now);
    for (let i = 0; i < 100; i++) {
      now = (i + 1) * 40;
      clock.add('u', [[i * 40, (i + 1) * 40]]);
    }
    expect(clock.intervals('u')).toEqual([[0, 4000]]);
    clock.add('u', [[5000, 6000], [4500, 4600]]);
    expect(clock.intervals('u')).toEqual([[0, 4000], [4500, 4600], [5000, 6000]]);
    expect(clock.changedAt('u')).toBe(4000);
  });

  it('release takes back a failed grant; intervals() is a copy', () => {
    const clock = new CadreClock(() => 0);
    const g = clock.grant('u', [[0, 1000]]);
    const copy = clock.intervals('u');
    clock.release('u', g.granted);
    expect(clock.intervals('u')).toEqual([]);
    expect(copy).toEqual([[0, 1000]]);
  });

  it('refuses what is older than the retention', () => {
    const clock = new CadreClock(() => 100_000, 50_000);
    expect(clock.grant('u', [[40_000, 60_000]])).toEqual({ granted: [[50_000, 60_000]], refusedMs: 0, tooOldMs: 10_000 });
  });

  it('property: whatever is offered, the granted time never exceeds the server time offered, nor overlaps', () => {
    const piece = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 3000 })).map(([a, l]) => [a, a + l] as const);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('grant' as const), pieces: fc.array(piece, { maxLength: 4 }) }),
      fc.record({ kind: fc.constant('fit' as const), from: fc.integer({ min: 0, max: 10_000 }), len: fc.integer({ min: 1, max: 5000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const clock = new CadreClock(() => 20_000);
        let granted = 0;
        for (const o of ops) {
          const g = o.kind === 'grant' ? clock.grant('u', o.pieces) : clock.grantFirstFit('u', o.from, o.len, 13_000);
          granted += covered(g.granted);
        }
        const iv = clock.intervals('u');
        expect(isNormalized(iv) || iv.length === 0).toBe(true);
        // Every granted ms is in the clock exactly once, and the clock is within [0, 13,000).
        expect(covered(iv)).toBe(granted);
        expect(covered(iv)).toBeLessThanOrEqual(13_000);
      }),
    );
  });

  it('subtract reads normalized lists in place and normalizes the others', () => {
    expect(subtract([[0, 10]], [[2, 3], [5, 6]])).toEqual([[0, 2], [3, 5], [6, 10]]);
    expect(subtract([[5, 10], [0, 6]], [[5, 6], [2, 3]])).toEqual([[0, 2], [3, 5], [6, 10]]);
  });
});
