/**
 * Attendance at a class's in-person sessions (现场签到), with evidence:
 * - QR: the manager's phone or the room's projector shows a code that turns every 20 s (an HMAC
 *   of session, direction and slot, session-rules.ts); a cadre on the roster who opens its link
 *   signed in is checked in (or out) at the server's time. The device's clock plays no part.
 * - Roster: a manager marks cadres present (or leaving) at the server's time (`via: roster`).
 * - Offline batch: the manager's phone in a village scans cadres' codes or takes their ID without
 *   a network and uploads the scans later. Each scan carries a client key (its outcome is stored
 *   under `sessionId:key` and a batch sent again is answered from there: accepted once) and the
 *   phone's clock at the scan and at sending; it counts from when it was made as far as the
 *   server can corroborate, by the stations' rule (offlineCheckinAt), never after the receipt.
 * Check-in keeps the earliest time and check-out the latest (attendance-repository.ts), only
 * within the attendance window (30 min before the start to 1 h after the end).
 */
import { Types } from 'mongoose';
import QRCode from 'qrcode';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import { storeLock } from '../../store/keyed-lock';
import { offlineCheckinAt } from '../stations/presence-evidence';
import type { UserDoc } from '../users/user.model';
import type { AttendanceVia, TrainingSessionDoc } from './session.model';
import { presenceKinds } from './session.model';
import { sessionErrors } from './session-errors';
import { attendanceOpen, secondsToTurn, signSessionCode, slotOf, SLOT_SEC, verifySessionCode, type Direction } from './session-rules';
import { attendanceOf, type SessionService } from './session.service';

export interface OfflineScan {
  key: string;
  userId: string;
  direction: Direction;
  /** The phone's estimate of server time at the scan. */
  at: number;
  /** The phone's own clock at the scan. */
  clock?: number;
}

export class AttendanceService {
  private readonly now: () => number;

  constructor(
    private readonly deps: { models: Models; sessions: SessionService; secret: string; slotSec?: number; now?: () => number },
  ) {
    this.now = deps.now ?? Date.now;
  }

  private get slotSec() {
    return this.deps.slotSec ?? SLOT_SEC;
  }

  private presence(session: TrainingSessionDoc) {
    if (!presenceKinds.includes(session.kind as never) || !session.startAt || !session.endAt) throw sessionErrors.notPresence();
    return { startAt: new Date(session.startAt).getTime(), endAt: new Date(session.endAt).getTime() };
  }

  /** The ids of the class's roster, from the enrolments held in memory (read once per class). */
  private async onList(classId: string): Promise<Set<string>> {
    return new Set((await this.deps.sessions.rosterOf(classId)).map((e) => String(e.userId)));
  }

