/**
 * Demo air classroom (空中课堂): the county's 206 terminal stations (eight named ones across the
 * five types, the rest generated deterministically), a week of upcoming sessions of the demo
 * lectures (found by title), and a year of past sessions with their statistics roll-ups written
 * directly (no heartbeats are simulated), so the statistics page shows figures like the
 * article's: 600 余场次 at 206 stations, 1.8 万人次. Idempotent: when any station exists, nothing
 * is written.
 */
import { Types } from 'mongoose';
import type { Models } from '../store/models';
import { CountyCalendar } from '../calendar';
import type { StationType } from '../modules/stations/station-rules';

const named: { name: string; type: StationType; unit: string; address: string; contact: { name: string; phone: string } }[] = [
  { name: '县委组织部远程教育站', type: 'agency', unit: '县委组织部', address: '通榆县开通镇团结路 1 号', contact: { name: '王组织', phone: '0436-4221001' } },
  { name: '县委党校远程教学站', type: 'agency', unit: '县委党校', address: '通榆县开通镇育才街 8 号', contact: { name: '赵老师', phone: '0436-4221302' } },
  { name: '兴隆社区远程教育站', type: 'community', unit: '兴隆社区党委', address: '开通镇兴隆社区服务中心二楼', contact: { name: '孙主任', phone: '13904361234' } },
  { name: '开通镇远程教育站', type: 'township', unit: '开通镇人民政府', address: '开通镇人民政府三楼会议室', contact: { name: '周干事', phone: '13504362345' } },
  { name: '苏公坨乡远程教育站', type: 'township', unit: '苏公坨乡人民政府', address: '苏公坨乡人民政府会议室', contact: { name: '吴干事', phone: '13804363456' } },
  { name: '苏公坨村远程教育终端站点', type: 'village', unit: '苏公坨村党支部', address: '苏公坨村党员活动室', contact: { name: '郑书记', phone: '13604364567' } },
  { name: '苏公坨村种植大户学习点', type: 'household', unit: '苏公坨村党支部', address: '苏公坨村三组 12 号', contact: { name: '冯大哥', phone: '13704365678' } },
  { name: '开通镇养殖户学习点', type: 'household', unit: '开通镇人民政府', address: '开通镇东风村五组', contact: { name: '陈大姐', phone: '13304366789' } },
];

const towns = ['开通镇', '瞻榆镇', '双岗镇', '兴隆山镇', '边昭镇', '鸿兴镇', '新华镇', '乌兰花镇', '陆家镇', '八面乡', '苏公坨乡', '十花道乡', '团结乡', '新兴乡', '向海乡', '包拉温都乡'];
const villages = ['东升村', '新立村', '永胜村', '光明村', '胜利村', '团结村', '民主村', '前进村', '富裕村', '红旗村', '和平村', '幸福村'];
/** How many of each type besides the named ones: 206 in all. */
const generated: Record<StationType, number> = { agency: 12, community: 10, township: 14, village: 150, household: 12 };
/** Learners a session draws, by station type (before scaling to the article's total). */
const draw: Record<StationType, [number, number]> = { agency: [35, 55], community: [30, 45], township: [35, 50], village: [22, 40], household: [6, 12] };

const TARGET_RUNS = 612;
const TARGET_PERSONS = 18_100;

