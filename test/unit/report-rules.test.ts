/** The unit report's pure rules (server/modules/reports/report-rules.ts): ranges, prorating, sub-units. */
import { describe, expect, it } from 'vitest';
import { rangeRequirement, rangeYears, resolveRange, subUnitOf, totalsOf } from '../../server/modules/reports/report-rules';

describe('report ranges', () => {
  it('defaults to the county year and refuses bad, reversed or over-long ranges', () => {
    expect(resolveRange({}, 2026)).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(resolveRange({ year: 2025 }, 2026)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
    expect(resolveRange({ from: '2025-04-01' }, 2026)).toEqual({ from: '2025-04-01', to: '2025-12-31' });
    expect(resolveRange({ from: '2025-02-30' }, 2026)).toBe('bad-day');
    expect(resolveRange({ from: '2025-05-01', to: '2025-04-01' }, 2026)).toBe('reversed');
    expect(resolveRange({ from: '2020-01-01', to: '2025-01-01' }, 2026)).toBe('too-long');
    expect(rangeYears({ from: '2024-12-01', to: '2026-01-31' })).toEqual([2024, 2025, 2026]);
  });

  it('prorates the yearly requirement by the days of each year covered', () => {
    expect(rangeRequirement(90, { from: '2025-01-01', to: '2025-12-31' })).toBe(90);
    expect(rangeRequirement(90, { from: '2025-01-01', to: '2025-03-31' })).toBe(22.2);
    expect(rangeRequirement(90, { from: '2024-07-01', to: '2025-06-30' })).toBe(89.9); // 184/366 + 181/365 of a year
    expect(rangeRequirement(110, { from: '2024-01-01', to: '2025-12-31' })).toBe(220);
  });
});

describe('sub-units', () => {
  it('files each unit under the report unit’s direct child, the unit itself under itself', () => {
    const rows = [
      { id: 'c', name: '乡党委', kind: 'committee' as const, parentId: 'k' },
      { id: 'u1', name: '村一', kind: 'unit' as const, parentId: 'c' },
      { id: 'u2', name: '村二', kind: 'unit' as const, parentId: 'c' },
      { id: 'g', name: '小组', kind: 'unit' as const, parentId: 'u2' },
      { id: 'k', name: '县', kind: 'county' as const, parentId: null },
    ];
    const map = subUnitOf(rows, 'c');
    expect(Object.fromEntries(map)).toEqual({ c: 'c', u1: 'u1', u2: 'u2', g: 'u2' });
    expect(subUnitOf(rows, 'k').get('g')).toBe('c');
  });

  it('totals an empty report to zeros', () => {
    expect(totalsOf([])).toEqual({ members: 0, behind: 0, met: 0, requiredHours: 0, earned: 0, requiredEarned: 0, electiveEarned: 0, completed: 0, metPercent: 0 });
  });
});
