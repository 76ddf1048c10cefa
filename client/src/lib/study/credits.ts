/**
 * Pure helpers for showing 学时 (credit hours): progress percentages, the year's credits against
 * the requirement, seats of limited offerings (限额选学), the year menu of the study archive and
 * how close a selection's deadline is, why a page is not earning 学时. No I/O, no Svelte:
 * unit-tested as they are.
 */
import type { Lecture, MyStudy } from '../api/types.ts';
import type { MessageKey } from '../i18n/index.ts';

/**
 * The words for the server's reason a playback is not counting: 'other-session' (another page or
 * device of the user is earning now), 'at-station' (the user is checked in at a terminal station,
 * 终端站点, whose group study records the hours), 'unknown-session' (the server does not know the
 * playback as this user's: signed out or switched accounts elsewhere). A newer word gets a
 * neutral text rather than a wrong one.
 */
export function notCountingText(reason: string | undefined): { title: MessageKey; hint: MessageKey } {
  switch (reason) {
    case undefined:
    case 'other-session':
      return { title: 'studyPlayer.notCounting', hint: 'studyPlayer.notCountingHint' };
    case 'at-station':
      return { title: 'studyPlayer.notCountingAtStation', hint: 'studyPlayer.notCountingAtStationHint' };
    case 'unknown-session':
      return { title: 'studyPlayer.notCountingUnknown', hint: 'studyPlayer.notCountingUnknownHint' };
    default:
      return { title: 'studyPlayer.notCountingOther', hint: 'studyPlayer.notCountingOtherHint' };
  }
}

/** Whole percent of a 0..1 progress, never rounded up to 100 before it is really complete. */
export function progressPercent(progress: number, completed = false): number {
  if (completed) return 100;
  if (!Number.isFinite(progress) || progress <= 0) return 0;
  return Math.min(99, Math.floor(progress * 100));
}

/** 0..1 share of `required` that `earned` covers (1 when nothing is required). */
export function creditRatio(earned: number, required: number): number {
  if (!(required > 0)) return 1;
  if (!Number.isFinite(earned) || earned <= 0) return 0;
  return Math.min(1, earned / required);
}

/** Hours to one decimal (the server's own rounding), never negative. */
export function roundHours(hours: number): number {
  return Number.isFinite(hours) ? Math.max(0, Math.round(hours * 10) / 10) : 0;
}

/** What the year still needs, in hours (0 once met). */
export function hoursMissing(earned: number, required: number): number {
  return roundHours(Math.max(0, required - earned));
}

/** Seats left in a limited offering, or null when it is not limited. */
export function seatsLeft(lecture: Pick<Lecture, 'seatLimit' | 'seatsTaken' | 'seatsLeft'>): number | null {
  if (typeof lecture.seatLimit !== 'number' || !Number.isFinite(lecture.seatLimit)) return null;
  if (typeof lecture.seatsLeft === 'number' && Number.isFinite(lecture.seatsLeft)) return Math.max(0, Math.floor(lecture.seatsLeft));
  const taken = typeof lecture.seatsTaken === 'number' && Number.isFinite(lecture.seatsTaken) ? lecture.seatsTaken : 0;
  return Math.max(0, Math.floor(lecture.seatLimit - taken));
}

/** The seats after the viewer took (+1) or gave back (-1) one, for an immediate update. */
export function withSeatChange<T extends Pick<Lecture, 'seatLimit' | 'seatsTaken' | 'seatsLeft'>>(lecture: T, taken: 1 | -1): T {
  if (typeof lecture.seatLimit !== 'number') return lecture;
  const next = { ...lecture };
  if (typeof next.seatsLeft === 'number') next.seatsLeft = Math.min(next.seatLimit!, Math.max(0, next.seatsLeft - taken));
  if (typeof next.seatsTaken === 'number') next.seatsTaken = Math.min(next.seatLimit!, Math.max(0, next.seatsTaken + taken));
  if (typeof next.seatsLeft !== 'number' && typeof next.seatsTaken !== 'number') next.seatsTaken = Math.max(0, taken);
  return next;
}

/** Years for the archive's menu: this one, the asked one and every year with a record, newest first. */
export function yearOptions(history: MyStudy['history'] | undefined, current: number, selected?: number): number[] {
  const years = new Set<number>([current]);
  if (selected !== undefined && Number.isInteger(selected)) years.add(selected);
  for (const h of history ?? []) if (Number.isInteger(h.year)) years.add(h.year);
  return [...years].sort((a, b) => b - a);
}

/** A year from the URL (`?year=2026`), or the current one. */
export function parseYear(value: string | null | undefined, current: number): number {
  const year = Number(value);
  return Number.isInteger(year) && year >= 2000 && year <= 2100 ? year : current;
}

export type DeadlineState = 'none' | 'overdue' | 'soon' | 'open';

/** Overdue when past, soon within 14 days. */
export function deadlineState(deadline: string | undefined, now: Date, soonDays = 14): DeadlineState {
  if (!deadline) return 'none';
  const at = Date.parse(deadline);
  if (Number.isNaN(at)) return 'none';
  const left = at - now.getTime();
  if (left < 0) return 'overdue';
  return left <= soonDays * 86_400_000 ? 'soon' : 'open';
}

/** Days until a deadline, rounded up (0 on the day itself, negative when past). */
export function daysUntil(deadline: string, now: Date): number {
  return Math.ceil((Date.parse(deadline) - now.getTime()) / 86_400_000);
}

/** The twelve months' hours, padded or cut to 12 numbers. */
export function monthlyHours(byMonth: readonly number[] | undefined): number[] {
  return Array.from({ length: 12 }, (_, i) => roundHours(byMonth?.[i] ?? 0));
}
