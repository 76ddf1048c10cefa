/**
 * Presence at stations (集体收看签到/签退). Rules:
 * - Presence is per learner and run, as claimed spans from check-in to check-out, at most to the
 *   session's end; only its evidenced part earns credit (presence-evidence.ts): QR scans (each
 *   evidences N minutes, STATION_PRESENCE_RESCAN_MINUTES, unless a later scan or the check-out
 *   comes first), a check-in scan paired with a check-out scan (签退), or the operator's roster
 *   confirmation (roster.service.ts). The operator's typed check-in and an offline check-in
 *   evidence their moment only.
 * - The QR (a token that rotates every 30 s, valid in its window and the next, only for its
 *   station and while its session is on: 10 minutes before the start to the end) serves all
 *   three: the first scan checks in, a later scan re-scans, and the phone page's 签退 (with the
 *   same, still valid token) checks out, which credits the newly evidenced part at once.
 * - One person is at one station at a time. A learner who scans another station's code has
 *   proved they are there now: they are checked out of the other station at that moment and in
 *   here (`movedFrom`). An operator's or an offline check-in proves nothing of the kind: while
 *   the learner is present elsewhere at its time it is refused with AT_OTHER_STATION; an accepted
 *   one ends where a later presence elsewhere begins, so presences never overlap.
 * - A station presence is the cadre's counting place: the study engine asks `probe()` before
 *   counting their own playback. Check-ins raise flags, never refusals (checkin-flags.ts).
 */
import QRCode from 'qrcode';
import type { AppConfig } from '../../../config';
import type { Models } from '../../store/models';
import type { StudyEngine } from '../study/study-engine';
import type { UserDoc } from '../users/user.model';
import type { CheckinFlags } from './checkin-flags';
import { checkIn, checkOut, presentAt } from './group-credit';
import { evidenceOf, seconds } from './presence-evidence';
import type { RosterService } from './roster.service';
import type { PresenceRules, Runs, RunState } from './runs';
import { stationErrors } from './station-errors';
import { secondsToRotation, signCheckin, verifyCheckin, windowOf } from './station-rules';
import type { StationEntry, StationService } from './stations.service';
import type { SessionEntry, TimetableService } from './timetable.service';

export interface SyncCheckin {
  key: string;
  username?: string;
  userId?: string;
  at: number;
  sessionId: string;
  /** The station's own clock at the check-in (see offlineCheckinAt). */
  clock?: number;
}

/** A re-scan this soon after the last one adds nothing worth keeping. */
const RESCAN_DEDUP_MS = 10_000;

export class PresenceService {
  private readonly usernames = new Map<string, string>();

  constructor(
    private readonly deps: {
      models: Models;
      engine: StudyEngine;
      registry: StationService;
      timetable: TimetableService;
      runs: Runs;
      flags: CheckinFlags;
      roster: RosterService;
      rules: PresenceRules;
      /** HMAC key of check-in tokens. */
      secret: string;
      cfg: AppConfig['stations'];
    },
  ) {}

  private now() {
    return this.deps.runs.now();
  }

