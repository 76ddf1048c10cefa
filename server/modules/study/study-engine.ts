/**
 * The watch-time engine (学时引擎): the front of playback sessions, heartbeat ingestion (a batch
 * and its answer: incoming-beats.ts), the per-cadre clock, completion and the ledger. Rules of
 * trust (docs/crediting-rules.md):
 * - decisions follow heartbeat-policy.ts (server clock, per-session clock offset, media budget per
 *   session, delivery proven by bytes the server sent: delivery-evidence.ts); the per-cadre clock
 *   (cadre-clock.ts) grants each second of server time to one credit only, across sessions,
 *   devices, live rooms and stations;
 * - acknowledged means durable: a batch is judged on staged copies, its decisions go to the log
 *   (wal.ts, group commit) and only once that insert returned is the state changed in memory and
 *   the beats acknowledged; a failed commit answers 503 and takes back the clock's grants, so the
 *   client's retry with the same seqs is judged afresh (what a batch changes, and its undo:
 *   batch-effects.ts);
 * - each cadre's (or station's) batches are judged one at a time; completions and summaries are
 *   serialised per cadre (credit-ledger.ts); one portal process per store;
 * - a live lecture and its replay are one piece of content for credit (`contentId`);
 * - one counting place per cadre (the page most recently started, or a station presence), for the
 *   page to say whether it counts; the clock is what makes double credit impossible;
 * - group credit (集体收看) goes through group-credit.ts's share rule and each learner's clock;
 * - state is checkpointed by checkpointer.ts; at start the log is replayed (idempotent).
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { AppConfig } from '../../../config';
import { CountyCalendar } from '../../calendar';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import type { LectureDoc } from '../catalog/lecture.model';
import { KeyedLock } from '../../store/keyed-lock';
import type { UserDoc } from '../users/user.model';
import { AttentionChecks } from './attention';
import { CountingPlace } from './counting-place';
import { LectureFacts } from './lecture-facts';
import { AppliedBatches } from './applied-batches';
import { answerCadreBeats, judgeCadreBeats } from './cadre-ingest';
import { replayEntry } from './log-replay';
import { CadreClock } from './cadre-clock';
import { Checkpointer } from './checkpointer';
import { CreditLedger } from './credit-ledger';
import type { CreditPolicy } from './credit-rules';
import { GroupCredits, type GroupCredit, type GroupLearnerView, type GroupShare, type GroupView } from './group-ingest';
import { defaultWatchPolicy, openSession, staleSessionSecFor, type PlacedSpan, type SessionState, type WatchPolicy } from './heartbeat-policy';
import { covered, progressOf, type Interval } from './intervals';
import type { FlagKind, LectureInfo, PlaybackSession, Progress } from './records';
import { applyBeats, credit, grantPresence, grantSpan, snapshotForUndo, type Reservation } from './batch-effects';
import { deliveredCoverage, recordDeliveredSpan, recordDelivery } from './delivery-evidence';
import type { IncomingBeat, RejectedBeat, SessionView } from './incoming-beats';
import { CadreClockRepository, FlagRepository, LectureFactsRepository, PlaybackRepository, ProgressRepository } from './repositories';
import { WalWriter, type WalEntry } from './wal';
import { CreditTrail } from '../xapi/credit-trail';
import type { XapiService } from '../xapi/xapi.service';

export type { GroupCredit, GroupShare, GroupView, GroupLearnerView } from './group-ingest';
export type { PlacedSpan as GroupSpan } from './heartbeat-policy';
export type { Reservation, StagedCredit } from './batch-effects';
export { groupByPlayback, type IncomingBeat, type RejectedBeat, type SessionView } from './incoming-beats';

export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const logUnavailable = () => new AppError(503, 'STUDY_LOG_UNAVAILABLE', '学习记录暂时无法保存,请稍后重试', 'Study records cannot be saved right now; try again shortly');

export class StudyEngine {
  readonly wal: WalWriter;
  readonly policy: WatchPolicy;
  readonly clock: CadreClock;
  readonly calendar: CountyCalendar;
  readonly ledger: CreditLedger;
  readonly sessions = new Map<string, PlaybackSession>();
  readonly progress = new Map<string, Progress>();
  private readonly facts: LectureFacts;
  private readonly beatLock = new KeyedLock();
  private readonly applied: AppliedBatches;
  private readonly repos;
  readonly attention: AttentionChecks;
  readonly place: CountingPlace;
  private readonly checkpointer: Checkpointer;
  private readonly group: GroupCredits;
  private checkpointTimer?: NodeJS.Timeout;
  private closed = false;
  /** What was credited per playback, for the xAPI statements (server/modules/xapi); fed off the answer's path. */
  readonly xapiTrail: CreditTrail;
  /** The xAPI statements and their delivery, once the xapi module started. */
  xapi?: XapiService;

  constructor(
    models: Models,
    private readonly cfg: AppConfig['study'],
    readonly log: Log,
    readonly now: () => number = Date.now,
    random: () => number = Math.random,
  ) {
    this.wal = new WalWriter(models, { maxDelayMs: cfg.walMaxDelayMs, maxEntries: 4000, dbName: cfg.logDb });
    this.applied = new AppliedBatches(this.wal, log, logUnavailable);
    const staleSessionSec = staleSessionSecFor(cfg.heartbeatSec ?? 15, cfg.beatsPerRequest ?? 1);
    this.policy = { ...defaultWatchPolicy, maxRate: cfg.maxRate, completionThreshold: cfg.completionThreshold, staleSessionSec };
    this.calendar = new CountyCalendar(cfg.timeZone ?? 'Asia/Shanghai');
    this.clock = new CadreClock(now);
    this.repos = { lectures: new LectureFactsRepository(models), playbacks: new PlaybackRepository(models), progress: new ProgressRepository(models), clocks: new CadreClockRepository(models), flags: new FlagRepository(models) };
    this.xapiTrail = new CreditTrail((userId, contentId) => this.progress.get(`${userId}:${contentId}`)?.intervals);
    this.ledger = new CreditLedger(models, this.calendar, this.policy.completionThreshold, log, now, async (_entry, p) => this.xapiTrail.completed(p.userId, p.lectureId, now()));
    this.attention = new AttentionChecks(cfg, random);
    this.facts = new LectureFacts(this.repos.lectures, now);
    this.place = new CountingPlace(this.policy.staleSessionSec, this.sessions, this.repos.flags, this.calendar, now);
    this.checkpointer = new Checkpointer(this, this.wal, this.repos, log, now, () => this.indexNew());
    this.group = new GroupCredits(this);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Replays the log the last process left, checks completion for what it touched, then checkpoints. */
  async start() {
    const { batches, generations } = await this.wal.recover();
    let n = 0;
    for (const batch of batches) {
      for (const e of batch.entries) {
        await replayEntry(this, e);
        n++;
      }
      this.xapiTrail.noteEntries(batch.entries);
    }
    this.wal.adopt(generations);
    if (batches.length) {
      for (const p of this.progress.values()) await this.ledger.checkCompletion(p, await this.lecture(p.lectureId));
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
    await this.checkpointer.current;
    await this.checkpoint();
  }

  checkpoint(): Promise<void> {
    return this.checkpointer.run();
  }

  assertOpen() {
    if (this.closed) throw new AppError(503, 'SHUTTING_DOWN', '服务正在重启,请稍后再试', 'The server is restarting; try again shortly');
  }

  /** The stations module tells whether a cadre is present at a station (their counting place meanwhile). */
  setPresenceProbe(probe: (userId: string, atMs: number) => boolean) {
    this.place.presenceProbe = probe;
  }

  // ---- loading ---------------------------------------------------------------------------

  /** A lecture's facts (cached: lecture-facts.ts). */
  lecture(id: string): Promise<LectureInfo | null> {
    return this.facts.get(id);
  }

  /** The facts of what a lecture is credited as (a replay: its live lecture). */
  content(info: LectureInfo | null): Promise<LectureInfo | null> {
    return this.facts.content(info);
  }

  async loadSession(id: string): Promise<PlaybackSession | null> {
    const hit = this.sessions.get(id);
    if (hit) return hit;
    const s = await this.repos.playbacks.find(id);
    if (!s) return null;
    return this.sessions.get(id) ?? (this.sessions.set(id, s), s);
  }

  async loadProgress(userId: string, contentId: string): Promise<Progress> {
    const id = `${userId}:${contentId}`;
    const hit = this.progress.get(id);
    if (hit) return hit;
    const p = await this.repos.progress.find(userId, contentId);
    // A concurrent loader may have won the race: keep the first one.
    return this.progress.get(id) ?? (this.progress.set(id, p), p);
  }

  /** Brings a cadre's clock into memory (it left when idle). */
  async loadClock(userId: string) {
    if (this.clock.has(userId)) return;
    const iv = await this.repos.clocks.find(userId);
    this.clock.load(userId, iv);
  }

  // ---- sessions --------------------------------------------------------------------------

  /** Opens a playback session; tells whether it counts (one counting place per cadre). */
  async open(user: UserDoc, lecture: LectureDoc, meta: { ip?: string; userAgent?: string }) {
    const id = randomBytes(12).toString('base64url');
    const now = this.now();
    const userId = String(user._id);
    const lectureId = String(lecture._id);
    const kind = lecture.kind ?? 'recorded';
    await this.repos.playbacks.insert({ id, userId: user._id as Types.ObjectId, lectureId: lecture._id, openedAt: now, kind, ip: meta.ip, userAgent: meta.userAgent });
    const s: PlaybackSession = { id, userId, lectureId, kind, state: openSession(now), delivered: new Set(), deliveredSpans: [], flags: {}, lastServerAt: now, ended: false, dirty: false };
    this.sessions.set(id, s);
    this.place.noteDevice(meta, userId, lectureId, id);
    const info = await this.lecture(lectureId);
    const content = await this.content(info);
    const p = await this.loadProgress(userId, content?.id ?? lectureId);
    this.xapiTrail.open(id, userId, p.intervals);
    // Listed in the yearly summary now (the archive page shows it), off the answer's path.
    void this.ledger.indexStudy(userId, p.lectureId, now).catch((err: unknown) => this.log.warn({ err }, 'study.open() | summary listing failed; the checkpoint retries'));
    const duration = content?.durationSec || lecture.durationSec || 0;
    // Resume where the user stopped, unless that was (almost) the end.
    const resumeAt = p.lastPosition > 5 && (!duration || p.lastPosition < duration * 0.95) ? p.lastPosition : 0;
    const view = this.view(s, p, content);
    return { playbackId: id, counting: view.counting, reason: view.reason, resumeAt, view };
  }

  // ---- delivery evidence (bytes the server sent): delivery-evidence.ts ---------------------

  /** A whole segment was sent to this playback (the media routes, after the body went out). */
  recordDelivery(playbackId: string, segmentIndex: number) {
    recordDelivery(this.sessions, this.wal, playbackId, segmentIndex);
  }

  recordDeliveries(playbackId: string, segmentIndexes: Iterable<number>) {
    for (const i of segmentIndexes) this.recordDelivery(playbackId, i);
  }

  /** Part of the media (seconds on the lecture's or the live timeline) was sent to this playback. */
  recordDeliveredSpan(playbackId: string, fromSec: number, toSec: number) {
    recordDeliveredSpan(this.sessions, this.wal, playbackId, fromSec, toSec);
  }

  deliveredCoverage(s: PlaybackSession, segmentSec: number): Interval[] {
    return deliveredCoverage(s, segmentSec);
  }

  // ---- heartbeats ------------------------------------------------------------------------

  /** A cadre's beats: judged one batch at a time per cadre, acknowledged once durable. */
  ingest(user: UserDoc, beats: IncomingBeat[]): Promise<{ acks: { playbackId: string; seq: number }[]; rejected: RejectedBeat[]; sessions: Record<string, SessionView> }> {
    const userId = String(user._id);
    return this.beatLock.run(`beats:${userId}`, () => judgeCadreBeats(this, userId, beats)).then((batch) => answerCadreBeats(this, batch));
  }

  /** Hands an applied batch to the log (applied-batches.ts); resolves once it is stored. */
  commitApplied(entries: WalEntry[], undo: () => void, credited: Progress[]): Promise<void> {
    const done = this.applied.commit(entries, undo, credited);
    // The xAPI trail takes the durable credit after the answer (a pass over the batch's entries).
    done.then(() => setImmediate(() => this.xapiTrail.noteEntries(entries)), () => {});
    return done;
  }

  /** Batches of a cadre's beats whose credit to `p` is not durable yet. */
  unconfirmedCredits(p: Progress): number {
    return this.applied.unconfirmedCredits(p);
  }

  /** Writes a batch's entries; on failure takes back the clock's grants and answers 503. */
  async commit(entries: WalEntry[], reserved: Reservation[]) {
    try {
      await this.wal.commit(entries);
      setImmediate(() => this.xapiTrail.noteEntries(entries));
    } catch (err) {
      for (const r of reserved) this.clock.release(r.userId, r.pieces);
      this.log.error({ err }, 'study.ingest() | the log commit failed; nothing of the batch was applied');
      throw logUnavailable();
    }
  }

  view(s: PlaybackSession, p: Progress, info: LectureInfo | null): SessionView {
    const now = this.now();
    const reason = this.place.notCounting(s, now);
    const duration = info?.durationSec || p.durationSec;
    return { counting: !reason, reason, progress: progressOf(p.intervals, duration), coveredSec: covered(p.intervals), completed: p.completedAt !== null, attention: this.attention.view(s, now) };
  }

  /** A lecture's facts changed (a live lecture ended and has its duration): re-read, re-check completion. */
  async lectureChanged(lectureId: string) {
    this.facts.forget(lectureId);
    const info = await this.content(await this.lecture(lectureId));
    if (!info) return;
    for (const p of this.progress.values()) {
      if (p.lectureId !== info.id) continue;
      if (info.durationSec) p.durationSec = info.durationSec;
      p.dirty = true;
      await this.ledger.checkCompletion(p, info);
    }
  }

  // ---- what a judged batch changes (clock grants, state, credit, undo): batch-effects.ts --

  snapshotForUndo(sessions: PlaybackSession[], progress: Progress[], reserved: Reservation[]): () => void {
    return snapshotForUndo(this.clock, sessions, progress, reserved);
  }

  grantSpan(userId: string, span: PlacedSpan, reserved: Reservation[], flags: [FlagKind, number][], now: number) {
    return grantSpan(this.clock, userId, span, reserved, flags, now);
  }

  grantPresence(userId: string, span: PlacedSpan, evidence: readonly Interval[], reserved: Reservation[]) {
    return grantPresence(this.clock, userId, span, evidence, reserved);
  }

  applyBeats(s: PlaybackSession, final: { state: SessionState; flags: [FlagKind, number][]; ended: boolean; reopened: boolean }, now: number): boolean {
    return applyBeats(this.place, s, final, now);
  }

  credit(p: Progress, intervals: readonly Interval[], wallSec: number, source: Progress['source'], position: number, at: number, replayed = false) {
    credit(p, intervals, wallSec, source, position, at, replayed);
  }

  // ---- group credit (集体收看 at terminal stations): group-ingest.ts -------------------------

  openStation(stationId: string, lecture: LectureDoc, meta: { ip?: string; userAgent?: string; runId?: string; playbackId?: string; openedAt?: number }) {
    return this.group.open(stationId, lecture, meta);
  }

  ingestGroup(stationId: string, beats: IncomingBeat[], share: GroupShare): Promise<{ acks: { playbackId: string; seq: number }[]; sessions: Record<string, GroupView> }> {
    return this.beatLock.run(`beats:${stationId}`, () => this.group.ingest(stationId, beats, share));
  }

  /** Credits learners after the fact (a station operator confirmed the roster): each through their clock. */
  creditLearners(playbackId: string, credits: GroupCredit[]): Promise<GroupLearnerView[]> {
    return this.group.creditLearners(playbackId, credits);
  }

  /** Inserts a new station playback (group-ingest.ts). */
  async insertStationPlayback(s: PlaybackSession, lecture: LectureDoc, meta: { ip?: string; userAgent?: string; runId?: string }) {
    await this.repos.playbacks.insert({ id: s.id, userId: new Types.ObjectId(s.userId), lectureId: lecture._id, openedAt: s.state.openedAt, kind: s.kind, ip: meta.ip, userAgent: meta.userAgent, station: true, runId: meta.runId });
    this.sessions.set(s.id, s);
  }

  // ---- attention checks, policies, reading -------------------------------------------------

  async answerAttention(user: UserDoc, playbackId: string, checkId: string): Promise<{ accepted: boolean; late: boolean }> {
    const s = await this.loadSession(playbackId);
    if (!s || s.userId !== String(user._id)) throw new AppError(404, 'PLAYBACK_NOT_FOUND', '找不到此次播放', 'No such playback');
    return this.attention.answer(s, checkId, this.now());
  }

  creditPolicy(rank: string): Promise<CreditPolicy> {
    return this.ledger.creditPolicy(rank);
  }

  setPolicy(policy: CreditPolicy) {
    return this.ledger.setPolicy(policy);
  }

  serialUser<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    return this.ledger.serialUser(userId, fn);
  }

  /** Lists newly studied content in the yearly summaries (a bounded number per checkpoint). */
  private async indexNew(budget = 100) {
    for (const p of this.progress.values()) {
      if (!p.dirty || budget <= 0) continue;
      if (await this.ledger.indexStudy(p.userId, p.lectureId, p.lastWatchedAt || this.now())) budget--;
    }
  }

  /** Progress of one cadre on a lecture (its content: a replay reads its live lecture's), memory first. */
  async progressOf(userId: string, lectureId: string) {
    const info = await this.content(await this.lecture(lectureId));
    const p = await this.loadProgress(userId, info?.id ?? lectureId);
    return { intervals: p.intervals, coveredSec: covered(p.intervals), wallSec: p.wallSec, durationSec: p.durationSec, lastPosition: p.lastPosition, completedAt: p.completedAt, lastWatchedAt: p.lastWatchedAt };
  }
}
