/**
 * The watch-time engine: playback sessions, heartbeat ingestion, watched intervals, completion
 * and the credit ledger. Rules of trust:
 * - decisions follow heartbeat-policy.ts; the evidence of delivery comes from the media routes
 *   (segments served to the playback) and, for live, from the SFU;
 * - a heartbeat is acknowledged only after its decision is in the store (wal.ts, group commit);
 *   live state is kept in memory and checkpointed to `_id`-addressed documents every few
 *   seconds, after which the applied WAL batches are deleted; at start, what is left in the WAL
 *   is replayed (idempotent: interval union, sequence numbers, ledger `_id`s);
 * - one counting session per user at a time; others are told they are not counting;
 * - lectures with attention checks: while a counting session plays, a check is issued at a random
 *   moment (0.5-1.5 x the configured interval) and shown in the heartbeat answer; spans that end
 *   after it is overdue earn nothing, and after a late answer the next span earns nothing either
 *   (it covered the unattended time). Check state is in memory: a restart just issues a new one;
 * - completion (coverage >= threshold) writes exactly one ledger entry per user, lecture and
 *   year (`_id`), and the yearly summary roll-up adds it once (conditional on its `entries`);
 *   a user's completions are serialised in this process (the store's updates are not atomic
 *   under concurrency), so run one portal process per store;
 * - group credit (集体收看, terminal stations: server/modules/stations): a station's playback is
 *   attributed to the station (`userId` = station id, `station: true`) and its beats are judged by
 *   the same decide() — one counting session per station, delivery evidence from the station's
 *   media fetches or the SFU — except the frontier rule (the timetable, not a viewer, decides where
 *   a scheduled replay stands) and attention checks (nobody answers for a room). Each credited
 *   span is shared through a callback with the learners present: every learner gets the part of
 *   the span their presence covers, as ordinary `c` entries on their own progress in the same WAL
 *   commit, so completion, caps and the ledger are the individual rules; a ledger entry records
 *   `source: 'station'` when the credit that completed the lecture came from a station (kept in
 *   memory: after a crash replay the source reads 'individual').
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { AppConfig } from '../../../config';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import type { LectureDoc } from '../catalog/lecture.model';
import type { UserDoc } from '../users/user.model';
import { capCredit, defaultPolicies, earnedHours, type CreditPolicy } from './credit-rules';
import { decide, defaultWatchPolicy, openSession, type Beat, type Flag, type SessionState, type WatchPolicy } from './heartbeat-policy';
import { addInterval, covered, flatten, fromRuns, frontier, normalize, playedSegments, progressOf, segmentCoverage, toRuns, unflatten, type Interval } from './intervals';
import { WalWriter, type WalEntry } from './wal';
import { insertIfAbsent, isDuplicateKey } from '../../store/errors';

export interface IncomingBeat extends Beat {
  playbackId: string;
}

/** One credited span of a station playback: wall-clock ms (station clock, bounded like any beat) and the media it credited. */
export interface GroupSpan {
  wallFrom: number;
  wallTo: number;
  mediaFrom: number;
  mediaTo: number;
  /** Credited media intervals (already intersected with delivery). */
  intervals: Interval[];
  /** Wall seconds the span earns (decide()). */
  wallSec: number;
}

/** What one learner present at a station earns from a span. */
export interface GroupCredit {
  userId: string;
  intervals: Interval[];
  wallSec: number;
}

/** The station module's rule: who was present for which part of a span of this playback. */
export type GroupShare = (playbackId: string, span: GroupSpan) => GroupCredit[];

export interface GroupView {
  counting: boolean;
  reason?: 'other-session' | 'unknown-session';
  /** Media intervals credited to the station by this call. */
  credited: Interval[];
  /** Learners credited by this call, with their progress afterwards. */
  learners: { userId: string; coveredSec: number; progress: number; completed: boolean; creditHours?: number }[];
}

interface Session {
  id: string;
  userId: string;
  lectureId: string;
  kind: string;
  state: SessionState;
  delivered: Set<number>;
  /** How many of `delivered` the store holds (the set only grows). */
  deliveredWritten?: number;
  /** segmentCoverage(delivered) as of `delivered.size` (the set only grows). */
  coverage?: { n: number; segmentSec: number; iv: Interval[] };
  flags: Partial<Record<Flag | 'parallel-sessions', number>>;
  lastServerAt: number;
  ended: boolean;
  dirty: boolean;
  attention?: AttentionState;
  /** A terminal station's playback (group credit); `userId` is then the station id. */
  station?: boolean;
}

interface AttentionState {
  /** The pending check, if any. */
  pending?: { id: string; issuedAt: number; expiresAt: number };
  /** Server time of the next check. */
  nextAt?: number;
  /** A late answer: the next credited span is dropped. */
  skipNext?: boolean;
}

export interface AttentionView {
  id: string;
  /** Seconds left to answer (0 once overdue). */
  expiresInSec: number;
  /** Counting is paused until it is answered. */
  overdue: boolean;
}

interface Progress {
  id: string;
  userId: string;
  lectureId: string;
  intervals: Interval[];
  wallSec: number;
  durationSec: number;
  lastPosition: number;
  lastWatchedAt: number;
  completedAt: number | null;
  dirty: boolean;
  /** Where the newest coverage came from: decides the ledger entry's `source`. */
  source?: 'individual' | 'station';
}

interface LectureInfo {
  id: string;
  title: string;
  durationSec: number;
  segmentSec: number;
  required: boolean;
  creditHours: number;
  category: string;
  topic: string;
  kind: string;
  attentionChecks: boolean;
  loadedAt: number;
}