/** Small deterministic PRNG (mulberry32), so every seed writes the same county. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `calendar`: the app's (TIME_ZONE); by default TIME_ZONE's default, Asia/Shanghai. */
export async function seedDemoStations(models: Models, calendar = new CountyCalendar('Asia/Shanghai'), now = Date.now()): Promise<{ stations: number; sessions: number; historicRuns: number }> {
  const { Station, OrgUnit, Lecture, Timetable, StationDay } = models;
  if (await Station.exists({})) return { stations: 0, sessions: 0, historicRuns: 0 };
  const rand = prng(206);
  const units = new Map((await OrgUnit.find({}, { name: 1 }).lean()).map((u) => [u.name, u._id]));
  const unitOf = (name: string) => {
    const id = units.get(name);
    if (!id) throw new Error(`demo unit ${name} is missing: seed the demo county first`);
    return id;
  };
  const homeUnits: Record<StationType, string[]> = {
    agency: ['县委组织部', '县委党校'],
    community: ['兴隆社区党委'],
    township: ['开通镇人民政府', '苏公坨乡人民政府'],
    village: ['苏公坨村党支部', '苏公坨乡人民政府', '开通镇人民政府'],
    household: ['苏公坨村党支部', '开通镇人民政府'],
  };

  // ---- stations ----
  const stations: { _id: Types.ObjectId; name: string; type: StationType; unitId: Types.ObjectId; address: string; contact: { name: string; phone: string }; disabled: boolean }[] = [];
  for (const s of named) stations.push({ _id: new Types.ObjectId(), name: s.name, type: s.type, unitId: unitOf(s.unit), address: s.address, contact: s.contact, disabled: false });
  const taken = new Set(stations.map((s) => s.name));
  for (const type of Object.keys(generated) as StationType[]) {
    for (let i = 0; i < generated[type]; i++) {
      const town = towns[Math.floor(rand() * towns.length)]!;
      const base =
        type === 'village' ? `${town}${villages[Math.floor(rand() * villages.length)]}远程教育站`
        : type === 'household' ? `${town}${villages[Math.floor(rand() * villages.length)]}农户学习点`
        : type === 'community' ? `${town}第${i + 1}社区远程教育站`
        : type === 'township' ? `${town}远程教育站`
        : `县直机关第${i + 1}远程教育站`;
      let name = base;
      for (let k = 2; taken.has(name); k++) name = `${base}(${k})`;
      taken.add(name);
      const home = homeUnits[type];
      stations.push({ _id: new Types.ObjectId(), name, type, unitId: unitOf(home[i % home.length]!), address: `${town}`, contact: { name: '', phone: '' }, disabled: false });
    }
  }
  await Station.insertMany(stations, { ordered: false });

  // ---- upcoming sessions (by lecture title; skipped when the demo catalog is not there) ----
  const lectures = new Map((await Lecture.find({ state: 'published' }, { title: 1, durationSec: 1, kind: 1, lecturer: 1, live: 1, media: 1 }).lean()).map((l) => [l.title, l]));
  // County wall-clock times `days` county days from today (the host's zone plays no part).
  const today = calendar.day(now);
  const at = (days: number, h: number, m: number) => calendar.dayAt(calendar.addDays(today, days), h, m);
  const ofType = (t: StationType) => stations.filter((s) => s.type === t).map((s) => s._id);
  const all = stations.map((s) => s._id);
  const villageStation = stations.find((s) => s.name === '苏公坨村远程教育终端站点')!._id;
  const nextQuarter = Math.ceil((now + 10 * 60_000) / (15 * 60_000)) * 15 * 60_000;
  const upcoming: { title: string; startAt: number; stationIds: Types.ObjectId[] }[] = [
    { title: '关键在于落实', startAt: nextQuarter, stationIds: [villageStation, ...ofType('village').slice(1, 11)] },
    { title: '开设红色课堂：党史党性教育', startAt: at(1, 19, 30), stationIds: ofType('village') },
    { title: '突发事件预防与应对', startAt: at(2, 14, 30), stationIds: [...ofType('township'), ...ofType('community')] },
    { title: '廉洁从政警示教育', startAt: at(4, 9, 0), stationIds: ofType('agency') },
    { title: '新农村建设专题', startAt: at(5, 19, 30), stationIds: ofType('household') },
  ];
  const live = lectures.get('清华大学论坛（直播）：乡村振兴与干部担当');
  if (live?.live?.scheduledAt) upcoming.push({ title: live.title, startAt: new Date(live.live.scheduledAt).getTime(), stationIds: all });
  const sessionDocs = [];
  for (const u of upcoming) {
    const l = lectures.get(u.title);
    if (!l) continue;
    const kind = l.kind === 'live' ? 'live' : 'replay';
    if (kind === 'replay' && !l.media?.master) continue;
    const durationSec = kind === 'live' ? 90 * 60 : l.durationSec || 0;
    if (!durationSec) continue;
    sessionDocs.push({ _id: new Types.ObjectId(), lectureId: l._id, title: l.title, lecturer: l.lecturer ?? '', kind, startAt: new Date(u.startAt), endAt: new Date(u.startAt + durationSec * 1000), durationSec, stationIds: u.stationIds });
  }

  // ---- a year of past sessions and their roll-ups ----
  const recorded = [...lectures.values()].filter((l) => l.kind !== 'live');
  const titles = recorded.length ? recorded : [{ _id: new Types.ObjectId(), title: '空中课堂', lecturer: '' }];
  const order = [...stations];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const slots = [...order, ...order, ...order].slice(0, TARGET_RUNS);
  const perSession = 4;
  const runs: { sessionId: string; station: (typeof stations)[number]; start: number; durationSec: number; persons: number }[] = [];
  for (let k = 0; k * perSession < slots.length; k++) {
    const group = slots.slice(k * perSession, (k + 1) * perSession);
    const days = 1 + Math.floor((k / Math.ceil(slots.length / perSession)) * 360);
    const start = at(-days, [9, 14, 19][k % 3]!, k % 3 === 2 ? 30 : 0);
    const l = titles[k % titles.length]!;
    const durationSec = (60 + 15 * Math.floor(rand() * 3)) * 60;
    const sessionId = new Types.ObjectId();
    sessionDocs.push({ _id: sessionId, lectureId: l._id, title: l.title, lecturer: l.lecturer ?? '', kind: 'replay', startAt: new Date(start), endAt: new Date(start + durationSec * 1000), durationSec, stationIds: group.map((s) => s._id) });
    for (const st of group) {
      const [lo, hi] = draw[st.type];
      runs.push({ sessionId: String(sessionId), station: st, start, durationSec, persons: lo + Math.floor(rand() * (hi - lo + 1)) });
    }
  }
  // Scale the draws to the article's total person-times.
  const raw = runs.reduce((s, r) => s + r.persons, 0);
  for (const r of runs) r.persons = Math.max(1, Math.round((r.persons * TARGET_PERSONS) / raw));
  const daysDocs = new Map<string, Record<string, { s: string; held: number; persons: number; sec: number }>>();
  for (const r of runs) {
    const key = calendar.day(r.start);
    const entry = daysDocs.get(key) ?? {};
    // Learners stay for most of a session: 80-100% of it each.
    entry[`${r.sessionId}:${String(r.station._id)}`] = { s: String(r.station._id), held: 1, persons: r.persons, sec: Math.round(r.persons * r.durationSec * (0.8 + 0.2 * rand())) };
    daysDocs.set(key, entry);
  }
  await Timetable.insertMany(sessionDocs, { ordered: false });
  await StationDay.insertMany([...daysDocs].map(([id, dayRuns]) => ({ _id: id, runs: dayRuns })), { ordered: false });
  return { stations: stations.length, sessions: sessionDocs.length, historicRuns: runs.length };
}
