/**
 * /api/county (issue 19) on the real store, the figures coming from credits through the real
 * ledger paths: the dashboard of the county, a committee and a unit (drill-down to its cadres),
 * the previous year beside; compliance by rank (90 h a year; 550 h in five years for county-level
 * cadres); reminders once per cadre per county day; the annual report as JSON and as a workbook
 * read back with exceljs; who may see what (a unit admin only their subtree, a cadre nothing);
 * 400s on bad input.
 */
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import type { LedgerEntry } from '../../server/modules/study/credit-ledger';
import type { LectureInfo, Progress } from '../../server/modules/study/records';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres } from '../helpers/cadres';

process.env.TZ = 'UTC';

let t: TestApp;
let admin: string;
let unitAdmin: string;
let cadreCookie: string;
const unit = {} as Record<'county' | 'sugongtuo' | 'government' | 'village' | 'kaitong' | 'kaitongGov', string>;
const user = {} as Record<'g0' | 'g1' | 'g2' | 'k0' | 'k1' | 'demo' | 'c0' | 'c1', string>;

async function call(method: 'GET' | 'POST', url: string, cookie: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, raw: res.rawPayload, headers: res.headers, json: () => res.json() as any };
}

function away(userId: string, iso: string, hours: number, source: 'training' | 'external', trainingChannel?: string) {
  const at = new Date(iso);
  const year = t.app.calendar.year(at.getTime());
  const id = new Types.ObjectId();
  const entry: LedgerEntry = { _id: `${userId}:${String(id)}:${year}`, userId: new Types.ObjectId(userId), lectureId: id, year, hours, required: false, category: 'service', topic: source, title: '培训', at, source, ...(trainingChannel ? { trainingChannel } : {}) };
  return t.app.study.ledger.creditOnce(entry);
}

function selfStudy(userId: string, iso: string, topic: string) {
  const at = new Date(iso).getTime();
  const lectureId = String(new Types.ObjectId());
  const p = { id: `${userId}:${lectureId}`, userId, lectureId, intervals: [[0, 600]], again: [], wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: at, completedAt: at, dirty: false, source: 'individual' } as unknown as Progress;
  const info = { id: lectureId, contentId: lectureId, title: topic, durationSec: 600, segmentSec: 4, required: false, creditHours: 1.5, category: 'development', topic, kind: 'recorded', attentionChecks: false, loadedAt: at } as LectureInfo;
  return t.app.study.ledger.checkCompletion(p, info);
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  const id = (name: string) => String(seeded.unitIds.get(name)!);
  unit.county = String(seeded.countyId);
  unit.sugongtuo = id('苏公坨乡党委');
  unit.government = id('苏公坨乡人民政府');
  unit.village = id('苏公坨村党支部');
  unit.kaitong = id('开通镇党委');
  unit.kaitongGov = id('开通镇人民政府');
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  cadreCookie = await login(t.app, 'cadre', DEMO_PASSWORD);
  const [g0, g1, g2] = await makeCadres(t.app, { prefix: 'cg', n: 3, unitId: unit.government, cookies: false });
  const [k0, k1, c1] = await makeCadres(t.app, { prefix: 'ck', n: 3, unitId: unit.kaitongGov, cookies: false });
  const [c0] = await makeCadres(t.app, { prefix: 'cv', n: 1, unitId: unit.village, cookies: false });
  Object.assign(user, { g0: g0!.id, g1: g1!.id, g2: g2!.id, k0: k0!.id, k1: k1!.id, c0: c0!.id, c1: c1!.id });
  user.demo = String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
  await t.app.store.models.User.updateMany({ _id: { $in: [c0!.id, c1!.id].map((x) => new Types.ObjectId(x)) } }, { $set: { rank: 'county' } });
  await t.app.county.people.load();

  await Promise.all([
    away(user.g0, '2025-03-10T02:00:00Z', 95, 'external'),
    selfStudy(user.g1, '2025-04-01T02:00:00Z', '党史'),
    away(user.g1, '2025-06-01T02:00:00Z', 4, 'training', 'caravan'),
    selfStudy(user.k0, '2025-04-02T02:00:00Z', '法治'),
    away(user.k0, '2024-05-01T02:00:00Z', 10, 'external'),
    // County level: 100 h a year 2021-2024 and 150 in 2025 = 550 over five years.
    ...[2021, 2022, 2023, 2024].map((y) => away(user.c0, `${y}-07-01T02:00:00Z`, 100, 'training', 'county')),
    away(user.c0, '2025-07-01T02:00:00Z', 150, 'external'),
    away(user.c1, '2025-08-01T02:00:00Z', 100, 'external'),
  ]);
  await t.app.county.tallies.idle();
}, 90_000);
afterAll(() => t?.close());

