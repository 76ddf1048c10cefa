/**
 * A check-in the kiosk queued while its link was down (or black-holed) and delivered late counts
 * from when it was made, as far as the server can corroborate from the station's own clock
 * readings (the check-in's age), never after it arrived, and once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let station: string;
let sessionId: string;
let learnerId: string;

async function call(method: 'GET' | 'POST', url: string, cookie: string | undefined, payload?: object) {
  const res = await t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as any, cookies: res.cookies };
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  const { Lecture, User } = t.app.store.models;
  const lecture = await Lecture.create({ title: '关键在于落实', category: 'implementation', state: 'published', kind: 'recorded', durationSec: 600, creditHours: 1, lecturer: '县委党校', media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  const unitId = String(seeded.unitIds.get('苏公坨村党支部'));
  const created = await call('POST', '/api/stations', admin, { name: '苏公坨村级站', type: 'village', unitId });
  const code = await call('POST', `/api/stations/${created.body.id}/pairing`, admin);
  const paired = await call('POST', '/api/stations/pair', undefined, { code: code.body.code });
  station = `station=${paired.cookies.find((c) => c.name === 'station')!.value}`;
  const scheduled = await call('POST', '/api/timetable', admin, { lectureId: String(lecture._id), startAt: new Date(Date.now() - 120_000).toISOString(), stationIds: [created.body.id] });
  sessionId = scheduled.body.session.id;
  for (const username of ['late1', 'late2']) {
    const u = await User.create({ username, displayName: `学员${username}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: seeded.unitIds.get('苏公坨村党支部') });
    if (username === 'late1') learnerId = String(u._id);
  }
}, 60_000);
afterAll(() => t?.close());

const checkedInAt = async (userId: string) => {
  const roster = await call('GET', `/api/kiosk/roster?sessionId=${sessionId}`, station);
  const rows = roster.body.learners.filter((l: any) => l.userId === userId);
  expect(rows).toHaveLength(1);
  return Date.parse(rows[0].checkedInAt);
};

describe('late-delivered check-ins', () => {
  it('credits a check-in from when it was made by the station clock, once', async () => {
    // The station's clock is an hour slow; the check-in was made 50 s before the batch was sent.
    const skew = -3600_000;
    const madeAt = Date.now() - 50_000;
    const body = { beats: [], sentClock: Date.now() + skew, checkins: [{ key: 'late-k1', username: 'late1', sessionId, at: madeAt, clock: madeAt + skew }] };
    const first = await call('POST', '/api/kiosk/sync', station, body);
    expect(first.body.checkins).toEqual([{ key: 'late-k1', ok: true }]);
    const at = await checkedInAt(learnerId);
    expect(Math.abs(at - madeAt)).toBeLessThan(3000);
    const again = await call('POST', '/api/kiosk/sync', station, { ...body, sentClock: Date.now() + skew });
    expect(again.body.checkins).toEqual(first.body.checkins);
    expect(await checkedInAt(learnerId)).toBe(at);
  });

  it('credits no earlier than the station clock corroborates, and never after receipt', async () => {
    const late2 = String((await t.app.store.models.User.findOne({ username: 'late2' }).lean())!._id);
    // The station claims 100 s ago; its own clock says the check-in is 20 s old.
    const claimed = Date.now() - 100_000;
    const sentClock = 5_000_000;
    const r = await call('POST', '/api/kiosk/sync', station, { beats: [], sentClock, checkins: [{ key: 'late-k2', username: 'late2', sessionId, at: claimed, clock: sentClock - 20_000 }] });
    expect(r.body.checkins).toEqual([{ key: 'late-k2', ok: true }]);
    const at = await checkedInAt(late2);
    expect(at).toBeGreaterThan(Date.now() - 25_000);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('refuses a check-in made before the session could be checked into', async () => {
    const old = Date.now() - 3 * 3600_000;
    const r = await call('POST', '/api/kiosk/sync', station, { beats: [], sentClock: old + 3 * 3600_000, checkins: [{ key: 'late-k3', username: 'late1', sessionId, at: old, clock: old }] });
    expect(r.body.checkins).toEqual([{ key: 'late-k3', ok: false, code: 'NOT_IN_SESSION' }]);
  });
});
