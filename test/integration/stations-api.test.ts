/**
 * Terminal stations over HTTP on the real store: pairing and revocation, the timetable and its
 * conflicts, check-ins (QR, operator, two stations at once), station media and playback, the
 * offline batch accepted once, calendar feeds, statistics with the Excel export, the dashboard,
 * and a kiosk socket joining a live lecture scheduled to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { io as connect } from 'socket.io-client';
import type { Types } from 'mongoose';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let cadre: string;
let cadreId: string;
let units: Map<string, Types.ObjectId>;
let lectureId: string;
let otherLectureId: string;
let liveLectureId: string;

type Res = { status: number; body: any; cookies: { name: string; value: string; httpOnly?: boolean; maxAge?: number }[]; headers: Record<string, unknown>; raw: Buffer };
async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, cookie?: string, payload?: unknown): Promise<Res> {
  const res = await t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  let body: unknown;
  try {
    body = res.json();
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, cookies: res.cookies as Res['cookies'], headers: res.headers, raw: res.rawPayload };
}

/** A published lecture whose HLS is a handful of tiny files in storage (only bytes are served). */
async function fakeLecture(title: string, segments: number) {
  const { Lecture } = t.app.store.models;
  const doc = await Lecture.create({ title, category: 'implementation', state: 'published', kind: 'recorded', durationSec: 600, creditHours: 1, lecturer: '县委党校', media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  const prefix = `lectures/${String(doc._id)}/hls`;
  const put = (rel: string, text: string) => {
    const p = t.app.storage.path(`${prefix}/${rel}`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  put('master.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000,RESOLUTION=320x240\nv0/index.m3u8\n');
  put('v0/index.m3u8', ['#EXTM3U', '#EXT-X-TARGETDURATION:4', ...Array.from({ length: 150 }, (_, i) => `#EXTINF:4,\nseg_${i}.ts`), '#EXT-X-ENDLIST'].join('\n'));
  for (let i = 0; i < segments; i++) put(`v0/seg_${i}.ts`, `segment ${i}`);
  await Lecture.updateOne({ _id: doc._id }, { $set: { 'media.prefix': prefix } });
  return String(doc._id);
}

async function newStation(name: string, type: string, unit: string) {
  const r = await call('POST', '/api/stations', admin, { name, type, unitId: String(units.get(unit)), address: '通榆县', contact: { name: '站长', phone: '0436-1234567' } });
  expect(r.status).toBe(201);
  return r.body as { id: string; name: string };
}

async function pair(stationId: string): Promise<string> {
  const code = await call('POST', `/api/stations/${stationId}/pairing`, admin);
  expect(code.status).toBe(200);
  const r = await call('POST', '/api/stations/pair', undefined, { code: code.body.code });
  expect(r.status).toBe(200);
  const c = r.cookies.find((x) => x.name === 'station')!;
  return `station=${c.value}`;
}

async function schedule(lecture: string, stationIds: string[], startAt: number, extra: object = {}) {
  return call('POST', '/api/timetable', admin, { lectureId: lecture, startAt: new Date(startAt).toISOString(), stationIds, ...extra });
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  units = seeded.unitIds;
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  cadreId = String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
  lectureId = await fakeLecture('关键在于落实', 30);
  otherLectureId = await fakeLecture('维稳信访知识专题', 2);
  const live = await t.app.store.models.Lecture.create({ title: '清华大学论坛（直播）', category: 'development', state: 'published', kind: 'live', lecturer: '刘教授', live: { scheduledAt: new Date(), state: 'scheduled' } });
  liveLectureId = String(live._id);
}, 60_000);
afterAll(() => t?.close());

describe('pairing and revocation', () => {
  it('pairs a kiosk with a one-time code that works once', async () => {
    const st = await newStation('苏公坨村远程教育站', 'village', '苏公坨村党支部');
    const first = await call('POST', `/api/stations/${st.id}/pairing`, admin);
    expect(first.body.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(first.body.pairUrl).toBe(`/kiosk?code=${first.body.code}`);
    expect(first.body.qrSvg).toContain('<svg');
    // A new code replaces the first one.
    const second = await call('POST', `/api/stations/${st.id}/pairing`, admin);
    expect((await call('POST', '/api/stations/pair', undefined, { code: first.body.code })).body.error.code).toBe('PAIRING_CODE_INVALID');
    const paired = await call('POST', '/api/stations/pair', undefined, { code: second.body.code.toLowerCase() });
    expect(paired.status).toBe(200);
    expect(paired.body.station).toMatchObject({ id: st.id, name: '苏公坨村远程教育站', type: 'village', unitName: '苏公坨村党支部' });
    const cookie = paired.cookies.find((c) => c.name === 'station')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.maxAge).toBeGreaterThan(4 * 365 * 86400);
    const again = await call('POST', '/api/stations/pair', undefined, { code: second.body.code });
    expect(again).toMatchObject({ status: 400, body: { error: { code: 'PAIRING_CODE_INVALID' } } });
    const state = await call('GET', '/api/kiosk/state', `station=${cookie.value}`);
    expect(state.status).toBe(200);
    expect(state.body.station.name).toBe('苏公坨村远程教育站');
    const list = await call('GET', '/api/stations', admin);
    expect(list.body.items.find((s: any) => s.id === st.id)).toMatchObject({ paired: true, online: true, present: 0 });
  });

  it('refuses an expired code with 410 and a kiosk without a cookie with STATION_UNPAIRED', async () => {
    const st = await newStation('开通镇机关站', 'agency', '开通镇人民政府');
    const code = await call('POST', `/api/stations/${st.id}/pairing`, admin);
    await t.app.store.models.PairingCode.updateOne({ _id: code.body.code }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await call('POST', '/api/stations/pair', undefined, { code: code.body.code })).toMatchObject({ status: 410, body: { error: { code: 'PAIRING_CODE_EXPIRED' } } });
    expect(await call('GET', '/api/kiosk/state')).toMatchObject({ status: 401, body: { error: { code: 'STATION_UNPAIRED' } } });
  });

  it('stops a revoked or disabled station at its next request', async () => {
    const st = await newStation('兴隆社区站', 'community', '兴隆社区党委');
    const cookie = await pair(st.id);
    expect((await call('GET', '/api/kiosk/state', cookie)).status).toBe(200);
    const revoked = await call('POST', `/api/stations/${st.id}/revoke`, admin);
    expect(revoked.body).toMatchObject({ paired: false });
    expect(await call('GET', '/api/kiosk/state', cookie)).toMatchObject({ status: 401, body: { error: { code: 'STATION_UNPAIRED' } } });
    const again = await pair(st.id);
    await call('PATCH', `/api/stations/${st.id}`, admin, { disabled: true });
    expect((await call('GET', '/api/kiosk/state', again)).body.error.code).toBe('STATION_UNPAIRED');
    await call('PATCH', `/api/stations/${st.id}`, admin, { disabled: false });
    expect((await call('GET', '/api/kiosk/state', again)).status).toBe(200);
  });

  it('lets a unit admin manage only the stations of their subtree', async () => {
    const unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
    const mine = await call('GET', '/api/stations', unitAdmin);
    expect(mine.body.items.map((s: any) => s.unitName)).toEqual(['苏公坨村党支部']);
    const outside = await call('POST', '/api/stations', unitAdmin, { name: '县委组织部站', type: 'agency', unitId: String(units.get('县委组织部')) });
    expect(outside.status).toBe(403);
    expect((await call('GET', '/api/stations', cadre)).status).toBe(403);
  });
});

describe('air classroom', () => {
  let a: { id: string };
  let b: { id: string };
  let idle: { id: string };
  let ca: string;
  let cb: string;
  let cidle: string;
  let sessionA: string;
  let sessionB: string;
  const now = Date.now();

  beforeAll(async () => {
    a = await newStation('瞻榆镇乡镇站', 'township', '苏公坨乡人民政府');
    b = await newStation('向海乡农户站', 'household', '苏公坨村党支部');
    idle = await newStation('双岗镇村级站', 'village', '开通镇人民政府');
    [ca, cb, cidle] = [await pair(a.id), await pair(b.id), await pair(idle.id)];
    sessionA = (await schedule(lectureId, [a.id], now - 60_000)).body.session.id;
    sessionB = (await schedule(otherLectureId, [b.id, idle.id], now - 60_000)).body.session.id;
  });

  it('lists conflicts at a same station, and rejects them when asked', async () => {
    const overlapping = await schedule(otherLectureId, [a.id], now + 5 * 60_000);
    expect(overlapping.status).toBe(201);
    expect(overlapping.body.conflicts).toEqual([{ sessionId: sessionA, stationId: a.id, title: '关键在于落实' }]);
    const rejected = await schedule(otherLectureId, [a.id], now + 5 * 60_000, { rejectConflicts: true });
    expect(rejected).toMatchObject({ status: 409, body: { error: { code: 'SCHEDULE_CONFLICT' } } });
    const list = await call('GET', `/api/timetable?stationId=${a.id}`, admin);
    expect(list.body.items.find((s: any) => s.id === sessionA).conflicts).toHaveLength(1);
    expect((await call('DELETE', `/api/timetable/${overlapping.body.session.id}`, admin)).status).toBe(204);
    expect((await call('GET', `/api/timetable?stationId=${a.id}`, admin)).body.items.find((s: any) => s.id === sessionA).conflicts).toEqual([]);
    // A group: every household station.
    const group = await schedule(lectureId, [], now + 3 * 24 * 3600_000, { stationType: 'household' });
    expect(group.body.session.stationIds).toEqual([b.id]);
    const back = await schedule(lectureId, [a.id], now + 9 * 60_000); // starts when A's session ends: no conflict
    expect(back.body.conflicts).toEqual([]);
    await call('DELETE', `/api/timetable/${back.body.session.id}`, admin);
    // The station reads its own timetable.
    expect((await call('GET', '/api/timetable', ca)).body.items.map((s: any) => s.id)).toEqual([sessionA]);
  });

  it('checks learners in by QR and by username, one station at a time', async () => {
    const code = await call('GET', '/api/kiosk/checkin-code', ca);
    expect(code.status).toBe(200);
    expect(code.body).toMatchObject({ sessionId: sessionA, url: `/checkin?t=${code.body.token}` });
    expect(code.body.qrSvg).toContain('<svg');
    expect(code.body.expiresInSec).toBeLessThanOrEqual(30);
    const ok = await call('POST', '/api/checkin', cadre, { token: code.body.token });
    expect(ok.body).toEqual({
      ok: true,
      action: 'checkin',
      station: { id: a.id, name: '瞻榆镇乡镇站' },
      session: { id: sessionA, title: '关键在于落实' },
      // Which evidence counts: this scan for 30 minutes (or to the end); the phone is on the station's network.
      evidence: { rescanMinutes: 30, until: expect.any(String), evidencedSec: 0, network: 'station' },
    });
    // A phone elsewhere: accepted, told so (and flagged for review).
    const away = await t.app.inject({ method: 'POST', url: '/api/checkin', headers: { cookie: cadre }, remoteAddress: '198.51.100.8', payload: { token: code.body.token } });
    expect(away.json()).toMatchObject({ ok: true, action: 'rescan', evidence: { network: 'other' } });
    expect(await t.app.store.models.StudyFlag.countDocuments({ kind: 'checkin-foreign-network', userId: cadreId as never })).toBe(1);
    // The same code with another station's id in it: refused.
    const forged = code.body.token.replace(a.id, b.id);
    expect(await call('POST', '/api/checkin', cadre, { token: forged })).toMatchObject({ status: 400, body: { error: { code: 'CHECKIN_INVALID' } } });
    // The operator at B cannot pull the cadre out of A.
    const operator = await call('POST', '/api/kiosk/checkin', cb, { username: 'cadre' });
    expect(operator).toMatchObject({ status: 409, body: { error: { code: 'AT_OTHER_STATION', details: { stationId: a.id } } } });
    expect((await call('POST', '/api/kiosk/checkin', cb, { username: 'nobody' })).body.error.code).toBe('USER_NOT_FOUND');
    // Scanning B's code proves the cadre is at B now: checked out of A, in at B.
    const atB = await call('POST', '/api/checkin', cadre, { token: (await call('GET', '/api/kiosk/checkin-code', cb)).body.token });
    expect(atB.body).toMatchObject({ ok: true, station: { id: b.id }, movedFrom: { id: a.id } });
    expect((await call('GET', '/api/kiosk/state', ca)).body.present).toEqual([]);
    expect((await call('GET', '/api/kiosk/state', cb)).body.present).toMatchObject([{ userId: cadreId, name: '张伟' }]);
    // Checked out at B, the operator at A may check the cadre in again.
    expect((await call('POST', '/api/kiosk/checkout', cb, { userId: cadreId })).body).toEqual({ ok: true });
    expect((await call('POST', '/api/kiosk/checkin', ca, { username: 'cadre' })).body).toMatchObject({ ok: true, user: { id: cadreId, name: '张伟' }, sessionId: sessionA });
    // A station without a session on has no code.
    const none = await newStation('鸿兴镇村级站', 'village', '开通镇人民政府');
    expect(await call('GET', '/api/kiosk/checkin-code', await pair(none.id))).toMatchObject({ status: 409, body: { error: { code: 'NO_SESSION' } } });
  });

  it('serves a station its scheduled media by its cookie and opens the replay where it should be', async () => {
    const state = await call('GET', '/api/kiosk/state', ca);
    expect(state.body.current).toBe(sessionA);
    const s = state.body.sessions.find((x: any) => x.id === sessionA);
    expect(s).toMatchObject({ kind: 'replay', title: '关键在于落实', masterUrl: `/media/station/${lectureId}/master.m3u8` });
    // Prefetch: the kiosk fetches the replay before playing it.
    expect((await call('GET', s.masterUrl, ca)).status).toBe(200);
    for (let i = 0; i < 30; i++) expect((await call('GET', `/media/station/${lectureId}/v0/seg_${i}.ts`, ca)).status).toBe(200);
    expect((await call('GET', s.masterUrl)).status).toBe(401);
    expect(await call('GET', `/media/station/${otherLectureId}/master.m3u8`, ca)).toMatchObject({ status: 403, body: { error: { code: 'NOT_SCHEDULED_HERE' } } });
    const pb = await call('POST', '/api/kiosk/playback', ca, { sessionId: sessionA });
    expect(pb.status).toBe(200);
    expect(pb.body).toMatchObject({ live: false, sessionId: sessionA, masterUrl: s.masterUrl, durationSec: 600, heartbeatSec: 15, counting: true });
    expect(pb.body.offsetSec).toBeGreaterThanOrEqual(59);
    expect(pb.body.offsetSec).toBeLessThan(120);
    expect((await call('POST', '/api/kiosk/playback', cb, { sessionId: sessionA })).status).toBe(404);
    // A replay coming in two days may be opened now (the kiosk prefetches under it); one that is over may not.
    const later = (await schedule(lectureId, [a.id], Date.now() + 2 * 24 * 3600_000)).body.session.id;
    expect((await call('POST', '/api/kiosk/playback', ca, { sessionId: later })).body).toMatchObject({ live: false, offsetSec: 0, masterUrl: s.masterUrl });
    const over = (await schedule(lectureId, [a.id], Date.now() - 2 * 3600_000)).body.session.id;
    expect(await call('POST', '/api/kiosk/playback', ca, { sessionId: over })).toMatchObject({ status: 409, body: { error: { code: 'NOT_IN_SESSION' } } });
    // Heartbeats answer like a viewer's, per playback.
    const beat = (seq: number, event: string) => ({ playbackId: pb.body.playbackId, seq, position: pb.body.offsetSec, rate: 1, playing: true, visible: true, event, clientAt: Date.now() });
    const hb = await call('POST', '/api/kiosk/heartbeats', ca, { beats: [beat(1, 'play')] });
    expect(hb.body).toMatchObject({ acks: [{ playbackId: pb.body.playbackId, seq: 1 }], sessions: { [pb.body.playbackId]: { counting: true, present: 1 } } });
    expect((await call('POST', '/api/kiosk/heartbeats', cb, { beats: [beat(2, 'tick')] })).body.sessions[pb.body.playbackId]).toMatchObject({ counting: false, reason: 'unknown-session' });
    // The kiosk lost power: its playback ends (a new one takes the station's counting place).
    expect((await call('POST', '/api/kiosk/heartbeats', ca, { beats: [{ ...beat(2, 'end'), playing: false }] })).status).toBe(200);
  });

  it('accepts an offline batch once: sending it twice changes nothing', async () => {
    const { User, StationRun, Progress, Playback } = t.app.store.models;
    const learner = await User.create({ username: 'offline1', displayName: '离线学员', passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: units.get('苏公坨村党支部') });
    const learnerId = String(learner._id);
    const pid = 'offline-a-0001';
    const start = now - 50_000;
    // The kiosk played from its cache while offline: beats every 5 s from 10 s into the replay.
    const beats = Array.from({ length: 9 }, (_, i) => ({ playbackId: pid, sessionId: sessionA, seq: i + 1, position: 10 + i * 5, rate: 1, playing: true, visible: true, event: i === 0 ? 'play' : 'tick', clientAt: start + i * 5000 }));
    const body = {
      beats,
      checkins: [
        { key: 'k1', username: 'offline1', at: start - 1000, sessionId: sessionA },
        { key: 'k2', username: 'offline1', at: now - 3 * 3600_000, sessionId: sessionA },
        { key: 'k3', username: 'ghost', at: start, sessionId: sessionA },
        { key: 'k4', userId: learnerId, at: start, sessionId: sessionB },
      ],
    };
    const first = await call('POST', '/api/kiosk/sync', ca, body);
    expect(first.status).toBe(200);
    expect(first.body.checkins).toEqual([
      { key: 'k2', ok: false, code: 'NOT_IN_SESSION' },
      { key: 'k1', ok: true },
      { key: 'k3', ok: false, code: 'USER_NOT_FOUND' },
      { key: 'k4', ok: false, code: 'SESSION_NOT_FOUND' },
    ]);
    expect(first.body.acks).toHaveLength(9);
    expect(first.body.sessions[pid]).toMatchObject({ counting: true, coveredSec: 40 });
    // An offline check-in evidences its moment only: the learner earns once the operator confirms the roster.
    expect((await t.app.study.progressOf(learnerId, lectureId)).coveredSec).toBe(0);
    const roster = await call('GET', `/api/kiosk/roster?sessionId=${sessionA}`, ca);
    expect(roster.body.learners.find((l: any) => l.userId === learnerId)).toMatchObject({ name: '离线学员', evidencedSec: 0, present: true });
    const confirmed = await call('POST', '/api/kiosk/roster', ca, { sessionId: sessionA, userIds: [learnerId] });
    expect(confirmed.body.confirmed).toMatchObject([{ userId: learnerId, newSec: 40 }]);
    expect((await call('POST', '/api/kiosk/roster', cb, { sessionId: sessionA, userIds: [learnerId] })).status).toBe(404);
    // An admin sees the same roster (a cadre may not); confirming again there adds nothing.
    expect((await call('GET', `/api/stations/${a.id}/roster?sessionId=${sessionA}`, admin)).body.learners.find((l: any) => l.userId === learnerId)).toMatchObject({ evidencedSec: expect.any(Number), confirmedAt: expect.any(String) });
    expect((await call('GET', `/api/stations/${a.id}/roster`, cadre)).status).toBe(403);
    expect((await call('POST', `/api/stations/${a.id}/roster`, admin, { sessionId: sessionA, userIds: [learnerId] })).body.confirmed).toMatchObject([{ userId: learnerId, newSec: 0 }]);
    const progress = await t.app.study.progressOf(learnerId, lectureId);
    expect(progress.coveredSec).toBeCloseTo(40, 5);
    await t.app.stations.flush();
    await t.app.study.checkpoint();
    const snapshot = async () => ({
      run: await StationRun.findById(`${sessionA}:${a.id}`).lean(),
      progress: await Progress.findById(`${learnerId}:${lectureId}`).lean(),
      playback: await Playback.findById(pid).lean(),
      days: await t.app.store.models.StationDay.find({}).lean(),
    });
    const before = await snapshot();
    const second = await call('POST', '/api/kiosk/sync', ca, body);
    expect(second.body.checkins).toEqual(first.body.checkins);
    expect(second.body.acks).toHaveLength(9);
    await t.app.stations.flush();
    await t.app.study.checkpoint();
    expect(await snapshot()).toEqual(before);
    expect((await t.app.study.progressOf(learnerId, lectureId)).coveredSec).toBeCloseTo(40, 5);
  });

  it('feeds calendars behind keyed links', async () => {
    const links = await call('GET', '/api/calendar/links', cadre);
    expect(links.body.user).toMatch(/\/api\/calendar\/user\/[0-9a-f]{24}\.ics\?key=/);
    expect(links.body.stations.map((s: any) => s.id)).toEqual(expect.arrayContaining([b.id]));
    const feed = await call('GET', new URL(links.body.user).pathname + new URL(links.body.user).search);
    expect(feed.status).toBe(200);
    expect(String(feed.headers['content-type'])).toContain('text/calendar');
    const text = feed.raw.toString('utf8');
    expect(text).toContain('BEGIN:VCALENDAR');
    expect(text).toContain('BEGIN:VEVENT');
    expect(text).toContain('SUMMARY:维稳信访知识专题');
    const forged = new URL(links.body.user);
    forged.searchParams.set('key', 'x'.repeat(22));
    expect((await call('GET', forged.pathname + forged.search)).body.error.code).toBe('CALENDAR_KEY_INVALID');
    const own = await call('GET', '/api/calendar/links', ca);
    expect(own.body.stations).toHaveLength(1);
    const stationFeed = await call('GET', new URL(own.body.stations[0].url).pathname + new URL(own.body.stations[0].url).search);
    expect(stationFeed.raw.toString('utf8')).toContain('SUMMARY:关键在于落实');
    const mine = await call('GET', '/api/timetable/mine', cadre);
    expect(mine.body.items.map((s: any) => s.id)).toContain(sessionB);
  });

  it('counts sessions held, person-times and learner hours, and exports them to Excel', async () => {
    await t.app.stations.flush();
    const stats = await call('GET', '/api/stations/stats?groupBy=station', admin);
    expect(stats.status).toBe(200);
    const rowA = stats.body.rows.find((r: any) => r.key === a.id);
    expect(rowA).toMatchObject({ label: '瞻榆镇乡镇站', sessions: 1, personTimes: 2 });
    expect(rowA.learnerHours).toBeCloseTo(0, 1);
    expect(stats.body.rows.find((r: any) => r.key === b.id)).toMatchObject({ sessions: 0, personTimes: 1 });
    expect(stats.body.totals).toMatchObject({ sessions: 1, stations: 1, personTimes: 3 });
    const byType = await call('GET', '/api/stations/stats?groupBy=type', admin);
    expect(byType.body.rows.map((r: any) => r.label)).toEqual(['乡镇站点', '农户站点']);
    const xlsx = await call('GET', '/api/stations/stats.xlsx?groupBy=type', admin);
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.raw as never);
    const ws = wb.getWorksheet('空中课堂统计')!;
    expect(ws.getRow(1).values).toEqual([undefined, '站点类型', '场次', '站点数', '人次', '学习时长(小时)']);
    expect(ws.getRow(2).getCell(1).value).toBe('乡镇站点');
    expect(ws.getRow(4).getCell(1).value).toBe('合计');
    expect(ws.getRow(4).getCell(4).value).toBe(3);
  });

  it('flags stations offline during a session on the dashboard', async () => {
    t.app.stations.registry.get(idle.id)!.lastSeenAt = Date.now() - 10 * 60_000;
    const dash = await call('GET', '/api/stations/dashboard', admin);
    expect(dash.status).toBe(200);
    const item = dash.body.items.find((i: any) => i.id === idle.id);
    expect(item).toMatchObject({ online: false, flags: ['offline-during-session'], current: { id: sessionB } });
    expect(dash.body.items[0].id).toBe(idle.id);
    expect(dash.body.items.find((i: any) => i.id === a.id)).toMatchObject({ online: true, flags: [], present: 2, nowPlaying: { sessionId: sessionA } });
    expect(dash.body.summary).toMatchObject({ offlineDuringSession: 1, playing: 1 });
    void cidle;
  });

  it('lets a kiosk socket join, as a viewer, only a live lecture scheduled to it now', async () => {
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const liveSession = await schedule(liveLectureId, [b.id], Date.now() - 30_000, { durationSec: 3600 });
    expect(liveSession.body.session.kind).toBe('live');
    const pb = await call('POST', '/api/kiosk/playback', cb, { sessionId: liveSession.body.session.id });
    expect(pb.body).toMatchObject({ live: true, lectureId: liveLectureId, state: 'scheduled' });
    const join = async (cookie: string) => {
      const socket = connect(url, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie } });
      try {
        return await socket.timeout(10_000).emitWithAck('live:join', { lectureId: liveLectureId, playbackId: pb.body.playbackId });
      } finally {
        socket.disconnect();
      }
    };
    const ok = await join(cb);
    expect(ok).toMatchObject({ ok: true, you: { role: 'viewer', name: '向海乡农户站' }, title: '清华大学论坛（直播）' });
    expect((await join(ca)).error.code).toBe('FORBIDDEN');
  });
});
