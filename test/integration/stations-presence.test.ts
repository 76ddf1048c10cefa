/**
 * Presence at stations needs evidence over time (issue 11), on the real store with a controlled
 * clock: a scan evidences RESCAN minutes, a check-in and a check-out scan the span between,
 * re-scans extend it, the operator's roster confirmation credits retroactively (once, also after
 * a restart), and the check-in flags: a QR shared to many accounts at once, a scan from another
 * network, a cadre present at a station while their own playback asks to count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Types } from 'mongoose';
import { seedDemo } from '../../server/seed/demo';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import { AttendanceService } from '../../server/modules/stations/attendance.service';
import { StationService, type StationEntry } from '../../server/modules/stations/stations.service';
import { TimetableService } from '../../server/modules/stations/timetable.service';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import type { UserDoc } from '../../server/modules/users/user.model';
import { build, type TestApp } from '../helpers/build';

const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 6, 1, 1, 0, 0);
const MIN = 60_000;
const HOUR = 3600_000;
const RESCAN = 4; // minutes a scan evidences presence

let t: TestApp;
let clock = T0;
let engine: StudyEngine;
let registry: StationService;
let timetable: TimetableService;
let attendance: AttendanceService;
let orgAdmin: UserDoc;
let lecture: LectureDoc;
let homeLecture: LectureDoc;
let n = 0;
let slot = 0;

async function learner(): Promise<UserDoc> {
  const doc = await t.app.store.models.User.create({ username: `presence${++n}`, displayName: `在场${n}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: orgAdmin.orgUnitId });
  return doc.toObject() as UserDoc;
}

const newAttendance = () =>
  new AttendanceService({ models: t.app.store.models, engine, registry, timetable, secret: 'presence-secret', cfg: { ...t.app.config.stations, rescanMinutes: RESCAN, heartbeatSec: 15 }, liveState: () => undefined, calendar: t.app.calendar, log: silent, now: () => clock });

/** A fresh station with a 10-minute session of `lecture` two hours after the previous one. */
async function setting() {
  const s = await registry.create(orgAdmin, { name: `在场站${++slot}`, type: 'village', unitId: String(orgAdmin.orgUnitId) });
  const { code } = await registry.createPairing(orgAdmin, s.id);
  const station = (await registry.pair(code)).station;
  const start = T0 + slot * 2 * HOUR;
  clock = start - 5 * MIN;
  const { session } = await timetable.create(orgAdmin, { lectureId: String(lecture._id), startAt: new Date(start).toISOString(), stationIds: [station.id] });
  return { station, sid: session.id, start };
}

const code = async (s: StationEntry) => (await attendance.checkinCode(s, 'http://portal.test')).token;

/** The station plays the 600-s replay from `start`, a beat every 15 s, one request each; `at[sec]` runs before that beat. */
async function play(station: StationEntry, sid: string, start: number, at: Record<number, () => Promise<unknown>> = {}) {
  clock = start;
  const pb = await attendance.openPlayback(station, sid, {});
  for (let i = 0; i < 150; i++) engine.recordDelivery(pb.playbackId, i);
  for (let sec = 0, seq = 1; sec <= 600; sec += 15, seq++) {
    clock = start + sec * 1000;
    await at[sec]?.();
    clock = start + sec * 1000; // received at once: the station's clock is the server's
    const beat: IncomingBeat = { playbackId: pb.playbackId, seq, position: sec, rate: 1, playing: sec < 600, visible: true, event: seq === 1 ? 'play' : sec === 600 ? 'end' : 'tick', clientAt: start + sec * 1000 };
    const r = await attendance.heartbeats(station, [beat]);
    expect(r.acks).toEqual([{ playbackId: pb.playbackId, seq }]);
  }
  return pb.playbackId;
}

const covered = async (u: UserDoc, l = lecture) => (await engine.progressOf(String(u._id), String(l._id))).coveredSec;
const flagsOf = (u: UserDoc, kind: string) => t.app.store.models.StudyFlag.find({ userId: u._id as Types.ObjectId, kind }).lean();

beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  const { models } = t.app.store;
  orgAdmin = (await models.User.findOne({ username: 'orgadmin' }).lean<UserDoc>())!;
  const l = await models.Lecture.create({ title: '学习贯彻党的二十大精神', category: 'party-history', state: 'published', durationSec: 600, creditHours: 2, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  lecture = l.toObject() as unknown as LectureDoc;
  const h = await models.Lecture.create({ title: '乡村振兴专题', category: 'development', state: 'published', durationSec: 600, creditHours: 1, media: { prefix: 'y', master: 'master.m3u8', segmentSec: 4 } });
  homeLecture = h.toObject() as unknown as LectureDoc;
  engine = new StudyEngine(models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
  registry = new StationService(models, t.app.config.stations, () => clock);
  await registry.load();
  timetable = new TimetableService(models, registry, () => clock);
  attendance = newAttendance();
}, 60_000);
afterAll(async () => {
  await engine?.close();
  await t?.close();
});

describe('evidence over time', () => {
  it('credits a scan-and-leave only the minutes one scan evidences', async () => {
    const { station, sid, start } = await setting();
    const u = await learner();
    let answer: unknown;
    await play(station, sid, start, { 0: async () => (answer = await attendance.checkinWithToken(u, await code(station))) });
    expect(answer).toMatchObject({ ok: true, action: 'checkin', evidence: { rescanMinutes: RESCAN, until: new Date(start + RESCAN * MIN).toISOString() } });
    expect(await covered(u)).toBeCloseTo(RESCAN * 60, 3);
    expect((await engine.progressOf(String(u._id), String(lecture._id))).intervals).toEqual([[0, RESCAN * 60]]);
  });

  it('credits the span between a check-in scan and a check-out scan, at the check-out', async () => {
    const { station, sid, start } = await setting();
    const u = await learner();
    let before = -1;
    let out: unknown;
    await play(station, sid, start, {
      0: async () => attendance.checkinWithToken(u, await code(station)),
      480: async () => {
        before = await covered(u);
        out = await attendance.checkinWithToken(u, await code(station), { action: 'checkout' });
      },
    });
    expect(before).toBeCloseTo(RESCAN * 60, 3); // the scan alone, until the check-out came
    expect(out).toMatchObject({ ok: true, action: 'checkout', evidence: { evidencedSec: 480 } });
    expect((await engine.progressOf(String(u._id), String(lecture._id))).intervals).toEqual([[0, 480]]);
    // Checked out: a second 签退 is refused, and nothing after 480 s was credited.
    clock = start + 500_000;
    await expect(attendance.checkinWithToken(u, await code(station), { action: 'checkout' })).rejects.toMatchObject({ code: 'NOT_CHECKED_IN', statusCode: 409 });
  });

  it('extends the evidence with every re-scan', async () => {
    const { station, sid, start } = await setting();
    const u = await learner();
    const scan = async () => attendance.checkinWithToken(u, await code(station));
    const answers: unknown[] = [];
    await play(station, sid, start, { 0: async () => answers.push(await scan()), 210: async () => answers.push(await scan()), 420: async () => answers.push(await scan()) });
    expect(answers.map((a) => (a as { action: string }).action)).toEqual(['checkin', 'rescan', 'rescan']);
    expect(await covered(u)).toBeCloseTo(600, 3);
  });
});

describe('the roster confirmation', () => {
  it('credits the confirmed learners retroactively, exactly once, also after a restart', async () => {
    const { station, sid, start } = await setting();
    const [stayed, left, later] = [await learner(), await learner(), await learner()];
    for (const u of [stayed, left, later]) await attendance.operatorCheckin(station, u.username);
    await play(station, sid, start);
    clock = start + 11 * MIN;
    // Typed check-ins evidence their moment only: nothing yet.
    expect([await covered(stayed), await covered(left), await covered(later)]).toEqual([0, 0, 0]);
    const roster = await attendance.rosterOf(station);
    expect(roster.session.id).toBe(sid);
    expect(roster.learners.map((l) => [l.userId, l.evidencedSec, l.present])).toEqual(expect.arrayContaining([[String(stayed._id), 0, true]]));

    const first = await attendance.confirmRoster(station, sid, [String(stayed._id), '0123456789abcdef01234567']);
    expect(first.confirmed).toMatchObject([{ userId: String(stayed._id), newSec: 600, completed: true, creditHours: 2 }]);
    expect(first.unknown).toEqual(['0123456789abcdef01234567']);
    const once = await engine.progressOf(String(stayed._id), String(lecture._id));
    expect(once.coveredSec).toBeCloseTo(600, 3);
    const again = await attendance.confirmRoster(station, sid, [String(stayed._id)]);
    expect(again.confirmed).toMatchObject([{ userId: String(stayed._id), newSec: 0 }]);
    expect(await engine.progressOf(String(stayed._id), String(lecture._id))).toEqual(once);
    expect(await t.app.store.models.Ledger.find({ userId: stayed._id as Types.ObjectId }).lean()).toHaveLength(1);
    expect(await covered(left)).toBe(0);

    // A restart: the run (its credited spans and what was offered) comes back from the store.
    await attendance.flush();
    const restarted = newAttendance();
    await restarted.start();
    const late = await restarted.confirmRoster(station, sid, [String(stayed._id), String(later._id)]);
    expect(late.confirmed.map((c) => [c.userId, c.newSec])).toEqual([
      [String(stayed._id), 0],
      [String(later._id), 600],
    ]);
    expect(await covered(later)).toBeCloseTo(600, 3);
    expect(await engine.progressOf(String(stayed._id), String(lecture._id))).toEqual(once);
    // A day later the roster is closed.
    clock = start + 25 * HOUR + 11 * MIN;
    await expect(restarted.confirmRoster(station, sid, [String(left._id)])).rejects.toMatchObject({ code: 'ROSTER_CLOSED', statusCode: 409 });
    attendance = newAttendance(); // the engine's presence probe belongs to the newest service
  });
});

describe('check-in flags', () => {
  it('flags every account of a QR shared to 10 accounts in one second (checkin-burst), refusing none', async () => {
    const { station } = await setting();
    clock += 2 * MIN;
    const token = await code(station);
    const users = await Promise.all(Array.from({ length: 10 }, () => learner()));
    for (const [i, u] of users.entries()) {
      clock += 90; // all ten within one second, from one network
      expect(await attendance.checkinWithToken(u, token, { ip: '203.0.113.7' })).toMatchObject({ ok: true, action: 'checkin' });
      void i;
    }
    for (const u of users) {
      const flags = await flagsOf(u, 'checkin-burst');
      expect(flags).toHaveLength(1);
      expect(flags[0]).toMatchObject({ lectureId: lecture._id, detail: { stationId: station.id } });
      expect(flags[0]!.count).toBeGreaterThanOrEqual(5);
      expect((flags[0] as { seconds?: number }).seconds).toBe(RESCAN * 60);
    }
  });

  it('flags, and does not refuse, a scan from another network than the station’s', async () => {
    const { station } = await setting();
    clock += 2 * MIN;
    attendance.noteStationAddress(station.id, '10.20.30.40');
    const [inRoom, away] = [await learner(), await learner()];
    expect(await attendance.checkinWithToken(inRoom, await code(station), { ip: '10.20.30.99' })).toMatchObject({ evidence: { network: 'station' } });
    expect(await attendance.checkinWithToken(away, await code(station), { ip: '198.51.100.8' })).toMatchObject({ ok: true, evidence: { network: 'other' } });
    expect(await flagsOf(inRoom, 'checkin-foreign-network')).toHaveLength(0);
    const [flag] = await flagsOf(away, 'checkin-foreign-network');
    expect(flag).toMatchObject({ detail: { stationId: station.id, ip: '198.51.100.8', stationIp: '10.20.30.40' } });
    expect((flag as { seconds?: number }).seconds).toBe(RESCAN * 60);
  });

  it('credits a cadre present at a station and watching at home once, and flags present-elsewhere', async () => {
    const { station, sid, start } = await setting();
    const u = await learner();
    let home: Awaited<ReturnType<StudyEngine['ingest']>> | undefined;
    await play(station, sid, start, {
      0: async () => attendance.checkinWithToken(u, await code(station)),
      60: async () => {
        // At home, the cadre opens another lecture and plays it for a minute: it does not count.
        const o = await engine.open(u, homeLecture, {});
        for (let i = 0; i < 150; i++) engine.recordDelivery(o.playbackId, i);
        const beats: IncomingBeat[] = [0, 15, 30].map((sec, i) => ({ playbackId: o.playbackId, seq: i + 1, position: sec, rate: 1, playing: true, visible: true, event: i === 0 ? 'play' : 'tick', clientAt: start + 60_000 + sec * 1000 }));
        for (const b of beats) {
          clock = b.clientAt + 100;
          home = await engine.ingest(u, [b]);
        }
        clock = start + 60_000;
      },
    });
    expect(Object.values(home!.sessions)[0]).toMatchObject({ counting: false, reason: 'at-station' });
    expect(await covered(u, homeLecture)).toBe(0);
    expect(await covered(u)).toBeCloseTo(RESCAN * 60, 3);
    const [flag] = await flagsOf(u, 'present-elsewhere');
    expect(flag).toMatchObject({ lectureId: lecture._id, detail: { stationId: station.id, sessionId: sid, outcome: 'own-playback-not-counted' } });
    expect(await flagsOf(u, 'present-elsewhere')).toHaveLength(1);
  });
});
