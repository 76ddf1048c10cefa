/**
 * Group attendance (集体收看签到) and what stations play: check-ins, presence, station playbacks,
 * heartbeats, offline batches and the statistics roll-ups. Rules:
 * - A run is one station's run of one session (`session:station`). Presence is per learner and
 *   run, as wall-clock spans from check-in to check-out, at most to the session's end.
 * - Check-in by scanning the station's QR (a token that rotates every 30 s, valid in its window
 *   and the next, only for that station and while its session is on: 10 minutes before the
 *   start to the end), or by the station operator typing a username, or from a station's
 *   offline batch (its time must lie in the session's window and not in the future).
 * - One person is at one station at a time. A learner who scans another station's code has
 *   proved they are there now: they are checked out of the other station at that moment and in
 *   here (the answer names `movedFrom`). An operator's or an offline check-in proves nothing of
 *   the kind: while the learner is present elsewhere at its time it is refused with
 *   AT_OTHER_STATION; an accepted one ends where a later presence elsewhere begins, so a
 *   learner's presences never overlap across stations.
 * - Credits: the station's beats go through the study engine (StudyEngine.ingestGroup); each
 *   credited span is shared with the learners whose presence covers it (group-credit.ts), on
 *   their own progress and ledger. The station's credited media is kept on the run as well.
 * - Offline batches: check-ins carry a client key and are accepted once (the outcome is stored
 *   under `station:key`, a second upload returns it and changes nothing); beats are idempotent
 *   by sequence number; a playback the kiosk began while offline is opened by its batch, dated
 *   back to at most the session's check-in opening.
 * - Statistics roll-ups (StationDay, per local day of the session's start): a run is "held" once
 *   the station was credited any playing inside the session's window; person-times are the
 *   distinct learners checked in; learner seconds the wall time credited to them. A run writes
 *   its figures with `$set` under `runs.<runId>`, so rewriting them is harmless.
 * - State in memory: runs of the last day (loaded at start), written on every check-in and
 *   otherwise every few seconds when dirty. Credits themselves are durable through the study
 *   engine's log; a crash may lose the last seconds of a run's statistics only.
 */
import QRCode from 'qrcode';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import type { AppConfig } from '../../../config';
import type { LectureDoc } from '../catalog/lecture.model';
import { covered, flatten, normalize, progressOf, unflatten, type Interval } from '../study/intervals';
import type { GroupShare, IncomingBeat, StudyEngine } from '../study/study-engine';
import type { UserDoc } from '../users/user.model';
import { checkIn, checkOut, presentAt, shareOfSpan, spansOf } from './group-credit';
import { KeyedLock } from './keyed-lock';
import { stationErrors } from './station-errors';
import type { RunDoc } from './station.model';
import { CHECKIN_LEAD_MS, dayKey, isOn, secondsToRotation, signCheckin, verifyCheckin, windowOf } from './station-rules';
import type { StationEntry, StationService } from './stations.service';
import type { SessionEntry, TimetableService } from './timetable.service';
import { insertIfAbsent } from '../../store/errors';

interface Presence {
  name: string;
  spans: Interval[];
  since: number;
}

interface RunState {
  id: string;
  sessionId: string;
  stationId: string;
  lectureId: string;
  day: string;
  startAt: number;
  endAt: number;
  playbacks: Set<string>;
  present: Map<string, Presence>;
  /** Media credited to the station (its own playing). */
  played: Interval[];
  /** What each learner earned from this run: media intervals and wall seconds. */
  learners: Map<string, { iv: Interval[]; w: number }>;
  held: boolean;
  firstBeatAt?: number;
  lastBeatAt?: number;
  dirty: boolean;
  /** The roll-up figures last written (JSON). */
  rolled?: string;
}

interface LectureMedia {
  at: number;
  kind: string;
  title: string;
  durationSec: number;
  required: boolean;
  prefix?: string;
  master?: string;
  poster?: string;
  thumbnails?: string;
  subtitles: { lang: string; label: string; key: string }[];
  liveState?: string;
}

