/**
 * Generates a county the size of the real 通榆县 for benchmarks: 53 grassroots party committees,
 * their units, 11,265 cadres, 206 terminal stations (accounts and registry rows), and a county year
 * of activity shaped like the article (server/seed/demo-ledger-plan.ts: self-selected study,
 * university forums, the air classroom, training classes, 干教大篷车, training elsewhere) as credit
 * ledger entries with their yearly summaries and study index, the air classroom's day statistics,
 * plus the year before (lighter, `--previous`), then recomputes the county tallies
 * (server/modules/county) from the ledger. Names and figures are deterministic from the seed.
 * Usage: MONGODB_URI=... MONGODB_DB=bench node --import tsx scripts/generate-county.ts
 *   [--cadres N] [--stations N] [--committees N] [--year 2026] [--previous 0.6] [--no-activity]
 * Without MONGODB_URI it writes into the embedded FerretDB under DATA_DIR (no portal may run on
 * it meanwhile). All generated accounts share the password `tongyu2026` (hashed once).
 * Running it again adds nothing: an existing county (its first cadre's username) is read back,
 * and ledger entries, summaries and day statistics are inserted only where their `_id` is free.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Types } from 'mongoose';
import { loadConfig } from '../config';
import { CountyCalendar } from '../server/calendar';
import { hashPassword } from '../server/modules/auth/password';
import { DEMO_PASSWORD } from '../server/seed/demo';
import { rebuildCountyTallies } from '../server/seed/demo-ledger';
import { planYear, prng, tally, type LedgerDoc, type PlanCadre } from '../server/seed/demo-ledger-plan';
import { insertNew, writeLedger } from '../server/seed/demo-ledger-writer';
import { openStore } from '../server/store';

const { values } = parseArgs({
  options: {
    committees: { type: 'string', default: '53' },
    cadres: { type: 'string', default: '11265' },
    stations: { type: 'string', default: '206' },
    seed: { type: 'string', default: '2009' },
    year: { type: 'string' },
    previous: { type: 'string', default: '0.6' },
    'no-activity': { type: 'boolean', default: false },
  },
});
const nCommittees = Number(values.committees);
const nCadres = Number(values.cadres);
const nStations = Number(values.stations);
const seed = Number(values.seed);

// Small deterministic PRNG (mulberry32) so two runs generate the same county.
const rand = prng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const towns = ['开通镇', '瞻榆镇', '双岗镇', '兴隆山镇', '边昭镇', '鸿兴镇', '新华镇', '乌兰花镇', '陆家镇', '八面乡', '苏公坨乡', '十花道乡', '团结乡', '新兴乡', '向海乡', '包拉温都乡'];
const agencies = ['县直机关工作委员会', '县教育系统', '县卫生健康系统', '县农业农村系统', '县公安系统', '县交通运输系统', '县水利系统', '县财政系统', '县市场监管系统', '县林业和草原系统', '县住房和城乡建设系统', '县民政系统', '县文化广播电视和旅游系统', '县人力资源和社会保障系统', '县商务系统', '县工业和信息化系统'];
const villages = ['村党支部', '社区党委', '中心学校党支部', '卫生院党支部', '农业服务中心党支部', '综合执法队党支部'];
const surnames = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const given = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌海燕林峰波宁春雪梅晨阳东亮';
const stationTypes = ['agency', 'community', 'township', 'village', 'household'] as const;

const config = loadConfig(process.env);
const calendar = new CountyCalendar(config.timeZone);
const store = await openStore(config, pino({ level: 'warn' }));
const { OrgUnit, User, Station, StationDay } = store.models;
const started = Date.now();
const secs = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
const progress = (what: string, done: number, total: number) =>
  process.stdout.write(`\r${what}: ${done}/${total} (${Math.round((100 * done) / total)}%)   ${done === total ? '\n' : ''}`);
const prefix = `g${seed.toString(36)}`;

/** The committees, units, cadres and stations; those of an earlier run when there is one. */
async function people(): Promise<{ cadres: PlanCadre[]; stationIds: Types.ObjectId[] }> {
  const t0 = Date.now();
  const first = `${prefix}c00000`;
  if (await User.exists({ username: first })) {
    const units = new Map((await OrgUnit.find({}, { kind: 1, ancestors: 1 }).lean()).map((u) => [String(u._id), u]));
    const rows = (await User.find({ role: 'cadre' }, { username: 1, orgUnitId: 1 }).lean()).filter((u) => u.username.startsWith(`${prefix}c`)).sort((a, b) => a.username.localeCompare(b.username));
    const stationIds = (await Station.find({}, { _id: 1 }).lean()).map((s) => s._id);
    console.log(`县 / county already there: ${rows.length} cadres, ${stationIds.length} stations (read in ${secs(t0)})`);
    return { cadres: rows.map((u) => ({ id: u._id, group: String(units.get(String(u.orgUnitId))?.ancestors?.at(-1) ?? u.orgUnitId) })), stationIds };
  }
  const county = (await OrgUnit.findOne({ kind: 'county' }).lean()) ?? (await OrgUnit.create({ name: '通榆县', kind: 'county', parentId: null, ancestors: [] })).toObject();
  const committeeNames = [...towns.map((t) => `${t}党委`), ...agencies];
  while (committeeNames.length < nCommittees) committeeNames.push(`${pick(towns)}第${committeeNames.length}联合党委`);
  const units: { _id: Types.ObjectId; name: string; committee: string }[] = [];
  const unitDocs: object[] = [];
  for (const [i, name] of committeeNames.slice(0, nCommittees).entries()) {
    const committeeId = new Types.ObjectId();
    unitDocs.push({ _id: committeeId, name, kind: 'committee', parentId: county._id, ancestors: [county._id] });
    const town = towns[i % towns.length]!;
    const perCommittee = 3 + Math.floor(rand() * 4);
    for (let j = 0; j < perCommittee; j++) {
      const unit = { _id: new Types.ObjectId(), name: `${town}${pick(villages)}${j + 1}号`, committee: String(committeeId) };
      units.push(unit);
      unitDocs.push({ _id: unit._id, name: unit.name, kind: 'unit', parentId: committeeId, ancestors: [county._id, committeeId] });
    }
  }
  await OrgUnit.insertMany(unitDocs, { ordered: false });
  console.log(`组织 / units: ${nCommittees} committees, ${units.length} units`);

  const hash = await hashPassword(DEMO_PASSWORD);
  const batch = 1000;
  const cadres: PlanCadre[] = [];
  for (let done = 0; done < nCadres; done += batch) {
    const docs = [];
    for (let i = done; i < Math.min(nCadres, done + batch); i++) {
      const unit = pick(units);
      const _id = new Types.ObjectId();
      docs.push({
        _id,
        username: `${prefix}c${String(i).padStart(5, '0')}`,
        displayName: pick([...surnames]) + pick([...given]) + (rand() < 0.5 ? pick([...given]) : ''),
        passwordHash: hash,
        role: 'cadre',
        rank: rand() < 0.06 ? 'county' : 'township',
        orgUnitId: unit._id,
      });
      cadres.push({ id: _id, group: unit.committee });
    }
    await User.insertMany(docs, { ordered: false });
    progress('干部 / cadres', Math.min(nCadres, done + batch), nCadres);
  }
  const accounts = [];
  const registry = [];
  for (let i = 0; i < nStations; i++) {
    const unit = pick(units);
    const type = stationTypes[i % stationTypes.length]!;
    const name = `${unit.name}远程教育终端站点(${type})`;
    accounts.push({ username: `${prefix}s${String(i).padStart(3, '0')}`, displayName: name, passwordHash: hash, role: 'station', orgUnitId: unit._id });
    registry.push({ _id: new Types.ObjectId(), name: `${name}${i + 1}`, type, unitId: unit._id, address: unit.name, contact: { name: '', phone: '' }, disabled: false });
  }
  await User.insertMany(accounts, { ordered: false });
  await Station.insertMany(registry, { ordered: false });
  progress('终端站点 / stations', nStations, nStations);
  console.log(`people written in ${secs(t0)}`);
  return { cadres, stationIds: registry.map((s) => s._id) };
}

