/**
 * Group attendance (集体收看) at terminal stations: the one object the routes, the socket layer and
 * the plugin talk to. It wires the parts, each with its own rules in its header:
 * - runs.ts: station runs (`session:station`) in memory and in the store, statistics roll-ups;
 * - presence.service.ts: check-in (签到), re-scan and check-out (签退) by QR, the operator's typed
 *   check-in, one station at a time, the engine's presence probe; presence-evidence.ts says what
 *   evidences presence (only the evidenced part earns credit);
 * - roster.service.ts: the operator's roster confirmation (确认名单) and late credit of evidence;
 * - station-playback.service.ts: station playbacks, fetched media, heartbeats (group credit);
 * - checkin-flags.ts: checkin-burst, checkin-foreign-network, present-elsewhere flags.
 * Here: the kiosk's state, the dashboard's view of a station, and offline batches (check-ins and
 * check-outs carry a client key and are accepted once: the outcome is stored under
 * `station:key`; beats are idempotent by sequence number).
 * State in memory: runs of the last day (loaded at start), written on every check-in and
 * otherwise every few seconds when dirty. Credits themselves are durable through the study
 * engine's log; a crash may lose the last seconds of a run's kept spans and statistics only.
 */
import type { AppConfig } from '../../../config';
import type { CountyCalendar } from '../../calendar';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import { insertIfAbsent } from '../../store/errors';
import type { IncomingBeat, StudyEngine } from '../study/study-engine';
import type { UserDoc } from '../users/user.model';
import { CheckinFlags } from './checkin-flags';
import { offlineCheckinAt } from './presence-evidence';
import { PresenceService, type SyncCheckin } from './presence.service';
import { RosterService } from './roster.service';
import { Runs, type Log } from './runs';
import { stationErrors } from './station-errors';
import { StationPlaybackService } from './station-playback.service';
import type { StationEntry, StationService } from './stations.service';
import type { SessionEntry, TimetableService } from './timetable.service';

export type { SyncCheckin } from './presence.service';
export type { Log } from './runs';

export class AttendanceService {
  private readonly runs: Runs;
  readonly flags: CheckinFlags;
  readonly presence: PresenceService;
  readonly roster: RosterService;
  readonly playback: StationPlaybackService;

  constructor(
    private readonly deps: {
      models: Models;
      engine: StudyEngine;
      registry: StationService;
      timetable: TimetableService;
      /** HMAC key of check-in tokens. */
      secret: string;
      cfg: AppConfig['stations'] & { heartbeatSec: number };
      liveState: (lectureId: string) => string | undefined;
      /** Runs roll up by the county day of their session's start (server/calendar.ts). */
      calendar: CountyCalendar;
      log: Log;
      now?: () => number;
    },
  ) {
    const { models, engine, registry, timetable, cfg, log } = deps;
    const rules = { rescanMs: cfg.rescanMinutes * 60_000 };
    this.runs = new Runs(models, deps.liveState, deps.calendar, deps.now ?? Date.now);
    const runs = this.runs;
    this.flags = new CheckinFlags(models, log);
    this.roster = new RosterService({ engine, timetable, runs, rules });
    this.presence = new PresenceService({ models, engine, registry, timetable, runs, flags: this.flags, roster: this.roster, rules, secret: deps.secret, cfg });
    this.playback = new StationPlaybackService({ models, engine, timetable, runs, rules, cfg, liveState: deps.liveState, log });
    // A station presence is the cadre's counting place: their own playback does not count meanwhile.
    engine.setPresenceProbe((userId, atMs) => this.presence.probe(userId, atMs));
  }

  private now(): number {
    return this.runs.now();
  }

  start() {
    return this.runs.start();
  }

  /** Writes dirty runs and fetched-segment sets; forgets runs long over. */
  async flush() {
    for (const g of await this.runs.flush()) this.playback.forget(g.stationId, g.lectureId, g.playbackId);
    await this.playback.flushFetched();
  }

  isOnNow(s: SessionEntry, now = this.now()): boolean {
    return this.runs.isOnNow(s, now);
  }

  // ---- kiosk state -----------------------------------------------------------------------

  async kioskState(station: StationEntry) {
    const now = this.now();
    const { timetable, registry } = this.deps;
    const list = timetable.range(now - 3600_000, now + 7 * 24 * 3600_000, station.id);
    const sessions = [];
    for (const s of list) {
      const info = await this.playback.lecture(s.lectureId);
      sessions.push({
        ...timetable.brief(s),
        ...(s.kind === 'live' ? { live: { state: this.playback.liveStateOf(s.lectureId, info) } } : {}),
        // Stable URLs (the station cookie authorises them), so the kiosk can prefetch replays into its cache.
        ...(s.kind === 'replay' && info?.master ? { masterUrl: `/media/station/${s.lectureId}/${info.master}` } : {}),
      });
    }
    const current = timetable.current(station.id, now);
    const run = current ? this.runs.runs.get(`${current.id}:${station.id}`) : undefined;
    return {
      station: { id: station.id, name: station.name, type: station.type, unitName: await registry.unitName(station.unitId) },
      serverNow: now,
      sessions,
      current: current?.id,
      present: run ? this.runs.presentNow(run, now) : [],
      heartbeatSec: this.deps.cfg.heartbeatSec,
      rescanMinutes: this.deps.cfg.rescanMinutes,
    };
  }

