/**
 * Every read-modify-write holds under concurrency, on the real FerretDB 1.24 (whose updates are
 * not atomic: each rewrites the whole document, docs/store-on-ferretdb.md). Each test fires its
 * writes at once, through the services the routes use, and checks that nothing was lost and
 * nothing oversold: seats, watch counts, yearly summaries, job claims, station runs and their day
 * roll-up, notice boxes and read markers, the selections index, a user's account.
 */
import { Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../server/seed/demo';
import { JobQueue } from '../../server/modules/jobs/job-queue';
import { OrgService } from '../../server/modules/org/org.service';
import { StudyService } from '../../server/modules/study/study.service';
import { UsersService } from '../../server/modules/users/users.service';
import { StudyEngine } from '../../server/modules/study/study-engine';
import { AttendanceService } from '../../server/modules/stations/attendance.service';
import { StationService } from '../../server/modules/stations/stations.service';
import { TimetableService } from '../../server/modules/stations/timetable.service';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import type { Progress } from '../../server/modules/study/records';
import type { UserDoc } from '../../server/modules/users/user.model';
import { build, type TestApp } from '../helpers/build';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
let t: TestApp;
let orgAdmin: UserDoc;
let n = 0;

async function cadre(): Promise<UserDoc> {
  const doc = await t.app.store.models.User.create({ username: `race${++n}`, displayName: `并发${n}`, passwordHash: 'x', role: 'cadre', rank: 'county', orgUnitId: orgAdmin.orgUnitId });
  return doc.toObject() as UserDoc;
}

async function lecture(fields: Record<string, unknown> = {}): Promise<LectureDoc> {
  const l = await t.app.store.models.Lecture.create({ title: `并发课程${++n}`, category: 'party-history', state: 'published', durationSec: 600, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 }, ...fields });
  return l.toObject() as unknown as LectureDoc;
}

const studyService = () => new StudyService(t.app.store.models, t.app.study, t.app.catalog, new OrgService(t.app.store.models), t.app.calendar);

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  orgAdmin = (await t.app.store.models.User.findOne({ username: 'orgadmin' }).lean<UserDoc>())!;
  expect(orgAdmin).toBeTruthy();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('lectures', () => {
  it('sells no seat twice and loses no watch count when 12 cadres select 5 seats while 30 openings are counted', async () => {
    const l = await lecture({ seatLimit: 5, seatsLeft: 5 });
    const id = String(l._id);
    const users = await Promise.all(Array.from({ length: 12 }, cadre));
    const study = studyService();
    const [selections] = await Promise.all([
      Promise.allSettled(users.map((u) => study.select(u, { lectureId: id }))),
      Promise.all(Array.from({ length: 30 }, () => t.app.catalog.countWatch(id))),
    ]);
    const won = selections.filter((s) => s.status === 'fulfilled');
    const lost = selections.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(won).toHaveLength(5);
    expect(lost.map((s) => (s.reason as { code?: string }).code)).toEqual(Array(7).fill('SEATS_FULL'));
    const { Seat, Selection, Lecture } = t.app.store.models;
    expect(await Seat.countDocuments({ lectureId: l._id })).toBe(5);
    expect(await Selection.countDocuments({ lectureId: l._id })).toBe(5);
    const stored = await Lecture.findById(id, { seatsLeft: 1, watchCount: 1 }).lean();
    expect(stored).toMatchObject({ seatsLeft: 0, watchCount: 30 });
  });

  it('keeps an edit, a seat given back and the watch counts when they race', async () => {
    const l = await lecture({ seatLimit: 3, seatsLeft: 3 });
    const id = String(l._id);
    const [a, b] = [await cadre(), await cadre()];
    const study = studyService();
    const sa = await study.select(a, { lectureId: id });
    await study.select(b, { lectureId: id });
    await Promise.all([
      study.drop(a, sa.id),
      t.app.catalog.update(orgAdmin, id, { summary: '改过的简介' }),
      ...Array.from({ length: 10 }, () => t.app.catalog.countWatch(id)),
    ]);
    const stored = await t.app.store.models.Lecture.findById(id, { seatsLeft: 1, watchCount: 1, summary: 1 }).lean();
    expect(stored).toMatchObject({ seatsLeft: 2, watchCount: 10, summary: '改过的简介' });
  });
});