/** The air classroom's day statistics (StationDay) of the planned showings: one run per showing. */
function stationDays(entries: readonly LedgerDoc[], stationIds: readonly Types.ObjectId[]) {
  const showings = new Map<string, { at: number; persons: number; lecture: string }>();
  for (const e of entries) {
    if (e.source !== 'station') continue;
    const key = `${e.lectureId}:${e.at.getTime()}`;
    const s = showings.get(key) ?? { at: e.at.getTime(), persons: 0, lecture: String(e.lectureId) };
    s.persons += 1;
    showings.set(key, s);
  }
  const days = new Map<string, Record<string, { s: string; held: number; persons: number; sec: number }>>();
  [...showings.values()].forEach((s, k) => {
    const station = String(stationIds[k % stationIds.length]);
    const day = calendar.day(s.at);
    const runs = days.get(day) ?? {};
    // A run id is session:station; the session is named by the lecture and the hour.
    runs[`${s.lecture.slice(0, 16)}${Math.floor(s.at / 3600_000).toString(16).padStart(8, '0')}:${station}`] = { s: station, held: 1, persons: s.persons, sec: s.persons * 6600 };
    days.set(day, runs);
  });
  return [...days].map(([_id, runs]) => ({ _id, runs }));
}

try {
  const { cadres, stationIds } = await people();
  if (!values['no-activity'] && cadres.length) {
    const now = Date.now();
    const year = values.year ? Number(values.year) : calendar.year(now);
    const t0 = Date.now();
    const entries: LedgerDoc[] = [];
    for (const [y, scale] of [[year - 1, Number(values.previous)], [year, 1]] as const) {
      if (!(scale > 0)) continue;
      const to = Math.min(now, calendar.startOfYear(y + 1));
      entries.push(...planYear({ year: y, from: calendar.startOfYear(y), to: Math.max(to, calendar.startOfYear(y) + 86_400_000), scale, seed, calendar, cadres }));
    }
    console.log(`活动 / activity planned: ${entries.length} ledger entries for ${year - 1}–${year} in ${secs(t0)}`);
    const t1 = Date.now();
    const written = await writeLedger(store.models, calendar, entries, progress);
    console.log(`台账 / ledger: ${written.inserted} new entries (${entries.length - written.inserted} there already), ${written.summaries} new yearly summaries (${written.summariesUpdated} updated), ${written.indexes} study indexes, in ${secs(t1)}`);
    const t2 = Date.now();
    if (stationIds.length) {
      const days = stationDays(entries, stationIds);
      const fresh = await insertNew(StationDay.collection as never, days, 100);
      console.log(`空中课堂 / air classroom: ${fresh.length} new day statistics (${days.length} days) in ${secs(t2)}`);
    }
    const t3 = Date.now();
    const rebuilt = await rebuildCountyTallies(store.models, calendar, [year - 1, year]);
    console.log(`统计 / county tallies rebuilt: ${rebuilt.tallies} tallies, ${rebuilt.differences.length} differences repaired, in ${secs(t3)}`);
    for (const [y, label] of [[year, 'this year'], [year - 1, 'the year before']] as const) {
      const t = tally(entries.filter((e) => e.year === y));
      console.log(`  ${y} (${label}): ${Object.entries(t).map(([c, v]) => `${c} ${v.personTimes} 人次 / ${Math.round(v.hours)} h`).join(', ')}`);
    }
  }
  console.log(`done in ${secs(started)}`);
} finally {
  await store.close();
}
