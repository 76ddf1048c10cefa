/**
 * Learning plans (学习计划) on the real store: a unit admin is held to their unit subtree, a
 * cadre's plan holds exactly the assignments that reach their unit and rank plus their own
 * selections, and the admin's completion counts follow the credit ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import type { Progress } from '../../server/modules/study/records';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let orgAdmin: string;
let unitAdmin: string;
let unit: (name: string) => string;
const lectures: string[] = [];
const cadres: { id: string; cookie: string }[] = [];

const inject = async (method: string, url: string, cookie: string, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return { status: res.statusCode, body: res.body ? (res.json() as any) : undefined };
};

async function lecture(title: string, required = false) {
  const doc = await t.app.store.models.Lecture.create({ title, category: 'implementation', state: 'published', kind: 'recorded', durationSec: 600, creditHours: 1, required, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  return String(doc._id);
}

async function cadre(username: string, unitName: string, rank: 'township' | 'county' = 'township') {
  const r = await inject('POST', '/api/users', orgAdmin, { username, displayName: username, password: 'xuexi2026', role: 'cadre', rank, orgUnitId: unit(unitName) });
  expect(r.status).toBe(201);
  return { id: r.body.id as string, cookie: await login(t.app, username, 'xuexi2026') };
}

/** Credits a whole lecture to a cadre through the ledger, as a completed playback would. */
async function complete(userId: string, lectureId: string) {
  const now = Date.now();
  const p: Progress = { id: `${userId}:${lectureId}`, userId, lectureId, intervals: [[0, 600]], again: [], wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: now, completedAt: null, dirty: false };
  const hours = await t.app.study.ledger.checkCompletion(p, await t.app.study.lecture(lectureId));
  expect(hours).toBeGreaterThan(0);
  // The engine keeps progress in memory first: what the cadre's page reads.
  t.app.study.progress.set(p.id, p);
}

const future = (days: number) => t.app.calendar.addDays(t.app.calendar.day(Date.now()), days);

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  unit = (name) => String(seeded.unitIds.get(name)!);
  orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  for (const title of ['乡村振兴战略解读', '基层治理能力提升', '县域经济发展', '党史学习教育']) lectures.push(await lecture(title));
  lectures.push(await lecture('廉洁从政警示教育(必修)', true));
  await t.app.catalog.reloadIndex();
  cadres.push(await cadre('plan-a', '苏公坨村党支部'));
  cadres.push(await cadre('plan-b', '苏公坨乡人民政府'));
  cadres.push(await cadre('plan-c', '苏公坨村党支部', 'county'));
  cadres.push(await cadre('plan-d', '开通镇人民政府'));
}, 60_000);
afterAll(() => t?.close());

describe('assignment scope', () => {
  it('refuses a unit admin assigning to a unit outside their subtree, and accepts their own units', async () => {
    const outside = await inject('POST', '/api/plans/assignments', unitAdmin, { lectureIds: [lectures[0]], unitIds: [unit('开通镇党委')], dueDay: future(30) });
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe('PLAN_OUT_OF_SCOPE');
    const ranksOnly = await inject('POST', '/api/plans/assignments', unitAdmin, { lectureIds: [lectures[0]], ranks: ['township'], dueDay: future(30) });
    expect(ranksOnly.status).toBe(403);
    const inside = await inject('POST', '/api/plans/assignments', unitAdmin, { lectureIds: [lectures[0]], unitIds: [unit('苏公坨村党支部')], dueDay: future(30), note: '年底前完成' });
    expect(inside.status).toBe(201);
    expect(inside.body).toMatchObject({ editable: true, units: [{ name: '苏公坨村党支部' }], counts: { assigned: 3, completed: 0 } });
    await inject('DELETE', `/api/plans/assignments/${inside.body.id}`, unitAdmin);
  });

  it('refuses bad input with a code, never a 5xx', async () => {
    const cases = [
      { lectureIds: [lectures[0]], dueDay: future(3) },
      { lectureIds: [new Types.ObjectId().toString()], unitIds: [unit('苏公坨村党支部')], dueDay: future(3) },
      { lectureIds: [lectures[0]], unitIds: [unit('苏公坨村党支部')], dueDay: future(-2) },
      { lectureIds: [lectures[0]], unitIds: [unit('苏公坨村党支部')], dueDay: '2026-02-30' },
      { lectureIds: [], unitIds: [unit('苏公坨村党支部')], dueDay: future(3) },
      { lectureIds: [lectures[0]], unitIds: [new Types.ObjectId().toString()], dueDay: future(3) },
    ];
    const codes = [];
    for (const c of cases) {
      const r = await inject('POST', '/api/plans/assignments', orgAdmin, c);
      expect(r.status).toBe(400);
      codes.push(r.body.error.code);
    }
    expect(codes).toEqual(['PLAN_NO_TARGET', 'PLAN_LECTURE_UNAVAILABLE', 'PLAN_DEADLINE_PASSED', 'VALIDATION_ERROR', 'VALIDATION_ERROR', 'PLAN_UNKNOWN_UNIT']);
  });

  it("lets a unit admin see but not change the organisation department's assignment for their units", async () => {
    const org = await inject('POST', '/api/plans/assignments', orgAdmin, { lectureIds: [lectures[3]], unitIds: [unit('苏公坨乡党委')], dueDay: future(60) });
    expect(org.status).toBe(201);
    const list = await inject('GET', '/api/plans/assignments', unitAdmin);
    expect(list.body.items.find((a: { id: string }) => a.id === org.body.id)).toMatchObject({ editable: false });
    const edit = await inject('PATCH', `/api/plans/assignments/${org.body.id}`, unitAdmin, { lectureIds: [lectures[3]], unitIds: [unit('苏公坨村党支部')], dueDay: future(60) });
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe('PLAN_NOT_EDITABLE');
    expect((await inject('DELETE', `/api/plans/assignments/${org.body.id}`, unitAdmin)).status).toBe(403);
    expect((await inject('DELETE', `/api/plans/assignments/${org.body.id}`, orgAdmin)).status).toBe(204);
  });
});

