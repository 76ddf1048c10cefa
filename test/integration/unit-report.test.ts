/**
 * The unit report (/api/reports/units/:unitId/report, .xlsx, .csv, /reminders) on the real store:
 * who may read which unit, the 所属单位 column and the totals row, a range of county days on a
 * UTC host, the summary by sub-unit, the per-lecture sheet, the workbook read back with exceljs,
 * and reminders that reach only the cadres behind, once a day.
 */
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { SummaryRepository } from '../../server/modules/study/repositories';
import { build, login, type TestApp } from '../helpers/build';

// The county is Asia/Shanghai; the host's zone must play no part.
process.env.TZ = 'UTC';

let t: TestApp;
let admin: string;
let unitAdmin: string;
let cadreCookie: string;
const unit = {} as Record<'committee' | 'government' | 'village' | 'other', string>;
const user = {} as Record<'met' | 'behind' | 'idle' | 'spring' | 'elsewhere', string>;
const lecture = { a: new Types.ObjectId(), b: new Types.ObjectId(), c: new Types.ObjectId() };

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, cookie: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, headers: res.headers, raw: res.rawPayload, json: () => res.json() as any };
}

async function cadre(username: string, unitId: string, rank: 'township' | 'county' = 'township') {
  const doc = await t.app.store.models.User.create({ username, displayName: `干部${username}`, passwordHash: 'x', role: 'cadre', rank, orgUnitId: new Types.ObjectId(unitId) });
  return String(doc._id);
}

/** A completion as the credit ledger records it: the entry, then the summary roll-up (credit-ledger.ts). */
async function credit(userId: string, lectureId: Types.ObjectId, title: string, at: string, hours: number, required = false) {
  const atMs = new Date(at).getTime();
  const year = t.app.calendar.year(atMs);
  const id = `${userId}:${String(lectureId)}:${year}`;
  await t.app.store.models.Ledger.collection.insertOne({ _id: id as never, userId: new Types.ObjectId(userId), lectureId, year, hours, required, title, at: new Date(atMs) });
  const summaries = new SummaryRepository(t.app.store.models);
  await summaries.addEntry(userId, year, id, { total: hours, [required ? 'required' : 'elective']: hours, [`byDay.${t.app.calendar.day(atMs)}`]: hours });
  await summaries.addLecture(userId, year, String(lectureId));
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  const id = (name: string) => String(seeded.unitIds.get(name)!);
  unit.committee = id('苏公坨乡党委');
  unit.government = id('苏公坨乡人民政府');
  unit.village = id('苏公坨村党支部');
  unit.other = id('开通镇党委');
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  cadreCookie = await login(t.app, 'cadre', DEMO_PASSWORD);

  user.met = await cadre('r-met', unit.government);
  user.behind = await cadre('r-behind', unit.village);
  user.idle = await cadre('r-idle', unit.village, 'county');
  user.spring = await cadre('r-spring', unit.committee);
  user.elsewhere = await cadre('r-elsewhere', id('开通镇人民政府'));
  await credit(user.met, lecture.a, '关键在于落实', '2025-03-10T02:00:00Z', 50, true);
  await credit(user.met, lecture.b, '乡村振兴专题', '2025-06-01T02:00:00Z', 45);
  await credit(user.behind, lecture.a, '关键在于落实', '2025-05-05T02:00:00Z', 12.5, true);
  // 00:30 on 1 April in the county, still 31 March on the host's (UTC) clock.
  await credit(user.spring, lecture.b, '乡村振兴专题', '2025-03-31T16:30:00Z', 20);
  await credit(user.elsewhere, lecture.a, '关键在于落实', '2025-05-05T02:00:00Z', 90);
  // Studied, never completed: a learner of lecture c without a completion.
  await new SummaryRepository(t.app.store.models).addLecture(user.idle, 2025, String(lecture.c));
  await t.app.store.models.Lecture.collection.insertOne({ _id: lecture.c, title: '数字乡村建设', state: 'published', kind: 'recorded', category: 'development', durationSec: 600, creditHours: 1 } as never);
}, 60_000);
afterAll(() => t?.close());

const year2025 = 'from=2025-01-01&to=2025-12-31';

