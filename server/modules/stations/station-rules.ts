/**
 * Pure rules of terminal stations (终端站点) and the air classroom (空中课堂); no I/O, so they
 * are unit-tested directly.
 * - Pairing codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), typed in
 *   any case with spaces or dashes.
 * - Check-in tokens (签到二维码): HMAC over (station, session, 30-s window index). A token is
 *   accepted in its own window and the next one (a scan just before the code rotates still
 *   works), refused as expired after that, and refused as invalid when forged, tampered with or
 *   from a future window.
 * - A session is "on" for check-ins from 10 minutes before its start to its end; the station's
 *   current session is the on session that started last (else the next one about to start).
 * - Conflicts: two sessions at the same station whose [startAt, endAt) overlap.
 * - Roll-ups are per local calendar day (the county's day), `YYYY-MM-DD`.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const stationTypes = ['agency', 'community', 'township', 'village', 'household'] as const;
export type StationType = (typeof stationTypes)[number];

/** 机关 / 社区 / 乡镇 / 村 / 农户 station labels for tables and exports. */
export const stationTypeLabels: Record<StationType, { zh: string; en: string }> = {
  agency: { zh: '机关站点', en: 'Agency' },
  community: { zh: '社区站点', en: 'Community' },
  township: { zh: '乡镇站点', en: 'Township' },
  village: { zh: '村级站点', en: 'Village' },
  household: { zh: '农户站点', en: 'Farm household' },
};

// ---- pairing codes -----------------------------------------------------------------------

export const PAIRING_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;

export function newPairingCode(pick: (n: number) => number = randomInt): string {
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[pick(PAIRING_ALPHABET.length)];
  return code;
}

/** The code as stored, or null when it cannot be one (wrong length or characters). */
export function normalizePairingCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== PAIRING_CODE_LENGTH) return null;
  for (const ch of code) if (!PAIRING_ALPHABET.includes(ch)) return null;
  return code;
}

// ---- check-in tokens ---------------------------------------------------------------------

export const CHECKIN_WINDOW_SEC = 30;

export interface CheckinClaims {
  stationId: string;
  sessionId: string;
  /** Index of the window the token was issued in (floor(ms / window)). */
  window: number;
}

export const windowOf = (nowMs: number, windowSec = CHECKIN_WINDOW_SEC) => Math.floor(nowMs / (windowSec * 1000));

const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('base64url').slice(0, 22);

export function signCheckin(c: CheckinClaims, secret: string): string {
  const data = `${c.stationId}.${c.sessionId}.${c.window.toString(36)}`;
  return `${data}.${mac(secret, data)}`;
}

export type CheckinVerdict = { ok: true; claims: CheckinClaims } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyCheckin(token: string, secret: string, nowMs: number, windowSec = CHECKIN_WINDOW_SEC): CheckinVerdict {
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'invalid' };
  const [stationId, sessionId, w, sig] = parts as [string, string, string, string];
  if (!/^[0-9a-f]{24}$/.test(stationId) || !/^[0-9a-f]{24}$/.test(sessionId) || !/^[0-9a-z]{1,12}$/.test(w)) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(mac(secret, `${stationId}.${sessionId}.${w}`));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  const window = parseInt(w, 36);
  const now = windowOf(nowMs, windowSec);
  if (window > now) return { ok: false, reason: 'invalid' };
  if (window < now - 1) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { stationId, sessionId, window } };
}

/** Seconds until the code shown now rotates. */
export const secondsToRotation = (nowMs: number, windowSec = CHECKIN_WINDOW_SEC) => Math.max(1, Math.ceil(((windowOf(nowMs, windowSec) + 1) * windowSec * 1000 - nowMs) / 1000));

// ---- sessions ----------------------------------------------------------------------------

/** Check-ins open this long before a session starts. */
export const CHECKIN_LEAD_MS = 10 * 60_000;

export interface TimedSession {
  id: string;
  startAt: number;
  endAt: number;
}

export const isOn = (s: Pick<TimedSession, 'startAt' | 'endAt'>, nowMs: number) => nowMs >= s.startAt - CHECKIN_LEAD_MS && nowMs <= s.endAt;

/** The session a station is in now: the on session that started last, else the next about to start. */
export function currentSession<T extends TimedSession>(list: readonly T[], nowMs: number): T | undefined {
  const on = list.filter((s) => isOn(s, nowMs));
  const started = on.filter((s) => s.startAt <= nowMs).sort((a, b) => b.startAt - a.startAt);
  if (started[0]) return started[0];
  return on.sort((a, b) => a.startAt - b.startAt)[0];
}

export const overlaps = (a: Pick<TimedSession, 'startAt' | 'endAt'>, b: Pick<TimedSession, 'startAt' | 'endAt'>) => a.startAt < b.endAt && b.startAt < a.endAt;

export interface PlacedSession extends TimedSession {
  title: string;
  stationIds: readonly string[];
}

export interface Conflict {
  sessionId: string;
  stationId: string;
  title: string;
}

/** Sessions of `others` that overlap `s` at one of its stations (one row per station). */
export function findConflicts(s: PlacedSession, others: readonly PlacedSession[]): Conflict[] {
  const mine = new Set(s.stationIds);
  const out: Conflict[] = [];
  for (const o of others) {
    if (o.id === s.id || !overlaps(s, o)) continue;
    for (const st of o.stationIds) if (mine.has(st)) out.push({ sessionId: o.id, stationId: st, title: o.title });
  }
  return out;
}

/** A keyed HMAC for URLs that are fetched without cookies (calendar feeds). */
export function urlKey(secret: string, scope: string): string {
  return mac(secret, `url:${scope}`);
}

export function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
