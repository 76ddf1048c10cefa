/**
 * Pure helpers for showing plans: a county day label ('YYYY-MM-DD') is shown as that calendar
 * date, never shifted by the browser's zone; "how long left" comes from the server's day count.
 */
import type { PlanItem } from './types.ts';

/** A county day label as a short date in `lang` (formatted in UTC, where the label's midnight sits). */
export function formatDay(lang: string, day: string, options: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'long', day: 'numeric' }): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return new Intl.DateTimeFormat(lang, { ...options, timeZone: 'UTC' }).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

export type DueTone = 'done' | 'overdue' | 'soon' | 'later' | 'none';

/** How a plan item's deadline should look: overdue in red, due within a week in amber. */
export function dueTone(item: Pick<PlanItem, 'completed' | 'overdue' | 'daysLeft' | 'dueDay'>): DueTone {
  if (item.completed) return 'done';
  if (item.overdue) return 'overdue';
  if (!item.dueDay || item.daysLeft === undefined) return 'none';
  return item.daysLeft <= 7 ? 'soon' : 'later';
}

/** Whole percent, 0..100, for a 0..1 share. */
export function percent(share: number): number {
  return Math.max(0, Math.min(100, Math.round(share * 100)));
}

/** Items the cadre still has to do, soonest first (the server's order), at most `n`. */
export function openItems(items: readonly PlanItem[], n: number): PlanItem[] {
  return items.filter((i) => !i.completed).slice(0, n);
}
