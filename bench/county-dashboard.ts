/**
 * The county dashboard (issue 19; targets: every dashboard request p95 < 100 ms, the annual Excel
 * < 10 s) on a county-size store: `scripts/generate-county.ts` (11,265 cadres in 53 committees,
 * 206 stations, a county year of activity shaped like the article and the year before), generated
 * into `--data` the first time and reused after. The portal runs in this process on that folder's
 * embedded FerretDB (with its SQLite `_id` index), over real HTTP on loopback; an org admin and a
 * unit admin (of one committee) are added and log in.
 * Measured, interleaved round by round (so the machine's other load weighs on all alike), first one
 * request at a time (`--requests`/4 of each: what a request costs), then `--concurrency` requests
 * of each route at once (`--requests` of each: what a caller waits; the target applies to this):
 * - org admin: dashboard at county, committee and unit level (the unit lists its cadres),
 *   compliance at county and committee level (first page of those behind), annual report (JSON);
 * - unit admin: dashboard and compliance without a node (their committee), dashboard of one of their units;
 * - baselines in the same run: a plain read of one counter, the largest tally document of the
 *   year by `_id` from the store (`CountyTally.findById`), and the lightest authenticated GET
 *   (`/api/auth/me`) over the same HTTP path.
 * Also: the start (store open to tallies loaded), the first request of each route (nothing
 * cached), the same routes while credits land (before each round one new ledger entry through the
 * app's credit ledger, so every cached answer is stale), and the annual Excel (`--xlsx` times).
 * Human-readable lines go to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/county-dashboard.ts [--data /tmp/cadre-county-bench] [--requests 200] [--concurrency 4] [--xlsx 5]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { loadConfig } from '../config';
import { buildApp } from '../server/app';
import { countyAdmins, ensureCounty, stats } from './lib';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/tmp/cadre-county-bench' },
    requests: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    xlsx: { type: 'string', default: '5' },
  },
});
const dataDir = values.data;
const nRequests = Number(values.requests);
const conc = Number(values.concurrency);
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (t0: number) => performance.now() - t0;
const PASSWORD = 'bench-county-2026';

ensureCounty(dataDir, log);

const t0 = performance.now();
const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir, MEDIASOUP_NUM_WORKERS: '1' }));
try {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await app.county.ready();
  const startMs = ms(t0);
  const { models } = app.store;
  const year = app.calendar.year(Date.now());

  // ---- the two admins (added once) ----
  const county = (await models.OrgUnit.findOne({ kind: 'county' }).lean())!;
  const committees = await models.OrgUnit.find({ kind: 'committee' }, { name: 1 }).lean();
  const units = await models.OrgUnit.find({ kind: 'unit' }, { name: 1, parentId: 1 }).lean();
  const tallies = app.county.tallies.ofYear(year);
  if (!tallies.length) throw new Error(`no county tallies for ${year}: generate the county first`);
  // The committee and unit with the most cadres counted (the heaviest answers).
  const cadresOf = (unitId: string) => app.county.tallies.get(year, unitId)?.cadres.size ?? 0;
  const unit = [...units].sort((a, b) => cadresOf(String(b._id)) - cadresOf(String(a._id)))[0]!;
  const committee = committees.find((c) => String(c._id) === String(unit.parentId))!;
  const { org, unit: adm } = await countyAdmins(app, url, { countyId: county._id, committeeId: committee._id }, PASSWORD);
  const get = async (path: string, cookie: string) => {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { cookie } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body.toString().slice(0, 200)}`);
    return { ms: ms(t), body };
  };
  const otherUnit = units.find((u) => String(u.parentId) === String(committee._id) && String(u._id) !== String(unit._id)) ?? unit;
  const routes: Record<string, { path: string; cookie: string }> = {
    'dashboard county': { path: `/api/county/dashboard?year=${year}`, cookie: org },
    'dashboard committee': { path: `/api/county/dashboard?year=${year}&node=${committee._id}`, cookie: org },
    'dashboard unit': { path: `/api/county/dashboard?year=${year}&node=${unit._id}`, cookie: org },
    'compliance county': { path: `/api/county/compliance?year=${year}`, cookie: org },
    'compliance committee': { path: `/api/county/compliance?year=${year}&node=${committee._id}`, cookie: org },
    'annual report JSON': { path: `/api/county/annual-report?year=${year}`, cookie: org },
    'unit admin dashboard': { path: `/api/county/dashboard?year=${year}`, cookie: adm },
    'unit admin dashboard unit': { path: `/api/county/dashboard?year=${year}&node=${otherUnit._id}`, cookie: adm },
    'unit admin compliance': { path: `/api/county/compliance?year=${year}`, cookie: adm },
    'baseline GET /api/auth/me': { path: '/api/auth/me', cookie: org },
  };
  const biggest = [...tallies].sort((a, b) => b.cadres.size - a.cadres.size)[0]!;
  const counterId = biggest.id;
  const counterRead = async () => {
    const t = performance.now();
    const doc = await models.CountyTally.findById(counterId).lean();
    if (!doc) throw new Error(`no tally ${counterId}`);
    return ms(t);
  };

  // ---- first request of each (nothing cached) ----
  const first: Record<string, number> = {};
  for (const [name, r] of Object.entries(routes)) first[name] = Math.round((await get(r.path, r.cookie)).ms);
  const dash = JSON.parse((await get(routes['dashboard county']!.path, org)).body.toString()) as { cadres: number; totals: { personTimes: number; hours: number; prevPersonTimes: number }; channels: { channel: string; personTimes: number }[]; topics: { chosen: number }; compliance: { share: number }; children: unknown[] };
  log(`county ${year}: ${dash.cadres} cadres, ${dash.totals.personTimes} person-times (${dash.totals.prevPersonTimes} the year before), ${Math.round(dash.totals.hours)} h, ${dash.topics.chosen} topics, ${(dash.compliance.share * 100).toFixed(1)} % on track, ${dash.children.length} committees`);
  log(`  ${dash.channels.map((c) => `${c.channel} ${c.personTimes}`).join(', ')}`);
  log(`start (store open to tallies loaded): ${(startMs / 1000).toFixed(1)} s; tallies of the year ${tallies.length}; counter read: tally ${counterId} (${biggest.cadres.size} cadres)`);

  // ---- interleaved rounds ----
  const measure = async (rounds: number, conc: number, before?: (i: number) => Promise<void>) => {
    const samples: Record<string, number[]> = Object.fromEntries([...Object.keys(routes), 'baseline counter read (store)'].map((k) => [k, []]));
    for (let i = 0; i < rounds; i++) {
      await before?.(i);
      for (const [name, r] of Object.entries(routes)) {
        const got = await Promise.all(Array.from({ length: conc }, () => get(r.path, r.cookie)));
        samples[name]!.push(...got.map((g) => g.ms));
      }
      samples['baseline counter read (store)']!.push(...(await Promise.all(Array.from({ length: conc }, counterRead))));
    }
    return samples;
  };
  await measure(3, conc);
  const load0 = loadavg()[0]!;
  // One at a time first (what a request costs), then `conc` at once (what a caller waits).
  const single = await measure(Math.ceil(nRequests / 4), 1);
  const steady = await measure(Math.ceil(nRequests / conc), conc);
  const load1 = loadavg()[0]!;

  // While credits land: one new ledger entry before each round (every cached answer goes stale).
  const cadres = await models.User.find({ role: 'cadre', orgUnitId: unit._id }, { _id: 1 }).lean();
  const liveRounds = Math.ceil(nRequests / conc / 4);
  const landing = await measure(liveRounds, conc, async (i) => {
    const u = cadres[i % cadres.length]!;
    const id = new Types.ObjectId();
    await app.study.ledger.creditOnce({ _id: `${u._id}:${id}:${year}`, userId: u._id, lectureId: id, year, hours: 2, required: false, topic: 'external', title: '外出培训:基准', at: new Date(), source: 'external' });
    await app.county.tallies.idle();
  });
  const load2 = loadavg()[0]!;

  const xlsxMs: number[] = [];
  let xlsxBytes = 0;
  for (let i = 0; i < Number(values.xlsx); i++) {
    const got = await get(`/api/county/annual-report.xlsx?year=${year}`, org);
    xlsxMs.push(got.ms);
    xlsxBytes = got.body.length;
  }
  const load3 = loadavg()[0]!;

  const base = stats(steady['baseline counter read (store)']!);
  const http = stats(steady['baseline GET /api/auth/me']!);
  const out: Record<string, unknown> = {};
  log(`load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} -> ${load2.toFixed(1)} -> ${load3.toFixed(1)} on ${cpus().length} cores; ${nRequests} requests of each, ${conc} at a time`);
  const col = (x: number | string | undefined, w = 7) => String(x ?? '').padStart(w);
  log(`${'route'.padEnd(28)} first | 1 at a time p50   p95 | ${conc} at once p50     p95     p99     max | p95/counter p95/me | while credits land p50 / p95`);
  for (const name of Object.keys(steady)) {
    const one = stats(single[name]!);
    const s = stats(steady[name]!);
    const l = stats(landing[name]!);
    const target = name.startsWith('baseline') ? '' : s.p95 < 100 ? '  p95 < 100 ms: met' : '  p95 < 100 ms: NOT met';
    out[name] = { first: first[name], single: one, ...s, whileCrediting: l };
    log(`${name.padEnd(28)} ${col(first[name], 5)} | ${col(one.p50, 15)} ${col(one.p95)} | ${col(s.p50, 15)} ${col(s.p95)} ${col(s.p99)} ${col(s.max)} | ${col('x' + (s.p95 / base.p95).toFixed(1), 11)} ${col('x' + (s.p95 / http.p95).toFixed(1), 6)} | ${col(l.p50)} / ${col(l.p95)}${target}`);
  }
  const x = stats(xlsxMs);
  log(`annual Excel (${xlsxMs.length} requests, ${(xlsxBytes / 1024).toFixed(0)} KiB): p50 ${x.p50} ms, max ${x.max} ms   target < 10 s: ${x.max < 10_000 ? 'met' : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'county-dashboard', at: new Date().toISOString(), year, cadres: dash.cadres, personTimes: dash.totals.personTimes, requests: nRequests, concurrency: conc, load: [load0, load1, load2, load3], startMs: Math.round(startMs), routes: out, xlsx: { ...x, bytes: xlsxBytes } }));
} finally {
  await app.close();
}
