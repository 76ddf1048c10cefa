/**
 * Stations at county scale on the demo county's 206 stations: the registry and the monitor
 * searched, filtered (township, type, state) and paged on the server; scheduling by groups with
 * the conflicts previewed and skipped; bookings marked when their lecture is withdrawn or their
 * live lecture ends early, with a warning for admins and the kiosk told.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { demoLectures } from '../../server/seed/demo-lectures';
import { seedDemoStations } from '../../server/seed/demo-stations';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let unitAdmin: string;
let townships: { id: string; name: string; count: number }[];

type Res = { status: number; body: any };
async function call(method: 'GET' | 'POST', url: string, cookie: string, payload?: object): Promise<Res> {
  const res = await t.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() };
}
const later = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString();
/**
 * A county time `days` ahead. The demo's bookings are at 9:00, 14:30 and 19:30 county time and
 * in the next quarter hour, so a time "in N hours" met one of them at some hours of the day
 * (a run at 12:23 county time booked later(50) onto the 14:30 one); 3:00 and 5:00 never do.
 */
const countyAt = (days: number, hour: number, minute = 0) => new Date(t.app.calendar.dayAt(t.app.calendar.addDays(t.app.calendar.day(Date.now()), days), hour, minute)).toISOString();

beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  await t.app.store.models.Lecture.insertMany(demoLectures.map((d) => ({ ...d, state: 'published', kind: 'recorded', durationSec: 1800, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } })));
  await seedDemoStations(t.app.store.models);
  await t.app.stations.registry.load();
  await t.app.stations.timetable.load();
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  townships = (await call('GET', '/api/stations?pageSize=25', admin)).body.townships;
}, 90_000);
afterAll(() => t?.close());

describe('registry and monitor at county scale', () => {
  it('pages 206 stations 25 at a time, sorted by name, with counts by state', async () => {
    const first = await call('GET', '/api/stations?pageSize=25', admin);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 206, page: 1, pageSize: 25, pages: 9, counts: { all: 206, online: 0, offline: 206, playing: 0 } });
    expect(first.body.items).toHaveLength(25);
    const names = first.body.items.map((s: { name: string }) => s.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'zh-CN')));
    const last = await call('GET', '/api/stations?pageSize=50&page=5', admin);
    expect(last.body).toMatchObject({ page: 5, pages: 5 });
    expect(last.body.items).toHaveLength(6);
    // A page past the end answers the last one.
    expect((await call('GET', '/api/stations?pageSize=50&page=99', admin)).body.page).toBe(5);
    // Without pageSize: every station (older callers).
    expect((await call('GET', '/api/stations', admin)).body.items).toHaveLength(206);
  });

  it('searches by name and id, and filters by township, type and state', async () => {
    const byName = await call('GET', `/api/stations?q=${encodeURIComponent('苏公坨村远程教育终端')}`, admin);
    expect(byName.body.items.map((s: { name: string }) => s.name)).toEqual(['苏公坨村远程教育终端站点']);
    const id = byName.body.items[0].id as string;
    expect((await call('GET', `/api/stations?q=${id.slice(0, 10)}`, admin)).body.items.map((s: { id: string }) => s.id)).toContain(id);

    const villages = await call('GET', '/api/stations?type=village&pageSize=25', admin);
    expect(villages.body.total).toBe(151);
    expect(villages.body.items.every((s: { type: string }) => s.type === 'village')).toBe(true);

    // Townships are the committees under the county; their counts add up to 206.
    expect(townships.map((x) => x.name).sort()).toEqual(['县直机关工作委员会', '开通镇党委', '苏公坨乡党委'].sort());
    expect(townships.reduce((n, x) => n + x.count, 0)).toBe(206);
    const su = townships.find((x) => x.name === '苏公坨乡党委')!;
    const inSu = await call('GET', `/api/stations?township=${su.id}&type=household`, admin);
    expect(inSu.body.items.length).toBeGreaterThan(0);
    expect(inSu.body.items.every((s: { unitName: string; type: string }) => ['苏公坨乡人民政府', '苏公坨村党支部'].includes(s.unitName) && s.type === 'household')).toBe(true);

    // State: a station that just called in is online; the counts say so before the state filter.
    t.app.stations.registry.touch(id);
    const online = await call('GET', '/api/stations/dashboard?state=online&pageSize=25', admin);
    expect(online.body.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(online.body.counts).toMatchObject({ all: 206, online: 1, offline: 205 });
    expect(online.body.summary).toMatchObject({ total: 206, online: 1 });
    expect((await call('GET', '/api/stations?state=playing', admin)).body.total).toBe(0);
  });

  it('answers a unit admin only their subtree, and refuses bad filters with 400', async () => {
    const mine = await call('GET', '/api/stations?pageSize=25', unitAdmin);
    expect(mine.body.townships.map((x: { name: string }) => x.name)).toEqual(['苏公坨乡党委']);
    expect(mine.body.total).toBeLessThan(206);
    expect((await call('GET', '/api/stations?state=asleep', admin)).status).toBe(400);
    expect((await call('GET', '/api/stations?pageSize=0', admin)).status).toBe(400);
    expect((await call('GET', '/api/stations?township=nope', admin)).status).toBe(400);
  });
});

