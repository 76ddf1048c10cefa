/**
 * A county tally (统计计数): the figures of one org unit in one county year, kept on write from
 * the credit ledger (roll-ups kept on write: FerretDB 1.24 cannot aggregate quickly). One
 * document per `${year}:${unitId}` holds, for the cadres counted under that unit:
 * - person-times (人次, one ledger entry = one) and hours per channel, and per channel and month;
 * - per topic of self-selected study (自主选学) and per content category;
 * - per cadre, for compliance.
 * Pure: adding a fact, flattening for comparison, the stored shape. Hours are summed with six
 * decimals kept (entries carry tenths) so two orders of adding agree; figures shown are rounded.
 */

/** The channels of the county's training, in the dashboard's fixed order. */
export const channels = ['selfStudy', 'live', 'airClassroom', 'trainingClass', 'caravan', 'external'] as const;
export type Channel = (typeof channels)[number];

/** Person-times and hours. */
export interface Cell {
  n: number;
  h: number;
}

/** The part of a ledger entry a tally needs. */
export interface EntryFacts {
  userId: string;
  year: number;
  /** County month, 0-11. */
  month: number;
  hours: number;
  source?: string;
  trainingChannel?: string;
  topic?: string;
  category?: string;
}

export interface Tally {
  /** `${year}:${unitId}` (unitId `-` for a cadre without a unit). */
  id: string;
  year: number;
  unitId: string;
  channels: Record<Channel, Cell>;
  /** Per channel, twelve months (0-11). */
  months: Record<Channel, { n: number[]; h: number[] }>;
  /** Self-selected study's topics. */
  topics: Map<string, Cell>;
  categories: Map<string, Cell>;
  cadres: Map<string, Cell>;
}

/** The channel of a ledger entry (source individual or none: self-selected study). */
export function channelOf(e: { source?: string | null; trainingChannel?: string | null }): Channel {
  switch (e.source) {
    case 'live':
      return 'live';
    case 'station':
      return 'airClassroom';
    case 'training':
      return e.trainingChannel === 'caravan' ? 'caravan' : 'trainingClass';
    case 'external':
      return 'external';
    default:
      return 'selfStudy';
  }
}

export const NO_UNIT = '-';
export const tallyId = (year: number, unitId: string | null | undefined) => `${year}:${unitId || NO_UNIT}`;

const sum = (a: number, b: number) => Math.round((a + b) * 1e6) / 1e6;

function emptyChannels<T>(make: () => T): Record<Channel, T> {
  return Object.fromEntries(channels.map((c) => [c, make()])) as Record<Channel, T>;
}

export function emptyTally(year: number, unitId: string): Tally {
  return {
    id: tallyId(year, unitId),
    year,
    unitId,
    channels: emptyChannels(() => ({ n: 0, h: 0 })),
    months: emptyChannels(() => ({ n: Array<number>(12).fill(0), h: Array<number>(12).fill(0) })),
    topics: new Map(),
    categories: new Map(),
    cadres: new Map(),
  };
}

function bump(map: Map<string, Cell>, key: string, hours: number) {
  const c = map.get(key);
  if (c) {
    c.n += 1;
    c.h = sum(c.h, hours);
  } else map.set(key, { n: 1, h: sum(0, hours) });
}

/** Adds one ledger entry (one person-time) to the tally. */
export function addEntry(t: Tally, f: EntryFacts): void {
  const ch = channelOf(f);
  const hours = Number.isFinite(f.hours) ? f.hours : 0;
  const c = t.channels[ch];
  c.n += 1;
  c.h = sum(c.h, hours);
  const m = t.months[ch];
  const month = Math.min(11, Math.max(0, Math.trunc(f.month) || 0));
  m.n[month] = (m.n[month] ?? 0) + 1;
  m.h[month] = sum(m.h[month] ?? 0, hours);
  if (ch === 'selfStudy' && f.topic) bump(t.topics, f.topic, hours);
  bump(t.categories, f.category || 'other', hours);
  bump(t.cadres, f.userId, hours);
}

