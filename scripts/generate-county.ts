/**
 * Generates a county the size of the real 通榆县 for benchmarks: 53 grassroots party committees,
 * their units, 11,265 cadres and 206 terminal-station accounts (names deterministic from a seed).
 * Usage: MONGODB_URI=... MONGODB_DB=bench node --import tsx scripts/generate-county.ts [--cadres N] [--stations N]
 * Without MONGODB_URI it writes into the embedded FerretDB under DATA_DIR. All generated accounts
 * share the password `tongyu2026` (hashed once).
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Types } from 'mongoose';
import { loadConfig } from '../config';
import { hashPassword } from '../server/modules/auth/password';
import { DEMO_PASSWORD } from '../server/seed/demo';
import { openStore } from '../server/store';

const { values } = parseArgs({
  options: {
    committees: { type: 'string', default: '53' },
    cadres: { type: 'string', default: '11265' },
    stations: { type: 'string', default: '206' },
    seed: { type: 'string', default: '2009' },
  },
});
const nCommittees = Number(values.committees);
const nCadres = Number(values.cadres);
const nStations = Number(values.stations);

// Small deterministic PRNG (mulberry32) so two runs generate the same county.
let state = Number(values.seed) >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const towns = ['开通镇', '瞻榆镇', '双岗镇', '兴隆山镇', '边昭镇', '鸿兴镇', '新华镇', '乌兰花镇', '陆家镇', '八面乡', '苏公坨乡', '十花道乡', '团结乡', '新兴乡', '向海乡', '包拉温都乡'];
const agencies = ['县直机关工作委员会', '县教育系统', '县卫生健康系统', '县农业农村系统', '县公安系统', '县交通运输系统', '县水利系统', '县财政系统', '县市场监管系统', '县林业和草原系统', '县住房和城乡建设系统', '县民政系统', '县文化广播电视和旅游系统', '县人力资源和社会保障系统', '县商务系统', '县工业和信息化系统'];
const villages = ['村党支部', '社区党委', '中心学校党支部', '卫生院党支部', '农业服务中心党支部', '综合执法队党支部'];
const surnames = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const given = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌海燕林峰波宁春雪梅晨阳东亮';
const stationTypes = ['agency', 'community', 'township', 'village', 'household'] as const;

const config = loadConfig(process.env);
const store = await openStore(config, pino({ level: 'warn' }));
const { OrgUnit, User } = store.models;
const started = Date.now();
const progress = (what: string, done: number, total: number) =>
  process.stdout.write(`\r${what}: ${done}/${total} (${Math.round((100 * done) / total)}%)   ${done === total ? '\n' : ''}`);

try {
  const county = (await OrgUnit.findOne({ kind: 'county' }).lean()) ?? (await OrgUnit.create({ name: '通榆县', kind: 'county', parentId: null, ancestors: [] })).toObject();
  const committeeNames = [...towns.map((t) => `${t}党委`), ...agencies];
  while (committeeNames.length < nCommittees) committeeNames.push(`${pick(towns)}第${committeeNames.length}联合党委`);
  const units: { _id: Types.ObjectId; name: string; town: string }[] = [];
  const unitDocs: object[] = [];
  for (const [i, name] of committeeNames.slice(0, nCommittees).entries()) {
    const committeeId = new Types.ObjectId();
    unitDocs.push({ _id: committeeId, name, kind: 'committee', parentId: county._id, ancestors: [county._id] });
    const town = towns[i % towns.length]!;
    const perCommittee = 3 + Math.floor(rand() * 4);
    for (let j = 0; j < perCommittee; j++) {
      const unit = { _id: new Types.ObjectId(), name: `${town}${pick(villages)}${j + 1}号`, town };
      units.push(unit);
      unitDocs.push({ _id: unit._id, name: unit.name, kind: 'unit', parentId: committeeId, ancestors: [county._id, committeeId] });
    }
  }
  await OrgUnit.insertMany(unitDocs, { ordered: false });
  console.log(`组织 / units: ${nCommittees} committees, ${units.length} units`);

  const hash = await hashPassword(DEMO_PASSWORD);
  const prefix = `g${Number(values.seed).toString(36)}`;
  const batch = 1000;
  for (let done = 0; done < nCadres; done += batch) {
    const docs = [];
    for (let i = done; i < Math.min(nCadres, done + batch); i++) {
      docs.push({
        username: `${prefix}c${String(i).padStart(5, '0')}`,
        displayName: pick([...surnames]) + pick([...given]) + (rand() < 0.5 ? pick([...given]) : ''),
        passwordHash: hash,
        role: 'cadre',
        rank: rand() < 0.06 ? 'county' : 'township',
        orgUnitId: pick(units)._id,
      });
    }
    await User.insertMany(docs, { ordered: false });
    progress('干部 / cadres', Math.min(nCadres, done + batch), nCadres);
  }
  const stations = [];
  for (let i = 0; i < nStations; i++) {
    const unit = pick(units);
    const type = stationTypes[i % stationTypes.length]!;
    stations.push({ username: `${prefix}s${String(i).padStart(3, '0')}`, displayName: `${unit.name}远程教育终端站点(${type})`, passwordHash: hash, role: 'station', orgUnitId: unit._id });
  }
  await User.insertMany(stations, { ordered: false });
  progress('终端站点 / stations', nStations, nStations);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await store.close();
}
