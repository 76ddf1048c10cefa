/**
 * A county year of credit-ledger entries (学时台账) shaped like the article behind the portal, for
 * the demo county and the generated county (scripts/generate-county.ts). Pure: no I/O, the same
 * entries for the same cadres, year and seed. Channels and the article's figures for one year:
 * - selfStudy (自主选学): 4,761 person-times over 154 topics, a few topics chosen far more often;
 * - live (直播论坛): the university forums, 9,500 person-times (清华大学论坛, 吉林大学学者讲坛,
 *   名家大讲堂);
 * - airClassroom (空中课堂): 612 showings at the 206 terminal stations, 18,000 person-times,
 *   each drawn from the station's party committee;
 * - trainingClass (培训班) and caravan (干教大篷车, 67 outings, 6,400 person-times): the classes of
 *   demo-training.ts; external (外出培训): its trips, 3,949 person-times.
 * A person-time is one entry (cadre × content × county year, `_id` `${userId}:${contentId}:${year}`),
 * so no cadre gets the same content twice in a year. Cadres are not alike: each has an activity
 * weight, so some are far ahead and many behind. Entry fields follow what the app writes
 * (credit-ledger.ts for study, completion.service.ts and external.service.ts for training).
 */
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { CountyCalendar } from '../calendar';
import { demoClasses, demoTrips } from './demo-training';

import { channelOf, channels, type Channel } from '../modules/county/tally';
import type { LedgerEntry } from '../modules/study/credit-ledger';

export { channels, type Channel };

/** A ledger entry as the seed writes it (credit-ledger.ts's, with its title and source always set). */
export interface LedgerDoc extends LedgerEntry {
  title: string;
  source: 'individual' | 'live' | 'station' | 'training' | 'external';
}

export interface PlanCadre {
  id: Types.ObjectId;
  /** The cadre's party committee (air classroom and caravan draw from one committee). */
  group: string;
}

export interface PlanOptions {
  year: number;
  /** Entries fall in [from, to) (ms): the county year, or its part until now. */
  from: number;
  to: number;
  /** 1 = the article's figures; the previous year is lighter. */
  scale: number;
  seed: number;
  calendar: CountyCalendar;
  cadres: readonly PlanCadre[];
  only?: readonly Channel[];
}

/** The article's year. */
export const articleYear = {
  selfStudy: { personTimes: 4761, topics: 154 },
  live: { personTimes: 9500 },
  airClassroom: { showings: 612, personTimes: 18_000, stations: 206 },
};

const areas: [string, string][] = [
  ['党史党性教育', 'party-history'], ['理想信念', 'party-history'], ['革命传统', 'party-history'], ['廉洁从政', 'service'],
  ['群众工作', 'service'], ['基层党建', 'service'], ['基层治理', 'service'], ['维稳信访', 'implementation'],
  ['突发事件应对', 'implementation'], ['财务知识管理', 'implementation'], ['依法行政', 'implementation'], ['安全生产', 'implementation'],
  ['关键在于落实', 'implementation'], ['县情县策', 'development'], ['县域经济', 'development'], ['乡村振兴', 'development'],
  ['新农村建设', 'development'], ['招商引资', 'development'], ['生态保护', 'development'], ['现代农业', 'development'],
  ['公共管理', 'development'], ['数字政务', 'development'],
];
const aspects = ['政策解读', '案例研究', '实务操作', '能力提升', '经验交流', '前沿讲座', '专题研讨'];
/** 22 × 7 = the article's 154 topics. */
export const topics = areas.flatMap(([area, category]) => aspects.map((a) => ({ topic: `${area}${a}`, category })));

const forums = [
  ...[1, 2, 3].map((k) => ({ title: `清华大学论坛(第${k}讲)`, topic: ['县域经济', '乡村振兴', '公共管理'][k - 1]!, category: 'development' })),
  ...[1, 2, 3, 4].map((k) => ({ title: `吉林大学学者讲坛(第${k}讲)`, topic: ['基层治理', '现代农业', '依法行政', '生态保护'][k - 1]!, category: k % 2 ? 'service' : 'development' })),
  ...[1, 2, 3, 4, 5].map((k) => ({ title: `名家大讲堂(第${k}讲)`, topic: ['招商引资', '县情县策', '理想信念', '数字政务', '新农村建设'][k - 1]!, category: k === 3 ? 'party-history' : 'development' })),
];

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A content id that is the same in every run (seed, year and a name). */
export const contentId = (seed: number, year: number, key: string) => new Types.ObjectId(createHash('md5').update(`${seed}:${year}:${key}`).digest('hex').slice(0, 24));

