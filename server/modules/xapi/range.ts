/** The export's date range: county days (app.calendar), both ends included. */
import type { CountyCalendar } from '../../calendar';

/** At most this many county days in one export range (about ten years). */
const MAX_RANGE_DAYS = 3700;

/**
 * The store filter for statements stored from the start of county day `from` to the end of county
 * day `to` (YYYY-MM-DD, either may be absent), or why the range is wrong.
 */
export function xapiRange(q: { from?: string; to?: string }, calendar: Pick<CountyCalendar, 'instant'>): { filter: { stored?: { $gte?: Date; $lt?: Date } } } | { error: { zh: string; en: string } } {
  const at = (day: string, next: boolean) => {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    return calendar.instant(y, m, d + (next ? 1 : 0));
  };
  const from = q.from ? at(q.from, false) : undefined;
  const to = q.to ? at(q.to, true) : undefined;
  if (from !== undefined && to !== undefined) {
    if (from >= to) return { error: { zh: `开始日期 (${q.from}) 晚于结束日期 (${q.to})`, en: `The start (${q.from}) is after the end (${q.to})` } };
    if (to - from > MAX_RANGE_DAYS * 86_400_000) return { error: { zh: '日期范围过长', en: 'The date range is too long' } };
  }
  if (from === undefined && to === undefined) return { filter: {} };
  return { filter: { stored: { ...(from !== undefined ? { $gte: new Date(from) } : {}), ...(to !== undefined ? { $lt: new Date(to) } : {}) } } };
}
