/**
 * One county calendar across the server, on a host whose zone is UTC: pages learn the county's
 * year and day, archives and reports default to the county year, a session at 01:00 on the first
 * of a county month (17:00 UTC the day before) falls in that month's timetable and is fed to
 * calendar apps at county wall-clock time, and statistics run over county days and months.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

// The host zone the server must not depend on (this file's worker reads it from here on).
process.env.TZ = 'UTC';

let t: TestApp;
let admin: string;
let cadre: string;
let unitId: string;

async function call(method: 'GET' | 'POST', url: string, cookie?: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? (res.json() as any) : res.body };
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  unitId = String(seeded.unitIds.get('苏公坨村党支部'));
}, 60_000);
afterAll(() => t?.close());

describe('the county calendar on a UTC host', () => {
  it('runs on a UTC host with the county in Asia/Shanghai', () => {
    expect(new Date(0).getTimezoneOffset()).toBe(0);
    expect(t.app.calendar.timeZone).toBe('Asia/Shanghai');
  });

  it('tells pages the county year and day with the session', async () => {
    const me = await call('GET', '/api/auth/me', cadre);
    expect(me.status).toBe(200);
    expect(me.body.county).toEqual(t.app.calendar.today());
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'unitadmin', password: DEMO_PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.json().county).toEqual(t.app.calendar.today());
  });

  it('defaults the study archive and the unit report to the county year', async () => {
    const year = t.app.calendar.year(Date.now());
    const mine = await call('GET', '/api/study/me', cadre);
    expect(mine.status).toBe(200);
    expect(mine.body.year).toBe(year);
    const report = await call('GET', `/api/reports/units/${unitId}/report`, admin);
    expect(report.status).toBe(200);
    expect(report.body.range).toMatchObject({ from: `${year}-01-01`, to: `${year}-12-31`, timeZone: t.app.calendar.timeZone });
  });

  it('puts a session at 01:00 on the first of a county month in that month, and feeds it at county time', async () => {
    const cal = t.app.calendar;
    const { year, month } = cal.parts(Date.now());
    const monthStart = cal.startOfMonth(year, month); // month is 1-12: index of the next month
    const startAt = monthStart + 3600_000;
    const first = cal.parts(startAt);
    expect(first).toMatchObject({ day: 1, hour: 1 });
    expect(new Date(startAt).getUTCDate()).not.toBe(1); // still the day before on the host's clock

    const lecture = await t.app.store.models.Lecture.create({ title: '月初第一课', category: 'service', state: 'published', kind: 'recorded', durationSec: 1800, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
    const station = await call('POST', '/api/stations', admin, { name: '月初测试站', type: 'village', unitId, address: '通榆县', contact: { name: '站长', phone: '0436-1234567' } });
    expect(station.status).toBe(201);
    const created = await call('POST', '/api/timetable', admin, { lectureId: String(lecture._id), startAt: new Date(startAt).toISOString(), stationIds: [station.body.id] });
    expect(created.status).toBe(201);
    const id = created.body.session.id;

    const range = (from: number, to: number) => call('GET', `/api/timetable?stationId=${station.body.id}&from=${new Date(from).toISOString()}&to=${new Date(to - 1).toISOString()}`, admin);
    const thisMonth = await range(cal.startOfMonth(year, month - 1), monthStart);
    const nextMonth = await range(monthStart, cal.startOfMonth(year, month + 1));
    expect(thisMonth.status).toBe(200);
    expect(thisMonth.body.items.map((s: any) => s.id)).not.toContain(id);
    expect(nextMonth.body.items.map((s: any) => s.id)).toContain(id);

    const links = await call('GET', '/api/calendar/links', admin);
    const url = new URL(links.body.stations.find((s: any) => s.id === station.body.id).url);
    const feed = await call('GET', url.pathname + url.search);
    expect(feed.status).toBe(200);
    const stamp = `${first.year}${String(first.month).padStart(2, '0')}01T010000`;
    expect(feed.body).toContain(`DTSTART;TZID=Asia/Shanghai:${stamp}`);
    expect(feed.body).toContain('BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai');
  });

  it('counts statistics over county days, ending the default period with the county today', async () => {
    const cal = t.app.calendar;
    const today = cal.day(Date.now());
    const byDefault = await call('GET', '/api/stations/stats', admin);
    expect(byDefault.status).toBe(200);
    expect(byDefault.body).toMatchObject({ from: cal.addDays(today, 1, -1), to: today });

    // Roll-ups of the last county day of a year and the first of the next (runs key them with cal.day).
    const s = 'f'.repeat(24);
    const eve = cal.day(Date.parse('2026-12-31T15:59:00Z'));
    const newYear = cal.day(Date.parse('2026-12-31T16:00:00Z'));
    expect([eve, newYear]).toEqual(['2026-12-31', '2027-01-01']);
    const { StationDay } = t.app.store.models;
    await StationDay.collection.insertOne({ _id: eve as never, runs: { [`r1:${s}`]: { s, held: 1, persons: 3, sec: 3600 } } });
    await StationDay.collection.insertOne({ _id: newYear as never, runs: { [`r2:${s}`]: { s, held: 1, persons: 5, sec: 7200 } } });
    const byMonth = await call('GET', '/api/stations/stats?groupBy=month&from=2026-12-01&to=2027-01-31', admin);
    expect(byMonth.status).toBe(200);
    expect(byMonth.body.rows.map((r: any) => [r.key, r.personTimes])).toEqual([['2026-12', 3], ['2027-01', 5]]);
  });
});