describe('scheduling by groups', () => {
  it('previews the conflicts of a township’s stations and saves skipping the stations already booked', async () => {
    const lecture = (await t.app.store.models.Lecture.findOne({ title: '关键在于落实' }).lean<LectureDoc>())!;
    const brief = await call('GET', '/api/stations/brief', admin);
    expect(brief.body.items).toHaveLength(206);
    const su = townships.find((x) => x.name === '苏公坨乡党委')!;
    const group = brief.body.items.filter((s: { townshipId: string }) => s.townshipId === su.id).map((s: { id: string }) => s.id) as string[];
    // Two of them are booked already at that time.
    const startAt = countyAt(3, 3);
    const booked = await call('POST', '/api/timetable', admin, { lectureId: String(lecture._id), startAt, stationIds: group.slice(0, 2) });
    expect(booked.status).toBe(201);

    const preview = await call('POST', '/api/timetable/preview', admin, { lectureId: String(lecture._id), startAt: countyAt(3, 3, 15), stationIds: group });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ stations: group.length, conflictStations: 2 });
    expect(preview.body.conflicts.map((c: { stationId: string }) => c.stationId).sort()).toEqual(group.slice(0, 2).sort());
    expect(preview.body.conflicts[0]).toMatchObject({ sessionId: booked.body.session.id, title: '关键在于落实' });
    expect(preview.body.conflicts[0].stationName).not.toBe('');

    const saved = await call('POST', '/api/timetable', admin, { lectureId: String(lecture._id), startAt: countyAt(3, 3, 15), stationIds: group, skipConflicts: true });
    expect(saved.status).toBe(201);
    expect(saved.body.skipped.sort()).toEqual(group.slice(0, 2).sort());
    expect(saved.body.conflicts).toEqual([]);
    expect(saved.body.session.stationIds).toHaveLength(group.length - 2);

    // All village stations by type, on the server's side too.
    const villages = await call('POST', '/api/timetable/preview', admin, { lectureId: String(lecture._id), startAt: later(60), stationType: 'village' });
    expect(villages.body.stations).toBe(151);
  });
});