  /** For the registry list and the dashboard: what a station plays, who is there, its current session. */
  liveOf(stationId: string, now = this.now()) {
    const current = this.deps.timetable.current(stationId, now);
    const run = current ? this.runs.runs.get(`${current.id}:${stationId}`) : undefined;
    const np = this.playback.nowPlaying.get(stationId);
    const playing = np && now - np.at <= this.deps.cfg.onlineSec * 1000 ? { sessionId: np.sessionId, lectureId: np.lectureId, title: np.title } : undefined;
    return { current, nowPlaying: playing, present: run ? this.runs.presentNow(run, now).length : 0 };
  }

  // ---- presence and roster (presence.service.ts, roster.service.ts) ------------------------

  /** Every authenticated kiosk request: the station's own network, for the check-in network rule. */
  noteStationAddress(stationId: string, ip: string | undefined) {
    this.flags.noteStationAddress(stationId, ip);
  }

  checkinCode(station: StationEntry, origin: string) {
    return this.presence.checkinCode(station, origin);
  }

  checkinWithToken(user: UserDoc, token: string, meta: { ip?: string; action?: 'checkin' | 'checkout' } = {}) {
    return this.presence.checkinWithToken(user, token, meta);
  }

  operatorCheckin(station: StationEntry, username: string, sessionId?: string) {
    return this.presence.operatorCheckin(station, username, sessionId);
  }

  checkout(station: StationEntry, userId: string, at = this.now()) {
    return this.presence.checkout(station, userId, at);
  }

  rosterOf(station: StationEntry, sessionId?: string) {
    return this.roster.roster(station, sessionId);
  }

  confirmRoster(station: StationEntry, sessionId: string, userIds: readonly string[]) {
    return this.roster.confirm(station, sessionId, userIds);
  }

  // ---- playback (station-playback.service.ts) ----------------------------------------------

  openPlayback(station: StationEntry, sessionId: string, meta: { ip?: string; userAgent?: string }) {
    return this.playback.openPlayback(station, sessionId, meta);
  }

  /** Storage facts of a lecture a station may fetch (media route). */
  lectureMedia(id: string) {
    return this.playback.lecture(id);
  }

  mayFetch(stationId: string, lectureId: string, now = this.now()) {
    return this.playback.mayFetch(stationId, lectureId, now);
  }

  mayJoinLive(stationId: string, lectureId: string, now = this.now()) {
    return this.playback.mayJoinLive(stationId, lectureId, now);
  }

  recordFetch(stationId: string, lectureId: string, segment: number) {
    this.playback.recordFetch(stationId, lectureId, segment);
  }

  recordFetchedSpan(stationId: string, lectureId: string, fromSec: number, toSec: number) {
    this.playback.recordFetchedSpan(stationId, lectureId, fromSec, toSec);
  }

  heartbeats(station: StationEntry, beats: (IncomingBeat & { sessionId?: string })[]) {
    return this.playback.heartbeats(station, beats);
  }

  // ---- offline batches -------------------------------------------------------------------

  /** A station's upload after being offline: check-ins first (accepted once by key), then beats. */
  sync(station: StationEntry, body: { beats?: (IncomingBeat & { sessionId?: string })[]; checkins?: SyncCheckin[]; checkouts?: { key: string; userId: string; at: number }[]; sentClock?: number }) {
    const receivedAt = this.now();
    return this.runs.lock.run(`station:${station.id}`, async () => {
      const checkins = [];
      // Each counts from when it was made, as far as the server can corroborate (offlineCheckinAt).
      const timed = (body.checkins ?? []).map((c) => ({ ...c, at: offlineCheckinAt(c, body.sentClock, receivedAt) }));
      for (const c of timed.sort((a, b) => a.at - b.at)) checkins.push(await this.once(station, c.key, () => this.presence.offlineCheckin(station, c)));
      const checkouts = [];
      for (const c of [...(body.checkouts ?? [])].sort((a, b) => a.at - b.at)) {
        checkouts.push(
          await this.once(station, c.key, async () => {
            if (c.at > this.now() + 5_000) throw stationErrors.notInSession();
            await this.presence.checkout(station, c.userId, c.at);
          }),
        );
      }
      const hb = body.beats?.length ? await this.heartbeats(station, body.beats) : { acks: [], sessions: {} };
      return { ...hb, checkins, checkouts };
    });
  }

  private async once(station: StationEntry, key: string, fn: () => Promise<unknown>): Promise<{ key: string; ok: boolean; code?: string }> {
    const id = `${station.id}:${key}`;
    const done = await this.deps.models.StationSyncKey.findById(id).lean();
    if (done) return { key, ok: done.ok, ...(done.code ? { code: done.code } : {}) };
    let outcome: { ok: boolean; code?: string };
    try {
      await fn();
      outcome = { ok: true };
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
      outcome = { ok: false, code: err.code };
    }
    await insertIfAbsent(this.deps.models.StationSyncKey.collection.insertOne({ _id: id as never, ...outcome, at: new Date(this.now()) }));
    return { key, ...outcome };
  }
}
