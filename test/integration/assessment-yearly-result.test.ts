/**
 * The yearly result per cadre (实效测评结果) on the real store: end tests passed through the quiz
 * routes and classes completed through the completion route are rolled up per cadre and county
 * year, exactly, under 30 concurrent submissions and completions (each sent twice) and on repeats;
 * the organisation department's rule is checked (400 with a code, 403 for anyone else); the unit
 * report, its workbook (read back with exceljs) and the study record carry the grade, the score
 * and the counts per grade, per sub-unit and for the county.
 */
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssessmentService, assessmentOf } from '../../server/modules/assessment/assessment.service';
import { rebuildRollups } from '../../server/modules/assessment/rebuild';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres, type TestCadre } from '../helpers/cadres';
import { keyPositions, quizXlsx, sampleRows } from '../helpers/quiz';

let t: TestApp;
let orgAdmin: string;
let unitAdmin: string;
let year: number;
const unit = {} as Record<'county' | 'committee' | 'village' | 'government', string>;
const lectures: string[] = [];
const banks = new Map<string, any>();
let a: TestCadre; // takes eight tests and three classes
let others: TestCadre[] = []; // one test each, half of them pass

const call = async (method: string, url: string, cookie: string | null, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: cookie ? { cookie } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.body && res.headers['content-type']?.toString().includes('json') ? (res.json() as any) : undefined, raw: res.rawPayload };
};
const today = () => t.app.calendar.day(Date.now());
const day = (n: number) => t.app.calendar.addDays(today(), n);
const rollup = async (userId: string) => (await t.app.store.models.AssessmentYear.findById(`${userId}:${year}`).lean<any>()) ?? { quizzesTaken: [], quizzesPassed: [], classes: [] };

/** A published lecture with the ten-question bank (no spans) and a policy of one test and one makeup. */
async function lectureWithBank(n: number) {
  const doc = await t.app.store.models.Lecture.create({ title: `测评课程${n}`, category: 'implementation', state: 'published', kind: 'recorded', durationSec: 600, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  const id = String(doc._id);
  const file = await quizXlsx(sampleRows().map(({ spanFrom: _f, spanTo: _t, ...r }) => r));
  expect((await call('POST', `/api/quiz/lectures/${id}/import`, orgAdmin, { fileName: 'q.xlsx', contentBase64: file.toString('base64') })).body.imported).toBe(10);
  expect((await call('PUT', `/api/quiz/lectures/${id}/settings`, orgAdmin, { needsPass: false, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 })).status).toBe(200);
  banks.set(id, (await call('GET', `/api/quiz/lectures/${id}/bank`, orgAdmin)).body);
  return id;
}

/** The study engine's record of a watched lecture (the end test unlocks at completion). */
async function watched(userIds: string[], lectureId: string) {
  const done = new Date(Date.now() - 60_000);
  await t.app.store.models.Progress.insertMany(userIds.map((u) => ({ _id: `${u}:${lectureId}`, userId: new Types.ObjectId(u), lectureId: new Types.ObjectId(lectureId), intervals: [0, 600], coveredSec: 600, wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: done, completedAt: done })));
}

/** Starts the cadre's test and submits it twice at once, right or wrong; the one reply that scored. */
async function takeTest(c: TestCadre, lectureId: string, right: boolean) {
  const start = await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, c.cookie);
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const body = { answers: start.body.questions.map((q: any) => ({ questionId: q.id, choice: keyPositions(banks.get(lectureId), q, right) })) };
  const subs = await Promise.all([0, 1].map(() => call('POST', `/api/quiz/attempts/${start.body.id}/submission`, c.cookie, body)));
  expect(subs.map((s) => s.status).sort()).toEqual([200, 409]);
  return subs.find((s) => s.status === 200)!.body;
}

async function endedClass(name: string, userIds: string[], creditHours: number) {
  const r = await call('POST', '/api/training/classes', orgAdmin, { name, category: '专题培训', channel: 'university', organiser: '县委组织部', startDay: day(-3), endDay: today(), withdrawBy: day(-4), venue: '县委党校', capacity: 60, creditHours, applications: false });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect((await call('POST', `/api/training/classes/${r.body.id}/assignments`, orgAdmin, { userIds })).status).toBe(200);
  return r.body.id as string;
}

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  const id = (name: string) => String(seeded.unitIds.get(name)!);
  unit.county = String(seeded.countyId);
  unit.committee = id('苏公坨乡党委');
  unit.village = id('苏公坨村党支部');
  unit.government = id('苏公坨乡人民政府');
  year = t.app.calendar.year(Date.now());
  orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  a = (await makeCadres(t.app, { prefix: 'ya', n: 1, unitId: unit.government, displayName: () => '测评甲' }))[0]!;
  others = await makeCadres(t.app, { prefix: 'yb', n: 22, unitId: unit.village });
  for (let i = 0; i < 8; i++) lectures.push(await lectureWithBank(i));
  for (const l of lectures) await watched([a!.id], l);
  await watched(others.map((c) => c.id), lectures[0]!);
}, 120_000);
afterAll(() => t?.close());

