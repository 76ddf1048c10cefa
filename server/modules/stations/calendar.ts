/**
 * iCalendar feeds (学习台历) for a station and for a cadre, built with ical-generator. Event ids
 * are stable (`<sessionId>@cadre-portal`) so a calendar app updates events instead of
 * duplicating them; times are UTC instants.
 */
import ical from 'ical-generator';

export interface CalendarItem {
  id: string;
  title: string;
  lecturer: string;
  kind: 'live' | 'replay';
  startAt: string | number;
  endAt: string | number;
  stationNames: string[];
}

export function buildCalendar(name: string, items: readonly CalendarItem[], now = Date.now()): string {
  const cal = ical({ name, prodId: { company: 'cadre-portal', product: 'air-classroom', language: 'ZH' }, ttl: 3600 });
  for (const it of items) {
    cal.createEvent({
      id: `${it.id}@cadre-portal`,
      start: new Date(it.startAt),
      end: new Date(it.endAt),
      stamp: new Date(now),
      summary: it.title,
      description: [`${it.kind === 'live' ? '直播' : '回放'} · ${it.lecturer}`.trim(), it.stationNames.length ? `站点:${it.stationNames.join('、')}` : ''].filter(Boolean).join('\n'),
      location: it.stationNames.join('、') || null,
    });
  }
  return cal.toString();
}
