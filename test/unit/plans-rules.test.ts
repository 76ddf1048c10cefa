/**
 * Pure rules of learning plans: who an assignment applies to, deadlines as the end of a county
 * day whatever the host's zone, and completion counts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CountyCalendar } from '../../server/calendar';
import { appliesTo, completionCounts, daysBetween, deadlineEnd, deadlineState, earlierDay, hasTarget } from '../../server/modules/plans/plan-rules';

const hostTz = process.env.TZ;
afterEach(() => {
  if (hostTz === undefined) delete process.env.TZ;
  else process.env.TZ = hostTz;
});

const county = 'c0';
const committee = 'm1';
const village = 'u1';
const otherCommittee = 'm2';
const cadre = { unitPath: [village, committee, county], rank: 'township' as const };

describe('who an assignment applies to', () => {
  it('reaches the cadres of a unit and of every unit below it', () => {
    expect(appliesTo({ unitIds: [village], ranks: [] }, cadre)).toBe(true);
    expect(appliesTo({ unitIds: [committee], ranks: [] }, cadre)).toBe(true);
    expect(appliesTo({ unitIds: [county], ranks: [] }, cadre)).toBe(true);
    expect(appliesTo({ unitIds: [otherCommittee], ranks: [] }, cadre)).toBe(false);
    expect(appliesTo({ unitIds: [otherCommittee, village], ranks: [] }, cadre)).toBe(true);
  });

  it('needs both the unit and the rank when both are given, and a rank alone reaches the whole county', () => {
    expect(appliesTo({ unitIds: [committee], ranks: ['county'] }, cadre)).toBe(false);
    expect(appliesTo({ unitIds: [committee], ranks: ['township'] }, cadre)).toBe(true);
    expect(appliesTo({ unitIds: [], ranks: ['township'] }, cadre)).toBe(true);
    expect(appliesTo({ unitIds: [], ranks: ['county'] }, cadre)).toBe(false);
  });

  it('reaches nobody without a unit or a rank, nor a cadre without a unit through a unit', () => {
    expect(hasTarget({ unitIds: [], ranks: [] })).toBe(false);
    expect(appliesTo({ unitIds: [], ranks: [] }, cadre)).toBe(false);
    expect(appliesTo({ unitIds: [county], ranks: [] }, { unitPath: [], rank: 'township' })).toBe(false);
  });
});

describe('deadlines in the county zone', () => {
  const shanghai = new CountyCalendar('Asia/Shanghai');

  for (const zone of ['UTC', 'America/Los_Angeles', 'Asia/Shanghai', 'Pacific/Kiritimati']) {
    it(`ends a due day at the next county midnight on a host in ${zone}`, () => {
      process.env.TZ = zone;
      // 2026-12-20 ends at 2026-12-21 00:00 Beijing time = 2026-12-20 16:00 UTC.
      expect(new Date(deadlineEnd(shanghai, '2026-12-20')).toISOString()).toBe('2026-12-20T16:00:00.000Z');
      const justBefore = Date.parse('2026-12-20T15:59:00Z'); // 23:59 in Shanghai
      const justAfter = Date.parse('2026-12-20T16:00:00Z');
      expect(deadlineState(shanghai, '2026-12-20', justBefore, null)).toMatchObject({ overdue: false, daysLeft: 0 });
      expect(deadlineState(shanghai, '2026-12-20', justAfter, null)).toMatchObject({ overdue: true, daysLeft: -1 });
      expect(deadlineState(shanghai, '2026-12-20', justAfter, justBefore)).toMatchObject({ overdue: false, late: false });
      expect(deadlineState(shanghai, '2026-12-20', justAfter + 1, justAfter)).toMatchObject({ overdue: false, late: true });
    });
  }

  it('counts the days left on the county calendar: 07:00 Beijing on 1 January is the new year', () => {
    process.env.TZ = 'UTC';
    const at = Date.parse('2026-12-31T23:00:00Z'); // 2027-01-01 07:00 in Shanghai
    expect(deadlineState(shanghai, '2027-01-01', at, null).daysLeft).toBe(0);
    expect(deadlineState(shanghai, '2027-01-08', at, null).daysLeft).toBe(7);
  });

  it('ends a day at local midnight across a daylight-saving change', () => {
    process.env.TZ = 'Asia/Shanghai';
    const ny = new CountyCalendar('America/New_York');
    // 2026-03-08 is 23 hours long in New York: it ends at 04:00 UTC on the 9th (EDT, -4).
    expect(new Date(deadlineEnd(ny, '2026-03-08')).toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });

  it('keeps the earlier of two deadlines and subtracts day labels', () => {
    expect(earlierDay('2026-12-20', '2026-11-30')).toBe('2026-11-30');
    expect(earlierDay(undefined, '2026-11-30')).toBe('2026-11-30');
    expect(earlierDay('2026-12-20', undefined)).toBe('2026-12-20');
    fc.assert(
      fc.property(fc.integer({ min: -800, max: 800 }), (n) => {
        expect(daysBetween('2026-06-15', shanghai.addDays('2026-06-15', n))).toBe(n);
      }),
    );
  });
});

describe('completion counts', () => {
  it('counts a cadre complete only when every lecture of the assignment is', () => {
    const cadres = [
      { userId: 'a', unitPath: [village, committee, county], rank: 'township' as const },
      { userId: 'b', unitPath: [village, committee, county], rank: 'county' as const },
      { userId: 'c', unitPath: ['u2', otherCommittee, county], rank: 'township' as const },
    ];
    const done = new Set(['a:L1', 'a:L2', 'b:L1', 'c:L1', 'c:L2']);
    const counts = completionCounts(
      [
        { id: 'village', unitIds: [village], ranks: [], contentIds: ['L1', 'L2'] },
        { id: 'county-rank', unitIds: [], ranks: ['county'], contentIds: ['L1'] },
        { id: 'nobody', unitIds: ['u9'], ranks: [], contentIds: ['L1'] },
      ],
      cadres,
      done,
    );
    expect(Object.fromEntries(counts)).toEqual({ village: { assigned: 2, completed: 1 }, 'county-rank': { assigned: 1, completed: 1 }, nobody: { assigned: 0, completed: 0 } });
  });
});