describe('the study archive', () => {
  it('totals a yearly summary to exactly its ledger entries when 8 completions and 8 listings of one cadre race', async () => {
    const u = await cadre();
    const userId = String(u._id);
    const lectures = await Promise.all(Array.from({ length: 8 }, () => lecture()));
    const { ledger } = t.app.study;
    const now = Date.now();
    const done = (l: LectureDoc): Progress => ({ id: `${userId}:${String(l._id)}`, userId, lectureId: String(l._id), intervals: [[0, 600]], again: [], wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: now, completedAt: null, dirty: false });
    const infos = await Promise.all(lectures.map((l) => t.app.study.lecture(String(l._id))));
    expect(infos.every(Boolean)).toBe(true);
    const hours = await Promise.all([
      ...lectures.map((l, i) => ledger.checkCompletion(done(l), infos[i]!)),
      ...lectures.map((l) => ledger.indexStudy(userId, String(l._id), now).then(() => undefined)),
    ]);
    expect(hours.slice(0, 8).every((h) => typeof h === 'number' && h > 0)).toBe(true);
    const { Ledger, Summary, StudyIndex } = t.app.store.models;
    const year = t.app.calendar.year(now);
    const entries = await Ledger.find({ userId: u._id }).lean();
    expect(entries).toHaveLength(8);
    const summary = await Summary.findById(`${userId}:${year}`).lean();
    const sum = entries.reduce((s, e) => s + (e.hours ?? 0), 0);
    expect(summary?.total).toBeCloseTo(sum, 6);
    expect([...(summary?.entries ?? [])].sort()).toEqual(entries.map((e) => String(e._id)).sort());
    expect([...((summary?.lectures as string[]) ?? [])].sort()).toEqual(lectures.map((l) => String(l._id)).sort());
    expect((await StudyIndex.findById(userId).lean())?.years).toEqual([year]);
  });

  it('lists every selection in the cadre index when 8 selections and 3 drops race', async () => {
    const u = await cadre();
    const study = studyService();
    const early = await Promise.all(['甲', '乙', '丙'].map((topic) => study.select(u, { topic })));
    await Promise.all([...Array.from({ length: 8 }, (_, i) => study.select(u, { topic: `专题${i}` })), ...early.map((s) => study.drop(u, s.id))]);
    const index = await t.app.store.models.StudyIndex.findById(String(u._id)).lean();
    const rows = await t.app.store.models.Selection.find({ userId: u._id }, { _id: 1 }).lean();
    expect(rows).toHaveLength(8);
    expect([...(index?.selections ?? [])].sort()).toEqual(rows.map((r) => String(r._id)).sort());
  });
});

describe('notices', () => {
  it('keeps every notice and every read marker when 10 sends and a mark-read race on one box', async () => {
    const u = await cadre();
    const userId = String(u._id);
    const notice = (i: number) => ({ id: `race-${i}`, kind: 'info', at: new Date(Date.now() + i), title: `通知${i}`, titleEn: `Notice ${i}`, body: '', bodyEn: '' });
    for (let i = 0; i < 5; i++) expect(await t.app.notices.send(userId, notice(i))).toBe(true);
    const sent = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => t.app.notices.send(userId, notice(i + 5))),
      ...Array.from({ length: 5 }, (_, i) => t.app.notices.send(userId, notice(i))), // repeats: stored once
      t.app.notices.markRead(userId, ['race-0', 'race-1', 'race-2', 'race-3', 'race-4']).then(() => undefined),
    ]);
    expect(sent.slice(0, 10)).toEqual(Array(10).fill(true));
    expect(sent.slice(10, 15)).toEqual(Array(5).fill(false));
    const box = await t.app.store.models.NoticeBox.findById(userId).lean();
    expect([...(box?.ids ?? [])].sort()).toEqual(Array.from({ length: 15 }, (_, i) => `race-${i}`).sort());
    expect(box?.items).toHaveLength(15);
    expect([...(box?.read ?? [])].sort()).toEqual(['race-0', 'race-1', 'race-2', 'race-3', 'race-4']);
    expect((await t.app.notices.list(userId)).unread).toBe(10);
  });
});