export interface SessionView {
  counting: boolean;
  reason?: 'other-session' | 'unknown-session';
  progress: number;
  coveredSec: number;
  completed: boolean;
  creditHours?: number;
  attention?: AttentionView;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const yearOf = (ms: number) => new Date(ms).getFullYear();

function groupByPlayback(beats: IncomingBeat[]): Map<string, IncomingBeat[]> {
  const byPlayback = new Map<string, IncomingBeat[]>();
  for (const b of beats) {
    const list = byPlayback.get(b.playbackId);
    if (list) list.push(b);
    else byPlayback.set(b.playbackId, [b]);
  }
  return byPlayback;
}
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class StudyEngine {
  readonly wal: WalWriter;
  readonly policy: WatchPolicy;
  private readonly sessions = new Map<string, Session>();
  private readonly progress = new Map<string, Progress>();
  private readonly lectures = new Map<string, LectureInfo>();
  private readonly lectureLoads = new Map<string, Promise<LectureInfo | null>>();
  private lectureEpoch = 0;
  private readonly counting = new Map<string, { p: string; at: number }>();
  private readonly devices = new Map<string, { day: string; users: Set<string> }>();
  private readonly policies = new Map<string, CreditPolicy>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** `${progressId}:${year}` already added to the summary's lectures and the study index. */
  private readonly indexed = new Set<string>();
  private checkpointTimer?: NodeJS.Timeout;
  private checkpointing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly models: Models,
    private readonly cfg: AppConfig['study'],
    private readonly log: Log,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.wal = new WalWriter(models, { maxDelayMs: cfg.walMaxDelayMs, maxEntries: 4000, dbName: cfg.logDb });
    this.policy = { ...defaultWatchPolicy, maxRate: cfg.maxRate, completionThreshold: cfg.completionThreshold };
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /**
   * Replays the log the last process left (its last snapshot and what followed), checks
   * completion for what it touched, then takes a checkpoint: a new snapshot, after which the
   * replayed generations are dropped.
   */
  async start() {
    const { batches, generations } = await this.wal.recover();
    let n = 0;
    for (const batch of batches) {
      for (const e of batch.entries) {
        await this.replay(e);
        n++;
      }
    }
    this.wal.adopt(generations);
    if (batches.length) {
      for (const p of this.progress.values()) await this.checkCompletion(p);
      this.log.info({ batches: batches.length, entries: n }, 'study.start() | replayed the write-ahead log');
    }
    if (generations.length) await this.checkpoint();
    this.checkpointTimer = setInterval(() => void this.checkpoint(), this.cfg.checkpointMs);
    this.checkpointTimer.unref();
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.checkpointTimer);
    await this.wal.drain().catch(() => {});
    // A checkpoint already running rotated the log before the last beats: one more takes them.
    await this.checkpointing;
    await this.checkpoint();
  }

  private async replay(e: WalEntry) {
    if (e.k === 'b') {
      const s = await this.loadSession(e.p);
      if (!s || e.seq <= s.state.lastSeq) return;
      s.state = { ...s.state, lastSeq: e.seq, lastPosition: e.pos, lastClientAt: e.ca, playing: e.pl, visible: e.v, clientElapsedMs: e.el };
      s.dirty = true;
    } else if (e.k === 'd') {
      const s = await this.loadSession(e.p);
      if (!s) return;
      e.i.forEach((i) => s.delivered.add(i));
      s.dirty = true;
    } else if (e.k === 's') {
      // A snapshot merges: it may be older than the record (written back when it left memory).
      const s = await this.loadSession(e.p);
      if (!s) return;
      if (e.seq > s.state.lastSeq) s.state = { ...s.state, lastSeq: e.seq, lastPosition: e.pos, lastClientAt: e.ca, playing: e.pl, visible: e.v, clientElapsedMs: e.el };
      for (const i of fromRuns(e.d)) s.delivered.add(i);
      s.dirty = true;
    } else if (e.k === 'p') {
      const p = await this.loadProgress(e.u, e.l);
      p.intervals = normalize([...p.intervals, ...unflatten(e.iv)]);
      p.wallSec = Math.max(p.wallSec, e.w);
      if (e.dur) p.durationSec = e.dur;
      if (e.at >= p.lastWatchedAt) {
        p.lastPosition = e.pos;
        p.lastWatchedAt = e.at;
      }
      if (e.done !== null && (p.completedAt === null || e.done < p.completedAt)) p.completedAt = e.done;
      p.dirty = true;
    } else {
      this.credit(await this.loadProgress(e.u, e.l), unflatten(e.iv), e.w, undefined, e.pos, e.at);
    }
  }

  // ---- loading ---------------------------------------------------------------------------

  /**
   * A lecture's facts, cached for a minute. Every beat needs them: past a minute the cached facts
   * still answer while one reload runs (a lecture watched by thousands must not send each of
   * their beats to the store at once); lectureChanged() drops them at once.
   */
  async lecture(id: string): Promise<LectureInfo | null> {
    const hit = this.lectures.get(id);
    if (hit && this.now() - hit.loadedAt < 60_000) return hit;
    let loading = this.lectureLoads.get(id);
    if (!loading) {
      const load: Promise<LectureInfo | null> = this.loadLecture(id, this.lectureEpoch).finally(() => {
        if (this.lectureLoads.get(id) === load) this.lectureLoads.delete(id);
      });
      this.lectureLoads.set(id, (loading = load));
    }
    if (hit && this.now() - hit.loadedAt < 120_000) {
      loading.catch(() => {});
      return hit;
    }
    return loading;
  }

  private async loadLecture(id: string, epoch: number): Promise<LectureInfo | null> {
    const l = await this.models.Lecture.findById(id, { title: 1, durationSec: 1, media: 1, required: 1, creditHours: 1, category: 1, topic: 1, kind: 1, attentionChecks: 1 }).lean<LectureDoc>();
    if (!l) {
      this.lectures.delete(id);
      return null;
    }
    const info: LectureInfo = {
      id,
      title: l.title,
      durationSec: l.durationSec ?? 0,
      segmentSec: l.media?.segmentSec ?? 4,
      required: l.required ?? false,
      creditHours: l.creditHours ?? 0,
      category: l.category,
      topic: l.topic ?? '',
      kind: l.kind ?? 'recorded',
      attentionChecks: l.attentionChecks ?? false,
      loadedAt: this.now(),
    };
    // A change signalled while this read ran wins (lectureChanged() reads again).
    if (epoch === this.lectureEpoch) this.lectures.set(id, info);
    return info;
  }

