/**
 * The demo air classroom: 206 stations across the five types, upcoming sessions of the demo
 * lectures, and a year of statistics with the article's figures (600 余场次, 1.8 万人次); seeding
 * again changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { demoLectures } from '../../server/seed/demo-lectures';
import { seedDemoStations } from '../../server/seed/demo-stations';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  // The demo catalog's lectures by title (media facts only: nothing here is played).
  await t.app.store.models.Lecture.insertMany(demoLectures.map((d) => ({ ...d, state: 'published', kind: 'recorded', durationSec: 40, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } })));
}, 60_000);
afterAll(() => t?.close());

describe('demo stations', () => {
  it('seeds 206 stations, a timetable and a year of statistics, once', async () => {
    const started = Date.now();
    const res = await seedDemoStations(t.app.store.models);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res).toMatchObject({ stations: 206, historicRuns: 612 });
    expect(await seedDemoStations(t.app.store.models)).toEqual({ stations: 0, sessions: 0, historicRuns: 0 });
    await t.app.stations.registry.load();
    await t.app.stations.timetable.load();
    const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    const list = await t.app.inject({ url: '/api/stations', headers: { cookie: admin } });
    const types = new Set(list.json().items.map((s: { type: string }) => s.type));
    expect(list.json().items).toHaveLength(206);
    expect([...types].sort()).toEqual(['agency', 'community', 'household', 'township', 'village']);
    const stats = await t.app.inject({ url: '/api/stations/stats?groupBy=type', headers: { cookie: admin } });
    const { totals, rows } = stats.json();
    expect(totals.sessions).toBe(612);
    expect(totals.stations).toBe(206);
    expect(totals.personTimes).toBeGreaterThan(18_000);
    expect(totals.personTimes).toBeLessThan(18_300);
    expect(rows).toHaveLength(5);
    const upcoming = await t.app.inject({ url: '/api/timetable', headers: { cookie: admin } });
    expect(upcoming.json().items.map((s: { title: string }) => s.title)).toEqual(expect.arrayContaining(['关键在于落实', '开设红色课堂：党史党性教育']));
  });
});
