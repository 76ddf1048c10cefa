/**
 * Pure helpers of the unit report page (单位学时报表): the range in the query string, the API and
 * export URLs, sorting the member table, the completion histogram and the sub-unit chart's
 * figures. Types come from the server's schemas (one contract, `import type` only).
 */
import { withQuery } from '../api/client.ts';
import { completionHistogram, COMPLETION_BUCKETS, sortMembers, type SortDir } from '../study/report.ts';
import type { LectureRowView, MemberRowView, RemindResultView, SubUnitRowView, TotalsView, UnitReportView } from '../../../../server/modules/reports/schemas.ts';

export type UnitReport = UnitReportView;
export type ReportMember = MemberRowView;
export type ReportSubUnit = SubUnitRowView;
export type ReportLecture = LectureRowView;
export type ReportTotals = TotalsView;
export type RemindResult = RemindResultView;

export interface DayRange {
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The whole county year. */
export const yearRange = (year: number): DayRange => ({ from: `${year}-01-01`, to: `${year}-12-31` });

/** The range in the query (`?from=&to=`, or the older `?year=`), else the county year. */
export function rangeFromQuery(from: string | null, to: string | null, year: string | null, countyYear: number): DayRange {
  const y = year && /^\d{4}$/.test(year) ? Number(year) : countyYear;
  const whole = yearRange(y);
  return { from: from && DAY.test(from) ? from : whole.from, to: to && DAY.test(to) ? to : whole.to };
}

/** Is the range one whole year (the default form, kept out of the URL)? */
export function wholeYear(range: DayRange): number | null {
  const y = Number(range.from.slice(0, 4));
  return range.from === `${y}-01-01` && range.to === `${y}-12-31` ? y : null;
}

export function reportUrl(unitId: string, range: DayRange): string {
  return withQuery(`/api/reports/units/${encodeURIComponent(unitId)}/report`, { from: range.from, to: range.to });
}

export function exportHref(unitId: string, range: DayRange, format: 'xlsx' | 'csv', sheet?: 'members' | 'subunits' | 'lectures'): string {
  return withQuery(`/api/reports/units/${encodeURIComponent(unitId)}/report.${format}`, { from: range.from, to: range.to, ...(sheet && sheet !== 'members' ? { sheet } : {}) });
}

export function remindUrl(unitId: string): string {
  return `/api/reports/units/${encodeURIComponent(unitId)}/reminders`;
}

// Sorting and the completion histogram are the member table's, shared with lib/study/report.ts.
export { completionHistogram, COMPLETION_BUCKETS, sortMembers, type SortDir };

export type MemberSortKey = 'unitName' | 'displayName' | 'username' | 'rank' | 'requiredHours' | 'earned' | 'requiredEarned' | 'electiveEarned' | 'completed' | 'percent' | 'resultScore';

/** Members with their yearly result's score (实效测评) as a plain number to sort on. */
export function withResultScore<T extends { result: { score: number } }>(members: readonly T[]): (T & { resultScore: number })[] {
  return members.map((m) => ({ ...m, resultScore: m.result.score }));
}
const TEXT_KEYS: readonly MemberSortKey[] = ['unitName', 'displayName', 'username', 'rank'];

/** Clicking a header: the same column flips; a new one starts ascending for text, descending for numbers. */
export function nextSort(current: { key: MemberSortKey; dir: SortDir }, key: MemberSortKey): { key: MemberSortKey; dir: SortDir } {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: TEXT_KEYS.includes(key) ? 'asc' : 'desc' };
}

/** The sub-unit chart: met and behind cadres per sub-unit (stacked), labels cut to fit. */
export function subUnitSeries(rows: readonly Pick<ReportSubUnit, 'name' | 'met' | 'behind'>[], maxLabel = 10): { labels: string[]; met: number[]; behind: number[] } {
  return {
    labels: rows.map((r) => (r.name.length > maxLabel ? `${r.name.slice(0, maxLabel - 1)}…` : r.name)),
    met: rows.map((r) => r.met),
    behind: rows.map((r) => r.behind),
  };
}

/** The range a form asks for, or why not: both days, in order, at most 5 years apart. */
export function checkRange(from: string, to: string): 'ok' | 'missing' | 'reversed' | 'too-long' {
  if (!DAY.test(from) || !DAY.test(to)) return 'missing';
  if (from > to) return 'reversed';
  if (Number(to.slice(0, 4)) - Number(from.slice(0, 4)) >= 5) return 'too-long';
  return 'ok';
}
