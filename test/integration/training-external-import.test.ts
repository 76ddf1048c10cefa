/**
 * 外出培训学时批量导入 against the real FerretDB: the template, every row checked with its Excel
 * row number and a code, nothing imported twice (the same file again, two imports of the same
 * rows racing, a confirm sent twice at once), and the hours in the ledger once, decided by the
 * importing admin. Org admin only.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/modules/auth/password';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let unitAdmin: string;
let adminId: string;

const HEADERS = ['用户名', '姓名', '培训名称', '主办单位', '开始日期', '结束日期', '认定学时', '渠道', '备注'];
type Line = (string | number | Date | null)[];

interface ImportView {
  id: string;
  state: string;
  totalRows: number;
  okRows: number;
  errorCount: number;
  imported: number;
  skipped: number;
  processedRows: number;
  rowErrors: { row: number; field: string; code: string }[];
  preview: { row: number; username: string; channel: string }[];
}

async function xlsx(lines: Line[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('外出培训学时');
  ws.addRow(HEADERS);
  for (const l of lines) ws.addRow(l);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function upload(lines: Line[], cookie = admin) {
  const file = await xlsx(lines);
  return t.app.inject({ method: 'POST', url: '/api/training/external-imports', headers: { cookie }, payload: { fileName: '外出培训.xlsx', contentBase64: file.toString('base64') } });
}

const confirm = (id: string) => t.app.inject({ method: 'POST', url: `/api/training/external-imports/${id}/confirm`, headers: { cookie: admin } });

async function finished(id: string, timeoutMs = 60_000): Promise<ImportView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await t.app.inject({ url: `/api/training/external-imports/${id}`, headers: { cookie: admin } })).json() as ImportView;
    if (view.state === 'done' || view.state === 'failed') return view;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${view.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ledgerOf = (userId: string) => t.app.store.models.Ledger.find({ userId: new Types.ObjectId(userId), source: 'external' }).lean();
const lastYear = () => t.app.calendar.year(Date.now()) - 1;

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  const passwordHash = await hashPassword('xuexi2026', { N: 1024 });
  const unitId = seeded.unitIds.get('苏公坨村党支部');
  await t.app.store.models.User.insertMany([
    { username: 'zhaolei', displayName: '赵磊', passwordHash, role: 'cadre', rank: 'township', orgUnitId: unitId },
    { username: 'qianli', displayName: '钱丽', passwordHash, role: 'cadre', rank: 'county', orgUnitId: unitId },
    { username: 'sunqiang', displayName: '孙强', passwordHash, role: 'cadre', rank: 'township', orgUnitId: unitId },
  ]);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  adminId = String((await t.app.store.models.User.findOne({ username: 'orgadmin' }).lean())!._id);
});
afterAll(() => t?.close());

const userId = async (username: string) => String((await t.app.store.models.User.findOne({ username }).lean())!._id);

describe('external training import', () => {
  it('offers the template to the org admin only', async () => {
    const res = await t.app.inject({ url: '/api/training/external-imports/template', headers: { cookie: admin } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect((wb.worksheets[0]!.getRow(1).values as string[]).slice(1)).toEqual(HEADERS);
    expect((await t.app.inject({ url: '/api/training/external-imports/template', headers: { cookie: unitAdmin } })).statusCode).toBe(403);
    expect((await upload([], unitAdmin)).statusCode).toBe(403);
  });

  it('lists bad rows by Excel row number with a code, and imports none of them', async () => {
    const y = lastYear();
    const res = await upload([
      ['zhaolei', '赵磊', '清华大学县域经济专题培训班', '清华大学', `${y}-05-11`, `${y}-05-15`, 40, '高校培训', ''], // 2 ok
      ['nobody', '无名', '搭车培训', '省委组织部', `${y}-06-01`, `${y}-06-03`, 24, '搭车培训', ''], // 3 unknown cadre
      ['qianli', '钱莉', '赴华西村考察学习', '县委组织部', `${y}-07-01`, `${y}-07-03`, 16, '考察学习', ''], // 4 name mismatch
      ['qianli', '钱丽', '赴华西村考察学习', '县委组织部', `${y}-13-01`, `${y}-07-03`, 16, '考察学习', ''], // 5 bad date
      ['qianli', '钱丽', '党校进修', '省委党校', `${y}-07-10`, `${y}-07-01`, 16, '其他', ''], // 6 end before start
      ['sunqiang', '孙强', '党校进修', '省委党校', `${y}-08-01`, `${y}-08-03`, 0, '其他', ''], // 7 hours
      ['sunqiang', '孙强', '党校进修', '省委党校', `${y}-08-01`, `${y}-08-03`, 500, '其他', ''], // 8 hours
      ['sunqiang', '孙强', '党校进修', '省委党校', `${y}-08-01`, `${y}-08-03`, 16, '出国', ''], // 9 channel
      ['sunqiang', '孙强', '未来培训', '省委党校', t.app.calendar.addDays(t.app.calendar.day(Date.now()), 3), t.app.calendar.addDays(t.app.calendar.day(Date.now()), 5), 16, '其他', ''], // 10 future
      ['sunqiang', '孙强', '', '省委党校', `${y}-09-01`, `${y}-09-03`, 16, '其他', ''], // 11 missing title
      ['qianli', '钱丽', '省委组织部乡镇干部培训班', '省委组织部', new Date(Date.UTC(y, 9, 8)), new Date(Date.UTC(y, 9, 12)), 32, '搭车培训', ''], // 12 dup of 13
      ['qianli', '钱丽', '省委组织部乡镇干部培训班 ', '省委组织部', `${y}/10/8`, `${y}/10/12`, 32, '搭车', ''], // 13 dup of 12
      ['qianli', '钱丽', '党校进修', '省委党校', `${y - 1}-05-08`, `${y - 1}-05-12`, 32, '其他', ''], // 14 closed year
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json() as ImportView;
    expect(view).toMatchObject({ state: 'checked', totalRows: 13, okRows: 1, errorCount: 12 });
    const codes = view.rowErrors.map((e) => `${e.row}:${e.code}`);
    expect(codes).toEqual(['3:UNKNOWN_CADRE', '4:NAME_MISMATCH', '5:BAD_DATE', '6:END_BEFORE_START', '7:BAD_HOURS', '8:BAD_HOURS', '9:BAD_CHANNEL', '10:FUTURE_TRAINING', '11:MISSING_FIELD', '12:DUPLICATE_IN_FILE', '13:DUPLICATE_IN_FILE', '14:YEAR_CLOSED']);
    expect(view.preview).toEqual([expect.objectContaining({ row: 2, username: 'zhaolei', channel: 'university' })]);
    // Nothing is written before the confirmation.
    expect(await t.app.store.models.ExternalTraining.countDocuments({ userId: new Types.ObjectId(await userId('zhaolei')) })).toBe(0);
    const bad = await t.app.inject({ method: 'POST', url: '/api/training/external-imports', headers: { cookie: admin }, payload: { fileName: 'x.xlsx', contentBase64: Buffer.from('not a workbook').toString('base64') } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'BAD_IMPORT_FILE']);
  });

  it('imports the rows that passed once, credits the ledger once, and finds the same file sent again already recorded', async () => {
    const y = lastYear();
    const lines: Line[] = [
      ['zhaolei', '赵磊', '省委组织部专题培训班(搭车)', '省委组织部', `${y}-04-06`, `${y}-04-10`, 32, '搭车培训', '第一批'],
      ['qianli', '钱丽', '省委组织部专题培训班(搭车)', '省委组织部', `${y}-04-06`, `${y}-04-10`, 30.5, '搭车培训', ''],
      ['sunqiang', '孙强', '赴华西村考察学习', '县委组织部', `${y}-06-02`, `${y}-06-04`, 16, '考察学习', ''],
    ];
    const first = (await upload(lines)).json() as ImportView;
    expect(first.okRows).toBe(3);
    const queued = await confirm(first.id);
    expect(queued.statusCode, queued.body).toBe(202);
    const done = await finished(first.id);
    expect(done).toMatchObject({ state: 'done', imported: 3, skipped: 0, processedRows: 3 });
    const qianli = await userId('qianli');
    const records = await t.app.store.models.ExternalTraining.find({ userId: new Types.ObjectId(qianli) }).lean();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ state: 'approved', hoursAllowed: 30.5, hoursClaimed: 30.5, year: y });
    expect(String(records[0]!.decidedBy)).toBe(adminId);
    const entries = await ledgerOf(qianli);
    expect(entries.map((e) => [e.hours, e.year, e.required, String(e.lectureId)])).toEqual([[30.5, y, false, String(records[0]!._id)]]);
    const summary = await t.app.store.models.Summary.findById(`${qianli}:${y}`).lean();
    expect(summary?.total).toBe(30.5);
    const box = await t.app.store.models.NoticeBox.findById(qianli).lean();
    expect(box?.ids).toContain(`training-external-${String(records[0]!._id)}`);

    // The same file again: every row is already recorded, nothing to confirm.
    const again = (await upload(lines)).json() as ImportView;
    expect(again).toMatchObject({ okRows: 0, errorCount: 3 });
    expect(new Set(again.rowErrors.map((e) => e.code))).toEqual(new Set(['ALREADY_RECORDED']));
    const refused = await confirm(again.id);
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'IMPORT_NOTHING_TO_IMPORT']);
    expect(await ledgerOf(qianli)).toHaveLength(1);
  });

  it('refuses to confirm a check whose rows were dropped (never confirmed within a week)', async () => {
    const y = lastYear();
    const view = (await upload([['zhaolei', '赵磊', '县域治理研修班', '省委党校', `${y}-11-02`, `${y}-11-06`, 32, '其他', '']])).json() as ImportView;
    await rm(join(t.env.DATA_DIR!, 'external-imports', `${view.id}.json`));
    const res = await confirm(view.id);
    expect([res.statusCode, res.json().error.code]).toEqual([410, 'IMPORT_EXPIRED']);
  });

  it('imports rows once when two uploads of them are confirmed at once, each confirm sent twice', async () => {
    const y = lastYear();
    const lines: Line[] = ['zhaolei', 'qianli', 'sunqiang'].map((u, i) => [u, ['赵磊', '钱丽', '孙强'][i]!, '清华大学乡村振兴专题培训班', '清华大学', `${y}-09-14`, `${y}-09-18`, 40, '高校培训', '']);
    const a = (await upload(lines)).json() as ImportView;
    const b = (await upload(lines)).json() as ImportView;
    expect([a.okRows, b.okRows]).toEqual([3, 3]);
    const replies = await Promise.all([confirm(a.id), confirm(b.id), confirm(a.id), confirm(b.id)]);
    expect(replies.map((r) => r.statusCode)).toEqual([202, 202, 202, 202]);
    const [da, db] = [await finished(a.id), await finished(b.id)];
    expect(da.imported + db.imported).toBe(3);
    expect(da.skipped + db.skipped).toBe(3);
    for (const u of ['zhaolei', 'qianli', 'sunqiang']) {
      const id = await userId(u);
      expect(await t.app.store.models.ExternalTraining.countDocuments({ userId: new Types.ObjectId(id), title: '清华大学乡村振兴专题培训班' })).toBe(1);
      expect((await ledgerOf(id)).filter((e) => e.title === '外出培训:清华大学乡村振兴专题培训班')).toHaveLength(1);
    }
    const jobs = await t.app.store.models.Job.countDocuments({ type: 'training-external-import' });
    expect(jobs).toBe(3); // one per confirmed import: the earlier test's, a's and b's
  });
});