describe("a cadre's plan and the admin's counts", () => {
  let villageId: string;
  let countyRankId: string;

  beforeAll(async () => {
    // To the village (the demo cadre, plan-a, plan-c), to the other committee (plan-d), to county rank (plan-c),
    // and to the whole township committee for township rank (plan-a, plan-b).
    const village = await inject('POST', '/api/plans/assignments', unitAdmin, { lectureIds: [lectures[0], lectures[1]], unitIds: [unit('苏公坨村党支部')], dueDay: future(10), title: '第四季度必修' });
    villageId = village.body.id;
    await inject('POST', '/api/plans/assignments', orgAdmin, { lectureIds: [lectures[2]], unitIds: [unit('开通镇党委')], dueDay: future(20) });
    countyRankId = (await inject('POST', '/api/plans/assignments', orgAdmin, { lectureIds: [lectures[3]], ranks: ['county'], dueDay: future(15) })).body.id;
    await inject('POST', '/api/plans/assignments', orgAdmin, { lectureIds: [lectures[1]], unitIds: [unit('苏公坨乡党委')], ranks: ['township'], dueDay: future(5) });
  });

  it('holds exactly the assignments that reach the cadre, the required lectures and their selections', async () => {
    const sel = await inject('POST', '/api/study/selections', cadres[0]!.cookie, { lectureId: lectures[2] });
    expect(sel.status).toBe(201);
    const plan = await inject('GET', '/api/plans/mine', cadres[0]!.cookie);
    expect(plan.status).toBe(200);
    const byLecture = new Map(plan.body.items.map((i: { lectureId: string }) => [i.lectureId, i]));
    expect([...byLecture.keys()].filter((k) => lectures.includes(k as string)).sort()).toEqual([lectures[0], lectures[1], lectures[2], lectures[4]].sort());
    // Assigned twice (village, and township rank across the committee): the earlier deadline wins.
    expect(byLecture.get(lectures[1])).toMatchObject({ sources: ['assigned'], dueDay: future(5), daysLeft: 5, overdue: false, completed: false });
    expect(byLecture.get(lectures[2])).toMatchObject({ sources: ['selected'], selectionId: sel.body.id });
    expect(byLecture.get(lectures[4])).toMatchObject({ sources: ['required'] });
    expect((byLecture.get(lectures[4]) as { dueDay?: string }).dueDay).toBeUndefined();

    const other = await inject('GET', '/api/plans/mine', cadres[3]!.cookie);
    expect(other.body.items.filter((i: { sources: string[] }) => i.sources.includes('assigned')).map((i: { lectureId: string }) => i.lectureId)).toEqual([lectures[2]]);
    const countyRank = await inject('GET', '/api/plans/mine', cadres[2]!.cookie);
    expect(countyRank.body.items.map((i: { lectureId: string }) => i.lectureId)).toEqual(expect.arrayContaining([lectures[0], lectures[1], lectures[3]]));
    expect(countyRank.body.items.map((i: { lectureId: string }) => i.lectureId)).not.toContain(lectures[2]);
  });

  it('counts completions among the assigned cadres after crediting', async () => {
    const before = await inject('GET', '/api/plans/assignments', orgAdmin);
    expect(before.body.items.find((a: { id: string }) => a.id === villageId).counts).toEqual({ assigned: 3, completed: 0 });
    await complete(cadres[0]!.id, lectures[0]!);
    await complete(cadres[0]!.id, lectures[1]!);
    await complete(cadres[2]!.id, lectures[0]!); // one of two lectures only
    await complete(cadres[2]!.id, lectures[3]!);
    const after = await inject('GET', '/api/plans/assignments', orgAdmin);
    const byId = new Map(after.body.items.map((a: { id: string }) => [a.id, a]));
    expect((byId.get(villageId) as { counts: object }).counts).toEqual({ assigned: 3, completed: 1 });
    expect((byId.get(countyRankId) as { counts: object }).counts).toEqual({ assigned: 1, completed: 1 });
    // The unit admin counts among their own cadres: the same here.
    const scoped = await inject('GET', '/api/plans/assignments', unitAdmin);
    expect(scoped.body.items.find((a: { id: string }) => a.id === villageId).counts).toEqual({ assigned: 3, completed: 1 });
    const plan = await inject('GET', '/api/plans/mine', cadres[0]!.cookie);
    const first = plan.body.items.find((i: { lectureId: string }) => i.lectureId === lectures[0]);
    expect(first).toMatchObject({ completed: true, progress: 1, overdue: false, late: false });
    expect(plan.body.finishedLectureIds).toEqual(expect.arrayContaining([lectures[0], lectures[1]]));
  });
});