describe('the roll-up kept on write', () => {
  it('counts 30 concurrent end tests (each handed in twice) exactly: distinct lectures passed and taken per cadre', async () => {
    const started = Date.now();
    const replies = await Promise.all([...lectures.map((l) => takeTest(a!, l, true)), ...others.map((c, i) => takeTest(c, lectures[0]!, i % 2 === 0))]);
    console.log(`30 concurrent end tests (60 submissions) with their roll-ups: ${Date.now() - started} ms`);
    expect(replies.filter((r) => r.passed)).toHaveLength(8 + 11);
    const mine = await rollup(a!.id);
    expect([...mine.quizzesPassed].sort()).toEqual([...lectures].sort());
    expect(mine.quizzesTaken).toHaveLength(8);
    for (const [i, c] of others.entries()) {
      const r = await rollup(c.id);
      expect([r.quizzesTaken, r.quizzesPassed], c.username).toEqual([[lectures[0]], i % 2 === 0 ? [lectures[0]] : []]);
    }
  }, 120_000);

  it('counts a makeup pass once for its lecture, and a repeated note changes nothing', async () => {
    const failed = others[1]!; // failed the first attempt above
    expect((await takeTest(failed, lectures[0]!, true)).passed).toBe(true);
    const service = assessmentOf(t.app.store.models, t.app.calendar, t.app.log);
    await Promise.all(Array.from({ length: 10 }, () => service.noteTest({ userId: failed.id, lectureId: lectures[0]!, passed: true, at: Date.now() })));
    expect(await rollup(failed.id)).toMatchObject({ quizzesTaken: [lectures[0]], quizzesPassed: [lectures[0]] });
  });

  it('counts 30 concurrent class completions (three classes of ten, each sent twice) exactly, once per class', async () => {
    const group = [a!, ...others.slice(0, 9)];
    const classes = [await endedClass('测评班一', group.map((c) => c.id), 30), await endedClass('测评班二', group.map((c) => c.id), 30), await endedClass('测评班三', group.map((c) => c.id), 30)];
    const started = Date.now();
    const replies = await Promise.all(classes.flatMap((k) => group.flatMap((c) => [0, 1].map(() => call('POST', `/api/training/classes/${k}/completion`, orgAdmin, { userIds: [c.id] })))));
    console.log(`60 completion requests (30 cadre-classes) with their roll-ups: ${Date.now() - started} ms`);
    expect(replies.map((r) => r.status)).toEqual(Array(60).fill(200));
    for (const c of group) expect([...(await rollup(c.id)).classes].sort(), c.username).toEqual([...classes].sort());
    // Completing again (everyone at once) counts nobody twice.
    expect((await call('POST', `/api/training/classes/${classes[0]}/completion`, orgAdmin, {})).status).toBe(200);
    expect((await rollup(a!.id)).classes).toHaveLength(3);
    expect((await rollup(others[12]!.id)).classes).toHaveLength(0);
  }, 120_000);
});

