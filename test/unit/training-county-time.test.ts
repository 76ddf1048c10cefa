/** The county's wall clock in the class timetable's inputs (client/src/lib/training/county-time.ts). */
import { describe, expect, it } from 'vitest';
import { fromZoneInput, toZoneInput, zoneOffsetMinutes } from '../../client/src/lib/training/county-time';

describe('county wall clock', () => {
  it('reads and writes datetime-local values in the county zone, whatever the device zone', () => {
    expect(fromZoneInput('2026-12-04T14:00', 'Asia/Shanghai')).toBe('2026-12-04T06:00:00.000Z');
    expect(toZoneInput('2026-12-04T06:00:00.000Z', 'Asia/Shanghai')).toBe('2026-12-04T14:00');
    expect(zoneOffsetMinutes(Date.parse('2026-12-04T06:00:00Z'), 'Asia/Shanghai')).toBe(480);
  });

  it('follows a zone’s offset change (a county in a zone with daylight time)', () => {
    expect(fromZoneInput('2026-07-01T09:00', 'America/New_York')).toBe('2026-07-01T13:00:00.000Z');
    expect(fromZoneInput('2026-12-01T09:00', 'America/New_York')).toBe('2026-12-01T14:00:00.000Z');
    for (const iso of ['2026-03-08T06:59:00.000Z', '2026-03-08T07:00:00.000Z', '2026-11-01T05:30:00.000Z']) expect(fromZoneInput(toZoneInput(iso, 'America/New_York'), 'America/New_York')).toBe(iso);
  });
});
