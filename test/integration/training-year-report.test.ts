/**
 * The year report of training (培训年度统计) on the real store, over the demo county seeded with
 * the article's figures: classes by category and channel (cohorts, person-times, hours), training
 * elsewhere by channel, the .xlsx export, org admin only, an import shows at once, and the report
 * answers quickly from the second read on.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { seedDemoTraining } from '../../server/seed/demo-training';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let year: number;
let seedMs: number;

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  await seedDemo(t.app.store.models);
  const started = Date.now();
  const seeded = await seedDemoTraining(t.app.store.models, t.app.calendar);
  seedMs = Date.now() - started;
  expect(seeded).toMatchObject({ classes: 84, cadres: 1200, enrolments: 2891 + 1885 + 230 + 1200 + 6400, external: 3949 });
  year = seeded.year;
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
}, 120_000);
afterAll(() => t?.close());

const get = (url: string, cookie = admin) => t.app.inject({ url, headers: { cookie } });

describe('training year report', () => {
  it('seeds the article’s figures within seconds, once', async () => {
    console.log(`seedDemoTraining: ${seedMs} ms`);
    expect(seedMs).toBeLessThan(15_000);
    expect(await seedDemoTraining(t.app.store.models, t.app.calendar)).toMatchObject({ classes: 0, cadres: 0, enrolments: 0, external: 0 });
  });

  it('counts cohorts, person-times and hours of classes by name, category and channel, and training elsewhere by channel', async () => {
    let at = Date.now();
    // Fresh: the figures kept since the start predate the seeding, which wrote behind the portal's back.
    const res = await get(`/api/training/report?year=${year}&fresh=true`);
    const firstMs = Date.now() - at;
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    const byName = Object.fromEntries((r.classes.byName as any[]).map((c) => [c.name, [c.cohorts, c.completed]]));
    expect(byName).toEqual({
      党史党性教育专题培训班: [9, 2891],
      突发事件预防与应对专题培训班: [2, 940],
      维稳信访知识专题培训班: [2, 945],
      财务知识管理专题培训班: [3, 230],
      县情县策专题研讨班: [1, 1200],
      干教大篷车流动课堂: [67, 6400],
    });
    expect(byName['突发事件预防与应对专题培训班']![1] + byName['维稳信访知识专题培训班']![1]).toBe(1885);
    const caravan = (r.classes.byCategory as any[]).find((c) => c.channel === 'caravan');
    expect(caravan).toEqual({ category: '专题培训', channel: 'caravan', cohorts: 67, enrolled: 6400, completed: 6400, hours: 12_800 });
    expect(r.classes.totals).toMatchObject({ cohorts: 84, completed: 12_606 });
    const ext = Object.fromEntries((r.external.byChannel as any[]).map((c) => [c.channel, c.personTimes]));
    expect(ext).toEqual({ university: 122, provincial: 257, visit: 1413, other: 2157 });
    expect(r.external.totals.personTimes).toBe(3949);
    expect(r.totals.personTimes).toBe(12_606 + 3949);
    at = Date.now();
    expect((await get(`/api/training/report?year=${year}`)).statusCode).toBe(200);
    const cachedMs = Date.now() - at;
    console.log(`year report: first ${firstMs} ms, cached ${cachedMs} ms`);
    expect(cachedMs).toBeLessThan(200);
  });

  it('exports the report as .xlsx with both sheets', async () => {
    const res = await get(`/api/training/report.xlsx?year=${year}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['培训班', '外出培训']);
    const rows = (ws: ExcelJS.Worksheet) => ws.getSheetValues().filter(Boolean).map((v) => (v as unknown[]).slice(1));
    expect(rows(wb.getWorksheet('培训班')!)).toContainEqual(['干教大篷车流动课堂', '专题培训', '干教大篷车', 67, 6400, 6400, 12800]);
    expect(rows(wb.getWorksheet('外出培训')!)).toContainEqual(['搭车培训', 257, expect.any(Number), expect.any(Number)]);
  });

  it('is the org admin’s only, and refuses a bad year with a 400', async () => {
    const unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
    expect((await get(`/api/training/report?year=${year}`, unitAdmin)).statusCode).toBe(403);
    expect((await get(`/api/training/report.xlsx?year=${year}`, unitAdmin)).statusCode).toBe(403);
    expect((await get('/api/training/report?year=abc')).statusCode).toBe(400);
  });

  it('shows an import at once, under the channel it was imported with', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('外出培训学时');
    ws.addRow(['用户名', '姓名', '培训名称', '主办单位', '开始日期', '结束日期', '认定学时', '渠道']);
    const cadre = (await t.app.store.models.User.findOne({ username: 'tyd0001' }).lean())!;
    ws.addRow(['tyd0001', cadre.displayName, '党校主体班', '市委党校', `${year}-10-12`, `${year}-10-16`, 24, '搭车培训']);
    const up = await t.app.inject({ method: 'POST', url: '/api/training/external-imports', headers: { cookie: admin }, payload: { fileName: 'a.xlsx', contentBase64: Buffer.from(await wb.xlsx.writeBuffer()).toString('base64') } });
    expect(up.json()).toMatchObject({ okRows: 1 });
    await t.app.inject({ method: 'POST', url: `/api/training/external-imports/${up.json().id}/confirm`, headers: { cookie: admin } });
    const deadline = Date.now() + 30_000;
    while ((await get(`/api/training/external-imports/${up.json().id}`)).json().state !== 'done') {
      if (Date.now() > deadline) throw new Error('import not done');
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = (await get(`/api/training/report?year=${year}`)).json();
    expect((r.external.byChannel as any[]).find((c) => c.channel === 'provincial').personTimes).toBe(258);
  });
});