export interface SyncCheckin {
  key: string;
  username?: string;
  userId?: string;
  at: number;
  sessionId: string;
}

export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A held run must have been played inside its session (from the check-in opening to 15 minutes after the end). */
const HELD_GRACE_MS = 15 * 60_000;
/** How far ahead a station may open a playback (and fetch media) to prefetch a replay. */
const PREFETCH_MS = 8 * 24 * 3600_000;
/** Runs stay in memory (and count for "one station at a time") this long after their session ended. */
const KEEP_MS = 26 * 3600_000;

function fromDoc(d: RunDoc): RunState {
  const present = new Map<string, Presence>();
  for (const [uid, p] of Object.entries((d.present ?? {}) as Record<string, { name?: string; spans?: number[]; since?: number }>)) {
    present.set(uid, { name: p.name ?? '', spans: spansOf(p.spans ?? []), since: p.since ?? 0 });
  }
  const learners = new Map<string, { iv: Interval[]; w: number }>();
  for (const [uid, l] of Object.entries((d.learners ?? {}) as Record<string, { iv?: number[]; w?: number }>)) {
    learners.set(uid, { iv: unflatten(l.iv ?? []), w: l.w ?? 0 });
  }
  return {
    id: d._id,
    sessionId: d.sessionId,
    stationId: d.stationId,
    lectureId: d.lectureId,
    day: d.day,
    startAt: new Date(d.startAt).getTime(),
    endAt: new Date(d.endAt).getTime(),
    playbacks: new Set(d.playbacks ?? []),
    present,
    played: unflatten(d.played ?? []),
    learners,
    held: d.held ?? false,
    firstBeatAt: d.firstBeatAt ? new Date(d.firstBeatAt).getTime() : undefined,
    lastBeatAt: d.lastBeatAt ? new Date(d.lastBeatAt).getTime() : undefined,
    dirty: false,
  };
}


export class AttendanceService {
  private readonly runs = new Map<string, RunState>();
  private readonly byPlayback = new Map<string, string>();
  /** `station:lecture` -> the station's playbacks of it (media fetches are their evidence). */
  private readonly playing = new Map<string, Set<string>>();
  /** station -> what it played last and when. */
  private readonly nowPlaying = new Map<string, { sessionId: string; lectureId: string; title: string; at: number }>();
  /** `station:lecture` -> segments the station's browser fetched (prefetch included). */
  private readonly fetched = new Map<string, { segments: Set<number>; dirty: boolean; loaded: boolean }>();
  private readonly lectures = new Map<string, LectureMedia>();
  private readonly usernames = new Map<string, string>();
  private readonly lock = new KeyedLock();

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
      log: Log;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async start() {
    const rows = await this.deps.models.StationRun.find({ endAt: { $gte: new Date(this.now() - KEEP_MS) } }).lean<RunDoc[]>();
    for (const r of rows) this.remember(fromDoc(r));
  }

  private remember(run: RunState) {
    this.runs.set(run.id, run);
    for (const pid of run.playbacks) this.byPlayback.set(pid, run.id);
  }

  // ---- runs ------------------------------------------------------------------------------

  private async runOf(session: SessionEntry, stationId: string): Promise<RunState> {
    const id = `${session.id}:${stationId}`;
    const hit = this.runs.get(id);
    if (hit) return hit;
    return this.lock.run(`load:${id}`, async () => {
      const again = this.runs.get(id);
      if (again) return again;
      const row = await this.deps.models.StationRun.findById(id).lean<RunDoc>();
      const run: RunState = row
        ? fromDoc(row)
        : { id, sessionId: session.id, stationId, lectureId: session.lectureId, day: dayKey(session.startAt), startAt: session.startAt, endAt: session.endAt, playbacks: new Set(), present: new Map(), played: [], learners: new Map(), held: false, dirty: false };
      if (!row) {
        await insertIfAbsent(
          this.deps.models.StationRun.collection.insertOne({ _id: id as never, sessionId: run.sessionId, stationId, lectureId: run.lectureId, day: run.day, startAt: new Date(run.startAt), endAt: new Date(run.endAt), playbacks: [], present: {}, played: [], learners: {}, held: false }),
        );
      }
      this.remember(run);
      return run;
    });
  }

