/** Client helpers of learning plans: county day labels, deadline tones, continue watching. */
import { describe, expect, it } from 'vitest';
import { dueTone, formatDay, openItems, percent } from '../../client/src/lib/plans/plan-format';
import { continueWatching } from '../../client/src/lib/home/continue-watching';
import type { StudyLecture } from '../../client/src/lib/api/types';
import type { PlanItem } from '../../client/src/lib/plans/types';

describe('plan display', () => {
  it('shows a county day as that calendar date whatever the browser zone', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    try {
      expect(formatDay('zh-CN', '2026-12-20')).toBe('2026年12月20日');
      expect(formatDay('en', '2027-01-01', { month: 'short', day: 'numeric' })).toBe('Jan 1');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('marks overdue in red, due within a week as soon, finished as done', () => {
    expect(dueTone({ completed: false, overdue: true, daysLeft: -1, dueDay: '2026-12-01' })).toBe('overdue');
    expect(dueTone({ completed: false, overdue: false, daysLeft: 7, dueDay: '2026-12-09' })).toBe('soon');
    expect(dueTone({ completed: false, overdue: false, daysLeft: 8, dueDay: '2026-12-10' })).toBe('later');
    expect(dueTone({ completed: true, overdue: false, daysLeft: -3, dueDay: '2026-11-29' })).toBe('done');
    expect(dueTone({ completed: false, overdue: false })).toBe('none');
    expect([percent(0.333), percent(1.2), percent(-1)]).toEqual([33, 100, 0]);
  });

  it('lists open items only, at most n, in the order given', () => {
    const item = (key: string, completed: boolean) => ({ key, completed }) as PlanItem;
    expect(openItems([item('a', true), item('b', false), item('c', false), item('d', false)], 2).map((i) => i.key)).toEqual(['b', 'c']);
  });

  it('continues the most recently watched unfinished lectures', () => {
    const l = (lectureId: string, progress: number, completed: boolean, lastWatchedAt?: string) => ({ lectureId, progress, completed, lastWatchedAt }) as StudyLecture;
    const got = continueWatching([l('old', 0.2, false, '2026-11-01T00:00:00Z'), l('done', 1, true, '2026-12-01T00:00:00Z'), l('new', 0.5, false, '2026-12-02T00:00:00Z'), l('none', 0, false)]);
    expect(got.map((x) => x.lectureId)).toEqual(['new', 'old']);
  });
});
