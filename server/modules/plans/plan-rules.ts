/**
 * Pure rules of learning plans (学习计划), no I/O:
 * - who an assignment applies to: a cadre whose unit is one of its units or below one (the unit
 *   path is the cadre's unit and its ancestors), and whose rank is one of its ranks; an empty
 *   list of units means every unit, an empty list of ranks every rank, and an assignment needs at
 *   least one of the two;
 * - deadlines: `dueDay` is a county day; the deadline is the end of that day in the county's zone
 *   (the next day's local midnight), so a cadre finishing at 23:59 Beijing time is on time even on
 *   a host in UTC; overdue = not complete after that instant;
 * - completion counts: a cadre completes an assignment when every one of its lectures is complete.
 */
import type { CountyCalendar } from '../../calendar';

export type Rank = 'township' | 'county';

export interface Audience {
  unitIds: readonly string[];
  ranks: readonly string[];
}

export interface CadreFacts {
  /** The cadre's unit followed by the units above it. */
  unitPath: readonly string[];
  rank: Rank;
}

export function hasTarget(a: Audience): boolean {
  return a.unitIds.length > 0 || a.ranks.length > 0;
}

export function appliesTo(a: Audience, c: CadreFacts): boolean {
  if (!hasTarget(a)) return false;
  const unitOk = a.unitIds.length === 0 || a.unitIds.some((u) => c.unitPath.includes(u));
  const rankOk = a.ranks.length === 0 || a.ranks.includes(c.rank);
  return unitOk && rankOk;
}

/** The instant (ms) a county day ends: the next day's local midnight. */
export function deadlineEnd(calendar: CountyCalendar, dueDay: string): number {
  return calendar.startOfDay(calendar.addDays(dueDay, 1));
}

/** Whole county days from `from` to `to` ('YYYY-MM-DD' labels; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const utc = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

export interface DeadlineState {
  /** The deadline instant, ISO 8601. */
  dueAt: string;
  /** Not complete and past the deadline. */
  overdue: boolean;
  /** Completed after the deadline. */
  late: boolean;
  /** County days from today to the due day (0 = due today, negative = past). */
  daysLeft: number;
}

export function deadlineState(calendar: CountyCalendar, dueDay: string, now: number, completedAt: number | null): DeadlineState {
  const end = deadlineEnd(calendar, dueDay);
  return {
    dueAt: new Date(end).toISOString(),
    overdue: completedAt === null && now >= end,
    late: completedAt !== null && completedAt >= end,
    daysLeft: daysBetween(calendar.day(now), dueDay),
  };
}

/** The earlier of two optional county days. */
export function earlierDay(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return a <= b ? a : b;
}

export interface CountedCadre extends CadreFacts {
  userId: string;
}

export interface CountedAssignment extends Audience {
  id: string;
  /** The content ids to complete (a replay counts as its live lecture). */
  contentIds: readonly string[];
}

/**
 * Per assignment: how many of `cadres` it applies to and how many of them completed every one of
 * its lectures. `completed` holds `${userId}:${contentId}` of every completion. Linear in
 * assignments × cadres × lectures, with no I/O.
 */
export function completionCounts(assignments: readonly CountedAssignment[], cadres: readonly CountedCadre[], completed: ReadonlySet<string>): Map<string, { assigned: number; completed: number }> {
  const out = new Map<string, { assigned: number; completed: number }>();
  for (const a of assignments) {
    let assigned = 0;
    let done = 0;
    for (const c of cadres) {
      if (!appliesTo(a, c)) continue;
      assigned++;
      if (a.contentIds.length > 0 && a.contentIds.every((l) => completed.has(`${c.userId}:${l}`))) done++;
    }
    out.set(a.id, { assigned, completed: done });
  }
  return out;
}
