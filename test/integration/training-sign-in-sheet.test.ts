/**
 * A class's sign-in sheet (签到表) on the real store: one row per seated cadre, one column per
 * presence session (in-person, site-visit, caravan; recorded sessions are not signed for), the
 * recorded check-in and check-out in county time; the .xlsx read back with exceljs holds the same;
 * the class report counts attendance per session and completion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { hashPassword } from '../../server/modules/auth/password';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let orgAdmin: string;
let unitAdmin: string;
let id: string;
const sessions: string[] = [];
let cadres: { id: string }[] = [];

const call = async (method: string, url: string, cookie: string, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return { status: res.statusCode, headers: res.headers, raw: res.rawPayload, body: res.headers['content-type']?.toString().includes('json') ? (res.json() as any) : undefined };
};
const today = () => t.app.calendar.day(Date.now());
const day = (n: number) => t.app.calendar.addDays(today(), n);

beforeAll(async () => {
  t = await build({ TIME_ZONE: 'Asia/Shanghai' });
  const seeded = await seedDemo(t.app.store.models);
  orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  const passwordHash = await hashPassword('xuexi2026', { N: 1024 });
  const units = ['苏公坨村党支部', '苏公坨乡人民政府', '苏公坨村党支部'];
  const docs = await t.app.store.models.User.insertMany(['王芳', '李强', '赵敏'].map((name, i) => ({ username: `qd${i}`, displayName: name, passwordHash, role: 'cadre', rank: 'township', orgUnitId: seeded.unitIds.get(units[i]!) })));
  cadres = docs.map((d) => ({ id: String(d._id) }));
  const r = await call('POST', '/api/training/classes', orgAdmin, { name: '乡村振兴专题培训班', category: '专题培训', channel: 'caravan', startDay: day(-2), endDay: today(), withdrawBy: day(-3), capacity: 30, creditHours: 16, applications: false });
  id = r.body.id;
  await call('POST', `/api/training/classes/${id}/assignments`, orgAdmin, { userIds: cadres.map((c) => c.id) });
  // 09:00–11:30 county time, two days ago, and a caravan stop the next day; a recorded lecture (no column).
  const at = (d: number, h: number, m = 0) => new Date(t.app.calendar.dayAt(day(d), h, m));
  const rows = [
    { kind: 'in-person', title: '开班式', startAt: at(-2, 9), endAt: at(-2, 11, 30), venue: '县委党校' },
    { kind: 'recorded', title: '网络课程', lectureId: new Types.ObjectId(), dueDay: today() },
    { kind: 'caravan', title: '大篷车进村', startAt: at(-1, 14), endAt: at(-1, 17), place: '苏公坨村' },
  ];
  for (const row of rows) sessions.push(String((await t.app.store.models.TrainingSession.create({ classId: id, ...row } as never))._id));
  const mark = (s: string, u: string, inAt: Date, outAt: Date | null) =>
    t.app.store.models.TrainingAttendance.create({ _id: `${s}:${u}`, classId: id, sessionId: s, userId: u, checkInAt: inAt, checkInVia: 'qr', checkOutAt: outAt, checkOutVia: outAt ? 'roster' : null });
  await mark(sessions[0]!, cadres[0]!.id, at(-2, 8, 55), at(-2, 11, 32));
  await mark(sessions[0]!, cadres[1]!.id, at(-2, 9, 5), null);
  await mark(sessions[2]!, cadres[0]!.id, at(-1, 13, 58), at(-1, 17, 1));
}, 60_000);
afterAll(() => t?.close());

describe('sign-in sheet', () => {
  it('has a row per cadre and a column per presence session, with the times in county time', async () => {
    const r = await call('GET', `/api/training/classes/${id}/sign-in-sheet`, orgAdmin);
    expect(r.status).toBe(200);
    expect(r.body.sessions.map((s: any) => [s.title, s.day, s.time, s.place])).toEqual([
      ['开班式', day(-2), '09:00–11:30', '县委党校'],
      ['大篷车进村', day(-1), '14:00–17:00', '苏公坨村'],
    ]);
    const byName = Object.fromEntries(r.body.rows.map((row: any) => [row.displayName, row.cells]));
    expect(byName['王芳']).toEqual([{ in: '08:55', out: '11:32' }, { in: '13:58', out: '17:01' }]);
    expect(byName['李强']).toEqual([{ in: '09:05', out: null }, { in: null, out: null }]);
    expect(byName['赵敏']).toEqual([{ in: null, out: null }, { in: null, out: null }]);
    expect(r.body.counts).toEqual([{ checkedIn: 2, complete: 1 }, { checkedIn: 1, complete: 1 }]);
    expect((await call('GET', `/api/training/classes/${id}/sign-in-sheet`, unitAdmin)).status).toBe(403);
  });

  it('exports the sheet to Excel, which reads back the same', async () => {
    const r = await call('GET', `/api/training/classes/${id}/sign-in-sheet.xlsx`, orgAdmin);
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toContain('spreadsheetml');
    expect(String(r.headers['content-disposition'])).toContain(encodeURIComponent('乡村振兴专题培训班-签到表.xlsx'));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.raw as never);
    const ws = wb.getWorksheet('签到表 Sign-in')!;
    expect(String(ws.getCell('A1').value)).toContain('乡村振兴专题培训班');
    expect([2, 3, 4, 5].map((c) => ws.getRow(2).getCell(c).value)).toEqual(['姓名 Name', '单位 Unit', '开班式', '大篷车进村']);
    const body = [4, 5, 6].map((n) => ws.getRow(n).values as unknown[]);
    const row = (name: string) => body.find((v) => v[2] === name)!;
    expect(row('王芳').slice(3, 6)).toEqual(['苏公坨村党支部', '签到 08:55 / 签退 11:32', '签到 13:58 / 签退 17:01']);
    expect(row('李强')[4]).toBe('签到 09:05 / 签退 —');
    expect(row('赵敏')[4] ?? '').toBe('');
    const sum = wb.getWorksheet('出勤统计 Attendance')!;
    expect(sum.getRow(3).values).toEqual([undefined, '开班式', day(-2), 3, 2, 1, 33.3]);
    const roster = wb.getWorksheet('学员名单 Roster')!;
    expect([3, 4, 5].map((n) => (roster.getRow(n).values as unknown[]).slice(2, 7))).toEqual([
      ['王芳', 'qd0', '苏公坨村党支部', '已报名', '调训'],
      ['李强', 'qd1', '苏公坨乡人民政府', '已报名', '调训'],
      ['赵敏', 'qd2', '苏公坨村党支部', '已报名', '调训'],
    ]);
  });

  it('reports attendance per session and completion of the class', async () => {
    await call('POST', `/api/training/classes/${id}/completion`, orgAdmin, {});
    const r = await call('GET', `/api/training/classes/${id}/report`, orgAdmin);
    expect(r.body).toMatchObject({
      roster: 3,
      sessions: [{ title: '开班式', checkedIn: 2, complete: 1 }, { title: '大篷车进村', checkedIn: 1, complete: 1 }],
      completion: { met: 0, completed: 0, certificates: 0 },
      missing: { presence: 2, recorded: 3 },
    });
    expect(r.body.units.map((u: any) => [u.unit, u.roster])).toEqual([['苏公坨村党支部', 2], ['苏公坨乡人民政府', 1]]);
  });
});
