/** The pure rules of training classes (server/modules/training/training-rules.ts). */
import { describe, expect, it } from 'vitest';
import { CountyCalendar } from '../../server/calendar';
import { applicationState, applicationsOpen, completionOpen, creditInstant, defaultWithdrawBy, openTo, reachesUnits, seatsTaken, withdrawalOpen } from '../../server/modules/training/training-rules';

const beijing = new CountyCalendar('Asia/Shanghai');

describe('training rules', () => {
  it('opens a class to units below its units and to its ranks; no units and no ranks is the whole county', () => {
    const cadre = { unitPath: ['village', 'township', 'county'], rank: 'township' };
    expect(openTo({ unitIds: [], ranks: [] }, cadre)).toBe(true);
    expect(openTo({ unitIds: ['township'], ranks: [] }, cadre)).toBe(true);
    expect(openTo({ unitIds: ['other'], ranks: [] }, cadre)).toBe(false);
    expect(openTo({ unitIds: [], ranks: ['county'] }, cadre)).toBe(false);
    expect(reachesUnits({ unitIds: ['township'], ranks: [] }, new Set(['village']), ['village', 'township'])).toBe(true);
    expect(reachesUnits({ unitIds: ['other'], ranks: [] }, new Set(['village']), ['village', 'township'])).toBe(false);
  });

  it('seats an application while places are left, then puts it on the waiting list; approval waits first', () => {
    expect(seatsTaken(['enrolled', 'completed', 'waitlisted', 'pending', 'withdrawn'])).toBe(2);
    expect(applicationState(false, 9, 10)).toBe('enrolled');
    expect(applicationState(false, 10, 10)).toBe('waitlisted');
    expect(applicationState(true, 0, 10)).toBe('pending');
  });

  it('counts deadlines in the county’s days, not the host’s', () => {
    // 2026-03-10 23:30 in Beijing is 15:30 UTC; 00:30 on the 11th is still the 10th in UTC.
    expect(withdrawalOpen(beijing, '2026-03-10', Date.parse('2026-03-10T15:30:00Z'))).toBe(true);
    expect(withdrawalOpen(beijing, '2026-03-10', Date.parse('2026-03-10T16:30:00Z'))).toBe(false);
    expect(applicationsOpen(beijing, '2026-03-11', Date.parse('2026-03-10T15:59:00Z'))).toBe(true);
    expect(applicationsOpen(beijing, '2026-03-11', Date.parse('2026-03-10T16:00:00Z'))).toBe(false);
    expect(completionOpen(beijing, '2026-03-11', Date.parse('2026-03-10T16:00:00Z'))).toBe(true);
    expect(defaultWithdrawBy(beijing, '2026-03-01')).toBe('2026-02-28');
  });

  it('dates a class’s hours on its last day, or now when that is earlier', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(beijing.day(creditInstant(beijing, '2026-05-20', now))).toBe('2026-05-20');
    expect(creditInstant(beijing, '2026-06-01', now)).toBe(now);
    // A class ending on 31 December counts in that county year.
    expect(beijing.year(creditInstant(beijing, '2026-12-31', Date.parse('2027-01-05T00:00:00Z')))).toBe(2026);
  });
});