  /** Writes a run (call under its lock) and then its roll-up. */
  private async save(run: RunState) {
    run.dirty = false;
    const present: Record<string, object> = {};
    for (const [uid, p] of run.present) present[uid] = { name: p.name, spans: flatten(p.spans), since: p.since };
    const learners: Record<string, object> = {};
    for (const [uid, l] of run.learners) learners[uid] = { iv: flatten(l.iv), w: Math.round(l.w * 1000) / 1000 };
    await this.deps.models.StationRun.collection.updateOne(
      { _id: run.id as never },
      {
        $set: {
          playbacks: [...run.playbacks],
          present,
          played: flatten(run.played),
          learners,
          held: run.held,
          ...(run.firstBeatAt ? { firstBeatAt: new Date(run.firstBeatAt) } : {}),
          ...(run.lastBeatAt ? { lastBeatAt: new Date(run.lastBeatAt) } : {}),
        },
      },
    );
    await this.rollUp(run);
  }

  private saveLocked(run: RunState) {
    return this.lock.run(`run:${run.id}`, () => this.save(run));
  }

  private async rollUp(run: RunState) {
    let sec = 0;
    for (const l of run.learners.values()) sec += l.w;
    const figures = { s: run.stationId, held: run.held ? 1 : 0, persons: run.present.size, sec: Math.round(sec) };
    const json = JSON.stringify(figures);
    if (json === run.rolled) return;
    await this.lock.run(`day:${run.day}`, () => this.deps.models.StationDay.collection.updateOne({ _id: run.day as never }, { $set: { [`runs.${run.id}`]: figures } }, { upsert: true }));
    run.rolled = json;
  }

  /** Writes dirty runs and fetched-segment sets; forgets runs long over. */
  async flush() {
    const now = this.now();
    for (const run of [...this.runs.values()]) {
      if (run.dirty) await this.saveLocked(run);
      else if (run.endAt < now - KEEP_MS) {
        this.runs.delete(run.id);
        for (const pid of run.playbacks) {
          this.byPlayback.delete(pid);
          this.playing.get(`${run.stationId}:${run.lectureId}`)?.delete(pid);
        }
      }
    }
    for (const [key, m] of this.fetched) {
      if (!m.dirty || !m.loaded) continue;
      m.dirty = false;
      await this.lock.run(`media:${key}`, () => this.deps.models.StationMedia.collection.updateOne({ _id: key as never }, { $set: { segments: [...m.segments].sort((a, b) => a - b) } }, { upsert: true }));
    }
  }

  // ---- sessions and lectures -------------------------------------------------------------

  /** Is a session open for check-ins and playing now? A live lecture that overruns stays on while live. */
  isOnNow(s: SessionEntry, now = this.now()): boolean {
    if (isOn(s, now)) return true;
    return s.kind === 'live' && now >= s.startAt - CHECKIN_LEAD_MS && this.deps.liveState(s.lectureId) === 'live';
  }

  private async lecture(id: string, fresh = false): Promise<LectureMedia | null> {
    const hit = this.lectures.get(id);
    const ttl = hit?.kind === 'live' ? 5_000 : 30_000;
    if (hit && !fresh && this.now() - hit.at < ttl) return hit;
    const l = await this.deps.models.Lecture.findById(id, { title: 1, kind: 1, media: 1, subtitles: 1, durationSec: 1, required: 1, live: 1 }).lean<LectureDoc>();
    if (!l) return null;
    const info: LectureMedia = {
      at: this.now(),
      kind: l.kind ?? 'recorded',
      title: l.title,
      durationSec: l.durationSec ?? 0,
      required: l.required ?? false,
      prefix: l.media?.prefix ?? undefined,
      master: l.media?.master ?? undefined,
      poster: l.media?.poster ?? undefined,
      thumbnails: l.media?.thumbnails ?? undefined,
      subtitles: (l.subtitles ?? []).filter((s) => s.lang && s.key).map((s) => ({ lang: s.lang!, label: s.label ?? s.lang!, key: s.key! })),
      liveState: l.live?.state ?? undefined,
    };
    this.lectures.set(id, info);
    return info;
  }

