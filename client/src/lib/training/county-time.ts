/**
 * Times of class sessions are the county's wall clock (the server's CountyCalendar zone, sent with
 * /api/auth/me), whatever zone the phone or the admin's computer is set to: shown in it, and a
 * `datetime-local` value is read in it. Pure helpers over Intl.
 */
const pad = (n: number) => String(n).padStart(2, '0');

/** Minutes the zone is ahead of UTC at an instant. */
export function zoneOffsetMinutes(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** An instant as a `datetime-local` value on the zone's wall clock. */
export function toZoneInput(iso: string | undefined, timeZone: string | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  const offset = timeZone ? zoneOffsetMinutes(ms, timeZone) : -new Date(ms).getTimezoneOffset();
  const d = new Date(ms + offset * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** A `datetime-local` value read on the zone's wall clock, as an ISO instant. */
export function fromZoneInput(local: string, timeZone: string | undefined): string {
  if (!timeZone) return new Date(local).toISOString();
  const guess = Date.parse(`${local}:00Z`);
  let ms = guess - zoneOffsetMinutes(guess, timeZone) * 60_000;
  // Near an offset change the offset at the answer may differ from the one at the guess.
  ms = guess - zoneOffsetMinutes(ms, timeZone) * 60_000;
  return new Date(ms).toISOString();
}
