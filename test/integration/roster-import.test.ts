/** 花名册导入 against the real FerretDB: rows checked, errors by row, idempotent, concurrent, timed. */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, login, type TestApp } from '../helpers/build';
import { generatedRoster, rosterXlsx, type RosterLine } from '../helpers/roster';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';

let t: TestApp;
let admin: string;
let unitAdmin: string;

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  await seedDemo(t.app.store.models);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
});
afterAll(() => t?.close());

interface ImportView {
  id: string;
  state: string;
  totalRows: number;
  created: number;
  skipped: number;
  errorCount: number;
  credentials: string;
  durationMs?: number;
  rowErrors: { row: number; field: string; code: string; message: string }[];
}

async function upload(lines: RosterLine[] | Buffer, cookie = admin) {
  const file = Buffer.isBuffer(lines) ? lines : await rosterXlsx(lines);
  return t.app.inject({ method: 'POST', url: '/api/roster-imports', headers: { cookie }, payload: { fileName: '花名册.xlsx', contentBase64: file.toString('base64') } });
}

async function finished(id: string, cookie = admin, timeoutMs = 120_000): Promise<ImportView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await t.app.inject({ url: `/api/roster-imports/${id}`, headers: { cookie } })).json() as ImportView;
    if (view.state === 'done' || view.state === 'failed') return view;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${view.state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runImport(lines: RosterLine[] | Buffer, cookie = admin) {
  const res = await upload(lines, cookie);
  expect(res.statusCode, res.body).toBe(202);
  return finished(res.json().id, cookie);
}

describe('roster import', () => {
  it('offers a template with the Chinese headers and the units in scope', async () => {
    const res = await t.app.inject({ url: '/api/roster-imports/template', headers: { cookie: unitAdmin } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect((wb.worksheets[0]!.getRow(1).values as string[]).slice(1)).toEqual(['姓名', '用户名', '单位', '职级', '角色', '手机']);
    const units = (wb.getWorksheet('单位列表')!.getColumn(1).values as string[]).slice(2);
    expect(units).toContain('苏公坨村党支部');
    expect(units).not.toContain('开通镇人民政府');
  });

  it('reports every bad row by its row number and creates only the good ones', async () => {
    const lines: RosterLine[] = [
      ...generatedRoster(3, 'hao'),
      { name: '无单位', username: 'bad01', unit: '不存在的单位' },
      { name: '', username: 'bad02', unit: '苏公坨村党支部' },
      { name: '坏职级', username: 'bad03', unit: '苏公坨村党支部', rank: '省部级' },
      { name: '重复甲', username: 'twin01', unit: '苏公坨村党支部' },
      { name: '重复乙', username: 'TWIN01', unit: '苏公坨村党支部' },
      { name: '坏手机', username: 'bad04', unit: '苏公坨村党支部', phone: '12345' },
      { name: '占用', username: 'cadre', unit: '苏公坨村党支部' },
      { name: '坏用户名', username: '张三', unit: '苏公坨村党支部' },
    ];
    const view = await runImport(lines);
    expect(view).toMatchObject({ state: 'done', totalRows: 11, created: 3, skipped: 0, errorCount: 8, credentials: 'ready' });
    const byRow = new Map<number, string[]>();
    for (const e of view.rowErrors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e.code]);
    expect(Object.fromEntries(byRow)).toEqual({
      5: ['UNKNOWN_UNIT'],
      6: ['MISSING_FIELD'],
      7: ['BAD_RANK'],
      8: ['DUPLICATE_IN_FILE'],
      9: ['DUPLICATE_IN_FILE'],
      10: ['BAD_PHONE'],
      11: ['USERNAME_TAKEN'],
      12: ['BAD_USERNAME'],
    });
    expect(view.rowErrors.find((e) => e.row === 5)!.message).toContain('不存在的单位');
    expect(await t.app.store.models.User.countDocuments({ username: /^(bad|twin)/ })).toBe(0);
  });

  it('hands the one-time passwords to the importer once; they log in and must change the password', async () => {
    const view = await runImport(generatedRoster(2, 'mima'));
    expect(view.created).toBe(2);
    const res = await t.app.inject({ url: `/api/roster-imports/${view.id}/credentials`, headers: { cookie: admin } });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const row = wb.worksheets[0]!.getRow(2).values as string[];
    const [username, password] = [row[3]!, row[4]!];
    expect(username).toMatch(/^mima000[12]$/);
    const again = await t.app.inject({ url: `/api/roster-imports/${view.id}/credentials`, headers: { cookie: admin } });
    expect(again.statusCode).toBe(410);
    expect(again.json().error.code).toBe('CREDENTIALS_GONE');
    const loggedIn = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    expect(loggedIn.statusCode).toBe(200);
    expect(loggedIn.json().user.mustChangePassword).toBe(true);
    // Another admin cannot read the import at all.
    expect((await t.app.inject({ url: `/api/roster-imports/${view.id}`, headers: { cookie: unitAdmin } })).statusCode).toBe(404);
  });

  it('creates nothing twice: the same file again creates 0 and skips every row', async () => {
    const file = await rosterXlsx(generatedRoster(40, 'chongfu'));
    const first = await runImport(file);
    expect(first.created).toBe(40);
    const second = await runImport(file);
    expect(second).toMatchObject({ created: 0, skipped: 40, errorCount: 0, credentials: 'none' });
    expect(await t.app.store.models.User.countDocuments({ username: /^chongfu/ })).toBe(40);
  });

  it('two imports of one file at once create each account once', async () => {
    const file = await rosterXlsx(generatedRoster(300, 'bingfa'));
    const [a, b] = await Promise.all([upload(file), upload(file)]);
    const [va, vb] = await Promise.all([finished(a.json().id), finished(b.json().id)]);
    expect(va.created + vb.created).toBe(300);
    expect(va.skipped + vb.skipped).toBe(300);
    expect(await t.app.store.models.User.countDocuments({ username: /^bingfa/ })).toBe(300);
  });

  it('keeps a unit admin to its subtree, row by row', async () => {
    const view = await runImport(
      [
        { name: '本乡', username: 'benxiang1', unit: '苏公坨村党支部' },
        { name: '外镇', username: 'waizhen1', unit: '开通镇人民政府' },
        { name: '管理员', username: 'guanli1', unit: '苏公坨村党支部', role: '单位管理员' },
      ],
      unitAdmin,
    );
    expect(view).toMatchObject({ created: 2, errorCount: 1 });
    expect(view.rowErrors).toEqual([expect.objectContaining({ row: 3, code: 'OUT_OF_SCOPE' })]);
  });

  it('refuses a file that is not an .xlsx, and a sheet without the template headers', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/roster-imports', headers: { cookie: admin }, payload: { fileName: 'x.csv', contentBase64: Buffer.from('姓名,用户名\n').toString('base64') } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_ROSTER_FILE');
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('x').addRow(['name', 'login']);
    const view = await runImport(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(view.state).toBe('failed');
    const cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
    expect((await upload(generatedRoster(1, 'gb'), cadre)).statusCode).toBe(403);
  });

  it('imports 2,000 rows and says how long it took', async () => {
    const file = await rosterXlsx(generatedRoster(2000, 'liang'));
    const started = Date.now();
    const view = await runImport(file);
    const ms = Date.now() - started;
    expect(view.created).toBe(2000);
    console.log(`roster import: 2,000 rows in ${ms} ms (job ${view.durationMs} ms, ${Math.round(2000 / (ms / 1000))} rows/s)`);
  }, 180_000);
});
