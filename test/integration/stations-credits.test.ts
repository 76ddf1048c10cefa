/**
 * Group attendance with a controlled clock on the real store: the rotating check-in code (valid
 * in its window and the next, expired after, only at its station and during its session), one
 * station at a time, and credits per learner equal to the time their presence was evidenced
 * (scans, re-scans, the operator's roster confirmation) while the station played, through the
 * study engine's progress and ledger (source 'station'). Scans evidence RESCAN minutes here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Types } from 'mongoose';
import { seedDemo } from '../../server/seed/demo';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import { AttendanceService } from '../../server/modules/stations/attendance.service';
import { StationService, type StationEntry } from '../../server/modules/stations/stations.service';
import { TimetableService } from '../../server/modules/stations/timetable.service';
import { signCheckin, windowOf } from '../../server/modules/stations/station-rules';
import type { UserDoc } from '../../server/modules/users/user.model';
import { build, type TestApp } from '../helpers/build';

const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0); // 16:00 in the county; a 30-s window boundary
const MIN = 60_000;
const RESCAN = 4; // minutes a scan evidences presence

let t: TestApp;
let clock = T0;
let engine: StudyEngine;
let registry: StationService;
let timetable: TimetableService;
let attendance: AttendanceService;
let orgAdmin: UserDoc;
let lectureId: string;
let one: StationEntry;
let two: StationEntry;
let n = 0;

async function learner(): Promise<UserDoc> {
  const doc = await t.app.store.models.User.create({ username: `learner${++n}`, displayName: `学员${n}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: orgAdmin.orgUnitId });
  return doc.toObject() as UserDoc;
}

async function station(name: string): Promise<StationEntry> {
  const s = await registry.create(orgAdmin, { name, type: 'village', unitId: String(orgAdmin.orgUnitId) });
  const { code } = await registry.createPairing(orgAdmin, s.id);
  return (await registry.pair(code)).station;
}

async function session(startAt: number, stationIds: string[]) {
  return (await timetable.create(orgAdmin, { lectureId, startAt: new Date(startAt).toISOString(), stationIds })).session.id;
}

const code = async (s: StationEntry) => (await attendance.checkinCode(s, 'http://portal.test')).token;

beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  const { models } = t.app.store;
  orgAdmin = (await models.User.findOne({ username: 'orgadmin' }).lean<UserDoc>())!;
  const l = await models.Lecture.create({ title: '开设红色课堂：党史党性教育', category: 'party-history', state: 'published', durationSec: 600, creditHours: 2, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  lectureId = String(l._id);
  const now = () => clock;
  engine = new StudyEngine(models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, now);
  registry = new StationService(models, t.app.config.stations, now);
  await registry.load();
  timetable = new TimetableService(models, registry, now);
  attendance = new AttendanceService({ models, engine, registry, timetable, secret: 'test-checkin-secret', cfg: { ...t.app.config.stations, rescanMinutes: RESCAN, heartbeatSec: 15 }, liveState: () => undefined, calendar: t.app.calendar, log: silent, now });
  clock = T0 - 60 * MIN;
  one = await station('苏公坨村一号站');
  two = await station('苏公坨村二号站');
}, 60_000);
afterAll(async () => {
  await engine?.close();
  await t?.close();
});

describe('the rotating check-in code', () => {
  let s1: string;
  beforeAll(async () => {
    s1 = await session(T0, [one.id]);
    await session(T0, [two.id]);
  });

  it('is refused before the session opens for check-in', async () => {
    clock = T0 - 11 * MIN;
    await expect(attendance.checkinCode(one, 'http://portal.test')).rejects.toMatchObject({ code: 'NO_SESSION' });
  });

  it('is valid in its 30-s window and the next one, and expired after', async () => {
    clock = T0 - 5 * MIN;
    const token = await code(one);
    clock += 30_000; // the code on screen has rotated; a scan of the old one still works
    await expect(attendance.checkinWithToken(await learner(), token)).resolves.toMatchObject({ ok: true, station: { id: one.id }, session: { id: s1 } });
    clock += 30_000;
    await expect(attendance.checkinWithToken(await learner(), token)).rejects.toMatchObject({ code: 'CHECKIN_EXPIRED', statusCode: 410 });
    const fresh = await code(one);
    expect(fresh).not.toBe(token);
    await expect(attendance.checkinWithToken(await learner(), fresh)).resolves.toMatchObject({ ok: true });
  });

  it('is only valid at its station, and only during its session', async () => {
    clock = T0 + MIN;
    // A correctly signed code naming station two with station one's session: not a session of station two.
    const wrong = signCheckin({ stationId: two.id, sessionId: s1, window: windowOf(clock) }, 'test-checkin-secret');
    await expect(attendance.checkinWithToken(await learner(), wrong)).rejects.toMatchObject({ code: 'CHECKIN_INVALID', statusCode: 400 });
    clock = T0 + 10 * MIN - 5_000; // 5 s before the end
    const late = await code(one);
    clock = T0 + 10 * MIN + 10_000; // scanned after the end, still in the code's windows
    await expect(attendance.checkinWithToken(await learner(), late)).rejects.toMatchObject({ code: 'NOT_IN_SESSION', statusCode: 409 });
  });

  it('keeps a learner at one station at a time', async () => {
    clock = T0 + 2 * MIN;
    const u = await learner();
    await attendance.operatorCheckin(one, u.username);
    await expect(attendance.operatorCheckin(two, u.username)).rejects.toMatchObject({ code: 'AT_OTHER_STATION', statusCode: 409 });
    clock += 10_000;
    const offline = await attendance.sync(two, { beats: [], checkins: [{ key: 'x1', username: u.username, at: clock - 5000, sessionId: (timetable.current(two.id, clock))!.id }] });
    expect(offline.checkins).toEqual([{ key: 'x1', ok: false, code: 'AT_OTHER_STATION' }]);
    // Scanning station two's code moves them: out of one, into two.
    const moved = await attendance.checkinWithToken(u, await code(two));
    expect(moved).toMatchObject({ station: { id: two.id }, movedFrom: { id: one.id } });
    expect((await attendance.kioskState(one)).present.map((p) => p.userId)).not.toContain(String(u._id));
    expect((await attendance.kioskState(two)).present.map((p) => p.userId)).toContain(String(u._id));
  });
});

describe('group credit', () => {
  const T1 = T0 + 24 * 3600_000;
  const beat = (playbackId: string, seq: number, sec: number, over: Partial<IncomingBeat> = {}): IncomingBeat => ({ playbackId, seq, position: sec, rate: 1, playing: true, visible: true, event: seq === 1 ? 'play' : 'tick', clientAt: T1 + sec * 1000, ...over });

  it('credits each learner the evidenced time they were present while the station played', async () => {
    const sid = await session(T1, [one.id]);
    const [a, b, c] = [await learner(), await learner(), await learner()];
    clock = T1 - 5 * MIN;
    await attendance.operatorCheckin(one, a.username); // A: the whole session, evidenced by the operator's roster at the end
    clock = T1;
    const pb = await attendance.openPlayback(one, sid, {});
    expect(pb).toMatchObject({ live: false, offsetSec: 0, counting: true });
    for (let i = 0; i < 150; i++) engine.recordDelivery(pb.playbackId, i); // all 600 s served to the station
    let last;
    let mid;
    for (let sec = 0, seq = 1; sec <= 600; sec += 15, seq++) {
      clock = T1 + sec * 1000;
      if (sec === 120) await attendance.checkinWithToken(c, await code(one)); // C: 120-240 s
      if (sec === 240) await attendance.checkout(one, String(c._id));
      if (sec === 300) await attendance.checkinWithToken(b, await code(one)); // B: from half-way
      if (sec === 450) expect(await attendance.checkinWithToken(b, await code(one))).toMatchObject({ action: 'rescan' }); // within RESCAN minutes of the first scan
      last = await attendance.heartbeats(one, [beat(pb.playbackId, seq, sec, sec === 600 ? { event: 'end', playing: false } : {})]);
      if (sec === 450) mid = last;
    }
    // A and B are present; only B's presence is evidenced so far (A's typed check-in is a moment).
    expect(mid!.sessions[pb.playbackId]).toMatchObject({ coveredSec: 450, completed: false, present: 2, credited: 1 });
    expect(last!.sessions[pb.playbackId]).toMatchObject({ coveredSec: 600, completed: true });
    expect((await engine.progressOf(String(a._id), lectureId)).coveredSec).toBe(0);
    // The operator confirms who stayed: A is credited the whole session after the fact.
    const confirmed = await attendance.confirmRoster(one, sid, [String(a._id), String(b._id)]);
    expect(confirmed.confirmed.find((x) => x.userId === String(a._id))).toMatchObject({ newSec: 600, completed: true, creditHours: 2 });
    expect(confirmed.confirmed.find((x) => x.userId === String(b._id))).toMatchObject({ newSec: 0 });

    const pa = await engine.progressOf(String(a._id), lectureId);
    const pbb = await engine.progressOf(String(b._id), lectureId);
    const pc = await engine.progressOf(String(c._id), lectureId);
    expect(pa.coveredSec).toBeCloseTo(600, 5);
    expect(pbb.coveredSec).toBeCloseTo(300, 5);
    expect(pbb.intervals).toEqual([[300, 600]]);
    expect(pc.coveredSec).toBeCloseTo(120, 5);
    expect(pc.intervals).toEqual([[120, 240]]);

    const ledger = (u: UserDoc) => t.app.store.models.Ledger.find({ userId: u._id as Types.ObjectId }).lean();
    const [la] = await ledger(a);
    expect(la).toMatchObject({ hours: 2, source: 'station' }); // recorded when coverage crossed 90%
    expect(await ledger(b)).toHaveLength(0); // half the lecture: not complete
    expect(pa.completedAt).not.toBeNull();

    // The run keeps what each learner earned, and the day's roll-up the figures.
    await attendance.flush();
    const day = await t.app.store.models.StationDay.findById(t.app.calendar.day(T1)).lean();
    expect((day!.runs as Record<string, unknown>)[`${sid}:${one.id}`]).toEqual({ s: one.id, held: 1, persons: 3, sec: 1020 });
  });

  it('credits nobody twice when the same beats come again', async () => {
    const sid = await session(T1 + 2 * 3600_000, [two.id]);
    const start = T1 + 2 * 3600_000;
    const u = await learner();
    clock = start - MIN;
    await attendance.checkinWithToken(u, await code(two));
    clock = start;
    const pb = await attendance.openPlayback(two, sid, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(pb.playbackId, i);
    const beats = [0, 15, 30, 45, 60].map((sec, i) => ({ ...beat(pb.playbackId, i + 1, sec), clientAt: start + sec * 1000 }));
    for (const [i, sec] of [0, 15, 30, 45, 60].entries()) {
      clock = start + sec * 1000 + 500;
      await attendance.heartbeats(two, [beats[i]!]);
    }
    const once = await engine.progressOf(String(u._id), lectureId);
    clock = start + 61_000;
    await attendance.heartbeats(two, beats);
    const twice = await engine.progressOf(String(u._id), lectureId);
    expect(once.coveredSec).toBeCloseTo(60, 5);
    expect(twice).toEqual(once);
  });
});