  /** Storage facts of a lecture a station may fetch (media route). */
  lectureMedia(id: string) {
    return this.lecture(id);
  }

  private liveStateOf(lectureId: string, info: LectureMedia | null) {
    return this.deps.liveState(lectureId) ?? info?.liveState ?? 'scheduled';
  }

  // ---- kiosk state -----------------------------------------------------------------------

  async kioskState(station: StationEntry) {
    const now = this.now();
    const { timetable, registry } = this.deps;
    const list = timetable.range(now - 3600_000, now + 7 * 24 * 3600_000, station.id);
    const sessions = [];
    for (const s of list) {
      const info = await this.lecture(s.lectureId);
      sessions.push({
        ...timetable.brief(s),
        ...(s.kind === 'live' ? { live: { state: this.liveStateOf(s.lectureId, info) } } : {}),
        // Stable URLs (the station cookie authorises them), so the kiosk can prefetch replays into its cache.
        ...(s.kind === 'replay' && info?.master ? { masterUrl: `/media/station/${s.lectureId}/${info.master}` } : {}),
      });
    }
    const current = timetable.current(station.id, now);
    const run = current ? this.runs.get(`${current.id}:${station.id}`) : undefined;
    return {
      station: { id: station.id, name: station.name, type: station.type, unitName: await registry.unitName(station.unitId) },
      serverNow: now,
      sessions,
      current: current?.id,
      present: run ? this.presentNow(run, now) : [],
      heartbeatSec: this.deps.cfg.heartbeatSec,
    };
  }

  private presentNow(run: RunState, now: number) {
    const out: { userId: string; name: string; since: string }[] = [];
    for (const [userId, p] of run.present) {
      const span = p.spans.find(([a, b]) => a <= now && now < b);
      if (span) out.push({ userId, name: p.name, since: new Date(span[0]).toISOString() });
    }
    return out.sort((a, b) => a.since.localeCompare(b.since));
  }

  /** For the registry list and the dashboard: what a station plays, who is there, its current session. */
  liveOf(stationId: string, now = this.now()) {
    const current = this.deps.timetable.current(stationId, now);
    const run = current ? this.runs.get(`${current.id}:${stationId}`) : undefined;
    const np = this.nowPlaying.get(stationId);
    const playing = np && now - np.at <= this.deps.cfg.onlineSec * 1000 ? { sessionId: np.sessionId, lectureId: np.lectureId, title: np.title } : undefined;
    return { current, nowPlaying: playing, present: run ? this.presentNow(run, now).length : 0 };
  }

  // ---- check-ins -------------------------------------------------------------------------