describe('the rule', () => {
  const rule = { hoursWeight: 40, quizWeight: 40, classWeight: 20, quizTarget: 4, classTarget: 2, hoursMust: false, minQuizzes: 1, minClasses: 0, excellentScore: 90, passScore: 60 };

  it('is the default until the organisation department sets one; anyone signed in may read it', async () => {
    const r = await call('GET', `/api/assessment/rule?year=${year}`, others[0]!.cookie);
    expect(r.body).toMatchObject({ year, custom: false, rule: { hoursWeight: 60, quizWeight: 25, classWeight: 15, excellentScore: 90, passScore: 60, hoursMust: true } });
    expect((await call('GET', '/api/assessment/rule', null)).status).toBe(401);
  });

  it('refuses bad rules with a code and a message, and anyone but the organisation department', async () => {
    const put = (cookie: string | null, body: object) => call('PUT', '/api/assessment/rule', cookie, body);
    const weights = await put(orgAdmin, { year, rule: { ...rule, quizWeight: 50 } });
    expect([weights.status, weights.body.error.code, weights.body.error.details.field]).toEqual([400, 'ASSESSMENT_RULE_INVALID', 'weights']);
    expect(weights.body.error.message).toContain('100');
    expect(weights.body.error.messageEn).toContain('100');
    const order = await put(orgAdmin, { year, rule: { ...rule, passScore: 95 } });
    expect([order.status, order.body.error.details.field]).toEqual([400, 'passScore']);
    for (const bad of [{ year, rule: { ...rule, hoursWeight: 101 } }, { year, rule: { ...rule, extra: 1 } }, { year, rule: { ...rule, quizTarget: 0 } }, { year: 1999, rule }, { year, rule: { ...rule, hoursMust: 'yes' } }]) {
      const r = await put(orgAdmin, bad);
      expect([r.status, r.body.error.code], JSON.stringify(bad)).toEqual([400, 'VALIDATION_ERROR']);
    }
    expect((await put(unitAdmin, { year, rule })).status).toBe(403);
    expect((await put(others[0]!.cookie, { year, rule })).status).toBe(403);
    expect((await put(null, { year, rule })).status).toBe(401);
    expect((await call('GET', `/api/assessment/rule?year=${year}`, orgAdmin)).body.custom).toBe(false);
  });

  it('is set for a year, and read back', async () => {
    const r = await call('PUT', '/api/assessment/rule', orgAdmin, { year, rule });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ year, custom: true, rule });
    expect((await call('GET', `/api/assessment/rule?year=${year}`, unitAdmin)).body).toMatchObject({ custom: true, rule });
    expect((await call('GET', `/api/assessment/rule?year=${year - 1}`, unitAdmin)).body.custom).toBe(false);
  });
});

