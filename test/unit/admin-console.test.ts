/** Pure rules of the admin console: reminder words, credit-policy checks (server and form), xAPI ranges, screens of API routes. */
import { describe, expect, it } from 'vitest';
import { CountyCalendar } from '../../server/calendar';
import { policyProblem } from '../../server/modules/study/credit-rules';
import { manualReminderId, reminderText, reminderYear } from '../../server/modules/study/reminders';
import { xapiRange } from '../../server/modules/xapi/range';
import { checkDraft, draftOf } from '../../client/src/lib/admin/console/policy';
import { screenOfApi, screensFor } from '../../client/src/lib/admin/console/screens';

const cal = new CountyCalendar('Asia/Shanghai');
const township = { rank: 'township' as const, yearlyHours: 90, windowYears: 1, windowHours: 90, requiredMinHours: 30, maxPerTopicHours: 30, dailyCapHours: 8 };

describe('reminder words', () => {
  it('say what is left, or that the requirement is met', () => {
    expect(reminderText(2026, 31.5, 90, false).body).toBe('您今年已获 31.5 学时，要求 90 学时，还差 58.5 学时。请在年底前完成选学。');
    expect(reminderText(2026, 96, 90, true)).toMatchObject({ title: '2026 年度学时即将截止', body: '您今年已获 96 学时，已达到 90 学时的要求。' });
    expect(reminderText(2026, 0.05, 90, false).bodyEn).toContain('earned 0.1 of the 90');
  });

  it('name the year and the county month, even before October for an admin', () => {
    expect(reminderYear('credit-2026-final')).toBe(2026);
    expect(reminderYear('welcome')).toBeNull();
    expect(manualReminderId(cal.instant(2026, 6, 10), cal)).toBe('credit-2026-06');
    expect(manualReminderId(cal.instant(2026, 12, 20), cal)).toBe('credit-2026-final');
  });
});

describe('credit policy checks', () => {
  it('refuse required hours over the year and windows that do not hold a year', () => {
    expect(policyProblem(township)).toBeNull();
    expect(policyProblem({ ...township, requiredMinHours: 91 })?.field).toBe('requiredMinHours');
    expect(policyProblem({ ...township, windowHours: 100 })?.field).toBe('windowHours');
    expect(policyProblem({ ...township, windowYears: 5, windowHours: 80 })?.field).toBe('windowHours');
    expect(policyProblem({ ...township, windowYears: 5, windowHours: 450 })).toBeNull();
  });

  it('in the form, name each wrong field and treat empty caps as no cap', () => {
    const d = draftOf(township);
    expect(checkDraft('township', d)).toEqual({ policy: township, problems: {} });
    expect(checkDraft('township', { ...d, dailyCapHours: '', maxPerTopicHours: ' ' }).policy).toMatchObject({ dailyCapHours: null, maxPerTopicHours: null });
    expect(checkDraft('township', { ...d, yearlyHours: '' }).problems).toEqual({ yearlyHours: { kind: 'required' } });
    expect(checkDraft('township', { ...d, windowYears: '1.5', dailyCapHours: '25', windowHours: 'x' }).problems).toEqual({
      windowYears: { kind: 'notInteger' },
      dailyCapHours: { kind: 'range', min: 0, max: 24 },
      windowHours: { kind: 'notNumber' },
    });
    expect(checkDraft('township', { ...d, yearlyHours: '100' }).problems).toEqual({ windowHours: { kind: 'oneYearWindow', yearly: 100 } });
  });
});

describe('xAPI ranges', () => {
  it('cover whole county days, both ends included', () => {
    const r = xapiRange({ from: '2026-03-01', to: '2026-03-01' }, cal);
    expect(r).toEqual({ filter: { stored: { $gte: new Date('2026-02-28T16:00:00Z'), $lt: new Date('2026-03-01T16:00:00Z') } } });
    expect(xapiRange({}, cal)).toEqual({ filter: {} });
    expect(xapiRange({ to: '2026-12-31' }, cal)).toEqual({ filter: { stored: { $lt: new Date('2026-12-31T16:00:00Z') } } });
    expect(xapiRange({ from: '2026-03-02', to: '2026-03-01' }, cal)).toHaveProperty('error');
  });
});

describe('admin screens', () => {
  it('put each admin API under the screen that serves it, and hide org-only screens from unit admins', () => {
    expect(screenOfApi('/api/study/flags')?.path).toBe('/admin/review');
    expect(screenOfApi('/api/users/import/x')?.path).toBe('/admin/users/import');
    expect(screenOfApi('/api/users/:id')?.path).toBe('/admin/users');
    expect(screenOfApi('/api/study/heartbeats')).toBeUndefined();
    expect(screensFor('unitAdmin').map((s) => s.id)).not.toContain('policies');
    expect(screensFor('cadre')).toEqual([]);
  });
});