  private async loadSession(id: string): Promise<Session | null> {
    const hit = this.sessions.get(id);
    if (hit) return hit;
    const row = await this.models.Playback.findById(id).lean();
    if (!row) return null;
    const s: Session = {
      id,
      userId: String(row.userId),
      lectureId: String(row.lectureId),
      kind: row.kind ?? 'recorded',
      state: {
        lastSeq: row.lastSeq ?? 0,
        lastPosition: row.lastPosition ?? 0,
        lastClientAt: row.lastClientAt ?? null,
        playing: row.playing ?? false,
        visible: row.visible ?? true,
        openedAt: new Date(row.openedAt).getTime(),
        clientElapsedMs: row.clientElapsedMs ?? 0,
      },
      delivered: new Set(row.delivered ?? []),
      deliveredWritten: row.delivered?.length ?? 0,
      flags: {},
      lastServerAt: 0,
      ended: false,
      dirty: false,
      station: (row as { station?: boolean }).station === true,
    };
    this.sessions.set(id, s);
    return s;
  }

  private async loadProgress(userId: string, lectureId: string): Promise<Progress> {
    const id = `${userId}:${lectureId}`;
    const hit = this.progress.get(id);
    if (hit) return hit;
    const row = await this.models.Progress.findById(id).lean();
    const p: Progress = {
      id,
      userId,
      lectureId,
      intervals: unflatten((row?.intervals ?? []) as number[]),
      wallSec: row?.wallSec ?? 0,
      durationSec: row?.durationSec ?? 0,
      lastPosition: row?.lastPosition ?? 0,
      lastWatchedAt: row?.lastWatchedAt ? new Date(row.lastWatchedAt).getTime() : 0,
      completedAt: row?.completedAt ? new Date(row.completedAt).getTime() : null,
      dirty: false,
    };
    // A concurrent loader may have won the race: keep the first one.
    const again = this.progress.get(id);
    if (again) return again;
    this.progress.set(id, p);
    return p;
  }

  // ---- sessions --------------------------------------------------------------------------

