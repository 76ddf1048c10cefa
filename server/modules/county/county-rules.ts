/**
 * The county dashboard's rules (县级统计), with no I/O.
 * - Figures of a node of the org tree (county → party committees → units) are the sums of the
 *   tallies of every unit in its subtree; the county itself sums every tally of the year (also
 *   those of cadres without a unit, or of a unit since removed), so the county's total is the
 *   ledger's.
 * - A person-time (人次) is one ledger entry; topics chosen are the distinct topics of
 *   self-selected study's entries, the most chosen first.
 * - On track (达标进度): a rank with a one-year window must have earned this year at least its
 *   yearly hours × the elapsed share of the county year (1 for a past year); a rank with a longer
 *   window (county level and above: 550 h in 5 years) its window hours × the elapsed share of the
 *   window (the earlier years of the window count whole). A cadre with no hours is behind unless
 *   nothing is required.
 */
import { channels, type Cell, type Channel, type Tally } from './tally';

export const round1 = (x: number) => Math.round(x * 10) / 10;
const add = (a: number, b: number) => Math.round((a + b) * 1e6) / 1e6;

export interface Aggregate {
  personTimes: number;
  hours: number;
  channels: Record<Channel, Cell>;
  months: Record<Channel, { n: number[]; h: number[] }>;
  topics: Map<string, Cell>;
  categories: Map<string, Cell>;
}

export function emptyAggregate(): Aggregate {
  return {
    personTimes: 0,
    hours: 0,
    channels: Object.fromEntries(channels.map((c) => [c, { n: 0, h: 0 }])) as Record<Channel, Cell>,
    months: Object.fromEntries(channels.map((c) => [c, { n: Array<number>(12).fill(0), h: Array<number>(12).fill(0) }])) as Aggregate['months'],
    topics: new Map(),
    categories: new Map(),
  };
}

function merge(into: Map<string, Cell>, from: Map<string, Cell>) {
  for (const [k, c] of from) {
    const t = into.get(k);
    if (t) {
      t.n += c.n;
      t.h = add(t.h, c.h);
    } else into.set(k, { n: c.n, h: c.h });
  }
}

/** Sums tallies; `withMaps` false skips topics and categories (children rows need only totals). */
export function aggregate(tallies: Iterable<Tally>, withMaps = true): Aggregate {
  const a = emptyAggregate();
  for (const t of tallies) {
    for (const ch of channels) {
      const c = t.channels[ch];
      a.channels[ch].n += c.n;
      a.channels[ch].h = add(a.channels[ch].h, c.h);
      a.personTimes += c.n;
      a.hours = add(a.hours, c.h);
      if (!withMaps) continue;
      const m = t.months[ch];
      const am = a.months[ch];
      for (let i = 0; i < 12; i++) {
        am.n[i] = (am.n[i] ?? 0) + (m.n[i] ?? 0);
        am.h[i] = add(am.h[i] ?? 0, m.h[i] ?? 0);
      }
    }
    if (withMaps) {
      merge(a.topics, t.topics);
      merge(a.categories, t.categories);
    }
  }
  return a;
}

const collator = new Intl.Collator('zh-CN');

/** Topics chosen, their person-times, and the `limit` most chosen (ties: more hours, then name). */
export function topicFigures(topics: Map<string, Cell>, limit = 10) {
  let personTimes = 0;
  for (const c of topics.values()) personTimes += c.n;
  const top = [...topics]
    .sort(([ka, a], [kb, b]) => b.n - a.n || b.h - a.h || collator.compare(ka, kb))
    .slice(0, limit)
    .map(([topic, c]) => ({ topic, personTimes: c.n, hours: round1(c.h) }));
  return { chosen: topics.size, personTimes, top };
}

/** The dashboard's figures of one node: totals, channels, months and topics, the previous year beside. */
export function figures(cur: Aggregate, prev: Aggregate) {
  const channelRows = channels.map((channel) => ({
    channel,
    personTimes: cur.channels[channel].n,
    hours: round1(cur.channels[channel].h),
    prevPersonTimes: prev.channels[channel].n,
    prevHours: round1(prev.channels[channel].h),
  }));
  const months = Array.from({ length: 12 }, (_, i) => {
    let personTimes = 0;
    let hours = 0;
    let prevPersonTimes = 0;
    let prevHours = 0;
    const byChannel = {} as Record<Channel, { personTimes: number; hours: number }>;
    for (const ch of channels) {
      const n = cur.months[ch].n[i] ?? 0;
      const h = cur.months[ch].h[i] ?? 0;
      personTimes += n;
      hours = add(hours, h);
      prevPersonTimes += prev.months[ch].n[i] ?? 0;
      prevHours = add(prevHours, prev.months[ch].h[i] ?? 0);
      byChannel[ch] = { personTimes: n, hours: round1(h) };
    }
    return { month: i + 1, personTimes, hours: round1(hours), prevPersonTimes, prevHours: round1(prevHours), byChannel };
  });
  return {
    totals: { personTimes: cur.personTimes, hours: round1(cur.hours), prevPersonTimes: prev.personTimes, prevHours: round1(prev.hours) },
    channels: channelRows,
    months,
    topics: topicFigures(cur.topics),
  };
}

/** Categories by person-times (ties by name). */
export function categoryRows(categories: Map<string, Cell>) {
  return [...categories]
    .sort(([ka, a], [kb, b]) => b.n - a.n || collator.compare(ka, kb))
    .map(([category, c]) => ({ category, personTimes: c.n, hours: round1(c.h) }));
}

/** Share of the county year `year` elapsed at `nowMs`: 0 before it, 1 after it. */
export function elapsedShare(nowMs: number, startMs: number, endMs: number): number {
  if (nowMs <= startMs) return 0;
  if (nowMs >= endMs) return 1;
  return (nowMs - startMs) / (endMs - startMs);
}

export interface RankPolicy {
  rank: string;
  yearlyHours: number;
  windowYears: number;
  windowHours: number;
}

export interface Standing {
  /** Hours earned in the year. */
  hours: number;
  /** The year's requirement (window ranks: the window's). */
  required: number;
  expectedByNow: number;
  onTrack: boolean;
  windowEarned?: number;
  windowRequired?: number;
}

/** Where a cadre stands in `year`, given hours per year and the elapsed share of `year`. */
export function standing(policy: RankPolicy, hoursIn: (year: number) => number, year: number, share: number): Standing {
  const hours = round1(hoursIn(year));
  if (policy.windowYears > 1) {
    let earned = 0;
    for (let y = year - policy.windowYears + 1; y <= year; y++) earned = add(earned, hoursIn(y));
    const windowEarned = round1(earned);
    const expectedByNow = round1((policy.windowHours * (policy.windowYears - 1 + share)) / policy.windowYears);
    const onTrack = policy.windowHours <= 0 || (windowEarned > 0 && windowEarned >= expectedByNow);
    return { hours, required: policy.windowHours, expectedByNow, onTrack, windowEarned, windowRequired: policy.windowHours };
  }
  const expectedByNow = round1(policy.yearlyHours * share);
  const onTrack = policy.yearlyHours <= 0 || (hours > 0 && hours >= expectedByNow);
  return { hours, required: policy.yearlyHours, expectedByNow, onTrack };
}

/** Share on track, 0..1 (0 when nobody is counted, as the unit report's share met). */
export const shareOf = (onTrack: number, cadres: number) => (cadres > 0 ? Math.round((onTrack / cadres) * 1000) / 1000 : 0);