/** `total` split in proportion to `weights`, whole numbers that sum to it, each at least `min`. */
export function apportion(total: number, weights: readonly number[], min = 0): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const rest = total - min * weights.length;
  const raw = weights.map((w) => (w / sum) * Math.max(0, rest));
  const out = raw.map((x) => min + Math.floor(x));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]! += 1;
  return out;
}

export function planYear(o: PlanOptions): LedgerDoc[] {
  const rand = prng(o.seed * 7919 + o.year);
  const n = o.cadres.length;
  if (!n) return [];
  const want = (c: Channel) => !o.only || o.only.includes(c);
  const sc = (x: number) => Math.max(1, Math.round(x * o.scale));
  // Activity weights: 0.1 .. 3, skewed (a few cadres study far more than most).
  const weight = o.cadres.map(() => 0.1 + 2.9 * rand() ** 2.5);
  const all = o.cadres.map((_, i) => i);
  const groups = new Map<string, number[]>();
  o.cadres.forEach((c, i) => {
    const g = groups.get(c.group);
    if (g) g.push(i);
    else groups.set(c.group, [i]);
  });
  const groupList = [...groups.values()].filter((g) => g.length >= 20);
  /** Content → the cadres who already have it this year. */
  const taken = new Map<string, Set<number>>();
  const out: LedgerDoc[] = [];

  /** `k` distinct cadres of `pool`, more likely the more active, none holding `content` already. */
  const draw = (pool: readonly number[], k: number, content: string): number[] => {
    const had = taken.get(content) ?? new Set<number>();
    taken.set(content, had);
    const eligible = had.size ? pool.filter((i) => !had.has(i)) : pool;
    k = Math.min(k, eligible.length);
    let chosen: number[];
    if (k <= eligible.length / 4) {
      const cum: number[] = [];
      let s = 0;
      for (const i of eligible) cum.push((s += weight[i]!));
      const got = new Set<number>();
      for (let tries = 0; got.size < k && tries < k * 50; tries++) {
        const x = rand() * s;
        let lo = 0;
        let hi = cum.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cum[mid]! < x) lo = mid + 1;
          else hi = mid;
        }
        got.add(eligible[lo]!);
      }
      chosen = [...got];
    } else {
      // Efraimidis–Spirakis: the k smallest of -ln(u)/w.
      chosen = eligible.map((i) => [-Math.log(1 - rand()) / weight[i]!, i] as const).sort((a, b) => a[0] - b[0]).slice(0, k).map((x) => x[1]);
    }
    for (const i of chosen) had.add(i);
    return chosen;
  };
  /** A county instant at `frac` of the range, on a county day at `hour`. */
  const when = (frac: number, hour: number) => {
    const day = o.calendar.day(o.from + Math.min(0.999, Math.max(0, frac)) * (o.to - o.from));
    return Math.min(o.to - 60_000, o.calendar.dayAt(day, hour, rand() < 0.5 ? 0 : 30));
  };
  const push = (i: number, lectureId: Types.ObjectId, at: number, e: Omit<LedgerDoc, '_id' | 'userId' | 'lectureId' | 'year' | 'at'>) => {
    const userId = o.cadres[i]!.id;
    out.push({ _id: `${userId}:${lectureId}:${o.year}`, userId, lectureId, year: o.year, at: new Date(at), ...e });
  };

  if (want('selfStudy')) {
    // Zipf-like popularity over the topics, in an order of their own each year.
    const order = topics.map((t, i) => [rand(), i] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    const counts = apportion(sc(articleYear.selfStudy.personTimes), order.map((_, r) => 1 / (r + 1) ** 0.9), 1);
    order.forEach((ti, r) => {
      const t = topics[ti]!;
      const id = contentId(o.seed, o.year, `topic:${t.topic}`);
      const hours = [1, 1.5, 2, 2, 3][ti % 5]!;
      for (const i of draw(all, counts[r]!, String(id))) {
        push(i, id, when(rand(), 8 + Math.floor(rand() * 14)), { hours, required: false, category: t.category, topic: t.topic, title: `${t.topic}专题讲座`, coveredSec: hours * 3600, wallSec: hours * 3600, source: 'individual' });
      }
    });
  }
  if (want('live')) {
    const counts = apportion(sc(articleYear.live.personTimes), forums.map(() => 0.7 + rand() * 0.6));
    forums.forEach((f, k) => {
      const id = contentId(o.seed, o.year, `forum:${f.title}`);
      const at = when((k + 0.5) / forums.length, 9);
      for (const i of draw(all, counts[k]!, String(id))) push(i, id, at, { hours: 3, required: false, category: f.category, topic: f.topic, title: f.title, coveredSec: 10_800, wallSec: 10_800, source: 'live' });
    });
  }
  if (want('airClassroom')) {
    const { showings, personTimes, stations } = articleYear.airClassroom;
    const runs = sc(showings);
    const counts = apportion(sc(personTimes), Array.from({ length: runs }, () => 0.6 + rand() * 0.8));
    // A station belongs to a committee; each showing broadcasts one of 48 lectures.
    const home = Array.from({ length: stations }, () => (groupList.length ? groupList[Math.floor(rand() * groupList.length)]! : all));
    for (let r = 0; r < runs; r++) {
      const pool = home[r % stations]!;
      const t = topics[Math.floor(rand() * 48) * 3 % topics.length]!;
      const id = contentId(o.seed, o.year, `air:${t.topic}`);
      const at = when(r / runs, [9, 14, 19][r % 3]!);
      const picked = draw(pool.length >= counts[r]! * 2 ? pool : all, counts[r]!, String(id));
      for (const i of picked) push(i, id, at, { hours: 2, required: false, category: t.category, topic: t.topic, title: `空中课堂:${t.topic}`, coveredSec: 7200, wallSec: 7200, source: 'station' });
    }
  }
  for (const c of demoClasses) {
    const caravan = c.channel === 'caravan';
    if (!want(caravan ? 'caravan' : 'trainingClass')) continue;
    const sizes = apportion(sc(c.personTimes), Array.from({ length: c.cohorts }, () => 1));
    sizes.forEach((size, k) => {
      const title = c.cohorts > 1 ? `${c.name}(第${k + 1}期)` : c.name;
      const id = contentId(o.seed, o.year, `class:${title}`);
      const frac = caravan ? (2 + (k * 8.5) / c.cohorts) / 12 : (Math.min(11, c.month + k) - 0.5) / 12;
      const pool = caravan && groupList.length ? groupList[k % groupList.length]! : all;
      const at = when(frac, 12);
      for (const i of draw(pool.length >= size * 2 ? pool : all, size, String(id))) {
        push(i, id, at, { hours: c.creditHours, required: true, category: c.contentCategory, topic: 'training', title, source: 'training', trainingChannel: c.channel });
      }
    });
  }
  if (want('external')) {
    let t = 0;
    for (const trip of demoTrips) {
      apportion(sc(trip.personTimes), Array.from({ length: trip.trips }, () => 1)).forEach((size, k) => {
        const title = trip.trips > 1 ? `${trip.title}(第 ${k + 1} 批)` : trip.title;
        const id = contentId(o.seed, o.year, `trip:${title}`);
        const at = when((2 + ((t++ * 7) % 250) / 30) / 12, 12);
        for (const i of draw(all, size, String(id))) push(i, id, at, { hours: trip.hours, required: false, topic: 'external', title: `外出培训:${title}`, source: 'external' });
      });
    }
  }
  return out;
}

/** Person-times and hours by channel (for the seeding scripts' summary lines; channels as the county tallies count them). */
export function tally(entries: readonly Pick<LedgerDoc, 'source' | 'trainingChannel' | 'hours'>[]) {
  const t = Object.fromEntries(channels.map((c) => [c, { personTimes: 0, hours: 0 }])) as Record<Channel, { personTimes: number; hours: number }>;
  for (const e of entries) {
    const c = t[channelOf(e)];
    c.personTimes += 1;
    c.hours += e.hours;
  }
  return t;
}
