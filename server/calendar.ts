/**
 * The county's calendar (TIME_ZONE, default Asia/Shanghai). Every year, month and day the portal
 * counts in — the ledger year of a credit, the daily cap, reminders, report ranges, timetables —
 * is the county's, never the host's: a portal on a UTC host must credit a lecture completed at
 * 07:00 on 1 January Beijing time to the new year. Built on date-fns' TZDate (IANA zones, DST-safe).
 */
import { TZDate } from '@date-fns/tz';

export interface CalendarParts {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
}

export class CountyCalendar {
  constructor(readonly timeZone: string) {}

  private at(ms: number): TZDate {
    return new TZDate(ms, this.timeZone);
  }

  parts(ms: number): CalendarParts {
    const d = this.at(ms);
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), weekday: d.getDay() };
  }

  year(ms: number): number {
    return this.at(ms).getFullYear();
  }

  /** 0-11, as Date#getMonth. */
  month(ms: number): number {
    return this.at(ms).getMonth();
  }

  /** The county day as 'YYYY-MM-DD'. */
  day(ms: number): string {
    const p = this.parts(ms);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }

  /** The instant (ms) of local midnight starting a 'YYYY-MM-DD' county day. */
  startOfDay(day: string): number {
    return this.dayAt(day, 0, 0);
  }

  /** The instant of a county wall-clock time on a 'YYYY-MM-DD' day. */
  dayAt(day: string, hour: number, minute = 0): number {
    const [y, m, d] = splitDay(day);
    return new TZDate(y, m - 1, d, hour, minute, 0, 0, this.timeZone).getTime();
  }

  /** The instant of local midnight on 1 January of `year`. */
  startOfYear(year: number): number {
    return new TZDate(year, 0, 1, 0, 0, 0, 0, this.timeZone).getTime();
  }

  /** The instant of local midnight on the first day of a month (month 0-11; overflows roll into the next year). */
  startOfMonth(year: number, month: number): number {
    return new TZDate(year, month, 1, 0, 0, 0, 0, this.timeZone).getTime();
  }

  /** An instant from a county wall-clock time (month 1-12). */
  instant(year: number, month: number, day: number, hour = 0, minute = 0): number {
    return new TZDate(year, month - 1, day, hour, minute, 0, 0, this.timeZone).getTime();
  }

  /** What a page needs to default to "now" without reading its own clock: the zone, the county's year and day. */
  today(now = Date.now()): { timeZone: string; year: number; day: string } {
    return { timeZone: this.timeZone, year: this.year(now), day: this.day(now) };
  }

  /** The county day `days` after (or before) a 'YYYY-MM-DD' day, and `years` on (29 February rolls to 1 March). */
  addDays(day: string, days: number, years = 0): string {
    const [y, m, d] = splitDay(day);
    // Civil arithmetic on the label only: no instant, so no zone or DST can shift it.
    const t = new Date(Date.UTC(y + years, m - 1, d + days));
    return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  }

  /** A Date whose getters (getHours, getDate...) read in the county zone: what ical-generator writes with TZID. */
  date(ms: number): TZDate {
    return this.at(ms);
  }

  /** The zone's offset from UTC at an instant, in minutes east (+480 in Asia/Shanghai). */
  offsetMinutes(ms: number): number {
    return -this.at(ms).getTimezoneOffset();
  }

  /**
   * The offset changes (DST starts and ends) in [from, to], each with the instant it takes effect
   * and the offsets before and after (minutes east). Scans day by day, then narrows each change to
   * the minute: zones change offset at most a few times a year, never twice in a day.
   */
  transitions(from: number, to: number): { at: number; before: number; after: number }[] {
    const out: { at: number; before: number; after: number }[] = [];
    // On whole minutes, where every zone changes offset.
    const start = Math.floor(from / MINUTE_MS) * MINUTE_MS;
    const end = Math.ceil(to / MINUTE_MS) * MINUTE_MS;
    let prev = this.offsetMinutes(start);
    for (let t = start; t < end; t += DAY_MS) {
      const next = Math.min(t + DAY_MS, end);
      const off = this.offsetMinutes(next);
      if (off === prev) continue;
      let lo = t;
      let hi = next;
      while (hi - lo > MINUTE_MS) {
        const mid = lo + Math.ceil((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
        if (this.offsetMinutes(mid) === prev) lo = mid;
        else hi = mid;
      }
      out.push({ at: hi, before: prev, after: off });
      prev = off;
    }
    return out;
  }
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 3600_000;
const pad = (n: number) => String(n).padStart(2, '0');

function splitDay(day: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new RangeError(`not a day: ${day}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
