// The cadre's study credits and the unit report, as the pages compute them (client/src/lib/study/credits.ts, report.ts; player/resume.ts).
import { describe, expect, it } from 'vitest';
import { creditRatio, deadlineState, hoursMissing, monthlyHours, parseYear, progressPercent, seatsLeft, withSeatChange, yearOptions } from '../../client/src/lib/study/credits';
import { completionHistogram, sortMembers, unitChoices } from '../../client/src/lib/study/report';
import { pickResumePosition } from '../../client/src/lib/player/resume';
import type { OrgNode } from '../../client/src/lib/api/types';

describe('study credits and the unit report', () => {
  it('shows progress in whole percent, 100 only when completed', () => {
    expect(progressPercent(0.372)).toBe(37);
    expect(progressPercent(0.999)).toBe(99);
    expect(progressPercent(0.93, true)).toBe(100);
    expect(progressPercent(Number.NaN)).toBe(0);
  });

  it('compares the year’s hours with the requirement', () => {
    expect(creditRatio(12.5, 90)).toBeCloseTo(0.1389, 3);
    expect(creditRatio(120, 90)).toBe(1);
    expect(creditRatio(3, 0)).toBe(1);
    expect(hoursMissing(12.5, 90)).toBe(77.5);
    expect(hoursMissing(95, 90)).toBe(0);
    expect(monthlyHours([1.25, 2])).toEqual([1.3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('counts seats left in a limited offering and follows the viewer’s own choice', () => {
    expect(seatsLeft({})).toBeNull();
    expect(seatsLeft({ seatLimit: 30, seatsTaken: 28 })).toBe(2);
    expect(seatsLeft({ seatLimit: 30, seatsLeft: 0, seatsTaken: 3 })).toBe(0);
    expect(seatsLeft(withSeatChange({ seatLimit: 30, seatsTaken: 28 }, 1))).toBe(1);
    expect(seatsLeft(withSeatChange({ seatLimit: 30, seatsLeft: 1 }, 1))).toBe(0);
    expect(seatsLeft(withSeatChange({ seatLimit: 30, seatsLeft: 0 }, -1))).toBe(1);
  });

  it('builds the year menu and reads the year from the URL', () => {
    expect(yearOptions([{ year: 2024, total: 80 }, { year: 2026, total: 3 }], 2026, 2023)).toEqual([2026, 2024, 2023]);
    expect(parseYear('2025', 2026)).toBe(2025);
    expect(parseYear('abc', 2026)).toBe(2026);
    expect(parseYear('1850', 2026)).toBe(2026);
  });

  it('says how close a selection’s deadline is', () => {
    const now = new Date('2026-05-01T00:00:00Z');
    expect(deadlineState(undefined, now)).toBe('none');
    expect(deadlineState('2026-04-30T00:00:00Z', now)).toBe('overdue');
    expect(deadlineState('2026-05-10T00:00:00Z', now)).toBe('soon');
    expect(deadlineState('2026-07-01T00:00:00Z', now)).toBe('open');
  });

  const member = (username: string, percent: number) => ({ username, displayName: username.toUpperCase(), earned: (percent / 100) * 90, percent });

  it('sorts members by any column, ties by username', () => {
    const items = [member('c', 50), member('a', 100), member('b', 50)];
    expect(sortMembers(items, 'percent', 'asc').map((m) => m.username)).toEqual(['b', 'c', 'a']);
    expect(sortMembers(items, 'percent', 'desc').map((m) => m.username)).toEqual(['a', 'b', 'c']);
    expect(sortMembers(items, 'username', 'desc').map((m) => m.username)).toEqual(['c', 'b', 'a']);
  });

  it('counts members per completion bucket', () => {
    const items = [member('a', 0), member('b', 19.9), member('c', 20), member('d', 99.9), member('e', 100), member('f', 100)];
    expect(completionHistogram(items)).toEqual([2, 1, 0, 0, 1, 2]);
  });

  it('lists the units an admin may pick', () => {
    const tree: OrgNode[] = [
      {
        id: 'county',
        name: '通榆县',
        kind: 'county',
        parentId: null,
        children: [{ id: 'c1', name: '苏公坨乡党委', kind: 'committee', parentId: 'county', children: [{ id: 'u1', name: '苏公坨村党支部', kind: 'unit', parentId: 'c1', children: [] }] }],
      },
    ];
    expect(unitChoices(tree).map((c) => [c.id, c.depth])).toEqual([
      ['county', 0],
      ['c1', 1],
      ['u1', 2],
    ]);
    expect(unitChoices(tree, 'c1').map((c) => [c.id, c.depth])).toEqual([
      ['c1', 0],
      ['u1', 1],
    ]);
  });

  it('resumes from the server’s position first, the browser’s otherwise', () => {
    expect(pickResumePosition(42, 10)).toBe(42);
    expect(pickResumePosition(0, 10)).toBe(10);
    expect(pickResumePosition(undefined, null)).toBeNull();
  });
});
