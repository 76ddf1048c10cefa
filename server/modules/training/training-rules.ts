/**
 * Pure rules of training classes (培训班), no I/O:
 * - audience: a class is open to a cadre whose unit is one of its units or below one, and whose
 *   rank is one of its ranks; an empty list of units means every unit, of ranks every rank (both
 *   empty = the whole county). A cadre enrolled by assignment sees the class whatever its audience;
 * - seats: an application is enrolled while places are left (enrolled + completed < capacity),
 *   else it waits (候补), first come first served; a freed place goes to the first waiting cadre.
 *   Applications to a class with approval wait for a manager (待审核) and take a place only when
 *   approved. The caller counts under the class's lock (FerretDB updates are not atomic);
 * - days: applications close when the class starts (its first county day); a cadre may withdraw
 *   an application until the end of `withdrawBy` in the county's zone (default: the day before the
 *   class starts); a manager marks completion (结业) from the class's last day on.
 */
import type { CountyCalendar } from '../../calendar';
import type { EnrolmentState } from './training.model';

export interface Audience {
  unitIds: readonly string[];
  ranks: readonly string[];
}

export interface CadreFacts {
  /** The cadre's unit followed by the units above it. */
  unitPath: readonly string[];
  rank: string;
}

export function openTo(a: Audience, c: CadreFacts): boolean {
  const unitOk = a.unitIds.length === 0 || a.unitIds.some((u) => c.unitPath.includes(u));
  const rankOk = a.ranks.length === 0 || a.ranks.includes(c.rank);
  return unitOk && rankOk;
}

/** Does a unit admin (their subtree and the units above their unit) reach this audience? */
export function reachesUnits(a: Audience, subtree: ReadonlySet<string>, path: readonly string[]): boolean {
  return a.unitIds.length === 0 || a.unitIds.some((u) => subtree.has(u) || path.includes(u));
}

/** States that hold a place. */
export const SEATED: readonly EnrolmentState[] = ['enrolled', 'completed'];
/** States of a live application or enrolment (a second one is refused). */
export const ACTIVE: readonly EnrolmentState[] = ['pending', 'enrolled', 'waitlisted', 'completed'];

export function seatsTaken(states: readonly EnrolmentState[]): number {
  return states.filter((s) => SEATED.includes(s)).length;
}

/** Where an application lands: pending when it needs approval, else enrolled while places are left, else waitlisted. */
export function applicationState(approval: boolean, taken: number, capacity: number): EnrolmentState {
  if (approval) return 'pending';
  return taken < capacity ? 'enrolled' : 'waitlisted';
}

/** The end of a county day: the next day's local midnight. */
export function dayEnd(calendar: CountyCalendar, day: string): number {
  return calendar.startOfDay(calendar.addDays(day, 1));
}

export function applicationsOpen(calendar: CountyCalendar, startDay: string, now: number): boolean {
  return now < calendar.startOfDay(startDay);
}

export function withdrawalOpen(calendar: CountyCalendar, withdrawBy: string, now: number): boolean {
  return now < dayEnd(calendar, withdrawBy);
}

export function completionOpen(calendar: CountyCalendar, endDay: string, now: number): boolean {
  return now >= calendar.startOfDay(endDay);
}

/** The instant the ledger dates a class's (or an external course's) hours: its last day, or now if that is earlier. */
export function creditInstant(calendar: CountyCalendar, endDay: string, now: number): number {
  return Math.min(now, calendar.dayAt(endDay, 12));
}

/** The default withdrawal deadline: the day before the class starts. */
export function defaultWithdrawBy(calendar: CountyCalendar, startDay: string): string {
  return calendar.addDays(startDay, -1);
}

/**
 * 调训名额 (nominations): the quota a cadre's nomination counts against is the first unit, from
 * their own upwards, that the class gives a quota to; with unit quotas set, a cadre under none of
 * them has no place to be nominated for (null). Without unit quotas only the overall one applies.
 */
export function quotaUnitOf(unitQuotas: readonly { unitId: string; quota: number }[], cadrePath: readonly string[]): string | null | undefined {
  if (!unitQuotas.length) return undefined;
  return cadrePath.find((u) => unitQuotas.some((q) => q.unitId === u)) ?? null;
}

/** What is left of each quota after the live nominations (pending or confirmed). */
export function quotaLeft(q: { overallQuota: number; unitQuotas: readonly { unitId: string; quota: number }[] }, live: readonly { quotaUnitId: string | null }[]) {
  const overall = q.overallQuota > 0 ? q.overallQuota - live.length : Infinity;
  const units = new Map(q.unitQuotas.map((u) => [u.unitId, u.quota - live.filter((n) => n.quotaUnitId === u.unitId).length]));
  return { overall, units };
}
