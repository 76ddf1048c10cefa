/**
 * The unit report (/api/reports/units/:id/report, target: p95 under 500 ms for a unit of 500
 * cadres), over real HTTP on loopback with the organisation admin logged in, on a fresh embedded
 * FerretDB (as the portal runs it, with its SQLite `_id` index). Seeds the demo county, one party
 * committee with `--units` units holding `--cadres` cadres (both ranks), each with `--credits`
 * completions over the county year written as the credit ledger writes them (ledger entries and
 * the yearly summary that rolls them up), and `--filler` more cadres with credits elsewhere in the
 * county, so that the collections hold more than the unit (0 by default; 10765 makes a county).
 * Baseline in the same run, interleaved with the report requests: a plain read of the same cadres
 * from the store (`User.find({ orgUnitId: { $in: units }, role: 'cadre' })`), which any report
 * of them must do. Also timed: the first report after start (nothing read yet), reports while
 * cadres study (before each, one new completion written through the app's credit-ledger roll-up,
 * and every tenth a cadre's rank changed over the users API, so the kept roster is read again),
 * and the Excel export.
 * Human-readable lines go to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/unit-report.ts [--cadres 500] [--credits 12] [--units 5] [--filler 0] [--requests 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { loadConfig } from '../config';
import { buildApp } from '../server/app';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { stats } from './lib';

const { values } = parseArgs({
  options: {
    cadres: { type: 'string', default: '500' },
    credits: { type: 'string', default: '12' },
    units: { type: 'string', default: '5' },
    filler: { type: 'string', default: '0' },
    requests: { type: 'string', default: '50' },
  },
});
const nCadres = Number(values.cadres);
const nCredits = Number(values.credits);
const nUnits = Number(values.units);
const nFiller = Number(values.filler);
const nRequests = Number(values.requests);
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (t0: number) => performance.now() - t0;

const dir = mkdtempSync(join(tmpdir(), 'cadre-unit-report-'));
const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dir, MEDIASOUP_NUM_WORKERS: '1' }));
try {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { models } = app.store;
  const cal = app.calendar;
  const seeded = await seedDemo(models);
  const year = cal.year(Date.now());

  // ---- the unit: a committee and its units, under the county ----
  const county = await models.OrgUnit.findById(seeded.countyId).lean();
  const committee = await models.OrgUnit.create({ name: '基准乡党委', kind: 'committee', parentId: county!._id, ancestors: [county!._id] });
  const units = [committee._id];
  for (let i = 0; i < nUnits; i++) units.push((await models.OrgUnit.create({ name: `基准村${i + 1}党支部`, kind: 'unit', parentId: committee._id, ancestors: [county!._id, committee._id] }))._id);
  const elsewhere = seeded.unitIds.get('开通镇人民政府')!;
  const lectures = Array.from({ length: 30 }, (_, i) => ({ id: new Types.ObjectId(), title: `基准课程第${i + 1}讲`, required: i % 4 === 0 }));

  /** Cadres with their ledger entries and yearly summaries, as credit-ledger.ts writes them. */
  async function seedCadres(n: number, unitOf: (i: number) => Types.ObjectId, prefix: string) {
    for (let i = 0; i < n; i += 500) {
      const users = [];
      const ledger = [];
      const summaries = [];
      for (let k = i; k < Math.min(n, i + 500); k++) {
        const userId = new Types.ObjectId();
        users.push({ _id: userId, username: `${prefix}${k}`, displayName: `基准干部${k}`, passwordHash: 'x'.repeat(160), role: 'cadre', rank: k % 5 === 0 ? 'county' : 'township', orgUnitId: unitOf(k), disabled: false, failedLogins: 0, createdAt: new Date(), updatedAt: new Date() });
        const s = { _id: `${userId}:${year}`, userId, year, total: 0, required: 0, elective: 0, byMonth: Array(12).fill(0) as number[], byCategory: {} as Record<string, number>, byTopic: {} as Record<string, number>, byDay: {} as Record<string, number>, entries: [] as string[], lectures: [] as string[] };
        // Some cadres far behind, some past the requirement: 0..2 x the average.
        const credits = Math.round(((k * 37) % 100) / 50 * nCredits);
        for (let c = 0; c < Math.min(credits, lectures.length); c++) {
          const l = lectures[(k + c * 7) % lectures.length]!;
          const at = cal.instant(year, 1 + ((k + c) % 11), 1 + ((k * 3 + c) % 28), 10);
          const hours = 3 + ((k + c) % 6);
          const id = `${userId}:${l.id}:${year}`;
          if (s.entries.includes(id)) continue;
          ledger.push({ _id: id, userId, lectureId: l.id, year, hours, required: l.required, category: 'development', topic: '乡村振兴', title: l.title, at: new Date(at), coveredSec: 3600, wallSec: 3600, source: 'individual' });
          s.entries.push(id);
          s.lectures.push(String(l.id));
          s.total += hours;
          if (l.required) s.required += hours;
          else s.elective += hours;
          s.byMonth[cal.month(at)]! += hours;
          s.byCategory.development = (s.byCategory.development ?? 0) + hours;
          s.byTopic['乡村振兴'] = (s.byTopic['乡村振兴'] ?? 0) + hours;
          s.byDay[cal.day(at)] = (s.byDay[cal.day(at)] ?? 0) + hours;
        }
        summaries.push(s);
      }
      await models.User.collection.insertMany(users as never[]);
      if (ledger.length) await models.Ledger.collection.insertMany(ledger as never[]);
      await models.Summary.collection.insertMany(summaries as never[]);
    }
  }
  let t0 = performance.now();
  await seedCadres(nCadres, (k) => units[1 + (k % nUnits)] ?? committee._id, 'bench');
  if (nFiller) await seedCadres(nFiller, () => elsewhere, 'filler');
  log(`seeded ${nCadres} cadres in ${nUnits} units (+${nFiller} elsewhere), ${nCredits} completions on average, in ${(ms(t0) / 1000).toFixed(1)} s`);

  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'orgadmin', password: DEMO_PASSWORD }) });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const unitId = String(committee._id);
  const get = async (path: string) => {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { cookie } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body.toString().slice(0, 200)}`);
    return { ms: ms(t), body };
  };
  const reportPath = `/api/reports/units/${unitId}/report`;

  // The first report after start: no ledger entry read yet.
  const cold = await get(reportPath);
  const report = JSON.parse(cold.body.toString()) as { members: unknown[]; totals: { members: number; behind: number; completed: number }; lectures: unknown[] };
  if (report.totals.members !== nCadres) throw new Error(`the report lists ${report.totals.members} cadres, not ${nCadres}`);
  log(`first report: ${cold.ms.toFixed(0)} ms, ${report.totals.members} cadres, ${report.totals.behind} behind, ${report.totals.completed} completions, ${report.lectures.length} lectures, ${(cold.body.length / 1024).toFixed(0)} KiB`);

  const plainRead = async () => {
    const t = performance.now();
    const rows = await models.User.find({ orgUnitId: { $in: units }, role: 'cadre' }, { username: 1, displayName: 1, rank: 1, orgUnitId: 1, disabled: 1 }).lean();
    if (rows.length !== nCadres) throw new Error(`plain read found ${rows.length}`);
    return ms(t);
  };
  for (let i = 0; i < 3; i++) {
    await get(reportPath);
    await plainRead();
  }
  const reportMs: number[] = [];
  const baseMs: number[] = [];
  const load0 = loadavg()[0]!;
  for (let i = 0; i < nRequests; i++) {
    // Interleaved, so the machine's other load weighs on both alike.
    reportMs.push((await get(reportPath)).ms);
    baseMs.push(await plainRead());
  }
  const load1 = loadavg()[0]!;

  // While cadres study: each report follows a new completion (ledger entry + summary roll-up
  // through the app's own summary repository, which keeps the report's memory current), and every
  // tenth follows a rank change over the users API (the roster is read again).
  const bench0 = await models.User.find({ username: /^bench\d+$/ }, { _id: 1, username: 1 }).limit(nRequests).lean();
  const extra = { id: new Types.ObjectId(), title: '基准课程加讲' };
  const liveMs: number[] = [];
  let liveCompleted = report.totals.completed;
  for (let i = 0; i < nRequests; i++) {
    const u = bench0[i % bench0.length]!;
    const userId = String(u._id);
    const id = `${userId}:${extra.id}:${year}`;
    const at = Date.now();
    if (!(await models.Ledger.exists({ _id: id }))) {
      await models.Ledger.collection.insertOne({ _id: id as never, userId: u._id, lectureId: extra.id, year, hours: 2, required: false, category: 'development', topic: '乡村振兴', title: extra.title, at: new Date(at) });
      if (await app.study.ledger.summaries.addEntry(userId, year, id, { total: 2, elective: 2, [`byDay.${cal.day(at)}`]: 2 })) liveCompleted += 1;
      await app.study.ledger.summaries.addLecture(userId, year, String(extra.id));
    }
    if (i % 10 === 0) {
      const res = await fetch(`${url}/api/users/${userId}`, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ rank: i % 20 === 0 ? 'county' : 'township' }) });
      if (res.status !== 200) throw new Error(`rank change answered ${res.status}`);
    }
    const got = await get(reportPath);
    liveMs.push(got.ms);
    const seen = (JSON.parse(got.body.toString()) as { totals: { completed: number } }).totals.completed;
    if (seen !== liveCompleted) throw new Error(`the report counts ${seen} completions, ${liveCompleted} were written`);
  }
  const xlsxMs: number[] = [];
  for (let i = 0; i < 5; i++) xlsxMs.push((await get(`${reportPath}.xlsx`)).ms);

  const r = stats(reportMs);
  const base = stats(baseMs);
  const ratio = { p50: Math.round((r.p50 / base.p50) * 10) / 10, p95: Math.round((r.p95 / base.p95) * 10) / 10 };
  log(`load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on ${cpus().length} cores`);
  log(`report (HTTP, ${nRequests} requests)     p50 ${r.p50} ms  p95 ${r.p95} ms  max ${r.max} ms   target p95 < 500 ms: ${r.p95 < 500 ? 'met' : 'NOT met'}`);
  log(`plain read of the same cadres (store)  p50 ${base.p50} ms  p95 ${base.p95} ms  max ${base.max} ms`);
  log(`ratio report / plain read               p50 x${ratio.p50}  p95 x${ratio.p95}`);
  const live = stats(liveMs);
  log(`report while cadres study (${nRequests})   p50 ${live.p50} ms  p95 ${live.p95} ms  max ${live.max} ms   (a completion before each, a rank change every 10th)`);
  log(`Excel workbook (3 sheets)               p50 ${stats(xlsxMs).p50} ms (${xlsxMs.length} requests)`);
  console.log(JSON.stringify({ bench: 'unit-report', at: new Date().toISOString(), cadres: nCadres, credits: nCredits, units: nUnits, filler: nFiller, load: [load0, load1], firstMs: Math.round(cold.ms), report: r, plainRead: base, ratio, whileStudying: live, xlsx: stats(xlsxMs) }));
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