  async checkinCode(station: StationEntry, origin: string) {
    const now = this.now();
    const session = this.deps.timetable.current(station.id, now);
    if (!session || !this.deps.runs.isOnNow(session, now)) throw stationErrors.noSession();
    const rotate = this.deps.cfg.checkinRotateSec;
    const token = signCheckin({ stationId: station.id, sessionId: session.id, window: windowOf(now, rotate) }, this.deps.secret);
    const url = `/checkin?t=${token}`;
    const qrUrl = `${origin}${url}`;
    const qrSvg = await QRCode.toString(qrUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { token, url, qrUrl, qrSvg, expiresInSec: secondsToRotation(now, rotate), sessionId: session.id, title: session.title };
  }

  /** A learner scanned a station's code with their phone (logged in): check-in, re-scan or 签退. */
  async checkinWithToken(user: UserDoc, token: string, meta: { ip?: string; action?: 'checkin' | 'checkout' } = {}) {
    if (user.role === 'station') throw stationErrors.notALearner();
    const now = this.now();
    const rotate = this.deps.cfg.checkinRotateSec;
    const v = verifyCheckin(token, this.deps.secret, now, rotate);
    if (!v.ok) throw v.reason === 'expired' ? stationErrors.checkinExpired() : stationErrors.checkinInvalid();
    const station = this.deps.registry.get(v.claims.stationId);
    if (!station || station.disabled || !station.credentialHash) throw stationErrors.checkinInvalid();
    const session = this.deps.timetable.get(v.claims.sessionId);
    if (!session || !session.stationIds.includes(station.id)) throw stationErrors.checkinInvalid();
    if (!this.deps.runs.isOnNow(session, now)) throw stationErrors.notInSession();
    const userId = String(user._id);
    const network = this.deps.flags.network(station.id, meta.ip);

    let action: 'checkin' | 'rescan' | 'checkout';
    let movedFrom: { id: string; name: string } | undefined;
    let run: RunState;
    let newSec = 0;
    if (meta.action === 'checkout') {
      action = 'checkout';
      ({ run, newSec } = await this.checkoutByScan(userId, station, session, now));
    } else {
      run = await this.deps.runs.runOf(session, station.id);
      const here = presentAt(run.present.get(userId)?.spans ?? [], now);
      action = here ? 'rescan' : 'checkin';
      movedFrom = (await this.admit({ id: userId, name: user.displayName }, station, session, now, 'scan')).movedFrom;
    }

    const p = run.present.get(userId)!;
    const ev = evidenceOf(p, this.deps.rules.rescanMs);
    const until = action === 'checkout' ? now : Math.min(now + this.deps.rules.rescanMs, p.spans.find(([a, b]) => a <= now && now < b)?.[1] ?? now);
    await this.flagScan({ userId, station, session, run, now, ip: meta.ip, network, window: v.claims.window, atStakeSec: action === 'checkout' ? newSec : (until - now) / 1000 });
    return {
      ok: true as const,
      action,
      station: { id: station.id, name: station.name },
      session: { id: session.id, title: session.title },
      ...(movedFrom ? { movedFrom } : {}),
      evidence: {
        rescanMinutes: this.deps.cfg.rescanMinutes,
        until: new Date(until).toISOString(),
        // So far: a scan's minutes ahead are not yet evidenced time.
        evidencedSec: Math.round(seconds(ev.map(([x, y]) => [x, Math.min(y, now)] as const))),
        network,
      },
    };
  }

  private async flagScan(s: { userId: string; station: StationEntry; session: SessionEntry; run: RunState; now: number; ip?: string; network: string; window: number; atStakeSec: number }) {
    const { flags } = this.deps;
    const base = { lectureId: s.session.lectureId, at: s.now };
    const where = { stationId: s.station.id, sessionId: s.session.id, runId: s.run.id };
    const key = `${s.station.id}:${s.session.id}:${s.window}`;
    const burst = flags.noteUse(key, s.window, { userId: s.userId, at: s.now, ip: s.ip });
    if (burst.length) {
      const uses = flags.usesOf(key);
      for (const uid of burst) {
        await flags.write({ ...base, userId: uid, kind: 'checkin-burst', count: uses.length, seconds: s.atStakeSec, detail: { ...where, accounts: new Set(uses.map((u) => u.userId)).size, uses: uses.map((u) => ({ userId: u.userId, at: u.at, ip: u.ip })) } });
      }
    }
    if (s.network === 'other') {
      await flags.write({ ...base, userId: s.userId, kind: 'checkin-foreign-network', seconds: s.atStakeSec, detail: { ...where, ip: s.ip, stationIp: flags.stationAddress(s.station.id) } });
    }
  }

  /** 签退 by scanning: the learner must be present here now; the newly evidenced part is credited at once. */
  private async checkoutByScan(userId: string, station: StationEntry, session: SessionEntry, at: number) {
    const run = await this.deps.runs.runOf(session, station.id);
    await this.deps.runs.lock.run(`user:${userId}`, async () => {
      const p = run.present.get(userId);
      if (!p || !presentAt(p.spans, at)) throw stationErrors.notCheckedIn();
      await this.deps.runs.lock.run(`run:${run.id}`, async () => {
        p.outs.push(at);
        p.spans = checkOut(p.spans, at);
        await this.deps.runs.save(run);
      });
    });
    const credited = await this.deps.roster.creditEvidence(run, [userId]);
    return { run, newSec: credited.get(userId)?.newSec ?? 0 };
  }

  /** The station operator checks a learner in by username, into the current (or the given) session. */
  async operatorCheckin(station: StationEntry, username: string, sessionId?: string) {
    const now = this.now();
    const session = sessionId ? this.deps.timetable.get(sessionId) : this.deps.timetable.current(station.id, now);
    if (!session) throw sessionId ? stationErrors.sessionNotFound() : stationErrors.noSession();
    if (!session.stationIds.includes(station.id)) throw stationErrors.notScheduledHere();
    if (!this.deps.runs.isOnNow(session, now)) throw stationErrors.notInSession();
    const user = await this.findUser({ username });
    await this.admit({ id: String(user._id), name: user.displayName }, station, session, now, 'operator');
    return { ok: true as const, user: { id: String(user._id), name: user.displayName }, sessionId: session.id };
  }

  /** A check-in from a station's offline batch (accepted once by its key, see the facade). */
  async offlineCheckin(station: StationEntry, c: SyncCheckin) {
    const session = this.deps.timetable.get(c.sessionId);
    if (!session || !session.stationIds.includes(station.id)) throw stationErrors.sessionNotFound();
    // Consistent with the timetable: inside the session's check-in window and not in the future.
    if (!this.deps.runs.isOnNow(session, c.at) || c.at > this.now() + 5_000) throw stationErrors.notInSession();
    const user = await this.findUser({ userId: c.userId, username: c.username });
    await this.admit({ id: String(user._id), name: user.displayName }, station, session, c.at, 'offline');
  }

  private async findUser(by: { username?: string; userId?: string }): Promise<UserDoc> {
    const { User } = this.deps.models;
    let user: UserDoc | null = null;
    if (by.userId) {
      user = /^[0-9a-f]{24}$/i.test(by.userId) ? await User.findById(by.userId).lean<UserDoc>() : null;
    } else if (by.username) {
      const name = by.username.trim().toLowerCase();
      // Usernames are looked up by a scan on FerretDB: remember the ones seen.
      const known = this.usernames.get(name);
      user = known ? await User.findById(known).lean<UserDoc>() : null;
      if (!user || user.username !== name) user = await User.findOne({ username: name }).lean<UserDoc>();
      if (user) this.usernames.set(name, String(user._id));
    }
    if (!user || user.disabled) throw stationErrors.userNotFound();
    if (user.role === 'station') throw stationErrors.notALearner();
    return user;
  }

  /** Puts a learner in a run at `at` (see the header for the one-station rule per mode). */
  private admit(user: { id: string; name: string }, station: StationEntry, session: SessionEntry, at: number, mode: 'scan' | 'operator' | 'offline') {
    const { runs, registry, flags } = this.deps;
    return runs.lock.run(`user:${user.id}`, async () => {
      let movedFrom: { id: string; name: string } | undefined;
      const other = runs.presentElsewhere(user.id, station.id, at);
      if (other) {
        const where = { id: other.stationId, name: registry.get(other.stationId)?.name ?? '' };
        const p = other.present.get(user.id)!;
        const claimedEnd = p.spans.find(([a, b]) => a <= at && at < b)?.[1] ?? at;
        await flags.write({
          userId: user.id,
          lectureId: session.lectureId,
          kind: 'present-elsewhere',
          seconds: (claimedEnd - at) / 1000,
          detail: { stationId: station.id, sessionId: session.id, otherStationId: other.stationId, otherRunId: other.id, mode, outcome: mode === 'scan' ? 'moved' : 'refused' },
          at,
        });
        if (mode !== 'scan') throw stationErrors.atOtherStation(where);
        await runs.lock.run(`run:${other.id}`, async () => {
          p.spans = checkOut(p.spans, at);
          await runs.save(other);
        });
        movedFrom = where;
      }
      const run = await runs.runOf(session, station.id);
      await runs.lock.run(`run:${run.id}`, async () => {
        const p = run.present.get(user.id);
        // A late-uploaded check-in never overlaps a presence recorded elsewhere after it.
        const spans = checkIn(p?.spans ?? [], at, Math.min(run.endAt, runs.nextElsewhere(user.id, station.id, at)));
        const scans = [...(p?.scans ?? [])];
        const last = scans[scans.length - 1];
        if (mode === 'scan' && presentAt(spans, at) && !(last !== undefined && at >= last && at - last < RESCAN_DEDUP_MS)) scans.push(at);
        run.present.set(user.id, { ...p, name: user.name, spans, since: Math.min(p?.since ?? at, at), scans, outs: p?.outs ?? [] });
        runs.index(user.id, run.id);
        await runs.save(run);
      });
      return { movedFrom };
    });
  }

  /** The operator checks a learner out (evidence of that moment only). */
  async checkout(station: StationEntry, userId: string, at = this.now()) {
    const { runs } = this.deps;
    for (const run of runs.runsOf(userId)) {
      if (run.stationId !== station.id) continue;
      const p = run.present.get(userId);
      if (!p || !presentAt(p.spans, at)) continue;
      await runs.lock.run(`run:${run.id}`, async () => {
        p.spans = checkOut(p.spans, at);
        await runs.save(run);
      });
    }
    return { ok: true as const };
  }

  /**
   * The engine's presence probe: is the cadre present at a station at `atMs`? Their own playback
   * does not count meanwhile; the first such question in a run is flagged (present-elsewhere).
   */
  probe(userId: string, atMs: number): boolean {
    const run = this.deps.runs.presentAnywhere(userId, atMs);
    if (!run) return false;
    if (this.deps.flags.firstElsewhere(userId, run.id)) {
      const p = run.present.get(userId)!;
      const end = p.spans.find(([a, b]) => a <= atMs && atMs < b)?.[1] ?? atMs;
      void this.deps.flags.write({ userId, lectureId: run.lectureId, kind: 'present-elsewhere', seconds: (end - atMs) / 1000, detail: { stationId: run.stationId, sessionId: run.sessionId, runId: run.id, outcome: 'own-playback-not-counted' }, at: atMs });
    }
    return true;
  }
}
