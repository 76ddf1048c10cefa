/**
 * Rules of a class's timetable (课程表) and of attendance at its sessions, pure functions:
 * - which fields each kind of session needs: a recorded part names a lecture and the county day
 *   to watch it by; a live part a live lecture and its times; an in-person session, a site visit
 *   (现场教学) and a travelling-classroom session (干教大篷车) their times and a venue or a place;
 * - the rotating check-in code shown by the class manager's phone or the room's projector: an HMAC
 *   of the session, the direction (签到 in / 签退 out) and the time slot (20 s), accepted in its
 *   own slot and the next one (a scan just before the code turns still counts), by the server's
 *   clock only;
 * - when attendance may be recorded: from 30 minutes before the start to 60 minutes after the end.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SessionKind } from './session.model';

export const SLOT_SEC = 20;
export const CHECKIN_LEAD_MS = 30 * 60_000;
export const CHECKOUT_TAIL_MS = 60 * 60_000;

export type Direction = 'in' | 'out';

export const slotOf = (nowMs: number, slotSec = SLOT_SEC) => Math.floor(nowMs / (slotSec * 1000));
export const secondsToTurn = (nowMs: number, slotSec = SLOT_SEC) => Math.max(1, Math.ceil(((slotOf(nowMs, slotSec) + 1) * slotSec * 1000 - nowMs) / 1000));

const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('base64url').slice(0, 22);

export function signSessionCode(c: { sessionId: string; direction: Direction; slot: number }, secret: string): string {
  const data = `${c.sessionId}.${c.direction}.${c.slot.toString(36)}`;
  return `${data}.${mac(secret, data)}`;
}

export type CodeVerdict = { ok: true; sessionId: string; direction: Direction } | { ok: false; reason: 'invalid' | 'expired' };

export function verifySessionCode(token: string, secret: string, nowMs: number, slotSec = SLOT_SEC): CodeVerdict {
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'invalid' };
  const [sessionId, direction, s, sig] = parts as [string, string, string, string];
  if (!/^[0-9a-f]{24}$/.test(sessionId) || (direction !== 'in' && direction !== 'out') || !/^[0-9a-z]{1,12}$/.test(s)) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(mac(secret, `${sessionId}.${direction}.${s}`));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  const slot = parseInt(s, 36);
  const now = slotOf(nowMs, slotSec);
  if (slot > now) return { ok: false, reason: 'invalid' };
  if (slot < now - 1) return { ok: false, reason: 'expired' };
  return { ok: true, sessionId, direction };
}

/** May attendance of this direction be recorded at `at` for a session running [start, end)? */
export function attendanceOpen(s: { startAt: number; endAt: number }, at: number, direction: Direction): boolean {
  if (direction === 'in') return at >= s.startAt - CHECKIN_LEAD_MS && at <= s.endAt;
  return at >= s.startAt - CHECKIN_LEAD_MS && at <= s.endAt + CHECKOUT_TAIL_MS;
}

export interface SessionInput {
  kind: SessionKind;
  title: string;
  lectureId?: string;
  dueDay?: string;
  startAt?: string;
  endAt?: string;
  venue?: string;
  place?: string;
  lecturer?: string;
  required?: boolean;
}

/** The first problem with a session's fields for its kind, as [code, field], or null. */
export function sessionProblem(s: SessionInput, cls: { startDay: string; endDay: string }, day: (ms: number) => string): [string, string] | null {
  if (s.kind === 'recorded') {
    if (!s.lectureId) return ['TRAINING_SESSION_LECTURE_REQUIRED', 'lectureId'];
    if (!s.dueDay) return ['TRAINING_SESSION_DUE_REQUIRED', 'dueDay'];
    return null;
  }
  if (s.kind === 'live' && !s.lectureId) return ['TRAINING_SESSION_LECTURE_REQUIRED', 'lectureId'];
  if (!s.startAt || !s.endAt) return ['TRAINING_SESSION_TIMES_REQUIRED', 'startAt'];
  const a = Date.parse(s.startAt);
  const b = Date.parse(s.endAt);
  if (!(b > a)) return ['TRAINING_SESSION_BAD_TIMES', 'endAt'];
  if (day(a) < cls.startDay || day(b) > cls.endDay) return ['TRAINING_SESSION_OUTSIDE_CLASS', 'startAt'];
  if (s.kind === 'in-person' && !s.venue?.trim()) return ['TRAINING_SESSION_VENUE_REQUIRED', 'venue'];
  if ((s.kind === 'site-visit' || s.kind === 'caravan') && !s.place?.trim() && !s.venue?.trim()) return ['TRAINING_SESSION_PLACE_REQUIRED', 'place'];
  return null;
}

export type AttendanceState = 'absent' | 'in' | 'out' | 'complete';

/** 未签到 / 已签到 / 仅签退 / 已签到签退. */
export const attendanceState = (a: { checkInAt?: Date | null; checkOutAt?: Date | null } | null | undefined): AttendanceState =>
  !a || (!a.checkInAt && !a.checkOutAt) ? 'absent' : a.checkInAt && a.checkOutAt ? 'complete' : a.checkInAt ? 'in' : 'out';