describe('accounts', () => {
  it('keeps both an admin disabling a cadre and that cadre changing their name when they race', async () => {
    const u = await cadre();
    const users = new UsersService(t.app.store.models, new OrgService(t.app.store.models));
    await Promise.all([users.update(orgAdmin, String(u._id), { disabled: true }), ...Array.from({ length: 4 }, (_, i) => users.update(orgAdmin, String(u._id), { displayName: `改名${i}` }))]);
    const stored = await t.app.store.models.User.findById(u._id, { disabled: 1, displayName: 1 }).lean();
    expect(stored?.disabled).toBe(true);
    expect(stored?.displayName).toMatch(/^改名\d$/);
  });
});

describe('jobs', () => {
  it('runs each of 12 jobs exactly once with two queues claiming from one store', async () => {
    const { models } = t.app.store;
    const cfg = { ...t.app.config.jobs, concurrency: 3, pollMs: 20 };
    const runs = new Map<string, string[]>();
    const queues = [new JobQueue(models, cfg, silent), new JobQueue(models, cfg, silent)];
    for (const q of queues) {
      q.register('race-probe', async (job, ctx) => {
        const id = String(job._id);
        runs.set(id, [...(runs.get(id) ?? []), q.owner]);
        await ctx.progress(50);
        await sleep(5);
      });
    }
    try {
      const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => queues[i % 2]!.enqueue('race-probe', { i })));
      for (const q of queues) q.start();
      const ids = jobs.map((j) => j._id as Types.ObjectId);
      await until('every job done', async () => (await models.Job.countDocuments({ _id: { $in: ids }, state: 'done' })) === 12);
      expect([...runs.keys()].sort()).toEqual(ids.map(String).sort());
      expect([...runs.values()].every((owners) => owners.length === 1)).toBe(true);
      const stored = await models.Job.find({ _id: { $in: ids } }, { attempts: 1, progress: 1 }).lean();
      expect(stored.every((j) => j.attempts === 1 && j.progress === 100)).toBe(true);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});

describe('station runs', () => {
  it('keeps every learner and the day roll-up when 10 learners check in at two stations at once', async () => {
    const { models } = t.app.store;
    const T0 = Date.UTC(2026, 6, 2, 1, 0, 0);
    let clock = T0 - 5 * 60_000;
    const engine = new StudyEngine(models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
    try {
      const registry = new StationService(models, t.app.config.stations, () => clock);
      await registry.load();
      const timetable = new TimetableService(models, registry, () => clock);
      const attendance = new AttendanceService({ models, engine, registry, timetable, secret: 'race-secret', cfg: { ...t.app.config.stations, rescanMinutes: 4, heartbeatSec: 15 }, liveState: () => undefined, calendar: t.app.calendar, log: silent, now: () => clock });
      const l = await lecture();
      const stations = [];
      for (const name of ['并发站甲', '并发站乙']) {
        const s = await registry.create(orgAdmin, { name, type: 'village', unitId: String(orgAdmin.orgUnitId) });
        const { code } = await registry.createPairing(orgAdmin, s.id);
        stations.push((await registry.pair(code)).station);
      }
      const { session } = await timetable.create(orgAdmin, { lectureId: String(l._id), startAt: new Date(T0).toISOString(), stationIds: stations.map((s) => s.id) });
      clock = T0 + 60_000;
      const learners = await Promise.all(Array.from({ length: 10 }, cadre));
      const tokens = await Promise.all(stations.map(async (s) => (await attendance.checkinCode(s, 'http://portal.test')).token));
      const answers = await Promise.all(learners.map((u, i) => attendance.checkinWithToken(u, tokens[i % 2]!, { ip: '10.0.0.1' })));
      expect(answers.every((a) => (a as { ok?: boolean }).ok === true)).toBe(true);
      for (const [k, s] of stations.entries()) {
        const run = await models.StationRun.findById(`${session.id}:${s.id}`).lean();
        expect(Object.keys((run?.present ?? {}) as object).sort()).toEqual(learners.filter((_, i) => i % 2 === k).map((u) => String(u._id)).sort());
      }
      const day = await models.StationDay.findById(t.app.calendar.day(T0)).lean();
      const rolled = (day?.runs ?? {}) as Record<string, { s: string; persons: number }>;
      expect(stations.map((s) => rolled[`${session.id}:${s.id}`]?.persons)).toEqual([5, 5]);
    } finally {
      await engine.close();
    }
  });
});
