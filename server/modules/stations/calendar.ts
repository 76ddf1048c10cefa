/**
 * iCalendar feeds (学习台历) for a station and for a cadre, built with ical-generator. Event ids
 * are stable (`<sessionId>@cadre-portal`) so a calendar app updates events instead of
 * duplicating them. Times are written in the county's zone (`DTSTART;TZID=Asia/Shanghai:...`),
 * with the VTIMEZONE that RFC 5545 requires for each TZID (ical-generator has no zone database:
 * its offsets and DST changes come from the county calendar), so a phone set to another zone
 * still shows the lecture at the county's wall-clock time.
 */
import ical, { ICalEventStatus } from 'ical-generator';
import type { CountyCalendar } from '../../calendar';

export interface CalendarItem {
  id: string;
  title: string;
  lecturer: string;
  /** `class`: a session of a training class the cadre is on (training/session-calendar.ts). */
  kind: 'live' | 'replay' | 'class';
  startAt: string | number;
  endAt: string | number;
  stationNames: string[];
  /** A cancelled booking (the lecture was withdrawn) stays in the feed as CANCELLED, so calendars drop it. */
  status?: string;
  /** Where it happens, when not at stations (a class's venue or village). */
  location?: string;
}

/** A year of offsets before the first event, so every event follows a declared onset. */
const LEAD_MS = 366 * 24 * 3600_000;

export function buildCalendar(name: string, items: readonly CalendarItem[], calendar: CountyCalendar, now = Date.now()): string {
  const times = items.flatMap((it) => [new Date(it.startAt).getTime(), new Date(it.endAt).getTime()]).filter(Number.isFinite);
  const from = Math.min(now, ...times) - LEAD_MS;
  const to = Math.max(now, ...times);
  const cal = ical({
    name,
    prodId: { company: 'cadre-portal', product: 'air-classroom', language: 'ZH' },
    ttl: 3600,
    // No calendar-wide zone name: ical-generator would then write DTSTAMP as floating local time,
    // where RFC 5545 wants UTC. The events carry the zone; X-WR-TIMEZONE names it for the feed.
    timezone: { name: null, generator: (tz) => (tz === calendar.timeZone ? vtimezone(calendar, from, to) : null) },
    x: [['X-WR-TIMEZONE', calendar.timeZone]],
  });
  for (const it of items) {
    cal.createEvent({
      id: `${it.id}@cadre-portal`,
      // TZDate values read in the county zone, which ical-generator writes with TZID.
      start: calendar.date(new Date(it.startAt).getTime()),
      end: calendar.date(new Date(it.endAt).getTime()),
      timezone: calendar.timeZone,
      stamp: new Date(now),
      summary: it.title,
      description: [`${{ live: '直播', replay: '回放', class: '培训班' }[it.kind]} · ${it.lecturer}`.trim(), it.stationNames.length ? `站点:${it.stationNames.join('、')}` : ''].filter(Boolean).join('\n'),
      location: it.location || it.stationNames.join('、') || null,
      ...(it.status === 'cancelled' ? { status: ICalEventStatus.CANCELLED } : {}),
    });
  }
  return cal.toString();
}

const pad = (n: number) => String(n).padStart(2, '0');
/** '+0800', '-0430'. */
const utcOffset = (min: number) => `${min < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(min) / 60))}${pad(Math.abs(min) % 60)}`;
/** The wall-clock time of an instant at a given offset, as an iCalendar local DATE-TIME. */
function localStamp(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/**
 * The zone's VTIMEZONE over [from, to]: its offset at `from`, then one onset per offset change
 * (DTSTART in the wall-clock time before the change, as RFC 5545 §3.6.5 says). Explicit onsets
 * rather than RRULEs: exact for any zone, without a rules table.
 */
export function vtimezone(calendar: CountyCalendar, from: number, to: number): string {
  const first = calendar.offsetMinutes(from);
  const changes = calendar.transitions(from, to);
  const offsets = [first, ...changes.map((c) => c.after)];
  const standard = Math.min(...offsets);
  const onset = (at: number, before: number, after: number) => {
    const kind = after > standard ? 'DAYLIGHT' : 'STANDARD';
    return [`BEGIN:${kind}`, `DTSTART:${localStamp(at, before)}`, `TZOFFSETFROM:${utcOffset(before)}`, `TZOFFSETTO:${utcOffset(after)}`, `END:${kind}`];
  };
  return [
    'BEGIN:VTIMEZONE',
    `TZID:${calendar.timeZone}`,
    ...onset(from, first, first),
    ...changes.flatMap((c) => onset(c.at, c.before, c.after)),
    'END:VTIMEZONE',
  ].join('\r\n');
}