describe('the county dashboard', () => {
  it('adds every channel up for the county, the previous year beside, and the compliance of every cadre', async () => {
    const r = await call('GET', '/api/county/dashboard?year=2025', admin);
    expect(r.status).toBe(200);
    const d = r.json();
    expect(d.node).toMatchObject({ id: unit.county, kind: 'county', path: [{ id: unit.county, kind: 'county' }] });
    expect(d.cadres).toBe(8);
    expect(d.totals).toEqual({ personTimes: 6, hours: 95 + 1.5 + 4 + 1.5 + 150 + 100, prevPersonTimes: 2, prevHours: 110 });
    const ch = Object.fromEntries(d.channels.map((c: any) => [c.channel, c]));
    expect(d.channels.map((c: any) => c.channel)).toEqual(['selfStudy', 'live', 'airClassroom', 'trainingClass', 'caravan', 'external']);
    expect(ch.external).toEqual({ channel: 'external', personTimes: 3, hours: 345, prevPersonTimes: 1, prevHours: 10 });
    expect(ch.caravan).toMatchObject({ personTimes: 1, hours: 4 });
    expect(ch.trainingClass).toMatchObject({ personTimes: 0, prevPersonTimes: 1, prevHours: 100 });
    expect(d.months[3]).toMatchObject({ month: 4, personTimes: 2, hours: 3, byChannel: { selfStudy: { personTimes: 2, hours: 3 } } });
    expect(d.topics).toEqual({ chosen: 2, personTimes: 2, top: expect.arrayContaining([{ topic: '党史', personTimes: 1, hours: 1.5 }, { topic: '法治', personTimes: 1, hours: 1.5 }]) });
    // On track in a past year: g0 (95 ≥ 90) and c0 (550 in five years).
    expect(d.compliance).toEqual({ cadres: 8, onTrack: 2, share: 0.25 });
    const names = d.children.map((c: any) => c.name);
    expect(names).toEqual(expect.arrayContaining(['苏公坨乡党委', '开通镇党委', '县直机关工作委员会']));
    expect(d.children.find((c: any) => c.id === unit.sugongtuo)).toMatchObject({ kind: 'committee', cadres: 5, personTimes: 4, hours: 250.5, onTrack: 2, share: 0.4 });
    expect(d.members).toBeUndefined();
  });

  it('drills down to a unit and its cadres', async () => {
    const d = (await call('GET', `/api/county/dashboard?year=2025&node=${unit.government}`, admin)).json();
    expect(d.node.path.map((p: any) => p.id)).toEqual([unit.county, unit.sugongtuo, unit.government]);
    expect(d.children).toEqual([]);
    expect(d.totals).toMatchObject({ personTimes: 3, hours: 100.5 });
    expect(d.members).toHaveLength(3);
    expect(d.members.find((m: any) => m.userId === user.g0)).toEqual({ userId: user.g0, name: 'cg0', rank: 'township', hours: 95, required: 90, expectedByNow: 90, onTrack: true });
    expect(d.members.find((m: any) => m.userId === user.g2)).toMatchObject({ hours: 0, onTrack: false });
  });

  it('shows a unit admin their own units only, and a cadre nothing', async () => {
    const own = await call('GET', '/api/county/dashboard?year=2025', unitAdmin);
    expect(own.status).toBe(200);
    expect(own.json().node.id).toBe(unit.sugongtuo);
    expect(own.json().children.map((c: any) => c.id).sort()).toEqual([unit.government, unit.village].sort());
    expect((await call('GET', `/api/county/dashboard?year=2025&node=${unit.village}`, unitAdmin)).status).toBe(200);
    for (const node of [unit.kaitong, unit.kaitongGov, unit.county]) {
      const r = await call('GET', `/api/county/dashboard?year=2025&node=${node}`, unitAdmin);
      expect(r.status).toBe(403);
      expect(r.json().error.code).toBe('FORBIDDEN');
    }
    expect((await call('GET', `/api/county/compliance?year=2025&node=${unit.kaitong}`, unitAdmin)).status).toBe(403);
    expect((await call('GET', '/api/county/dashboard?year=2025', cadreCookie)).status).toBe(403);
    expect((await call('GET', '/api/county/annual-report?year=2025', unitAdmin)).status).toBe(403);
    expect((await call('POST', '/api/county/rebuild', unitAdmin, {})).status).toBe(403);
  });

  it('refuses a bad year or node with a 4xx in both languages', async () => {
    const early = await call('GET', '/api/county/dashboard?year=1999', admin);
    expect(early.status).toBe(400);
    expect(early.json().error).toMatchObject({ code: 'BAD_YEAR', message: expect.stringContaining('年度'), messageEn: expect.stringContaining('year') });
    expect((await call('GET', '/api/county/dashboard?year=2999', admin)).json().error.code).toBe('BAD_YEAR');
    expect((await call('GET', '/api/county/dashboard?year=abc', admin)).status).toBe(400);
    expect((await call('GET', '/api/county/dashboard', admin)).status).toBe(400);
    expect((await call('GET', '/api/county/dashboard?year=2025&node=nope', admin)).status).toBe(400);
    const unknown = await call('GET', `/api/county/dashboard?year=2025&node=${String(new Types.ObjectId())}`, admin);
    expect(unknown.status).toBe(404);
    expect(unknown.json().error.code).toBe('UNKNOWN_NODE');
    expect((await call('GET', '/api/county/compliance?year=2025&pageSize=0', admin)).status).toBe(400);
    expect((await call('POST', '/api/county/compliance/remind', admin, { year: 2025 })).status).toBe(400);
  });
});

