/** The county tallies' pure rules (server/modules/county/tally.ts, county-rules.ts): channels, sums, comparison, on track. */
import { describe, expect, it } from 'vitest';
import { aggregate, categoryRows, elapsedShare, figures, standing, topicFigures } from '../../server/modules/county/county-rules';
import { addEntry, channelOf, diffTallies, emptyTally, fromDoc, toDoc, type EntryFacts } from '../../server/modules/county/tally';

const fact = (o: Partial<EntryFacts>): EntryFacts => ({ userId: 'u1', year: 2026, month: 0, hours: 1, ...o });

describe('county tallies', () => {
  it('names the channel of every ledger source', () => {
    expect(channelOf({})).toBe('selfStudy');
    expect(channelOf({ source: 'individual' })).toBe('selfStudy');
    expect(channelOf({ source: 'live' })).toBe('live');
    expect(channelOf({ source: 'station' })).toBe('airClassroom');
    expect(channelOf({ source: 'training', trainingChannel: 'county' })).toBe('trainingClass');
    expect(channelOf({ source: 'training', trainingChannel: 'caravan' })).toBe('caravan');
    expect(channelOf({ source: 'external' })).toBe('external');
  });

  it('counts one person-time per entry, by channel, month, topic (self-selected study only), category and cadre', () => {
    const t = emptyTally(2026, 'unitA');
    addEntry(t, fact({ hours: 1.5, month: 2, topic: '乡村振兴', category: 'development' }));
    addEntry(t, fact({ userId: 'u2', hours: 0.1, month: 2, topic: '乡村振兴', category: 'development' }));
    addEntry(t, fact({ userId: 'u2', hours: 0.2, month: 11, topic: 'training', source: 'training', trainingChannel: 'caravan' }));
    expect(t.channels.selfStudy).toEqual({ n: 2, h: 1.6 });
    expect(t.channels.caravan).toEqual({ n: 1, h: 0.2 });
    expect(t.months.selfStudy.n[2]).toBe(2);
    expect(t.months.caravan.h[11]).toBe(0.2);
    expect([...t.topics]).toEqual([['乡村振兴', { n: 2, h: 1.6 }]]);
    expect(t.categories.get('other')).toEqual({ n: 1, h: 0.2 });
    expect(t.cadres.get('u2')).toEqual({ n: 2, h: 0.3 }); // not 0.30000000000000004
  });

  it('stores and reads back a tally unchanged, with names FerretDB refuses as keys kept as values', () => {
    const t = emptyTally(2026, 'unitA');
    addEntry(t, fact({ topic: 'a.b $c', month: 5, hours: 2 }));
    const back = fromDoc(JSON.parse(JSON.stringify(toDoc(t))));
    expect(diffTallies(t.id, t, back)).toEqual([]);
    expect(back.topics.get('a.b $c')).toEqual({ n: 1, h: 2 });
  });

  it('lists every field where a stored tally differs from a recomputed one, a missing one as zeros', () => {
    const a = emptyTally(2026, 'unitA');
    const b = emptyTally(2026, 'unitA');
    addEntry(a, fact({ hours: 2 }));
    addEntry(b, fact({ hours: 2 }));
    addEntry(b, fact({ userId: 'u9', hours: 1, source: 'live', month: 3 }));
    const d = diffTallies(a.id, a, b);
    expect(d).toContainEqual({ key: a.id, field: 'channels.live.personTimes', stored: 0, computed: 1 });
    expect(d).toContainEqual({ key: a.id, field: 'months.live.4.hours', stored: 0, computed: 1 });
    expect(d).toContainEqual({ key: a.id, field: 'cadres.u9.hours', stored: 0, computed: 1 });
    expect(diffTallies(a.id, undefined, a).length).toBeGreaterThan(0);
    expect(diffTallies(a.id, a, a)).toEqual([]);
  });
});

describe('county figures', () => {
  it('adds tallies of several units, sets the previous year beside, and ranks topics by person-times', () => {
    const x = emptyTally(2026, 'x');
    const y = emptyTally(2026, 'y');
    const prev = emptyTally(2025, 'x');
    for (let i = 0; i < 3; i++) addEntry(x, fact({ topic: '党史', hours: 1, month: 1 }));
    addEntry(y, fact({ topic: '法治', hours: 5, month: 1 }));
    addEntry(y, fact({ source: 'station', hours: 2, month: 6 }));
    addEntry(prev, fact({ year: 2025, source: 'station', hours: 4, month: 6 }));
    const f = figures(aggregate([x, y]), aggregate([prev]));
    expect(f.totals).toEqual({ personTimes: 5, hours: 10, prevPersonTimes: 1, prevHours: 4 });
    expect(f.channels.map((c) => c.channel)).toEqual(['selfStudy', 'live', 'airClassroom', 'trainingClass', 'caravan', 'external']);
    expect(f.channels[2]).toEqual({ channel: 'airClassroom', personTimes: 1, hours: 2, prevPersonTimes: 1, prevHours: 4 });
    expect(f.months[1]).toMatchObject({ month: 2, personTimes: 4, hours: 8, prevPersonTimes: 0 });
    expect(f.months[6]?.byChannel.airClassroom).toEqual({ personTimes: 1, hours: 2 });
    expect(f.topics).toEqual({ chosen: 2, personTimes: 4, top: [{ topic: '党史', personTimes: 3, hours: 3 }, { topic: '法治', personTimes: 1, hours: 5 }] });
    expect(topicFigures(aggregate([x, y]).topics, 1).top).toHaveLength(1);
    expect(categoryRows(aggregate([x, y]).categories)).toEqual([{ category: 'other', personTimes: 5, hours: 10 }]);
  });
});

describe('on track', () => {
  const township = { rank: 'township', yearlyHours: 90, windowYears: 1, windowHours: 90 };
  const county = { rank: 'county', yearlyHours: 110, windowYears: 5, windowHours: 550 };

  it('measures the elapsed share of the county year', () => {
    expect(elapsedShare(50, 100, 200)).toBe(0);
    expect(elapsedShare(150, 100, 200)).toBe(0.5);
    expect(elapsedShare(250, 100, 200)).toBe(1);
  });

  it('asks the yearly hours times the share elapsed, all of them for a past year', () => {
    const hours = (h: number) => () => h;
    expect(standing(township, hours(45), 2026, 0.5)).toEqual({ hours: 45, required: 90, expectedByNow: 45, onTrack: true });
    expect(standing(township, hours(44.9), 2026, 0.5).onTrack).toBe(false);
    expect(standing(township, hours(89), 2025, 1).onTrack).toBe(false);
  });

  it('counts a cadre with no hours behind unless nothing is required', () => {
    expect(standing(township, () => 0, 2026, 0).onTrack).toBe(false);
    expect(standing({ ...township, yearlyHours: 0, windowHours: 0 }, () => 0, 2026, 0.5).onTrack).toBe(true);
  });

  it('asks county-level cadres the window hours times the elapsed share of the five-year window', () => {
    const byYear: Record<number, number> = { 2022: 100, 2023: 100, 2024: 100, 2025: 100, 2026: 30, 2021: 500 };
    const s = standing(county, (y) => byYear[y] ?? 0, 2026, 0.5);
    // (4 + 0.5) / 5 of 550 = 495; 2022-2026 earned 430 (2021 is outside the window).
    expect(s).toEqual({ hours: 30, required: 550, expectedByNow: 495, onTrack: false, windowEarned: 430, windowRequired: 550 });
    expect(standing(county, (y) => (y === 2026 ? 95 : byYear[y] ?? 0), 2026, 0.5).onTrack).toBe(true);
  });
});
