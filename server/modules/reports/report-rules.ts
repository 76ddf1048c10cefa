/**
 * The unit report's rules (单位学时报表), with no I/O. A report covers the cadres of a unit and
 * every unit below it (本单位及下属单位) over a range of county days, `from` to `to` inclusive
 * ('YYYY-MM-DD' in the county's calendar, never the host's); by default the county's current year.
 *
 * - Hours, completions and the required/elective split come from the cadre's ledger entries whose
 *   county day falls in the range: the same entries the yearly summaries roll up, so every sheet
 *   adds up to the same total.
 * - The requirement of a range is the rank's yearly requirement prorated by the days of each
 *   year the range covers (a whole year asks the whole requirement; January to June about half).
 *   A cadre is behind when the hours earned in the range are below it.
 * - The sub-unit summary groups cadres by the unit directly below the report's unit that holds
 *   them (cadres of the unit itself form their own group); the 所属单位 column names each
 *   cadre's own unit.
 * - Learners of a lecture: cadres who studied it in a year the range touches (the summaries list
 *   lectures per year, not per day), plus everyone who completed it in the range.
 */
import type { FlatNode } from '../org/org-tree';

export const MAX_RANGE_YEARS = 5;

export interface DayRange {
  from: string;
  to: string;
}

export interface LedgerFact {
  /** Ledger `_id`: user:lecture:year. */
  id: string;
  lectureId: string;
  title: string;
  /** County day of the completion, 'YYYY-MM-DD'. */
  day: string;
  hours: number;
  required: boolean;
}

export interface Cadre {
  userId: string;
  username: string;
  displayName: string;
  rank: 'township' | 'county';
  unitId: string;
}

export interface CadreStudy {
  /** Ledger entry ids listed in the cadre's summaries of the range's years. */
  entries: string[];
  /** Lectures the cadre studied in those years. */
  lectures: string[];
}

export interface MemberRow {
  userId: string;
  username: string;
  displayName: string;
  rank: 'township' | 'county';
  unitId: string;
  unitName: string;
  /** The report unit's direct sub-unit this cadre is counted under. */
  subUnitId: string;
  requiredHours: number;
  earned: number;
  requiredEarned: number;
  electiveEarned: number;
  completed: number;
  /** Earned / required, 0..100. */
  percent: number;
  behind: boolean;
}

export interface Totals {
  members: number;
  behind: number;
  met: number;
  requiredHours: number;
  earned: number;
  requiredEarned: number;
  electiveEarned: number;
  completed: number;
  /** Share of cadres meeting the requirement, 0..100. */
  metPercent: number;
}

export interface SubUnitRow {
  unitId: string;
  name: string;
  members: number;
  behind: number;
  met: number;
  earned: number;
  requiredHours: number;
  averageHours: number;
  metPercent: number;
}

export interface LectureRow {
  lectureId: string;
  title: string;
  learners: number;
  completions: number;
  hours: number;
}

export const round1 = (x: number) => Math.round(x * 10) / 10;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a civil 'YYYY-MM-DD' label (no zone involved), or NaN. */
export function dayNumber(day: string): number {
  const m = DAY.exec(day);
  if (!m) return NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  // 2026-02-30 is not a day.
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return NaN;
  return ms / 86_400_000;
}

export type RangeProblem = 'bad-day' | 'reversed' | 'too-long';

