/**
 * The county calendar (server/calendar.ts): years, months and days in TIME_ZONE whatever the host's
 * zone — each boundary is checked under several host zones (Node applies a changed process.env.TZ
 * at once) — DST-safe days, day-label arithmetic, the iCalendar zone, and TIME_ZONE validation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config';
import { CountyCalendar } from '../../server/calendar';
import { buildCalendar } from '../../server/modules/stations/calendar';
import { reminderId } from '../../server/modules/study/reminders';

const hostZones = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Shanghai'];
const hostTz = process.env.TZ;
afterEach(() => {
  if (hostTz === undefined) delete process.env.TZ;
  else process.env.TZ = hostTz;
});

const shanghai = new CountyCalendar('Asia/Shanghai');
const newYork = new CountyCalendar('America/New_York');
const iso = (ms: number) => new Date(ms).toISOString();

describe('the county calendar', () => {
  it.each(hostZones)('puts 07:30 on 1 January in Shanghai in the new year on a %s host', (zone) => {
    process.env.TZ = zone;
    const at = Date.parse('2026-12-31T23:30:00Z');
    expect(shanghai.year(at)).toBe(2027);
    expect(shanghai.month(at)).toBe(0);
    expect(shanghai.day(at)).toBe('2027-01-01');
    expect(shanghai.parts(at)).toMatchObject({ year: 2027, month: 1, day: 1, hour: 7, minute: 30, weekday: 5 });
    // Eight hours earlier it is still 2026 in the county, whatever the host says.
    expect(shanghai.day(at - 8 * 3600_000)).toBe('2026-12-31');
  });

  it.each(hostZones)('starts county days, months and years at county midnight on a %s host', (zone) => {
    process.env.TZ = zone;
    expect(iso(shanghai.startOfDay('2027-01-01'))).toBe('2026-12-31T16:00:00.000Z');
    expect(iso(shanghai.startOfYear(2027))).toBe('2026-12-31T16:00:00.000Z');
    expect(iso(shanghai.startOfMonth(2026, 12))).toBe('2026-12-31T16:00:00.000Z'); // month 12 rolls into January
    expect(iso(shanghai.startOfMonth(2026, 9))).toBe('2026-09-30T16:00:00.000Z'); // 1 October
    expect(iso(shanghai.instant(2027, 1, 1, 7, 30))).toBe('2026-12-31T23:30:00.000Z');
    expect(iso(shanghai.dayAt('2026-06-01', 19, 30))).toBe('2026-06-01T11:30:00.000Z');
    expect(shanghai.today(Date.parse('2026-12-31T16:00:00Z'))).toEqual({ timeZone: 'Asia/Shanghai', year: 2027, day: '2027-01-01' });
  });

  it('keeps days right across daylight-saving changes (America/New_York, 2026)', () => {
    process.env.TZ = 'UTC';
    // 8 March has 23 hours, 1 November 25.
    expect(iso(newYork.startOfDay('2026-03-08'))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(newYork.startOfDay('2026-03-09'))).toBe('2026-03-09T04:00:00.000Z');
    expect(newYork.startOfDay('2026-11-02') - newYork.startOfDay('2026-11-01')).toBe(25 * 3600_000);
    expect(newYork.day(Date.parse('2026-03-09T03:59:00Z'))).toBe('2026-03-08');
    expect(newYork.day(Date.parse('2026-03-09T04:00:00Z'))).toBe('2026-03-09');
    expect(newYork.parts(Date.parse('2026-03-08T07:00:00Z'))).toMatchObject({ day: 8, hour: 3 }); // 02:00 is skipped
    expect(newYork.offsetMinutes(Date.parse('2026-07-01T12:00:00Z'))).toBe(-240);
    expect(newYork.transitions(Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toEqual([
      { at: Date.parse('2026-03-08T07:00:00Z'), before: -300, after: -240 },
      { at: Date.parse('2026-11-01T06:00:00Z'), before: -240, after: -300 },
    ]);
    expect(shanghai.transitions(Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toEqual([]);
  });

  it('shifts day labels by days and years without any zone', () => {
    process.env.TZ = 'America/Los_Angeles';
    expect(shanghai.addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(shanghai.addDays('2027-01-01', 1, -1)).toBe('2026-01-02'); // the stats default: a year back, plus a day
    expect(shanghai.addDays('2028-02-29', 1, -1)).toBe('2027-03-02');
    expect(newYork.addDays('2026-03-07', 2)).toBe('2026-03-09');
    expect(() => shanghai.startOfDay('2026-1-1')).toThrow(RangeError);
  });

  it('names reminders by the county month: 16:30 UTC on 30 September is October in Shanghai', () => {
    process.env.TZ = 'UTC';
    expect(reminderId(Date.parse('2026-09-30T15:59:00Z'), shanghai)).toBeNull();
    expect(reminderId(Date.parse('2026-09-30T16:30:00Z'), shanghai)).toBe('credit-2026-10');
    expect(reminderId(Date.parse('2026-12-14T16:00:00Z'), shanghai)).toBe('credit-2026-final');
    expect(reminderId(Date.parse('2026-12-31T16:00:00Z'), shanghai)).toBeNull();
  });
});

describe('iCalendar feeds', () => {
  const item = { id: 's1', title: '新年第一课', lecturer: '刘教授', kind: 'replay' as const, startAt: '2026-12-31T23:30:00.000Z', endAt: Date.parse('2027-01-01T01:00:00Z'), stationNames: ['苏公坨村站'] };
  const now = Date.parse('2026-12-02T12:00:00Z');

  it.each(hostZones)('writes events at county wall-clock time with the zone declared, on a %s host', (zone) => {
    process.env.TZ = zone;
    const ics = buildCalendar('学习台历', [item], shanghai, now);
    expect(ics).toContain('DTSTART;TZID=Asia/Shanghai:20270101T073000');
    expect(ics).toContain('DTEND;TZID=Asia/Shanghai:20270101T090000');
    expect(ics).toContain('DTSTAMP:20261202T120000Z'); // RFC 5545: the stamp is UTC
    expect(ics).toMatch(/BEGIN:VTIMEZONE\r\nTZID:Asia\/Shanghai\r\nBEGIN:STANDARD\r\nDTSTART:\d{8}T\d{6}\r\nTZOFFSETFROM:\+0800\r\nTZOFFSETTO:\+0800\r\nEND:STANDARD\r\nEND:VTIMEZONE/);
    expect(ics).toContain('X-WR-TIMEZONE:Asia/Shanghai');
  });

  it('declares the daylight-saving onsets of a DST zone around its events', () => {
    process.env.TZ = 'UTC';
    const ics = buildCalendar('x', [{ ...item, startAt: '2026-07-01T23:30:00.000Z', endAt: '2026-07-02T01:00:00.000Z' }], newYork, now);
    expect(ics).toContain('DTSTART;TZID=America/New_York:20260701T193000');
    expect(ics).toContain('BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT');
    expect(ics).toContain('BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD');
  });
});

describe('TIME_ZONE', () => {
  it('defaults to Asia/Shanghai', () => {
    expect(loadConfig({}).timeZone).toBe('Asia/Shanghai');
    expect(loadConfig({ TIME_ZONE: 'America/New_York' }).timeZone).toBe('America/New_York');
  });

  it.each(['Mars/Olympus_Mons', 'Asia/Shanghai; rm -rf', '+08:00'])('rejects TIME_ZONE=%s with a message naming the key', (value) => {
    expect(() => loadConfig({ TIME_ZONE: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TIME_ZONE: value })).toThrow(/^Invalid configuration: TIME_ZONE must be/);
  });
});