describe('the unit report', () => {
  it('lets a unit admin read their own subtree only, and the organisation department any unit', async () => {
    expect((await call('GET', `/api/reports/units/${unit.committee}/report?${year2025}`, unitAdmin)).status).toBe(200);
    expect((await call('GET', `/api/reports/units/${unit.village}/report?${year2025}`, unitAdmin)).status).toBe(200);
    const other = await call('GET', `/api/reports/units/${unit.other}/report?${year2025}`, unitAdmin);
    expect(other.status).toBe(403);
    expect(other.json().error.code).toBe('FORBIDDEN');
    expect((await call('GET', `/api/reports/units/${unit.other}/report?${year2025}`, admin)).status).toBe(200);
    expect((await call('GET', `/api/reports/units/${unit.committee}/report`, cadreCookie)).status).toBe(403);
    expect((await call('GET', `/api/reports/units/${String(new Types.ObjectId())}/report`, admin)).status).toBe(404);
    expect((await call('POST', `/api/reports/units/${unit.other}/reminders`, unitAdmin, {})).status).toBe(403);
  });

  it('lists members of the unit and its sub-units with their own unit, and a totals row that adds up', async () => {
    const r = (await call('GET', `/api/reports/units/${unit.committee}/report?${year2025}`, unitAdmin)).json();
    expect(r.range).toEqual({ from: '2025-01-01', to: '2025-12-31', timeZone: 'Asia/Shanghai' });
    const byName = new Map(r.members.map((m: any) => [m.username, m]));
    expect([...byName.keys()].sort()).toEqual(['cadre', 'r-behind', 'r-idle', 'r-met', 'r-spring']);
    expect(byName.get('r-met')).toMatchObject({ unitName: '苏公坨乡人民政府', earned: 95, requiredEarned: 50, electiveEarned: 45, completed: 2, requiredHours: 90, percent: 100, behind: false });
    expect(byName.get('r-behind')).toMatchObject({ unitName: '苏公坨村党支部', earned: 12.5, completed: 1, behind: true });
    expect(byName.get('r-idle')).toMatchObject({ rank: 'county', requiredHours: 110, earned: 0, behind: true });
    expect(byName.get('r-spring')).toMatchObject({ unitName: '苏公坨乡党委', subUnitId: unit.committee });
    expect(r.totals).toEqual({ members: 5, behind: 4, met: 1, requiredHours: 90 * 4 + 110, earned: 127.5, requiredEarned: 62.5, electiveEarned: 65, completed: 4, metPercent: 20 });
    expect(r.members.map((m: any) => m.username)).not.toContain('r-elsewhere');
  });

  it('counts a range of county days, not host days, and defaults to the county year', async () => {
    const q1 = (await call('GET', `/api/reports/units/${unit.committee}/report?from=2025-01-01&to=2025-03-31`, unitAdmin)).json();
    const spring = (m: any) => m.username === 'r-spring';
    expect(q1.members.find(spring).earned).toBe(0);
    expect(q1.members.find((m: any) => m.username === 'r-met')).toMatchObject({ earned: 50, completed: 1, requiredHours: 22.2, behind: false });
    const april = (await call('GET', `/api/reports/units/${unit.committee}/report?from=2025-04-01&to=2025-04-30`, unitAdmin)).json();
    expect(april.members.find(spring)).toMatchObject({ earned: 20, completed: 1, requiredHours: 7.4 });
    const now = (await call('GET', `/api/reports/units/${unit.committee}/report`, unitAdmin)).json();
    const y = t.app.calendar.year(Date.now());
    expect(now.range).toMatchObject({ from: `${y}-01-01`, to: `${y}-12-31` });
    const reversed = await call('GET', `/api/reports/units/${unit.committee}/report?from=2025-05-01&to=2025-04-01`, unitAdmin);
    expect(reversed.status).toBe(400);
    expect(reversed.json().error.code).toBe('BAD_RANGE');
    expect((await call('GET', `/api/reports/units/${unit.committee}/report?from=2025-02-30`, unitAdmin)).status).toBe(400);
    expect((await call('GET', `/api/reports/units/${unit.committee}/report?from=2020-01-01&to=2026-01-01`, unitAdmin)).status).toBe(400);
  });

  it('summarises by sub-unit: members, hours and the share meeting the requirement', async () => {
    const r = (await call('GET', `/api/reports/units/${unit.committee}/report?${year2025}`, unitAdmin)).json();
    expect(r.subUnits[0].name).toBe('苏公坨乡党委');
    expect(r.subUnits.map((s: any) => s.name).sort()).toEqual(['苏公坨乡人民政府', '苏公坨乡党委', '苏公坨村党支部'].sort());
    const gov = r.subUnits.find((s: any) => s.unitId === unit.government);
    expect(gov).toMatchObject({ members: 1, met: 1, behind: 0, earned: 95, metPercent: 100 });
    const village = r.subUnits.find((s: any) => s.unitId === unit.village);
    expect(village).toMatchObject({ members: 3, met: 0, behind: 3, earned: 12.5, metPercent: 0, averageHours: 4.2 });
  });

  it('has a per-lecture sheet with learners, completions and hours', async () => {
    const r = (await call('GET', `/api/reports/units/${unit.committee}/report?${year2025}`, unitAdmin)).json();
    const byTitle = new Map(r.lectures.map((l: any) => [l.title, l]));
    expect(byTitle.get('关键在于落实')).toMatchObject({ learners: 2, completions: 2, hours: 62.5 });
    expect(byTitle.get('乡村振兴专题')).toMatchObject({ learners: 2, completions: 2, hours: 65 });
    expect(byTitle.get('数字乡村建设')).toMatchObject({ learners: 1, completions: 0, hours: 0 });
  });

  it('exports a workbook of three sheets that exceljs reads back, and CSV of any sheet', async () => {
    const res = await call('GET', `/api/reports/units/${unit.committee}/report.xlsx?${year2025}`, unitAdmin);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-disposition'])).toContain('unit-report-2025-01-01-2025-12-31.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.raw as never);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['成员明细 Members', '下属单位汇总 Sub-units', '课程统计 Lectures']);
    const members = wb.worksheets[0]!;
    expect(String(members.getCell('A1').value)).toContain('苏公坨乡党委');
    expect(members.getRow(2).values).toContain('所属单位 Unit');
    const last = members.getRow(members.rowCount).values as unknown[];
    expect(String(last[1])).toContain('合计');
    expect(last).toContain(127.5);
    const rows: string[][] = [];
    members.eachRow((row) => rows.push((row.values as unknown[]).map(String)));
    expect(rows.find((row) => row.includes('r-met'))).toEqual(expect.arrayContaining(['苏公坨乡人民政府', '95']));
    const lectures = wb.worksheets[2]!.getSheetValues().flat().map(String);
    expect(lectures).toContain('数字乡村建设');
    const csv = await call('GET', `/api/reports/units/${unit.committee}/report.csv?${year2025}&sheet=subunits`, unitAdmin);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.raw.toString('utf8')).toContain('苏公坨乡人民政府,1,1,0,100,95');
  });

  it('reminds only the cadres behind in the range, once a day', async () => {
    const first = await call('POST', `/api/reports/units/${unit.committee}/reminders`, unitAdmin, { from: '2025-01-01', to: '2025-12-31' });
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({ behind: 4, reminded: 4 });
    const box = async (userId: string) => (await t.app.store.models.NoticeBox.findById(userId).lean())?.items ?? [];
    expect(await box(user.met)).toHaveLength(0);
    expect(await box(user.elsewhere)).toHaveLength(0);
    const [notice] = await box(user.behind);
    expect(notice).toMatchObject({ kind: 'unit-reminder', link: '/study' });
    expect(notice!.body).toContain('12.5');
    const again = await call('POST', `/api/reports/units/${unit.committee}/reminders`, unitAdmin, { from: '2025-01-01', to: '2025-12-31' });
    expect(again.json()).toMatchObject({ behind: 4, reminded: 0 });
    expect(await box(user.behind)).toHaveLength(1);
  });

  it('is kept between reports yet current at once: a new cadre, a completion and a disabled cadre show in the next report', async () => {
    const url = `/api/reports/units/${unit.government}/report?${year2025}`;
    const first = (await call('GET', url, admin)).json();
    expect(first.members.map((m: any) => m.username)).toContain('r-met');
    expect(first.members.map((m: any) => m.username)).not.toContain('r-new');

    const created = await call('POST', '/api/users', admin, { username: 'r-new', displayName: '新任干部', role: 'cadre', rank: 'township', orgUnitId: unit.government });
    expect(created.status).toBe(201);
    const newId = created.json().id as string;
    const disabled = await call('PATCH', `/api/users/${user.met}`, admin, { disabled: true });
    expect(disabled.status).toBe(200);
    const second = (await call('GET', url, admin)).json();
    expect(second.members.map((m: any) => m.username)).not.toContain('r-met');
    expect(second.members.find((m: any) => m.username === 'r-new')).toMatchObject({ earned: 0, completed: 0 });

    // A completion as the app's own credit ledger rolls it up (its summary repository tells the report).
    const atMs = Date.parse('2025-07-01T02:00:00Z');
    const entryId = `${newId}:${String(lecture.b)}:2025`;
    await t.app.store.models.Ledger.collection.insertOne({ _id: entryId as never, userId: new Types.ObjectId(newId), lectureId: lecture.b, year: 2025, hours: 30, required: false, title: '乡村振兴专题', at: new Date(atMs) });
    const summaries = t.app.study.ledger.summaries;
    expect(await summaries.addEntry(newId, 2025, entryId, { total: 30, elective: 30, [`byDay.${t.app.calendar.day(atMs)}`]: 30 })).toBe(true);
    await summaries.addLecture(newId, 2025, String(lecture.b));

    const next = (await call('GET', url, admin)).json();
    expect(next.members.find((m: any) => m.username === 'r-new')).toMatchObject({ earned: 30, completed: 1, electiveEarned: 30 });

    // Moved to another committee's unit: gone from this report, in that one's, with the hours.
    const otherUrl = `/api/reports/units/${unit.other}/report?${year2025}`;
    expect((await call('GET', otherUrl, admin)).json().members.map((m: any) => m.username)).not.toContain('r-new');
    expect((await call('PATCH', `/api/users/${newId}`, admin, { orgUnitId: unit.other })).status).toBe(200);
    expect((await call('GET', url, admin)).json().members.map((m: any) => m.username)).not.toContain('r-new');
    expect((await call('GET', otherUrl, admin)).json().members.find((m: any) => m.username === 'r-new')).toMatchObject({ earned: 30, unitName: '开通镇党委' });
    expect(next.lectures.find((l: any) => l.lectureId === String(lecture.b))).toMatchObject({ completions: 1 });
  });
});