  /** Opens a playback session; tells whether it counts (one counting session per user). */
  async open(user: UserDoc, lecture: LectureDoc, meta: { ip?: string; userAgent?: string }) {
    const id = randomBytes(12).toString('base64url');
    const now = this.now();
    const userId = String(user._id);
    const lectureId = String(lecture._id);
    await this.models.Playback.collection.insertOne({
      _id: id as never,
      userId: user._id,
      lectureId: lecture._id,
      openedAt: new Date(now),
      kind: lecture.kind ?? 'recorded',
      lastSeq: 0,
      delivered: [],
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300),
    });
    const s: Session = { id, userId, lectureId, kind: lecture.kind ?? 'recorded', state: openSession(now), delivered: new Set(), flags: {}, lastServerAt: now, ended: false, dirty: false };
    this.sessions.set(id, s);
    // Opening only looks: the place is taken by the first beat that plays, so a page that is
    // reloaded (its old session's last beat may arrive late) is not shut out by itself.
    const counting = this.placeFree(s, now);
    this.noteDevice(meta, userId, lectureId, id);
    const p = await this.loadProgress(userId, lectureId);
    // Listed in the yearly summary now (the archive page shows it), off the answer's path.
    void this.indexStudy(userId, lectureId, yearOf(now)).catch((err: unknown) => this.log.warn({ err }, 'study.open() | summary listing failed; the checkpoint retries'));
    const info = await this.lecture(lectureId);
    const duration = info?.durationSec || lecture.durationSec || 0;
    // Resume where the user stopped, unless that was (almost) the end.
    const resumeAt = p.lastPosition > 5 && (!duration || p.lastPosition < duration * 0.95) ? p.lastPosition : 0;
    return { playbackId: id, counting, reason: counting ? undefined : ('other-session' as const), resumeAt, view: this.view(s, p, info) };
  }

  private placeFree(s: Session, now: number): boolean {
    const cur = this.counting.get(s.userId);
    return !cur || cur.p === s.id || now - cur.at > this.policy.staleSessionSec * 1000 || Boolean(this.sessions.get(cur.p)?.ended);
  }

  /** Takes (or keeps) the user's counting place for this session if free or stale. */
  private claim(s: Session, now: number, playing: boolean): boolean {
    if (this.placeFree(s, now)) {
      // Only a playing session holds the place; a paused one keeps it while it is not stale.
      if (playing || this.counting.get(s.userId)?.p === s.id) this.counting.set(s.userId, { p: s.id, at: now });
      return true;
    }
    s.flags['parallel-sessions'] = (s.flags['parallel-sessions'] ?? 0) + 1;
    return false;
  }

  private noteDevice(meta: { ip?: string; userAgent?: string }, userId: string, lectureId: string, playbackId: string) {
    if (!meta.ip) return;
    const key = `${meta.ip}|${meta.userAgent ?? ''}`;
    const day = dayOf(this.now());
    let d = this.devices.get(key);
    if (!d || d.day !== day) {
      d = { day, users: new Set() };
      this.devices.set(key, d);
    }
    d.users.add(userId);
    if (d.users.size === 4) {
      void this.models.StudyFlag.create({ userId, lectureId, playbackId, kind: 'many-accounts-one-device', detail: { ip: meta.ip, users: [...d.users] }, at: new Date() }).catch(() => {});
    }
    if (this.devices.size > 50_000) this.devices.clear();
  }

  /** Evidence: the media routes call this for every segment they serve to a playback. */
  recordDelivery(playbackId: string, segmentIndex: number) {
    const s = this.sessions.get(playbackId);
    if (s) {
      if (s.delivered.has(segmentIndex)) return;
      s.delivered.add(segmentIndex);
      s.dirty = true;
    }
    this.wal.enqueue([{ k: 'd', p: playbackId, i: [segmentIndex] }]);
  }

  // ---- heartbeats ------------------------------------------------------------------------

  async ingest(user: UserDoc, beats: IncomingBeat[]): Promise<{ acks: { playbackId: string; seq: number }[]; sessions: Record<string, SessionView> }> {
    const userId = String(user._id);
    const now = this.now();
    const byPlayback = groupByPlayback(beats);
    const entries: WalEntry[] = [];
    const acks: { playbackId: string; seq: number }[] = [];
    const views: Record<string, SessionView> = {};
    const touched: Progress[] = [];
    for (const [pid, list] of byPlayback) {
      const s = await this.loadSession(pid);
      if (!s || s.userId !== userId) {
        // Unknown or someone else's playback: acknowledge (so the client drops it) but credit nothing.
        list.forEach((b) => acks.push({ playbackId: pid, seq: b.seq }));
        views[pid] = { counting: false, reason: 'unknown-session', progress: 0, coveredSec: 0, completed: false };
        continue;
      }
      const info = await this.lecture(s.lectureId);
      const p = await this.loadProgress(userId, s.lectureId);
      if (info && info.durationSec) p.durationSec = info.durationSec;
      list.sort((a, b) => a.seq - b.seq);
      for (const b of list) {
        if (b.seq <= s.state.lastSeq) {
          // A duplicate or replay: acknowledged, changes nothing (not even the counting place).
          acks.push({ playbackId: pid, seq: b.seq });
          continue;
        }
        const counting = this.claim(s, now, b.playing || b.event === 'play');
        const d = decide(s.state, b, {
          nowMs: now,
          policy: this.policy,
          durationSec: p.durationSec,
          required: info?.required ?? false,
          frontier: frontier(p.intervals, 1),
          delivered: this.deliveredCoverage(s, info?.segmentSec ?? 4),
          counting,
          live: s.kind === 'live',
          attentionPaused: this.attentionPaused(s, now),
        });
        acks.push({ playbackId: pid, seq: b.seq });
        if (d.duplicate) continue;
        if (s.attention?.skipNext && d.next.lastClientAt !== null && s.state.lastClientAt !== null) s.attention.skipNext = false;
        entries.push(this.applyDecision(s, b, d, now));
        this.credit(p, d.creditIntervals, d.wallSec, 'individual', b.position, now);
        if (d.creditIntervals.length) entries.push({ k: 'c', u: userId, l: s.lectureId, iv: flatten(d.creditIntervals), w: d.wallSec, pos: b.position, at: now });
      }
      touched.push(p);
      if (info?.attentionChecks) this.scheduleAttention(s, now);
      views[pid] = this.view(s, p, info);
    }
    await this.wal.commit(entries);
    for (const p of touched) {
      // Most beats complete nothing: take the user's lock only when the lecture may be complete.
      if (p.completedAt === null && !(p.durationSec > 0 && progressOf(p.intervals, p.durationSec) >= this.policy.completionThreshold)) continue;
      const hours = await this.checkCompletion(p);
      const pid = [...byPlayback.keys()].find((k) => this.sessions.get(k)?.lectureId === p.lectureId);
      if (pid && views[pid]) {
        views[pid].completed = p.completedAt !== null;
        if (hours !== undefined) views[pid].creditHours = hours;
      }
    }
    return { acks, sessions: views };
  }

  /** Media time delivered to the session, recomputed only when a segment was added. */
  private deliveredCoverage(s: Session, segmentSec: number): Interval[] {
    const c = s.coverage;
    if (c && c.n === s.delivered.size && c.segmentSec === segmentSec) return c.iv;
    const iv = segmentCoverage(s.delivered, segmentSec);
    s.coverage = { n: s.delivered.size, segmentSec, iv };
    return iv;
  }

  /** Applies a judged beat to its playback (flags, state, end) and returns its log entry. */
  private applyDecision(s: Session, b: IncomingBeat, d: ReturnType<typeof decide>, now: number): WalEntry {
    for (const f of d.flags) if (f !== 'duplicate') s.flags[f] = (s.flags[f] ?? 0) + 1;
    s.state = d.next;
    s.lastServerAt = now;
    s.dirty = true;
    if (b.event === 'end' || b.event === 'unload') {
      s.ended = true;
      if (this.counting.get(s.userId)?.p === s.id) this.counting.delete(s.userId);
    }
    return { k: 'b', p: s.id, seq: b.seq, pos: b.position, ca: d.next.lastClientAt ?? b.clientAt, pl: d.next.playing, v: d.next.visible, el: d.next.clientElapsedMs };
  }

  /**
   * Adds credited media time to a progress. Wall time is added only with new coverage, so a span
   * credited twice (a replayed log entry, a repeated batch) adds nothing.
   */
  private credit(p: Progress, intervals: readonly Interval[], wallSec: number, source: Progress['source'], position: number, at: number) {
    if (intervals.length) {
      const before = covered(p.intervals);
      for (const iv of intervals) p.intervals = addInterval(p.intervals, iv);
      if (covered(p.intervals) > before + 1e-6) {
        p.wallSec += wallSec;
        if (source) p.source = source;
      }
    }
    p.lastPosition = position;
    p.lastWatchedAt = Math.max(p.lastWatchedAt, at);
    p.dirty = true;
  }

  private view(s: Session, p: Progress, info: LectureInfo | null): SessionView {
    const now = this.now();
    const counting = this.placeFree(s, now);
    const duration = info?.durationSec || p.durationSec;
    const pending = s.attention?.pending;
    return {
      counting,
      reason: counting ? undefined : 'other-session',
      progress: progressOf(p.intervals, duration),
      coveredSec: covered(p.intervals),
      completed: p.completedAt !== null,
      attention: pending ? { id: pending.id, expiresInSec: Math.max(0, Math.ceil((pending.expiresAt - now) / 1000)), overdue: now > pending.expiresAt } : undefined,
    };
  }

  /**
   * A lecture's facts changed (a live lecture ended and now has its duration): forget the cached
   * facts and check completion for everyone watching it in this process.
   */
  async lectureChanged(lectureId: string) {
    this.lectureEpoch++;
    this.lectures.delete(lectureId);
    this.lectureLoads.delete(lectureId);
    const info = await this.lecture(lectureId);
    for (const p of this.progress.values()) {
      if (p.lectureId !== lectureId || !info) continue;
      p.durationSec = info.durationSec;
      p.dirty = true;
      await this.checkCompletion(p);
    }
  }

  // ---- group credit (集体收看 at terminal stations) ------------------------------------------

  /**
   * Opens a station playback: the session of a terminal station playing a scheduled lecture to a
   * room. It holds the station's counting place (one at a time), never a user's.
   */
  async openStation(stationId: string, lecture: LectureDoc, meta: { ip?: string; userAgent?: string; runId?: string; playbackId?: string; openedAt?: number }) {
    // A kiosk that was offline at the start played from its cache under an id of its own; its
    // batch opens the playback late, dated back to when it could have started (the caller bounds
    // that by the timetable), so the server-time budget of its spans is the real one.
    if (meta.playbackId) {
      const known = await this.loadSession(meta.playbackId);
      if (known) return { playbackId: known.id, counting: known.station === true && known.userId === stationId && this.placeFree(known, this.now()) };
    }
    const id = meta.playbackId ?? randomBytes(12).toString('base64url');
    const now = this.now();
    const openedAt = Math.min(now, meta.openedAt ?? now);
    await this.models.Playback.collection.insertOne({
      _id: id as never,
      userId: new Types.ObjectId(stationId),
      lectureId: lecture._id,
      openedAt: new Date(openedAt),
      kind: lecture.kind ?? 'recorded',
      lastSeq: 0,
      delivered: [],
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300),
      station: true,
      runId: meta.runId,
    });
    const s: Session = { id, userId: stationId, lectureId: String(lecture._id), kind: lecture.kind ?? 'recorded', state: openSession(openedAt), delivered: new Set(), flags: {}, lastServerAt: now, ended: false, dirty: false, station: true };
    this.sessions.set(id, s);
    return { playbackId: id, counting: this.placeFree(s, now) };
  }

  /**
   * A station's heartbeats. Judged like a viewer's (see the header for the two exceptions); each
   * credited span is handed to `share`, and every learner it names is credited on their own
   * progress. Acknowledged after one WAL commit holding the station's beats and the learners'
   * credits, so a replayed batch (same seqs) credits nobody twice.
   */
  async ingestGroup(stationId: string, beats: IncomingBeat[], share: GroupShare): Promise<{ acks: { playbackId: string; seq: number }[]; sessions: Record<string, GroupView> }> {
    const now = this.now();
    const byPlayback = groupByPlayback(beats);
    const entries: WalEntry[] = [];
    const acks: { playbackId: string; seq: number }[] = [];
    const views: Record<string, GroupView> = {};
    const touched = new Map<string, { p: Progress; pid: string }>();
    for (const [pid, list] of byPlayback) {
      const s = await this.loadSession(pid);
      if (!s || !s.station || s.userId !== stationId) {
        list.forEach((b) => acks.push({ playbackId: pid, seq: b.seq }));
        views[pid] = { counting: false, reason: 'unknown-session', credited: [], learners: [] };
        continue;
      }
      const info = await this.lecture(s.lectureId);
      const durationSec = info?.durationSec ?? 0;
      const view: GroupView = { counting: true, credited: [], learners: [] };
      views[pid] = view;
      list.sort((a, b) => a.seq - b.seq);
      for (const b of list) {
        if (b.seq <= s.state.lastSeq) {
          acks.push({ playbackId: pid, seq: b.seq });
          continue;
        }
        const counting = this.claim(s, now, b.playing || b.event === 'play');
        view.counting = counting;
        const before = s.state;
        const d = decide(before, b, {
          nowMs: now,
          policy: this.policy,
          durationSec,
          required: false, // no frontier rule: the timetable decides where a scheduled replay stands
          frontier: 0,
          delivered: this.deliveredCoverage(s, info?.segmentSec ?? 4),
          counting,
          live: s.kind === 'live',
        });
        acks.push({ playbackId: pid, seq: b.seq });
        if (d.duplicate) continue;
        entries.push(this.applyDecision(s, b, d, now));
        if (!d.creditIntervals.length || before.lastClientAt === null) continue;
        view.credited = normalize([...view.credited, ...d.creditIntervals]);
        const span: GroupSpan = { wallFrom: before.lastClientAt, wallTo: d.next.lastClientAt ?? b.clientAt, mediaFrom: before.lastPosition, mediaTo: b.position, intervals: d.creditIntervals, wallSec: d.wallSec };
        for (const c of share(pid, span)) {
          if (!c.intervals.length) continue;
          const p = await this.loadProgress(c.userId, s.lectureId);
          if (durationSec) p.durationSec = durationSec;
          this.credit(p, c.intervals, c.wallSec, 'station', b.position, now);
          touched.set(p.id, { p, pid });
          entries.push({ k: 'c', u: c.userId, l: s.lectureId, iv: flatten(c.intervals), w: c.wallSec, pos: b.position, at: now });
        }
      }
    }
    await this.wal.commit(entries);
    for (const { p, pid } of touched.values()) {
      const hours = await this.checkCompletion(p);
      const coveredSec = covered(p.intervals);
      views[pid]!.learners.push({ userId: p.userId, coveredSec, progress: progressOf(p.intervals, p.durationSec), completed: p.completedAt !== null, ...(hours !== undefined ? { creditHours: hours } : {}) });
    }
    return { acks, sessions: views };
  }

  /** Evidence for a station playback from segments its browser fetched ahead of time (prefetch for a weak link). */
  recordDeliveries(playbackId: string, segmentIndexes: Iterable<number>) {
    for (const i of segmentIndexes) this.recordDelivery(playbackId, i);
  }

  // ---- attention checks ------------------------------------------------------------------

  private attentionPaused(s: Session, now: number): boolean {
    const a = s.attention;
    return Boolean(a && ((a.pending && now > a.pending.expiresAt) || a.skipNext));
  }

  /** Issues a check when one is due on a counting, playing session (called after its beats). */
  private scheduleAttention(s: Session, now: number) {
    if (s.ended || !s.state.playing || this.counting.get(s.userId)?.p !== s.id) return;
    const a = (s.attention ??= {});
    if (a.pending) return;
    if (a.nextAt === undefined) {
      a.nextAt = now + this.attentionDelayMs();
      return;
    }
    if (now < a.nextAt) return;
    a.pending = { id: randomBytes(6).toString('base64url'), issuedAt: now, expiresAt: now + this.cfg.attentionAnswerSec * 1000 };
  }

  private attentionDelayMs(): number {
    return Math.round((0.5 + this.random()) * this.cfg.attentionIntervalSec * 1000);
  }

  /**
   * The learner answered a check. On time: counting goes on. Late: counting resumes, but the
   * span that covered the unattended time earns nothing. A wrong or stale id changes nothing.
   */
  async answerAttention(user: UserDoc, playbackId: string, checkId: string): Promise<{ accepted: boolean; late: boolean }> {
    const s = await this.loadSession(playbackId);
    if (!s || s.userId !== String(user._id)) throw new AppError(404, 'PLAYBACK_NOT_FOUND', '找不到此次播放', 'No such playback');
    const pending = s.attention?.pending;
    if (!pending || pending.id !== checkId) return { accepted: false, late: false };
    const now = this.now();
    const late = now > pending.expiresAt;
    s.attention = { nextAt: now + this.attentionDelayMs(), skipNext: late };
    if (late) {
      s.flags['attention-missed'] = (s.flags['attention-missed'] ?? 0) + 1;
      s.dirty = true;
    }
    return { accepted: true, late };
  }

  // ---- completion and credits --------------------------------------------------------------

  async creditPolicy(rank: string): Promise<CreditPolicy> {
    const key = rank === 'county' ? 'county' : 'township';
    const hit = this.policies.get(key);
    if (hit) return hit;
    const row = await this.models.Policy.findById(key).lean();
    const policy: CreditPolicy = row
      ? { rank: key, yearlyHours: row.yearlyHours ?? 0, windowYears: row.windowYears ?? 1, windowHours: row.windowHours ?? 0, requiredMinHours: row.requiredMinHours ?? 0, maxPerTopicHours: row.maxPerTopicHours ?? null, dailyCapHours: row.dailyCapHours ?? null }
      : defaultPolicies[key];
    this.policies.set(key, policy);
    return policy;
  }

  async setPolicy(policy: CreditPolicy) {
    await this.models.Policy.updateOne({ _id: policy.rank }, { $set: { ...policy, updatedAt: new Date() } }, { upsert: true });
    this.policies.set(policy.rank, policy);
  }

  /**
   * Writes the ledger entry (once) when coverage crossed the threshold. Returns the hours of the
   * entry when the lecture is complete, undefined otherwise.
   */
  private checkCompletion(p: Progress): Promise<number | undefined> {
    // FerretDB applies updates as read-modify-write, so two requests completing lectures of the
    // same user at once could both add to the summary: one user's completions run one at a time.
    return this.withLock(`user:${p.userId}`, () => this.complete(p));
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  private async complete(p: Progress): Promise<number | undefined> {
    if (!(p.durationSec > 0)) return undefined;
    const coverage = progressOf(p.intervals, p.durationSec);
    if (coverage < this.policy.completionThreshold) return undefined;
    const at = p.completedAt ?? this.now();
    const year = yearOf(at);
    const ledgerId = `${p.userId}:${p.lectureId}:${year}`;
    if (p.completedAt === null) {
      p.completedAt = at;
      p.dirty = true;
    }
    const existing = await this.models.Ledger.findById(ledgerId).lean();
    if (existing) {
      await this.rollUp(existing as never);
      return existing.hours;
    }
    const info = await this.lecture(p.lectureId);
    const user = await this.models.User.findById(p.userId, { rank: 1 }).lean();
    if (!info || !user) return undefined;
    const policy = await this.creditPolicy(user.rank ?? 'township');
    const summary = await this.models.Summary.findById(`${p.userId}:${year}`).lean();
    const day = dayOf(at);
    const usedToday = Number((summary?.byDay as Record<string, number> | undefined)?.[day] ?? 0);
    const usedTopic = Number((summary?.byTopic as Record<string, number> | undefined)?.[info.topic || '-'] ?? 0);
    const coveredSec = covered(p.intervals);
    const hours = capCredit(earnedHours(info.creditHours, p.wallSec, coveredSec), policy, usedToday, usedTopic);
    const entry = {
      _id: ledgerId,
      userId: new Types.ObjectId(p.userId),
      lectureId: new Types.ObjectId(p.lectureId),
      year,
      hours,
      required: info.required,
      category: info.category,
      topic: info.topic,
      title: info.title,
      at: new Date(at),
      coveredSec,
      wallSec: p.wallSec,
      source: p.source ?? 'individual',
    };
    try {
      await this.models.Ledger.collection.insertOne(entry as never);
      this.log.info({ userId: p.userId, lectureId: p.lectureId, hours }, 'study.complete() | credit recorded');
      await this.recordXapi(entry, p);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Someone else (a parallel request, a replay) wrote it first: that entry stands.
      const winner = await this.models.Ledger.findById(ledgerId).lean();
      await this.rollUp(winner as never);
      return winner?.hours;
    }
    await this.rollUp(entry);
    return hours;
  }

  /**
   * Runs `fn` after every earlier call for the same user has finished. FerretDB applies an update
   * as read-modify-write, so two updates of one user's summary or index at once could lose one:
   * everything that writes them goes through here (one portal process per store).
   */
  serialUser<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    return this.withLock(`user:${userId}`, fn);
  }

  /**
   * Makes sure the user's summary for the year exists (an insert: an upsert costs FerretDB a scan
   * of the collection) and returns the fields asked for, or null if it was just created.
   */
  private async summaryOf(userId: string, year: number, projection: Record<string, 1>) {
    const id = `${userId}:${year}`;
    const found = await this.models.Summary.findById(id, projection).lean();
    if (found) return found;
    await insertIfAbsent(this.models.Summary.create({ _id: id, userId: new Types.ObjectId(userId), year }));
    return null;
  }

  /** Adds the year to the user's list of years (read first: most calls change nothing). */
  private async listYear(userId: string, year: number) {
    const idx = await this.models.StudyIndex.findById(userId, { years: 1 }).lean();
    if (idx?.years?.includes(year)) return;
    if (!idx && (await insertIfAbsent(this.models.StudyIndex.create({ _id: userId, years: [year] })))) return;
    await this.models.StudyIndex.updateOne({ _id: userId }, { $addToSet: { years: year } });
  }

  /**
   * Adds a ledger entry to the user's yearly summary exactly once (`entries` lists those added),
   * under the user's lock; every write names the document by `_id` alone (pushed down to SQLite;
   * a filter on more fields makes FerretDB decode every summary, ~10x the cost).
   */
  private async rollUp(entry: { _id: string; userId: Types.ObjectId; lectureId: Types.ObjectId; year: number; hours: number; required: boolean; category?: string; topic?: string; at: Date }) {
    const userId = String(entry.userId);
    const id = `${userId}:${entry.year}`;
    const month = new Date(entry.at).getMonth();
    const day = dayOf(new Date(entry.at).getTime());
    const summary = await this.summaryOf(userId, entry.year, { entries: 1 });
    if ((summary?.entries as string[] | undefined)?.includes(entry._id)) return this.listYear(userId, entry.year);
    await this.models.Summary.updateOne(
      { _id: id },
      {
        $push: { entries: entry._id },
        $inc: {
          total: entry.hours,
          [entry.required ? 'required' : 'elective']: entry.hours,
          [`byMonth.${month}`]: entry.hours,
          [`byCategory.${entry.category ?? 'other'}`]: entry.hours,
          [`byTopic.${entry.topic || '-'}`]: entry.hours,
          [`byDay.${day}`]: entry.hours,
        },
      },
    );
    await this.listYear(userId, entry.year);
  }

  private async recordXapi(entry: { _id: string; at: Date; hours: number; title?: string; lectureId: Types.ObjectId; userId: Types.ObjectId }, p: Progress) {
    const id = randomUUID();
    const statement = {
      id,
      actor: { objectType: 'Agent', account: { homePage: 'urn:cadre-portal', name: String(entry.userId) } },
      verb: { id: 'http://adlnet.gov/expapi/verbs/completed', display: { 'zh-CN': '完成', 'en-US': 'completed' } },
      object: {
        objectType: 'Activity',
        id: `urn:cadre-portal:lecture:${String(entry.lectureId)}`,
        definition: { type: 'https://w3id.org/xapi/video/activity-type/video', name: { 'zh-CN': entry.title ?? '' } },
      },
      result: {
        completion: true,
        duration: `PT${Math.round(p.wallSec)}S`,
        extensions: {
          'https://w3id.org/xapi/video/extensions/played-segments': playedSegments(p.intervals),
          'https://w3id.org/xapi/video/extensions/progress': Math.round(progressOf(p.intervals, p.durationSec) * 1000) / 1000,
          'https://w3id.org/xapi/video/extensions/length': p.durationSec,
          'urn:cadre-portal:credit-hours': entry.hours,
        },
      },
      context: { extensions: { 'https://w3id.org/xapi/video/extensions/session-id': entry._id } },
      timestamp: new Date(entry.at).toISOString(),
    };
    // Stored as JSON text: xAPI extension keys are IRIs with dots, which the store does not allow as keys.
    await insertIfAbsent(this.models.Xapi.collection.insertOne({ _id: id as never, ledgerId: entry._id, json: JSON.stringify(statement), stored: new Date() }));
    if (this.cfg.lrsUrl) void this.forward(id, statement);
  }

  private async forward(id: string, statement: object) {
    try {
      const res = await fetch(`${this.cfg.lrsUrl!.replace(/\/$/, '')}/statements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', ...(this.cfg.lrsAuth ? { authorization: this.cfg.lrsAuth } : {}) },
        body: JSON.stringify(statement),
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) await this.models.Xapi.updateOne({ _id: id }, { $set: { forwardedAt: new Date() } });
      else this.log.warn({ status: res.status }, 'study.xapi | LRS refused the statement');
    } catch (err) {
      this.log.warn({ err }, 'study.xapi | LRS unreachable');
    }
  }

  // ---- checkpoints -----------------------------------------------------------------------

  /**
   * Makes the in-memory state durable without updating a document per record: FerretDB 1.24 on
   * SQLite finds an update's or delete's document by scanning the whole collection (32 ms per
   * update at 2,000 playbacks, 177 ms at 11,265; docs/store-on-ferretdb.md), whereas an insert
   * costs ~1 ms whatever the size. So a checkpoint starts a new log generation, writes into it a
   * snapshot of every record not yet written back (one insert per 1,000 records), and drops
   * the generations before it. Records are written back to their collections once, when they
   * leave memory (idle), a bounded number per checkpoint; flags are inserted.
   */
  checkpoint(): Promise<void> {
    this.checkpointing ??= (async () => {
      try {
        const applied = await this.wal.rotate();
        await this.wal.write(this.snapshot());
        await this.wal.discard(applied);
        await this.writeFlags();
        await this.indexNew();
        await this.evictIdle();
      } catch (err) {
        this.log.error({ err }, 'study.checkpoint() | failed; the log is kept and retried');
      } finally {
        this.checkpointing = null;
      }
    })();
    return this.checkpointing;
  }

  /** The whole state of every record in memory that its collection does not hold yet. */
  private snapshot(): WalEntry[] {
    const out: WalEntry[] = [];
    for (const s of this.sessions.values()) {
      if (!s.dirty) continue;
      const st = s.state;
      out.push({ k: 's', p: s.id, seq: st.lastSeq, pos: st.lastPosition, ca: st.lastClientAt, pl: st.playing, v: st.visible, el: st.clientElapsedMs, d: toRuns(s.delivered) });
    }
    for (const p of this.progress.values()) {
      if (!p.dirty) continue;
      out.push({ k: 'p', u: p.userId, l: p.lectureId, iv: flatten(p.intervals), w: p.wallSec, dur: p.durationSec, pos: p.lastPosition, at: p.lastWatchedAt, done: p.completedAt });
    }
    return out;
  }

  /** Suspicious patterns go to the flags collection (inserts); a failed insert keeps its count. */
  private async writeFlags() {
    for (const s of this.sessions.values()) {
      const flagged = Object.entries(s.flags).filter(([k]) => ['too-fast', 'not-delivered', 'parallel-sessions', 'clock-ahead', 'rate-too-high', 'attention-missed'].includes(k));
      s.flags = {};
      for (let i = 0; i < flagged.length; i++) {
        const [kind, count] = flagged[i]!;
        try {
          await this.models.StudyFlag.create({ userId: s.userId, lectureId: s.lectureId, playbackId: s.id, kind, count, at: new Date() });
        } catch (err) {
          for (const [k, c] of flagged.slice(i)) s.flags[k as Flag] = (s.flags[k as Flag] ?? 0) + (c ?? 0);
          throw err;
        }
      }
    }
  }

  /** Lists newly studied lectures in the yearly summary and the user's years (once each, a bounded number per call). */
  private async indexNew(budget = 100) {
    for (const p of this.progress.values()) {
      if (!p.dirty || budget <= 0) continue;
      if (await this.indexStudy(p.userId, p.lectureId, yearOf(p.lastWatchedAt || this.now()))) budget--;
    }
  }

  /**
   * Adds the lecture to the user's yearly summary and the year to their index, unless done in
   * this process; reads first and writes only what is missing, under the user's lock.
   */
  private async indexStudy(userId: string, lectureId: string, year: number): Promise<boolean> {
    const key = `${userId}:${lectureId}:${year}`;
    if (this.indexed.has(key)) return false;
    await this.serialUser(userId, async () => {
      const summary = await this.summaryOf(userId, year, { lectures: 1 });
      if (!(summary?.lectures as string[] | undefined)?.includes(lectureId)) await this.models.Summary.updateOne({ _id: `${userId}:${year}` }, { $addToSet: { lectures: lectureId } });
      await this.listYear(userId, year);
    });
    if (this.indexed.size >= 100_000) this.indexed.clear();
    this.indexed.add(key);
    return true;
  }

  /**
   * Writes back records idle for a while (sessions 10 min, progress 30 min) and lets them leave
   * memory, at most `budget` writes per checkpoint: each costs the store a scan of its collection.
   * A record that changed during its write stays (it is in the next snapshot).
   */
  private async evictIdle(budget = 200) {
    const left = await this.evict(this.sessions, (s) => s.lastServerAt, 10 * 60_000, budget, (s) => this.writeSession(s));
    await this.evict(this.progress, (p) => p.lastWatchedAt, 30 * 60_000, left, (p) => this.writeProgress(p));
  }

  /** evictIdle() for one kind of record; returns the budget left. */
  private async evict<R extends { id: string; dirty: boolean }>(records: Map<string, R>, lastAt: (r: R) => number, idleMs: number, budget: number, write: (r: R) => Promise<void>): Promise<number> {
    const idle = (r: R) => this.now() - lastAt(r) > idleMs;
    for (const r of [...records.values()]) {
      if (!idle(r)) continue;
      if (r.dirty) {
        if (budget <= 0) continue;
        budget--;
        r.dirty = false;
        try {
          await write(r);
        } catch (err) {
          r.dirty = true;
          throw err;
        }
      }
      if (!r.dirty && idle(r)) records.delete(r.id);
    }
    return budget;
  }

  private async writeSession(s: Session) {
    const deliveredNow = s.delivered.size;
    await this.models.Playback.updateOne(
      { _id: s.id },
      {
        $set: {
          lastSeq: s.state.lastSeq,
          lastPosition: s.state.lastPosition,
          lastClientAt: s.state.lastClientAt,
          playing: s.state.playing,
          visible: s.state.visible,
          clientElapsedMs: s.state.clientElapsedMs,
          // The set only grows: rewritten only when it did (FerretDB converts every element).
          ...(deliveredNow !== s.deliveredWritten ? { delivered: [...s.delivered] } : {}),
        },
      },
      // With upsert FerretDB 1.24 finds the document by _id; without, it scans the collection.
      { upsert: true },
    );
    s.deliveredWritten = deliveredNow;
  }

  private async writeProgress(p: Progress) {
    await this.models.Progress.updateOne(
      { _id: p.id },
      {
        $set: {
          userId: new Types.ObjectId(p.userId),
          lectureId: new Types.ObjectId(p.lectureId),
          intervals: flatten(p.intervals),
          coveredSec: covered(p.intervals),
          wallSec: p.wallSec,
          durationSec: p.durationSec,
          lastPosition: p.lastPosition,
          lastWatchedAt: p.lastWatchedAt ? new Date(p.lastWatchedAt) : undefined,
          completedAt: p.completedAt ? new Date(p.completedAt) : undefined,
        },
      },
      { upsert: true },
    );
  }

  // ---- reading ---------------------------------------------------------------------------

  /** Progress of one user on one lecture (memory first, else the store). */
  async progressOf(userId: string, lectureId: string) {
    const p = await this.loadProgress(userId, lectureId);
    return { intervals: p.intervals, coveredSec: covered(p.intervals), wallSec: p.wallSec, durationSec: p.durationSec, lastPosition: p.lastPosition, completedAt: p.completedAt, lastWatchedAt: p.lastWatchedAt };
  }

  assertOpen() {
    if (this.closed) throw new AppError(503, 'SHUTTING_DOWN', '服务正在重启,请稍后再试', 'The server is restarting; try again shortly');
  }
}