/** Every figure of a tally by a field name (for comparing a stored tally with a recomputed one). */
export function flatten(t: Tally): Map<string, number> {
  const out = new Map<string, number>();
  for (const ch of channels) {
    out.set(`channels.${ch}.personTimes`, t.channels[ch].n);
    out.set(`channels.${ch}.hours`, t.channels[ch].h);
    for (let i = 0; i < 12; i++) {
      const n = t.months[ch].n[i] ?? 0;
      const h = t.months[ch].h[i] ?? 0;
      if (n) out.set(`months.${ch}.${i + 1}.personTimes`, n);
      if (h) out.set(`months.${ch}.${i + 1}.hours`, h);
    }
  }
  for (const [name, map] of [['topics', t.topics], ['categories', t.categories], ['cadres', t.cadres]] as const) {
    for (const [k, c] of map) {
      out.set(`${name}.${k}.personTimes`, c.n);
      out.set(`${name}.${k}.hours`, c.h);
    }
  }
  return out;
}

export interface Difference {
  key: string;
  field: string;
  stored: number;
  computed: number;
}

/** The fields where two tallies of one key differ (a missing tally or field counts as 0). */
export function diffTallies(key: string, stored: Tally | undefined, computed: Tally | undefined): Difference[] {
  const a = stored ? flatten(stored) : new Map<string, number>();
  const b = computed ? flatten(computed) : new Map<string, number>();
  const out: Difference[] = [];
  for (const field of new Set([...a.keys(), ...b.keys()])) {
    const s = a.get(field) ?? 0;
    const c = b.get(field) ?? 0;
    if (Math.abs(s - c) > 1e-4) out.push({ key, field, stored: s, computed: c });
  }
  return out;
}

/**
 * The stored shape: maps as arrays of records (topic and category names may hold `.` or start
 * with `$`, which FerretDB refuses as keys), months as flat arrays (no nested arrays either).
 */
export interface TallyDoc {
  _id: string;
  year: number;
  unitId: string;
  channels: Record<string, Cell>;
  months: Record<string, { n: number[]; h: number[] }>;
  topics: { k: string; n: number; h: number }[];
  categories: { k: string; n: number; h: number }[];
  cadres: { k: string; n: number; h: number }[];
  updatedAt?: Date;
}

const rows = (m: Map<string, Cell>) => [...m].map(([k, c]) => ({ k, n: c.n, h: c.h }));

export function toDoc(t: Tally, at = new Date()): TallyDoc {
  return {
    _id: t.id,
    year: t.year,
    unitId: t.unitId,
    channels: Object.fromEntries(channels.map((c) => [c, { ...t.channels[c] }])),
    months: Object.fromEntries(channels.map((c) => [c, { n: [...t.months[c].n], h: [...t.months[c].h] }])),
    topics: rows(t.topics),
    categories: rows(t.categories),
    cadres: rows(t.cadres),
    updatedAt: at,
  };
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

export function fromDoc(d: Partial<TallyDoc> & { _id: string }): Tally {
  const [y, ...rest] = d._id.split(':');
  const t = emptyTally(num(d.year) || Number(y), d.unitId ?? rest.join(':'));
  for (const ch of channels) {
    const c = d.channels?.[ch];
    if (c) t.channels[ch] = { n: num(c.n), h: num(c.h) };
    const m = d.months?.[ch];
    if (m) for (let i = 0; i < 12; i++) {
      t.months[ch].n[i] = num(m.n?.[i]);
      t.months[ch].h[i] = num(m.h?.[i]);
    }
  }
  const into = (map: Map<string, Cell>, list: TallyDoc['topics'] | undefined) => {
    for (const r of list ?? []) if (typeof r?.k === 'string') map.set(r.k, { n: num(r.n), h: num(r.h) });
  };
  into(t.topics, d.topics);
  into(t.categories, d.categories);
  into(t.cadres, d.cadres);
  return t;
}