  /** The rotating code for a manager's screen. */
  async code(actor: UserDoc, sessionId: string, direction: Direction, origin: string) {
    const { session } = await this.deps.sessions.managed(actor, sessionId);
    this.presence(session);
    const now = this.now();
    const token = signSessionCode({ sessionId, direction, slot: slotOf(now, this.slotSec) }, this.deps.secret);
    const url = `/class-checkin?t=${encodeURIComponent(token)}`;
    const qrSvg = await QRCode.toString(`${origin}${url}`, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { token, url, qrSvg, direction, expiresInSec: secondsToTurn(now, this.slotSec), serverNow: now };
  }

  /** A cadre opened a session's code signed in. */
  async checkinWithToken(user: UserDoc, token: string) {
    const now = this.now();
    const v = verifySessionCode(token, this.deps.secret, now, this.slotSec);
    if (!v.ok) throw v.reason === 'expired' ? sessionErrors.codeExpired() : sessionErrors.codeInvalid();
    const session = await this.deps.sessions.sessions.find(v.sessionId);
    if (!session) throw sessionErrors.codeInvalid();
    const times = this.presence(session);
    if (!attendanceOpen(times, now, v.direction)) throw sessionErrors.notOn();
    const userId = String(user._id);
    if (!(await this.onList(String(session.classId))).has(userId)) throw sessionErrors.notEnrolled();
    const had = await this.deps.sessions.attendance.find(String(session._id), userId);
    if (v.direction === 'out' && had?.checkInAt && now < new Date(had.checkInAt).getTime()) throw sessionErrors.outBeforeIn();
    const { record, changed } = await this.deps.sessions.attendance.mark({ classId: String(session.classId), sessionId: String(session._id), userId, direction: v.direction, at: now, via: 'qr' });
    return { sessionId: String(session._id), title: session.title, direction: v.direction, already: !changed, ...attendanceOf(record) };
  }

  /** The roster of a session with each cadre's attendance, for its manager (also cached offline). */
  async roster(actor: UserDoc, sessionId: string) {
    const { session, cls } = await this.deps.sessions.managed(actor, sessionId);
    this.presence(session);
    const roster = await this.deps.sessions.rosterOf(String(cls._id));
    const records = new Map((await this.deps.sessions.attendance.ofSession(sessionId)).map((a) => [String(a.userId), a]));
    const ids = roster.map((e) => String(e.userId));
    const people = new Map<string, { username: string; displayName: string }>();
    for (const id of ids) {
      const u = await this.deps.models.User.findById(id, { username: 1, displayName: 1 }).lean<UserDoc>();
      if (u) people.set(id, { username: u.username, displayName: u.displayName });
    }
    const items = ids.map((id) => ({ userId: id, username: people.get(id)?.username ?? '', displayName: people.get(id)?.displayName ?? '', ...attendanceOf(records.get(id) ?? null) }));
    items.sort((a, b) => a.displayName.localeCompare(b.displayName, 'zh-CN'));
    const count = (s: string) => items.filter((i) => i.state === s).length;
    return {
      session: { id: sessionId, classId: String(cls._id), className: cls.name, kind: session.kind, title: session.title, startAt: new Date(session.startAt!).toISOString(), endAt: new Date(session.endAt!).toISOString(), venue: session.venue ?? '', place: session.place ?? '' },
      items,
      counts: { roster: items.length, in: count('in') + count('complete'), out: count('out') + count('complete') },
      serverNow: this.now(),
    };
  }

  /** A manager marks cadres on the roster (确认名单), at the server's time. */
  async markRoster(actor: UserDoc, sessionId: string, userIds: string[], direction: Direction) {
    const { session, cls } = await this.deps.sessions.managed(actor, sessionId);
    const times = this.presence(session);
    const now = this.now();
    if (!attendanceOpen(times, now, direction)) throw sessionErrors.notOn();
    const onList = await this.onList(String(cls._id));
    if (userIds.some((u) => !onList.has(u))) throw sessionErrors.unknownPerson();
    let marked = 0;
    for (const userId of new Set(userIds)) {
      const r = await this.deps.sessions.attendance.mark({ classId: String(cls._id), sessionId, userId, direction, at: now, via: 'roster', markedBy: String(actor._id) });
      if (r.changed) marked++;
    }
    return { marked, already: new Set(userIds).size - marked };
  }

  /** A manager's offline batch: each scan accepted once by its key, timed by offlineCheckinAt. */
  async sync(actor: UserDoc, sessionId: string, body: { scans: OfflineScan[]; sentClock?: number }) {
    const receivedAt = this.now();
    const { session, cls } = await this.deps.sessions.managed(actor, sessionId);
    const times = this.presence(session);
    const onList = await this.onList(String(cls._id));
    // One batch of a session at a time: a batch re-sent while the first is still running waits
    // and is then answered from the stored outcomes.
    return storeLock(this.deps.models).run(`training-sync:${sessionId}`, async () => {
      const timed = body.scans.map((s) => ({ ...s, at: offlineCheckinAt(s, body.sentClock, receivedAt) })).sort((a, b) => a.at - b.at);
      const results: { key: string; ok: boolean; code?: string; at?: string; repeated?: boolean }[] = [];
      for (const s of timed) {
        const done = await this.deps.sessions.attendance.outcome(sessionId, s.key);
        if (done) {
          results.push({ key: s.key, ...done, repeated: true });
          continue;
        }
        let outcome: { ok: boolean; code?: string };
        try {
          if (!Types.ObjectId.isValid(s.userId) || !onList.has(s.userId)) throw sessionErrors.unknownPerson();
          if (!attendanceOpen(times, s.at, s.direction)) throw sessionErrors.notOn();
          await this.deps.sessions.attendance.mark({ classId: String(cls._id), sessionId, userId: s.userId, direction: s.direction, at: s.at, via: 'offline' as AttendanceVia, markedBy: String(actor._id) });
          outcome = { ok: true };
        } catch (err) {
          if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
          outcome = { ok: false, code: err.code };
        }
        await this.deps.sessions.attendance.keep(sessionId, s.key, outcome, receivedAt);
        results.push({ key: s.key, ...outcome, ...(outcome.ok ? { at: new Date(s.at).toISOString() } : {}) });
      }
      return { results, accepted: results.filter((r) => r.ok && !r.repeated).length, serverNow: receivedAt };
    });
  }
}