describe('compliance and reminders', () => {
  it('lists those behind, furthest first, with the five-year window of county-level cadres', async () => {
    const c = (await call('GET', '/api/county/compliance?year=2025&pageSize=2', admin)).json();
    expect(c.rule).toEqual([
      { rank: 'township', yearlyHours: 90, windowYears: 1, windowHours: 90 },
      { rank: 'county', yearlyHours: 110, windowYears: 5, windowHours: 550 },
    ]);
    expect(c.behind).toMatchObject({ total: 6, page: 1, pageSize: 2 });
    expect(c.behind.items).toHaveLength(2);
    const all = (await call('GET', '/api/county/compliance?year=2025&pageSize=50', admin)).json().behind.items;
    expect(all.map((i: any) => i.userId)).not.toContain(user.g0);
    expect(all.find((i: any) => i.userId === user.c1)).toMatchObject({ rank: 'county', hours: 100, required: 550, expectedByNow: 550, windowEarned: 100, windowRequired: 550, unitName: '开通镇人民政府' });
    expect(all.at(-1).userId).toBe(user.c1); // 100 of 550 is further along than 5.5 of 90
    const gov = c.units.find((u: any) => u.id === unit.government);
    expect(gov).toEqual({ id: unit.government, name: '苏公坨乡人民政府', cadres: 3, onTrack: 1, share: 0.333 });
  });

  /** Starts a reminder (202, a queued job) and polls it until it ends; every view on the way is kept. */
  async function remind(cookie: string, node: string) {
    const started = await call('POST', '/api/county/compliance/remind', cookie, { year: 2025, node });
    expect(started.status, JSON.stringify(started.json())).toBe(202);
    const views = [started.json()];
    const deadline = Date.now() + 20_000;
    while (!['done', 'failed'].includes(views.at(-1).state)) {
      if (Date.now() > deadline) throw new Error(`reminder not done in 20 s: ${JSON.stringify(views.at(-1))}`);
      await new Promise((r) => setTimeout(r, 100));
      const got = await call('GET', `/api/county/compliance/remind/${started.json().id}`, cookie);
      expect(got.status).toBe(200);
      views.push(got.json());
    }
    return { first: views[0], last: views.at(-1), views };
  }

  it('reminds each cadre behind under a node once per county day, as a queued job the screen polls', async () => {
    const first = await remind(unitAdmin, unit.sugongtuo);
    expect(first.first).toMatchObject({ state: 'queued', year: 2025, node: unit.sugongtuo, nodeName: '苏公坨乡党委', total: 3, done: 0, sent: 0 });
    expect(first.last).toMatchObject({ state: 'done', total: 3, done: 3, sent: 3 }); // g1, g2 and the demo cadre
    expect(first.last.finishedAt).toBeDefined();
    // Progress never goes back.
    const dones = first.views.map((v) => v.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect((await remind(unitAdmin, unit.sugongtuo)).last).toMatchObject({ state: 'done', total: 3, sent: 0 });
    expect((await call('POST', '/api/county/compliance/remind', unitAdmin, { year: 2025, node: unit.kaitong })).status).toBe(403);
    // The county: only those not reminded today yet (k0, k1, c1).
    const county = await remind(admin, unit.county);
    expect(county.last).toMatchObject({ state: 'done', total: 6, done: 6, sent: 3 });
    // A unit admin cannot read the county's reminder; a cadre none; a wrong id is 400, an unknown one 404.
    expect((await call('GET', `/api/county/compliance/remind/${county.first.id}`, unitAdmin)).status).toBe(403);
    expect((await call('GET', `/api/county/compliance/remind/${first.first.id}`, cadreCookie)).status).toBe(403);
    expect((await call('GET', '/api/county/compliance/remind/nope', admin)).status).toBe(400);
    expect((await call('GET', `/api/county/compliance/remind/${String(new Types.ObjectId())}`, admin)).status).toBe(404);
    const bell = (await call('GET', '/api/notices', cadreCookie)).json();
    expect(bell.items.filter((n: any) => n.kind === 'county-reminder')).toHaveLength(1);
  });
});

describe('the annual report', () => {
  it('gives the year per channel, committee and category, and the same figures as a workbook', async () => {
    const r = (await call('GET', '/api/county/annual-report?year=2025', admin)).json();
    expect(r.totals).toMatchObject({ personTimes: 6, hours: 352 });
    const sgt = r.committees.find((c: any) => c.id === unit.sugongtuo);
    expect(sgt).toMatchObject({ name: '苏公坨乡党委', cadres: 5, personTimes: 4, onTrack: 2 });
    expect(sgt.byChannel.external).toEqual({ personTimes: 2, hours: 245 });
    expect(r.categories).toEqual(expect.arrayContaining([{ category: 'service', personTimes: 4, hours: 349 }, { category: 'development', personTimes: 2, hours: 3 }]));
    expect(r.airClassroom).toMatchObject({ stations: expect.any(Number) });

    const x = await call('GET', '/api/county/annual-report.xlsx?year=2025', admin);
    expect(x.status).toBe(200);
    expect(x.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.raw as never);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['总表', '按渠道', '按党委', '按类别']);
    const rows = (name: string) => (wb.getWorksheet(name)!.getSheetValues() as unknown[][]).filter(Boolean).map((row) => row.slice(1));
    expect(rows('按渠道')).toContainEqual(['外出培训', 3, 345, 1, 10]);
    expect(rows('按渠道')).toContainEqual(['合计', 6, 352, 2, 110]);
    expect(rows('按党委').find((row) => row[0] === '苏公坨乡党委')?.slice(0, 6)).toEqual(['苏公坨乡党委', 5, 4, 250.5, 2, '40%']);
    expect(rows('按类别')).toContainEqual(['发展能力', 2, 3]);
  });

  it('rebuilds from the org admin button with nothing to repair', async () => {
    const r = await call('POST', '/api/county/rebuild', admin, {});
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ years: [2021, 2022, 2023, 2024, 2025], differences: [] });
  });
});
