/**
 * The yearly result (实效测评结果) in the unit report, with no I/O. The report's range may be any
 * span of days; the result is the county year of its last day (`range.to`), graded on that whole
 * year's hours (the ledger entries of the year, from the summaries the report already read)
 * against the rank's yearly requirement, with the year's quizzes and classes
 * (server/modules/assessment). Each member carries their result; each sub-unit and the whole report
 * count their cadres per grade (优秀 / 合格 / 不合格), so the county's report (the organisation
 * department at the top unit) gives the counts per township and for the county.
 */
import { gradeCounts, type GradeCounts, type YearlyResult } from '../assessment/assessment-rules';
import { round1, type CadreStudy, type LedgerFact, type MemberRow, type ReportTables, type SubUnitRow } from './report-rules';

/** The county year a report's result is for. */
export const resultYear = (range: { to: string }) => Number(range.to.slice(0, 4));

/** Hours credited to each cadre in `year` (their summaries' entries whose county day falls in it). */
export function yearHours(study: ReadonlyMap<string, CadreStudy>, facts: ReadonlyMap<string, LedgerFact>, year: number): Map<string, number> {
  const out = new Map<string, number>();
  const prefix = `${year}-`;
  for (const [userId, s] of study) {
    let h = 0;
    for (const id of s.entries) {
      const f = facts.get(id);
      if (f && f.day.startsWith(prefix)) h += f.hours;
    }
    out.set(userId, round1(h));
  }
  return out;
}

export interface ResultTables {
  members: (MemberRow & { result: YearlyResult })[];
  subUnits: (SubUnitRow & { grades: GradeCounts })[];
  assessment: { year: number; custom: boolean; grades: GradeCounts };
}

/** The report's tables with each member's result and the counts per grade. */
export function withResults(tables: ReportTables, results: ReadonlyMap<string, YearlyResult>, year: number, custom: boolean): ResultTables {
  const members = tables.members.map((m) => {
    const result = results.get(m.userId);
    if (!result) throw new Error(`withResults: no result for ${m.userId}`);
    return { ...m, result };
  });
  const bySub = new Map<string, YearlyResult[]>();
  for (const m of members) bySub.set(m.subUnitId, [...(bySub.get(m.subUnitId) ?? []), m.result]);
  return {
    members,
    subUnits: tables.subUnits.map((s) => ({ ...s, grades: gradeCounts(bySub.get(s.unitId) ?? []) })),
    assessment: { year, custom, grades: gradeCounts(members.map((m) => m.result)) },
  };
}