/** The range asked for, defaulting to the county year `year`; or why it is refused. */
export function resolveRange(q: { from?: string; to?: string; year?: number }, countyYear: number): DayRange | RangeProblem {
  const year = q.year ?? countyYear;
  const from = q.from ?? `${year}-01-01`;
  const to = q.to ?? (q.from ? `${Number(from.slice(0, 4))}-12-31` : `${year}-12-31`);
  const a = dayNumber(from);
  const b = dayNumber(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return 'bad-day';
  if (a > b) return 'reversed';
  if (Number(to.slice(0, 4)) - Number(from.slice(0, 4)) >= MAX_RANGE_YEARS) return 'too-long';
  return { from, to };
}

/** The county years a range touches. */
export function rangeYears(range: DayRange): number[] {
  const out: number[] = [];
  for (let y = Number(range.from.slice(0, 4)); y <= Number(range.to.slice(0, 4)); y++) out.push(y);
  return out;
}

export const inRange = (day: string, range: DayRange) => day >= range.from && day <= range.to;

/** The yearly requirement prorated by the days of each year the range covers. */
export function rangeRequirement(yearlyHours: number, range: DayRange): number {
  let hours = 0;
  for (const y of rangeYears(range)) {
    const first = dayNumber(`${y}-01-01`);
    const last = dayNumber(`${y}-12-31`);
    const a = Math.max(first, dayNumber(range.from));
    const b = Math.min(last, dayNumber(range.to));
    hours += (yearlyHours * (b - a + 1)) / (last - first + 1);
  }
  return round1(hours);
}

/** For each unit id, the report unit's direct child that holds it (the report unit for itself). */
export function subUnitOf(rows: readonly FlatNode[], rootId: string): Map<string, string> {
  const children = new Map<string, string[]>();
  for (const r of rows) if (r.parentId) children.set(r.parentId, [...(children.get(r.parentId) ?? []), r.id]);
  const out = new Map<string, string>([[rootId, rootId]]);
  for (const top of children.get(rootId) ?? []) {
    const stack = [top];
    while (stack.length) {
      const cur = stack.pop()!;
      if (out.has(cur)) continue; // a cycle in bad data must not loop forever
      out.set(cur, top);
      stack.push(...(children.get(cur) ?? []));
    }
  }
  return out;
}

export interface ReportInput {
  range: DayRange;
  rootId: string;
  units: readonly FlatNode[];
  cadres: readonly Cadre[];
  study: ReadonlyMap<string, CadreStudy>;
  facts: ReadonlyMap<string, LedgerFact>;
  yearlyHours: (rank: 'township' | 'county') => number;
  /** Titles of lectures that no entry names (studied, not completed). */
  titles?: ReadonlyMap<string, string>;
}

export interface ReportTables {
  members: MemberRow[];
  totals: Totals;
  subUnits: SubUnitRow[];
  lectures: LectureRow[];
}

const collator = new Intl.Collator('zh-CN');

/** Every table of the report from what was read. Members sort behind first, then by sub-unit and name. */
export function buildReport(input: ReportInput): ReportTables {
  const { range } = input;
  const names = new Map(input.units.map((u) => [u.id, u.name]));
  const subOf = subUnitOf(input.units, input.rootId);
  const byLecture = new Map<string, { title: string; learners: Set<string>; completions: number; hours: number }>();
  const lecture = (id: string, title: string) => {
    let row = byLecture.get(id);
    if (!row) byLecture.set(id, (row = { title, learners: new Set(), completions: 0, hours: 0 }));
    if (!row.title && title) row.title = title;
    return row;
  };

  const members: MemberRow[] = input.cadres.map((c) => {
    const study = input.study.get(c.userId);
    let earned = 0;
    let requiredEarned = 0;
    let completed = 0;
    for (const id of study?.entries ?? []) {
      const f = input.facts.get(id);
      if (!f || !inRange(f.day, range)) continue;
      earned += f.hours;
      if (f.required) requiredEarned += f.hours;
      completed += 1;
      const row = lecture(f.lectureId, f.title);
      row.completions += 1;
      row.hours += f.hours;
      row.learners.add(c.userId);
    }
    for (const l of study?.lectures ?? []) lecture(l, input.titles?.get(l) ?? '').learners.add(c.userId);
    const requiredHours = rangeRequirement(input.yearlyHours(c.rank), range);
    earned = round1(earned);
    return {
      userId: c.userId,
      username: c.username,
      displayName: c.displayName,
      rank: c.rank,
      unitId: c.unitId,
      unitName: names.get(c.unitId) ?? '',
      subUnitId: subOf.get(c.unitId) ?? input.rootId,
      requiredHours,
      earned,
      requiredEarned: round1(requiredEarned),
      electiveEarned: round1(earned - requiredEarned),
      completed,
      percent: requiredHours > 0 ? Math.min(100, round1((earned / requiredHours) * 100)) : 100,
      behind: earned < requiredHours,
    };
  });
  members.sort((a, b) => Number(b.behind) - Number(a.behind) || a.percent - b.percent || collator.compare(a.unitName, b.unitName) || a.username.localeCompare(b.username));

  const subUnits = new Map<string, SubUnitRow>();
  for (const m of members) {
    let s = subUnits.get(m.subUnitId);
    if (!s) subUnits.set(m.subUnitId, (s = { unitId: m.subUnitId, name: names.get(m.subUnitId) ?? '', members: 0, behind: 0, met: 0, earned: 0, requiredHours: 0, averageHours: 0, metPercent: 0 }));
    s.members += 1;
    s.behind += m.behind ? 1 : 0;
    s.met += m.behind ? 0 : 1;
    s.earned += m.earned;
    s.requiredHours += m.requiredHours;
  }
  const subRows = [...subUnits.values()].map((s) => ({
    ...s,
    earned: round1(s.earned),
    requiredHours: round1(s.requiredHours),
    averageHours: round1(s.earned / s.members),
    metPercent: round1((s.met / s.members) * 100),
  }));
  // The unit itself first, then its sub-units by name.
  subRows.sort((a, b) => Number(b.unitId === input.rootId) - Number(a.unitId === input.rootId) || collator.compare(a.name, b.name));

  const lectures = [...byLecture.entries()]
    .map(([lectureId, r]) => ({ lectureId, title: r.title, learners: r.learners.size, completions: r.completions, hours: round1(r.hours) }))
    .sort((a, b) => b.completions - a.completions || b.learners - a.learners || b.hours - a.hours || collator.compare(a.title, b.title));

  return { members, totals: totalsOf(members), subUnits: subRows, lectures };
}

export function totalsOf(members: readonly MemberRow[]): Totals {
  const sum = (f: (m: MemberRow) => number) => round1(members.reduce((s, m) => s + f(m), 0));
  const behind = members.filter((m) => m.behind).length;
  return {
    members: members.length,
    behind,
    met: members.length - behind,
    requiredHours: sum((m) => m.requiredHours),
    earned: sum((m) => m.earned),
    requiredEarned: sum((m) => m.requiredEarned),
    electiveEarned: sum((m) => m.electiveEarned),
    completed: members.reduce((s, m) => s + m.completed, 0),
    metPercent: members.length ? round1(((members.length - behind) / members.length) * 100) : 0,
  };
}