describe('where the result shows', () => {
  // Under the rule above, a: 90 of 90 hours (40), 8 quizzes of 4 (40), 3 classes of 2 (20) = 100, 优秀.
  it('puts grade and score in the unit report, with counts per grade per sub-unit and for the whole report', async () => {
    const r = await call('GET', `/api/reports/units/${unit.committee}/report?year=${year}`, unitAdmin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const row = (c: TestCadre) => r.body.members.find((m: any) => m.userId === c.id);
    expect(row(a!).result).toEqual({ score: 100, grade: 'excellent', unmet: [], hours: { earned: 90, required: 90, points: 40 }, quizzes: { passed: 8, taken: 8, target: 4, points: 40 }, classes: { completed: 3, target: 2, points: 20 } });
    // others[0]: passed one quiz, three classes: 40 + 10 + 20 = 70, 合格.
    expect(row(others[0]!).result).toMatchObject({ score: 70, grade: 'pass', unmet: [] });
    // others[9]: failed its only test, no class: no quiz passed is a missed mark (minQuizzes 1).
    expect(row(others[9]!).result).toMatchObject({ score: 0, grade: 'fail', unmet: ['quizzes'] });
    const counts = { excellent: 0, pass: 0, fail: 0 } as Record<string, number>;
    for (const m of r.body.members) counts[m.result.grade]! += 1;
    expect(r.body.assessment).toEqual({ year, custom: true, grades: counts });
    expect(counts.excellent).toBe(1);
    const sum = (k: string) => r.body.subUnits.reduce((s: number, x: any) => s + x.grades[k], 0);
    expect({ excellent: sum('excellent'), pass: sum('pass'), fail: sum('fail') }).toEqual(counts);
    expect(r.body.subUnits.find((s: any) => s.unitId === unit.government).grades.excellent).toBe(1);

    // The county (the organisation department at the top): the same cadres counted under their committee.
    const county = await call('GET', `/api/reports/units/${unit.county}/report?year=${year}`, orgAdmin);
    expect(county.body.subUnits.find((s: any) => s.unitId === unit.committee).grades).toEqual(counts);
    expect(county.body.assessment.grades.excellent).toBe(1);
  });

  it('exports the result and the counts in the workbook', async () => {
    const res = await call('GET', `/api/reports/units/${unit.committee}/report.xlsx?year=${year}`, unitAdmin);
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.raw as never);
    const members = wb.getWorksheet('成员明细 Members')!;
    const header = Array.from(members.getRow(2).values as unknown[], (v) => String(v ?? ''));
    const col = (text: string) => header.findIndex((h) => h.includes(text));
    expect(col('实效测评结果')).toBeGreaterThan(0);
    let found = false;
    members.eachRow((row) => {
      if (row.getCell(col('用户名')).value === a!.username) {
        found = true;
        expect(row.getCell(col('实效测评结果')).value).toBe('优秀 Excellent');
        expect(row.getCell(col('测评得分')).value).toBe(100);
        expect(row.getCell(col('通过测验')).value).toBe(8);
        expect(row.getCell(col('完成培训班')).value).toBe(3);
      }
    });
    expect(found).toBe(true);
    expect(String(members.lastRow!.getCell(col('实效测评结果')).value)).toMatch(/^优秀 1 \/ 合格 \d+ \/ 不合格 \d+$/);
    const subs = wb.getWorksheet('下属单位汇总 Sub-units')!;
    const subHeader = Array.from(subs.getRow(2).values as unknown[], (v) => String(v ?? ''));
    expect(subHeader.some((h) => h.startsWith('优秀'))).toBe(true);
    expect(subs.lastRow!.getCell(subHeader.findIndex((h) => h.startsWith('优秀'))).value).toBe(1);
  });

  it('shows the cadre their result with its parts in the study record', async () => {
    const r = await call('GET', `/api/study-record/${a!.id}/${year}`, a!.cookie);
    expect(r.status).toBe(200);
    expect(r.body.assessment).toMatchObject({ custom: true, rule: { quizTarget: 4 }, result: { grade: 'excellent', score: 100, quizzes: { passed: 8 }, classes: { completed: 3 } } });
    const other = await call('GET', `/api/study-record/${others[9]!.id}/${year}`, unitAdmin);
    expect(other.body.assessment.result).toMatchObject({ grade: 'fail', unmet: ['quizzes'] });
  });
});

describe('rebuilding the roll-ups', () => {
  it('fills lost roll-ups from the tests and completions the store holds, the same as kept on write', async () => {
    const { AssessmentYear } = t.app.store.models;
    const sorted = (r: any) => ({ _id: r._id, quizzesTaken: [...r.quizzesTaken].sort(), quizzesPassed: [...r.quizzesPassed].sort(), classes: [...r.classes].sort() });
    const before = (await AssessmentYear.find({}).lean<any[]>()).map(sorted).sort((x, y) => x._id.localeCompare(y._id));
    expect(before.length).toBe(23);
    await AssessmentYear.deleteMany({});
    const r = await rebuildRollups(t.app.store.models, t.app.calendar, new AssessmentService(t.app.store.models, t.app.calendar, t.app.log));
    expect(r).toMatchObject({ tests: 8 + 22 + 1 });
    const after = (await AssessmentYear.find({}).lean<any[]>()).map(sorted).sort((x, y) => x._id.localeCompare(y._id));
    expect(after).toEqual(before);
    // Run again: nothing to add.
    expect((await rebuildRollups(t.app.store.models, t.app.calendar, new AssessmentService(t.app.store.models, t.app.calendar, t.app.log))).added).toBe(0);
  });
});
