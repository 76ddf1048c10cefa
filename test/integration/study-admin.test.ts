/**
 * Self-selection with seat limits under concurrency, credit policies, assignments, and the unit
 * admin's report with its Excel and CSV exports, on the real store.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let lecturer: string;
let unitAdmin: string;
let units: Map<string, Types.ObjectId>;
const cadres: string[] = [];

const inject = async (method: string, url: string, cookie: string, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return { status: res.statusCode, body: res.body && res.headers['content-type']?.toString().includes('json') ? res.json() : res.rawPayload, headers: res.headers };
};

async function publishedLecture(fields: Record<string, unknown>) {
  const created = await inject('POST', '/api/lectures', lecturer, { category: 'development', ...fields });
  expect(created.status).toBe(201);
  // The media pipeline is covered elsewhere: mark the media ready so it can be published.
  await t.app.store.models.Lecture.updateOne({ _id: created.body.id }, { $set: { media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 }, durationSec: 600 } });
  expect((await inject('POST', `/api/lectures/${created.body.id}/publish`, lecturer)).status).toBe(200);
  return created.body.id as string;
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  units = seeded.unitIds;
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  for (let i = 0; i < 12; i++) {
    const u = await inject('POST', '/api/users', admin, { username: `xuanxue${i}`, displayName: `选学干部${i}`, password: 'xuexi2026', role: 'cadre', orgUnitId: String(units.get('苏公坨村党支部')) });
    expect(u.status).toBe(201);
    cadres.push(await login(t.app, `xuanxue${i}`, 'xuexi2026'));
  }
});
afterAll(() => t?.close());

describe('self-selection', () => {
  it('never overbooks a limited offering under concurrent selections', async () => {
    const id = await publishedLecture({ title: '新农村建设专题研修(限额)', seatLimit: 5 });
    const results = await Promise.all(cadres.map((c) => inject('POST', '/api/study/selections', c, { lectureId: id })));
    const ok = results.filter((r) => r.status === 201);
    const full = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(5);
    expect(full).toHaveLength(7);
    expect(full.every((r) => r.body.error.code === 'SEATS_FULL')).toBe(true);
    const l = await t.app.store.models.Lecture.findById(id).lean();
    expect(l!.seatsLeft).toBe(0);
    expect(await t.app.store.models.Selection.countDocuments({ lectureId: id })).toBe(5);
    const card = (await inject('GET', '/api/lectures?q=' + encodeURIComponent('限额'), cadres[0]!)).body.items[0];
    expect(card).toMatchObject({ seatLimit: 5, seatsTaken: 5 });
  });

  it('refuses selecting twice and gives the seat back when dropped', async () => {
    const id = await publishedLecture({ title: '招商引资专题(限额二)', seatLimit: 2 });
    const first = await inject('POST', '/api/study/selections', cadres[0]!, { lectureId: id });
    expect(first.status).toBe(201);
    const twice = await inject('POST', '/api/study/selections', cadres[0]!, { lectureId: id });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('ALREADY_SELECTED');
    expect((await t.app.store.models.Lecture.findById(id).lean())!.seatsLeft).toBe(1);
    expect((await inject('DELETE', `/api/study/selections/${encodeURIComponent(first.body.id)}`, cadres[0]!)).status).toBe(204);
    expect((await t.app.store.models.Lecture.findById(id).lean())!.seatsLeft).toBe(2);
    const mine = await inject('GET', '/api/study/me', cadres[0]!);
    expect(mine.body.selections.map((s: { lectureId?: string }) => s.lectureId)).not.toContain(id);
  });

  it('selects whole topics and lists them with deadlines', async () => {
    const r = await inject('POST', '/api/study/selections', cadres[1]!, { topic: '乡村振兴', deadline: '2026-12-20' });
    expect(r.status).toBe(201);
    const me = await inject('GET', '/api/study/me', cadres[1]!);
    expect(me.body.selections).toContainEqual(expect.objectContaining({ topic: '乡村振兴', deadline: '2026-12-20T00:00:00.000Z' }));
  });
});

describe('policies, assignments and reports', () => {
  it('lets the organisation department change a rank policy, and nobody else', async () => {
    const body = { yearlyHours: 100, windowYears: 1, windowHours: 100, requiredMinHours: 40, maxPerTopicHours: 30, dailyCapHours: 6 };
    expect((await inject('PUT', '/api/study/policies/township', unitAdmin, body)).status).toBe(403);
    const ok = await inject('PUT', '/api/study/policies/township', admin, body);
    expect(ok.status).toBe(200);
    expect(ok.body.yearlyHours).toBe(100);
    const me = await inject('GET', '/api/study/me', cadres[2]!);
    expect(me.body.requirement.yearlyHours).toBe(100);
    const bad = await inject('PUT', '/api/study/policies/township', admin, { ...body, yearlyHours: -5 });
    expect(bad.status).toBe(400);
  });

  it('lets a unit admin assign required lectures to its own units only', async () => {
    const id = await publishedLecture({ title: '突发事件预防与应对' });
    const own = await inject('POST', '/api/study/assignments', unitAdmin, { unitId: String(units.get('苏公坨村党支部')), lectureId: id, year: 2026, dueDate: '2026-12-31' });
    expect(own.status).toBe(201);
    const other = await inject('POST', '/api/study/assignments', unitAdmin, { unitId: String(units.get('兴隆社区党委')), lectureId: id, year: 2026 });
    expect(other.status).toBe(403);
    const me = await inject('GET', '/api/study/me?year=2026', cadres[3]!);
    expect(me.body.assignments).toContainEqual(expect.objectContaining({ lectureId: id }));
  });

  it('reports members with credits against the requirement, with Excel and CSV exports', async () => {
    // One cadre earned 2.5 hours this county year: a ledger entry and its summary roll-up, as a completion writes them.
    const user = await t.app.store.models.User.findOne({ username: 'xuanxue4' }).lean();
    const userId = String(user!._id);
    const now = Date.now();
    const year = t.app.calendar.year(now);
    const lectureId = new Types.ObjectId();
    const entryId = `${userId}:${String(lectureId)}:${year}`;
    await t.app.store.models.Ledger.collection.insertOne({ _id: entryId as never, userId: user!._id, lectureId, year, hours: 2.5, required: false, title: '选学专题', at: new Date(now) });
    expect(await t.app.study.ledger.summaries.addEntry(userId, year, entryId, { total: 2.5, elective: 2.5 })).toBe(true);
    const unitId = String(units.get('苏公坨乡党委'));
    const r = await inject('GET', `/api/reports/units/${unitId}/report`, unitAdmin);
    expect(r.status).toBe(200);
    const row = r.body.members.find((m: { username: string }) => m.username === 'xuanxue4');
    expect(row).toMatchObject({ earned: 2.5, requiredEarned: 0, electiveEarned: 2.5, behind: true, requiredHours: 100 });
    expect(r.body.members.length).toBeGreaterThanOrEqual(13);
    const csv = await inject('GET', `/api/reports/units/${unitId}/report.csv`, unitAdmin);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.toString('utf8')).toContain('xuanxue4');
    const xlsx = await inject('GET', `/api/reports/units/${unitId}/report.xlsx`, unitAdmin);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as never);
    const values = wb.worksheets[0]!.getSheetValues().flat().map(String);
    expect(values).toContain('xuanxue4');
    expect(values).toContain('2.5');
    // The year-only tables that came before the unit report are gone.
    expect((await inject('GET', `/api/reports/units/${unitId}/members`, unitAdmin)).status).toBe(404);
    const cadreTry = await inject('GET', `/api/reports/units/${unitId}/report`, cadres[0]!);
    expect(cadreTry.status).toBe(403);
  });
});