describe('bookings of a lecture that is withdrawn or ends early', () => {
  it('cancels the bookings of a withdrawn lecture, warns admins and tells the kiosk', async () => {
    const lecture = (await t.app.store.models.Lecture.findOne({ title: '维稳信访知识专题' }).lean<LectureDoc>())!;
    const stations = (await call('GET', '/api/stations/brief', admin)).body.items.slice(0, 5).map((s: { id: string }) => s.id) as string[];
    const s = await call('POST', '/api/timetable', admin, { lectureId: String(lecture._id), startAt: countyAt(3, 5), stationIds: stations });
    expect(s.body.session.status).toBe('scheduled');

    const withdrawn = await call('POST', `/api/lectures/${String(lecture._id)}/withdraw`, admin);
    expect(withdrawn.status).toBe(200);
    await expect.poll(() => t.app.stations.timetable.get(s.body.session.id)?.status).toBe('cancelled');
    const warnings = await call('GET', '/api/timetable/warnings', admin);
    expect(warnings.body.items).toEqual([expect.objectContaining({ stations: 5, session: expect.objectContaining({ id: s.body.session.id, status: 'cancelled', statusReason: 'withdrawn' }) })]);
    // Stored: a restart keeps it.
    expect((await t.app.store.models.Timetable.findById(s.body.session.id).lean())?.status).toBe('cancelled');
    // A cancelled booking holds no station: the same stations at the same time have no conflict.
    const other = (await t.app.store.models.Lecture.findOne({ title: '关键在于落实' }).lean<LectureDoc>())!;
    const preview = await call('POST', '/api/timetable/preview', admin, { lectureId: String(other._id), startAt: countyAt(3, 5), stationIds: stations });
    expect(preview.body.conflictStations).toBe(0);
    // The kiosk sees it as cancelled (and does not wait for it).
    const pairing = await call('POST', `/api/stations/${stations[0]}/pairing`, admin);
    const paired = await t.app.inject({ method: 'POST', url: '/api/stations/pair', payload: { code: pairing.body.code } });
    const cookie = `station=${paired.cookies.find((c) => c.name === 'station')!.value}`;
    const state = await call('GET', '/api/kiosk/state', cookie);
    expect(state.body.sessions.find((x: { id: string }) => x.id === s.body.session.id)).toMatchObject({ status: 'cancelled' });

    // Published again: the booking comes back.
    await call('POST', `/api/lectures/${String(lecture._id)}/publish`, admin);
    await expect.poll(() => t.app.stations.timetable.get(s.body.session.id)?.status).toBe('scheduled');
  });

  it('marks the bookings of a live lecture that ended early as ended', async () => {
    const { Lecture } = t.app.store.models;
    const live = await Lecture.create({ title: '吉林大学学者讲坛（直播）：基层治理', category: 'service', state: 'published', kind: 'live', lecturer: '刘教授', live: { scheduledAt: new Date(Date.now() + 3600_000), state: 'scheduled' } });
    const stations = (await call('GET', '/api/stations/brief', admin)).body.items.slice(10, 16).map((s: { id: string }) => s.id) as string[];
    const s = await call('POST', '/api/timetable', admin, { lectureId: String(live._id), startAt: new Date(Date.now() - 10 * 60_000).toISOString(), stationIds: stations, durationSec: 5400 });
    expect(s.status).toBe(201);
    // The live service ends it (live.service.ts end()): the lecture is stored ended and the catalog told.
    const endedAt = new Date();
    await Lecture.updateOne({ _id: live._id }, { $set: { 'live.state': 'ended', 'live.endedAt': endedAt, durationSec: 600 } });
    t.app.catalog.changed((await Lecture.findById(live._id).lean<LectureDoc>())!);
    await expect.poll(() => t.app.stations.timetable.get(s.body.session.id)?.status).toBe('ended');
    const warnings = (await call('GET', '/api/timetable/warnings', admin)).body.items;
    const w = warnings.find((x: { session: { id: string } }) => x.session.id === s.body.session.id);
    expect(w).toMatchObject({ stations: 6, session: { status: 'ended', statusReason: 'live-ended', statusAt: endedAt.toISOString() } });
    const day = await call('GET', `/api/timetable?stationId=${stations[0]}`, admin);
    expect(day.body.items.find((x: { id: string }) => x.id === s.body.session.id)).toMatchObject({ status: 'ended' });
  });
});
