import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { CountyCalendar } from '../../server/calendar';
import { articleYear, planYear, tally, topics, type PlanCadre } from '../../server/seed/demo-ledger-plan';

const calendar = new CountyCalendar('Asia/Shanghai');
// Four committees of 300 (a showing draws its room from one committee; much smaller ones cannot fill 18,000 seats).
const cadres: PlanCadre[] = Array.from({ length: 1200 }, (_, i) => ({ id: new Types.ObjectId(i.toString(16).padStart(24, '0')), group: `committee-${i % 4}` }));
const year = 2026;
const plan = (seed = 7, only?: Parameters<typeof planYear>[0]['only']) =>
  planYear({ year, from: calendar.startOfYear(year), to: calendar.startOfYear(year + 1), scale: 1, seed, calendar, cadres, only });

describe('the demo ledger plan (the article’s year)', () => {
  const entries = plan(7, ['selfStudy', 'live', 'airClassroom']);

  it('has the article’s person-times per channel and 154 topics chosen', () => {
    const t = tally(entries);
    expect(t.selfStudy.personTimes).toBe(articleYear.selfStudy.personTimes);
    expect(t.live.personTimes).toBe(articleYear.live.personTimes);
    expect(t.airClassroom.personTimes).toBe(articleYear.airClassroom.personTimes);
    expect(topics).toHaveLength(articleYear.selfStudy.topics);
    expect(new Set(entries.filter((e) => e.source === 'individual').map((e) => e.topic)).size).toBe(articleYear.selfStudy.topics);
  });

  it('gives each cadre a content at most once a year, in the county year, with positive hours', () => {
    expect(new Set(entries.map((e) => e._id)).size).toBe(entries.length);
    for (const e of entries) {
      expect(e._id).toBe(`${String(e.userId)}:${String(e.lectureId)}:${year}`);
      expect(calendar.year(e.at.getTime())).toBe(year);
      expect(e.hours).toBeGreaterThan(0);
    }
    // Tens of thousands of entries, each through the county calendar: 0.8 s here, over 5 s on a loaded CI machine.
  }, 30_000);

  it('is the same for the same seed and differs for another', () => {
    const again = plan(7, ['selfStudy', 'live', 'airClassroom']);
    expect(again.map((e) => [e._id, e.hours, e.at.getTime()])).toEqual(entries.map((e) => [e._id, e.hours, e.at.getTime()]));
    expect(plan(8, ['selfStudy']).map((e) => e._id)).not.toEqual(plan(7, ['selfStudy']).map((e) => e._id));
  }, 30_000);
});