  async checkinCode(station: StationEntry, origin: string) {
    const now = this.now();
    const session = this.deps.timetable.current(station.id, now);
    if (!session || !this.isOnNow(session, now)) throw stationErrors.noSession();
    const rotate = this.deps.cfg.checkinRotateSec;
    const token = signCheckin({ stationId: station.id, sessionId: session.id, window: windowOf(now, rotate) }, this.deps.secret);
    const url = `/checkin?t=${token}`;
    const qrUrl = `${origin}${url}`;
    const qrSvg = await QRCode.toString(qrUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { token, url, qrUrl, qrSvg, expiresInSec: secondsToRotation(now, rotate), sessionId: session.id, title: session.title };
  }

  /** A learner scanned a station's code with their phone (logged in). */
  async checkinWithToken(user: UserDoc, token: string) {
    if (user.role === 'station') throw stationErrors.notALearner();
    const now = this.now();
    const v = verifyCheckin(token, this.deps.secret, now, this.deps.cfg.checkinRotateSec);
    if (!v.ok) throw v.reason === 'expired' ? stationErrors.checkinExpired() : stationErrors.checkinInvalid();
    const station = this.deps.registry.get(v.claims.stationId);
    if (!station || station.disabled || !station.credentialHash) throw stationErrors.checkinInvalid();
    const session = this.deps.timetable.get(v.claims.sessionId);
    if (!session || !session.stationIds.includes(station.id)) throw stationErrors.checkinInvalid();
    if (!this.isOnNow(session, now)) throw stationErrors.notInSession();
    const { movedFrom } = await this.admit({ id: String(user._id), name: user.displayName }, station, session, now, 'scan');
    return { ok: true as const, station: { id: station.id, name: station.name }, session: { id: session.id, title: session.title }, ...(movedFrom ? { movedFrom } : {}) };
  }

  /** The station operator checks a learner in by username, into the current (or the given) session. */
  async operatorCheckin(station: StationEntry, username: string, sessionId?: string) {
    const now = this.now();
    const session = sessionId ? this.deps.timetable.get(sessionId) : this.deps.timetable.current(station.id, now);
    if (!session) throw sessionId ? stationErrors.sessionNotFound() : stationErrors.noSession();
    if (!session.stationIds.includes(station.id)) throw stationErrors.notScheduledHere();
    if (!this.isOnNow(session, now)) throw stationErrors.notInSession();
    const user = await this.findUser({ username });
    await this.admit({ id: String(user._id), name: user.displayName }, station, session, now, 'operator');
    return { ok: true as const, user: { id: String(user._id), name: user.displayName }, sessionId: session.id };
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

  /** The run (of another station) where the learner is present at `at`, if any. */
  private presentElsewhere(userId: string, stationId: string, at: number): RunState | undefined {
    for (const run of this.runs.values()) {
      if (run.stationId === stationId) continue;
      const p = run.present.get(userId);
      if (p && presentAt(p.spans, at)) return run;
    }
    return undefined;
  }

  /** When the learner's next presence at another station begins after `at` (a new span here ends there). */
  private nextElsewhere(userId: string, stationId: string, at: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const run of this.runs.values()) {
      if (run.stationId === stationId) continue;
      for (const [a] of run.present.get(userId)?.spans ?? []) if (a > at && a < next) next = a;
    }
    return next;
  }

  /** Puts a learner in a run at `at` (see the header for the one-station rule per mode). */
  private admit(user: { id: string; name: string }, station: StationEntry, session: SessionEntry, at: number, mode: 'scan' | 'operator' | 'offline') {
    return this.lock.run(`user:${user.id}`, async () => {
      let movedFrom: { id: string; name: string } | undefined;
      const other = this.presentElsewhere(user.id, station.id, at);
      if (other) {
        const where = { id: other.stationId, name: this.deps.registry.get(other.stationId)?.name ?? '' };
        if (mode !== 'scan') throw stationErrors.atOtherStation(where);
        await this.lock.run(`run:${other.id}`, async () => {
          const p = other.present.get(user.id)!;
          p.spans = checkOut(p.spans, at);
          await this.save(other);
        });
        movedFrom = where;
      }
      const run = await this.runOf(session, station.id);
      await this.lock.run(`run:${run.id}`, async () => {
        const p = run.present.get(user.id);
        // A late-uploaded check-in never overlaps a presence recorded elsewhere after it.
        const spans = checkIn(p?.spans ?? [], at, Math.min(run.endAt, this.nextElsewhere(user.id, station.id, at)));
        run.present.set(user.id, { name: user.name, spans, since: Math.min(p?.since ?? at, at) });
        await this.save(run);
      });
      return { movedFrom };
    });
  }

  async checkout(station: StationEntry, userId: string, at = this.now()) {
    for (const run of this.runs.values()) {
      if (run.stationId !== station.id) continue;
      const p = run.present.get(userId);
      if (!p || !presentAt(p.spans, at)) continue;
      await this.lock.run(`run:${run.id}`, async () => {
        p.spans = checkOut(p.spans, at);
        await this.save(run);
      });
    }
    return { ok: true as const };
  }

  // ---- playback --------------------------------------------------------------------------

  async openPlayback(station: StationEntry, sessionId: string, meta: { ip?: string; userAgent?: string }) {
    const now = this.now();
    const session = this.deps.timetable.get(sessionId);
    if (!session || !session.stationIds.includes(station.id)) throw stationErrors.sessionNotFound();
    // On now, or coming within the prefetch horizon: the kiosk opens its playback early to fetch
    // the replay into its cache under it, and plays it with the same playback at the start.
    const upcoming = session.startAt > now && session.startAt - now <= PREFETCH_MS;
    if (!this.isOnNow(session, now) && !upcoming) throw stationErrors.notInSession();
    const info = await this.lecture(session.lectureId, true);
    const lecture = await this.deps.models.Lecture.findById(session.lectureId).lean<LectureDoc>();
    if (!info || !lecture) throw stationErrors.sessionNotFound();
    const run = await this.runOf(session, station.id);
    const opened = await this.deps.engine.openStation(station.id, lecture, { ...meta, runId: run.id });
    await this.attach(run, opened.playbackId);
    const base = `/media/station/${session.lectureId}`;
    const common = { playbackId: opened.playbackId, sessionId: session.id, heartbeatSec: this.deps.cfg.heartbeatSec, serverNow: now, startAt: new Date(session.startAt).toISOString(), endAt: new Date(session.endAt).toISOString() };
    if (session.kind === 'live') {
      return { ...common, live: true as const, lectureId: session.lectureId, state: this.liveStateOf(session.lectureId, info), ...(info.master ? { masterUrl: `${base}/${info.master}` } : {}) };
    }
    if (!info.master) throw stationErrors.mediaNotReady();
    const durationSec = info.durationSec || session.durationSec;
    const offsetSec = Math.min(durationSec, Math.max(0, (now - session.startAt) / 1000));
    const progress = progressOf(run.played, durationSec);
    return {
      ...common,
      live: false as const,
      lectureId: session.lectureId,
      masterUrl: `${base}/${info.master}`,
      posterUrl: info.poster ? `${base}/${info.poster}` : undefined,
      thumbnailsUrl: info.thumbnails ? `${base}/${info.thumbnails}` : undefined,
      subtitles: info.subtitles.map((s) => ({ lang: s.lang, label: s.label, url: `${base}/subs/${s.lang}.vtt` })),
      durationSec,
      expiresAt: new Date(session.endAt + HELD_GRACE_MS).toISOString(),
      counting: opened.counting,
      reason: opened.counting ? undefined : 'other-session',
      resumeAt: offsetSec,
      offsetSec,
      required: info.required,
      progress,
      completed: progress >= this.deps.engine.policy.completionThreshold,
    };
  }

  /** Links a station playback to its run; segments the station fetched ahead are its evidence too. */
  private async attach(run: RunState, playbackId: string) {
    if (!run.playbacks.has(playbackId)) {
      run.playbacks.add(playbackId);
      await this.saveLocked(run);
    }
    this.byPlayback.set(playbackId, run.id);
    const key = `${run.stationId}:${run.lectureId}`;
    const set = this.playing.get(key) ?? new Set<string>();
    set.add(playbackId);
    this.playing.set(key, set);
    const m = await this.fetchedOf(key);
    if (m.segments.size) this.deps.engine.recordDeliveries(playbackId, m.segments);
  }

  private async fetchedOf(key: string) {
    let m = this.fetched.get(key);
    if (!m) {
      m = { segments: new Set(), dirty: false, loaded: false };
      this.fetched.set(key, m);
    }
    if (!m.loaded) {
      const row = await this.deps.models.StationMedia.findById(key).lean();
      for (const i of row?.segments ?? []) m.segments.add(i);
      m.loaded = true;
    }
    return m;
  }

  /** May a station fetch a lecture's media? Only lectures scheduled there from 6 h ago to 8 days ahead. */
  mayFetch(stationId: string, lectureId: string, now = this.now()): boolean {
    return this.deps.timetable.range(now - 6 * 3600_000, now + PREFETCH_MS, stationId).some((s) => s.lectureId === lectureId);
  }

  /** May a station's socket join a live lecture? Only one scheduled there and on now. */
  mayJoinLive(stationId: string, lectureId: string, now = this.now()): boolean {
    return this.deps.timetable.range(now - 24 * 3600_000, now + 3600_000, stationId).some((s) => s.lectureId === lectureId && s.kind === 'live' && this.isOnNow(s, now));
  }

  /** Evidence: the media route served a segment of a lecture to a station. */
  recordFetch(stationId: string, lectureId: string, segment: number) {
    const key = `${stationId}:${lectureId}`;
    let m = this.fetched.get(key);
    if (!m) {
      m = { segments: new Set(), dirty: false, loaded: false };
      this.fetched.set(key, m);
      void this.fetchedOf(key).catch((err: unknown) => this.deps.log.warn({ err, key }, 'stations.media | could not load fetched segments'));
    }
    if (!m.segments.has(segment)) {
      m.segments.add(segment);
      m.dirty = true;
    }
    for (const pid of this.playing.get(key) ?? []) this.deps.engine.recordDelivery(pid, segment);
  }

  // ---- heartbeats ------------------------------------------------------------------------

  /** Finds the run of a playback this process has not seen (after a restart): the playback names it. */
  private async restore(station: StationEntry, pid: string, sessionHint?: string) {
    if (this.byPlayback.has(pid)) return;
    const row = await this.deps.models.Playback.findById(pid, { userId: 1, runId: 1 }).lean<{ userId: unknown; runId?: string }>();
    if (row) {
      if (String(row.userId) !== station.id || !row.runId) return;
      const [sessionId] = row.runId.split(':');
      const session = sessionId ? this.deps.timetable.get(sessionId) : undefined;
      if (session) await this.attach(await this.runOf(session, station.id), pid);
      return;
    }
    // Never opened: the kiosk started playing from its cache while offline. Open it now on the
    // session it names, dated back no further than the session's check-in opening.
    if (!sessionHint) return;
    const session = this.deps.timetable.get(sessionHint);
    if (!session || !session.stationIds.includes(station.id)) return;
    const lecture = await this.deps.models.Lecture.findById(session.lectureId).lean<LectureDoc>();
    if (!lecture) return;
    const run = await this.runOf(session, station.id);
    await this.deps.engine.openStation(station.id, lecture, { runId: run.id, playbackId: pid, openedAt: session.startAt - CHECKIN_LEAD_MS });
    await this.attach(run, pid);
  }

  async heartbeats(station: StationEntry, beats: (IncomingBeat & { sessionId?: string })[]) {
    const now = this.now();
    const hints = new Map<string, string | undefined>();
    for (const b of beats) if (!hints.has(b.playbackId) || b.sessionId) hints.set(b.playbackId, b.sessionId);
    for (const [pid, hint] of hints) await this.restore(station, pid, hint);

    // What the engine credits, collected per run and applied once its log commit succeeded.
    const pending = new Map<string, { played: Interval[]; learners: Map<string, { iv: Interval[]; w: number }>; first: number; last: number }>();
    const share: GroupShare = (pid, span) => {
      const run = this.runs.get(this.byPlayback.get(pid) ?? '');
      if (!run) return [];
      const inWindow = span.wallTo > run.startAt - CHECKIN_LEAD_MS && span.wallFrom < run.endAt + HELD_GRACE_MS;
      let pend = pending.get(run.id);
      if (!pend) pending.set(run.id, (pend = { played: [], learners: new Map(), first: span.wallFrom, last: span.wallTo }));
      if (inWindow) pend.played.push(...span.intervals);
      pend.first = Math.min(pend.first, span.wallFrom);
      pend.last = Math.max(pend.last, span.wallTo);
      const out = [];
      for (const [userId, p] of run.present) {
        const c = shareOfSpan(p.spans, span);
        if (!c.intervals.length) continue;
        out.push({ userId, ...c });
        const l = pend.learners.get(userId) ?? { iv: [], w: 0 };
        l.iv.push(...c.intervals);
        l.w += c.wallSec;
        pend.learners.set(userId, l);
      }
      return out;
    };
    const res = await this.deps.engine.ingestGroup(station.id, beats, share);

    const held: RunState[] = [];
    for (const [runId, pend] of pending) {
      const run = this.runs.get(runId);
      if (!run) continue;
      run.played = normalize([...run.played, ...pend.played]);
      for (const [uid, l] of pend.learners) {
        const cur = run.learners.get(uid) ?? { iv: [], w: 0 };
        run.learners.set(uid, { iv: normalize([...cur.iv, ...l.iv]), w: cur.w + l.w });
      }
      run.firstBeatAt = Math.min(run.firstBeatAt ?? pend.first, pend.first);
      run.lastBeatAt = Math.max(run.lastBeatAt ?? pend.last, pend.last);
      run.dirty = true;
      if (!run.held && covered(run.played) > 0) {
        run.held = true;
        held.push(run);
      }
    }
    // "Sessions held" is what the statistics count first: written at once.
    for (const run of held) await this.saveLocked(run);

    const sessions: Record<string, { counting: boolean; reason?: string; progress: number; coveredSec: number; completed: boolean; present: number; credited: number }> = {};
    for (const [pid, v] of Object.entries(res.sessions)) {
      // Another station's (or an unknown) playback: acknowledged, nothing about it is told.
      const run = v.reason === 'unknown-session' ? undefined : this.runs.get(this.byPlayback.get(pid) ?? '');
      const session = run ? this.deps.timetable.get(run.sessionId) : undefined;
      const duration = (run && (await this.lecture(run.lectureId))?.durationSec) || session?.durationSec || 0;
      if (run && session && beats.some((b) => b.playbackId === pid && b.playing)) {
        this.nowPlaying.set(station.id, { sessionId: session.id, lectureId: session.lectureId, title: session.title, at: now });
      }
      const progress = run ? progressOf(run.played, duration) : 0;
      sessions[pid] = {
        counting: v.counting,
        ...(v.reason ? { reason: v.reason } : {}),
        progress,
        coveredSec: run ? covered(run.played) : 0,
        completed: progress >= this.deps.engine.policy.completionThreshold,
        present: run ? this.presentNow(run, now).length : 0,
        credited: v.learners.length,
      };
    }
    return { acks: res.acks, sessions };
  }

  // ---- offline batches -------------------------------------------------------------------

  /** A station's upload after being offline: check-ins first (accepted once by key), then beats. */
  sync(station: StationEntry, body: { beats?: (IncomingBeat & { sessionId?: string })[]; checkins?: SyncCheckin[]; checkouts?: { key: string; userId: string; at: number }[] }) {
    return this.lock.run(`station:${station.id}`, async () => {
      const checkins = [];
      for (const c of [...(body.checkins ?? [])].sort((a, b) => a.at - b.at)) checkins.push(await this.once(station, c.key, () => this.offlineCheckin(station, c)));
      const checkouts = [];
      for (const c of [...(body.checkouts ?? [])].sort((a, b) => a.at - b.at)) {
        checkouts.push(
          await this.once(station, c.key, async () => {
            if (c.at > this.now() + 5_000) throw stationErrors.notInSession();
            await this.checkout(station, c.userId, c.at);
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

  private async offlineCheckin(station: StationEntry, c: SyncCheckin) {
    const session = this.deps.timetable.get(c.sessionId);
    if (!session || !session.stationIds.includes(station.id)) throw stationErrors.sessionNotFound();
    // Consistent with the timetable: inside the session's check-in window and not in the future.
    if (!isOn(session, c.at) || c.at > this.now() + 5_000) throw stationErrors.notInSession();
    const user = await this.findUser({ userId: c.userId, username: c.username });
    await this.admit({ id: String(user._id), name: user.displayName }, station, session, c.at, 'offline');
  }
}
