/**
 * xAPI learning records (学习记录) out of the portal: the video profile's statements from the
 * study engine's credit trail (credit-trail.ts, video-profile.ts), and their delivery to an LRS.
 * - Statements are made by a sweep (every `sweepMs`, never on a heartbeat's path) for each trail
 *   that settled: its playback ended or left memory, it credited nothing for `idleMs`
 *   (`terminated`), or the ledger recorded the content's completion (statements so far, the
 *   playback goes on). A trail still running is written to the store (`XapiTrail`) at each sweep,
 *   so a restart keeps what the study log no longer replays.
 * - Each statement is inserted once (its id is name-based, the insert the only writer), `pending`,
 *   with an outbox row; one `xapi-deliver` job (job-queue.ts: backoff, lease, survives restarts)
 *   posts the outbox in batches. 2xx or 409 (the LRS holds that id: ours are deterministic) is
 *   `sent`; a refusal of one statement is `failed` with its error; a temporary error counts an
 *   attempt on each statement of the batch and retries the job; the job's last attempt marks
 *   them `failed`. An org admin sees the counts and failures and may retry them.
 * One portal process per store: the sweep and the job are the only writers of these records.
 */
import { hostname } from 'node:os';
import type { AppConfig } from '../../../config';
import type { Models } from '../../store/models';
import { insertIfAbsent } from '../../store/errors';
import type { JobContext, JobQueue } from '../jobs/job-queue';
import type { JobDoc } from '../jobs/job.model';
import type { StudyEngine } from '../study/study-engine';
import type { CreditTrail, Trail } from './credit-trail';
import { postStatements, type LrsConfig } from './lrs-client';
import { buildStatements, initialState, type Piece, type ProfileState, type Statement } from './video-profile';

export const DELIVER_JOB = 'xapi-deliver';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface XapiOptions {
  homePage: string;
  threshold: number;
  lrs?: { url: string; auth?: string };
  timeoutMs: number;
  batchSize: number;
  idleMs: number;
  sweepMs: number;
  /** A running trail is written at most this often (the study log covers what came since). */
  persistMs: number;
  maxAttempts: number;
}

/**
 * The actor's `homePage`: PUBLIC_URL; without it `http://<HOST>:<PORT>`, the machine's host name
 * when HOST listens on every address. Set PUBLIC_URL in production: an LRS identifies a cadre by
 * homePage and account name, so the homePage must not change.
 */
export function homePageOf(config: Pick<AppConfig, 'server'>): string {
  if (config.server.publicUrl) return config.server.publicUrl.replace(/\/$/, '');
  const host = !config.server.host || config.server.host === '0.0.0.0' || config.server.host === '::' ? hostname() : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
}

export function xapiOptions(config: AppConfig): XapiOptions {
  return {
    homePage: homePageOf(config),
    threshold: config.study.completionThreshold,
    lrs: config.study.lrsUrl ? { url: config.study.lrsUrl, auth: config.study.lrsAuth } : undefined,
    timeoutMs: 10_000,
    batchSize: 50,
    idleMs: 10 * 60_000,
    sweepMs: 15_000,
    persistMs: 60_000,
    maxAttempts: Math.max(8, config.jobs.maxAttempts),
  };
}

/** A trail's stored form. */
interface StoredTrail {
  trail: Omit<Trail, 'pieces'> & { pieces: Piece[] };
  state: ProfileState | null;
  emittedUntil: number;
}

type Engine = Pick<StudyEngine, 'xapiTrail' | 'sessions' | 'lecture' | 'content' | 'now' | 'loadSession'>;

export class XapiService {
  private readonly states = new Map<string, ProfileState>();
  /** Keys whose stored trail was read (or found absent). */
  private readonly loaded = new Set<string>();
  /** Pieces count written for each key, and when. */
  private readonly written = new Map<string, number>();
  private readonly persistedAt = new Map<string, number>();
  private sweeping: Promise<number> | null = null;
  private timer?: NodeJS.Timeout;
  private ensuring: Promise<void> = Promise.resolve();
  private rerun = false;
  private closed = false;
  private droppedAt = 0;

  constructor(
    private readonly models: Models,
    private readonly engine: Engine,
    private readonly jobs: Pick<JobQueue, 'enqueue' | 'register'> | null,
    readonly opts: XapiOptions,
    private readonly log: Log,
  ) {
    jobs?.register(DELIVER_JOB, (job, ctx) => this.deliver(job, ctx));
  }

  private get trail(): CreditTrail {
    return this.engine.xapiTrail;
  }

  /** Loads the trails a restart left open, starts the sweep, and the delivery when statements wait. */
  async start() {
    await this.dropEndedTrails();
    const open = await this.models.XapiTrail.find({ done: false }).lean();
    for (const doc of open) this.adopt(doc._id, JSON.parse(doc.json) as StoredTrail);
    this.timer = setInterval(() => void this.sweep().catch((err: unknown) => this.log.warn({ err }, 'xapi.sweep() | failed; retried at the next sweep')), this.opts.sweepMs);
    this.timer.unref();
    if (this.opts.lrs && (await this.models.XapiOutbox.exists({}))) await this.ensureJob();
  }

  /**
   * Ended trails are kept a day, for credit the study log may still replay; then they go (at
   * start and hourly, so the collection holds about a day of playbacks: one scan per hour).
   */
  private async dropEndedTrails() {
    this.droppedAt = this.engine.now();
    await this.models.XapiTrail.deleteMany({ done: true, at: { $lt: new Date(this.engine.now() - 86_400_000) } });
  }

  async close() {
    this.closed = true;
    clearInterval(this.timer);
    await this.sweeping?.catch(() => {});
    await this.sweep({ persistOnly: true }).catch((err: unknown) => this.log.warn({ err }, 'xapi.close() | trails not written'));
  }

  /** Merges a stored trail into memory (replayed pieces it already stated are dropped). */
  private adopt(key: string, stored: StoredTrail) {
    this.loaded.add(key);
    this.trail.emittedUntil.set(key, stored.emittedUntil);
    if (stored.state) this.states.set(key, stored.state);
    const mem = this.trail.trails.get(key);
    const keep = (p: Piece) => p.w1 > stored.emittedUntil;
    const pieces = [...stored.trail.pieces, ...(mem?.pieces ?? [])].filter(keep);
    const seen = new Set<number>();
    const t: Trail = { ...stored.trail, ...(mem?.completedAt ? { completedAt: mem.completedAt } : {}), pieces: pieces.filter((p) => !seen.has(p.w0) && (seen.add(p.w0), true)).sort((a, b) => a.w0 - b.w0), lastAt: Math.max(stored.trail.lastAt, mem?.lastAt ?? 0) };
    this.trail.trails.set(key, t);
    this.written.set(key, t.pieces.length);
  }

  /** One sweep (see the header); returns the number of statements made. `force` settles every trail. */
  sweep(o: { force?: boolean; persistOnly?: boolean } = {}): Promise<number> {
    if (this.sweeping) return this.sweeping.then(() => this.sweep(o));
    this.sweeping = this.sweepOnce(o).finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async sweepOnce(o: { force?: boolean; persistOnly?: boolean }): Promise<number> {
    if (this.engine.now() - this.droppedAt > 3_600_000) await this.dropEndedTrails();
    let made = 0;
    for (const t of [...this.trail.trails.values()]) {
      if (!this.loaded.has(t.key)) {
        const doc = await this.models.XapiTrail.findById(t.key).lean();
        if (doc) this.adopt(t.key, JSON.parse(doc.json) as StoredTrail);
        else this.loaded.add(t.key);
      }
      const cur = this.trail.trails.get(t.key)!;
      const settle = !o.persistOnly && (await this.settles(cur, o.force));
      if (settle) made += await this.state(cur, settle === 'terminate');
      else if ((this.written.get(cur.key) ?? 0) !== cur.pieces.length && (o.persistOnly || this.engine.now() - (this.persistedAt.get(cur.key) ?? 0) >= this.opts.persistMs)) await this.persist(cur, false);
    }
    if (made && this.opts.lrs) await this.ensureJob();
    return made;
  }

  /** Whether a trail settles now: 'terminate' when its playback ended or idled, 'state' at completion. */
  private async settles(t: Trail, force?: boolean): Promise<'terminate' | 'state' | false> {
    const now = this.engine.now();
    const s = this.engine.sessions.get(t.playbackId);
    if (force || !s || s.ended || now - t.lastAt > this.opts.idleMs) return 'terminate';
    if (t.completedAt !== undefined && t.pieces.length) return 'state';
    return false;
  }

  /** Makes and stores the statements of a trail's new pieces; true when it terminated. */
  private async state(t: Trail, terminate: boolean): Promise<number> {
    const info = await this.engine.content(await this.engine.lecture(t.contentId));
    const lengthSec = info?.durationSec ?? 0;
    // A live lecture still on air has no length yet: its trail waits for it.
    if (!(lengthSec > 0)) return 0;
    const pieces = t.pieces.slice();
    const state = this.states.get(t.key) ?? initialState(this.trail.baseOf(t), this.opts.threshold, lengthSec);
    const stationId = t.station ? (await this.engine.loadSession(t.playbackId))?.userId : undefined;
    const { homePage } = this.opts;
    const built = buildStatements(
      {
        key: t.key,
        actor: { homePage, name: t.userId },
        activity: { id: `${homePage}/xapi/activities/lecture/${t.contentId}`, name: info?.title ?? '', kind: info?.kind ?? 'recorded' },
        lengthSec,
        threshold: this.opts.threshold,
        extensions: stationId ? { [`${homePage}/xapi/extensions/station`]: stationId } : undefined,
      },
      state,
      pieces,
      { terminate, nowMs: this.engine.now() },
    );
    await this.store(t, built.statements);
    this.states.set(t.key, built.state);
    const until = Math.max(this.trail.emittedUntil.get(t.key) ?? -Infinity, ...pieces.map((p) => p.w1));
    this.trail.emittedUntil.set(t.key, until);
    const taken = new Set(pieces);
    t.pieces = t.pieces.filter((p) => !taken.has(p));
    delete t.completedAt;
    const done = terminate && !t.pieces.length;
    await this.persist(t, done);
    if (done) {
      this.trail.trails.delete(t.key);
      this.states.delete(t.key);
      this.written.delete(t.key);
      this.persistedAt.delete(t.key);
      this.loaded.delete(t.key);
      // Its stored trail keeps `emittedUntil` for a late or replayed credit (adopt()).
      this.trail.emittedUntil.delete(t.key);
    }
    return built.statements.length;
  }

  private async persist(t: Trail, done: boolean) {
    const stored: StoredTrail = { trail: t, state: this.states.get(t.key) ?? null, emittedUntil: this.trail.emittedUntil.get(t.key) ?? -1 };
    await this.models.XapiTrail.replaceOne({ _id: t.key }, { _id: t.key, json: JSON.stringify(stored), at: new Date(this.engine.now()), done }, { upsert: true });
    this.written.set(t.key, t.pieces.length);
    this.persistedAt.set(t.key, this.engine.now());
  }

  /** Inserts statements (once each, by id) and their outbox rows, in order. */
  private async store(t: Trail, statements: Statement[]) {
    const base = this.engine.now();
    for (let i = 0; i < statements.length; i++) {
      const st = statements[i]!;
      const at = new Date(base + i);
      const verb = st.verb.id.slice(st.verb.id.lastIndexOf('/') + 1);
      const fresh = await insertIfAbsent(this.models.Xapi.collection.insertOne({ _id: st.id as never, trail: t.key, verb, userId: t.userId, json: JSON.stringify(st), stored: at, state: 'pending', attempts: 0 }));
      if (fresh !== false) await insertIfAbsent(this.models.XapiOutbox.collection.insertOne({ _id: st.id as never, at }));
    }
  }

  // ---- delivery --------------------------------------------------------------------------

  /** Queues the delivery job unless one is queued or running (then it goes on with the new rows). */
  ensureJob(): Promise<void> {
    this.ensuring = this.ensuring.then(async () => {
      if (!this.jobs || !this.opts.lrs || this.closed) return;
      this.rerun = true;
      const existing = await this.models.Job.findOne({ type: DELIVER_JOB, state: { $in: ['queued', 'running'] } }, { _id: 1 }).lean();
      if (!existing) await this.jobs.enqueue(DELIVER_JOB, {}, { maxAttempts: this.opts.maxAttempts });
    }).catch((err: unknown) => this.log.warn({ err }, 'xapi.ensureJob() | could not queue the delivery'));
    return this.ensuring;
  }

  private async deliver(job: JobDoc, ctx: JobContext) {
    const lrs = this.opts.lrs;
    if (!lrs) return;
    const cfg: LrsConfig = { ...lrs, timeoutMs: this.opts.timeoutMs };
    const last = ctx.attempt >= (job.maxAttempts ?? this.opts.maxAttempts);
    for (;;) {
      this.rerun = false;
      const rows = await this.models.XapiOutbox.find({}).sort({ at: 1, _id: 1 }).limit(this.opts.batchSize).lean();
      if (!rows.length) {
        if (this.rerun) continue;
        return;
      }
      const docs = [];
      for (const r of rows) {
        const d = await this.models.Xapi.findById(r._id).lean();
        if (d && d.state === 'pending') docs.push(d);
        else await this.models.XapiOutbox.deleteOne({ _id: r._id });
      }
      if (!docs.length) continue;
      const out = await postStatements(cfg, docs.map((d) => JSON.parse(d.json) as object), ctx.signal);
      if (out.kind === 'stored') await this.mark(docs.map((d) => d._id), { state: 'sent' });
      else if (out.kind === 'temporary') {
        await this.mark(docs.map((d) => d._id), last ? { state: 'failed', error: out.error } : { error: out.error });
        throw new Error(`LRS: ${out.error}`);
      } else {
        // A conflict or a refusal in a batch: one by one, to know which.
        for (const d of docs) {
          const one = await postStatements(cfg, [JSON.parse(d.json) as object], ctx.signal);
          if (one.kind === 'stored') await this.mark([d._id], { state: 'sent' });
          else if (one.kind === 'conflict') await this.mark([d._id], { state: 'sent', error: 'HTTP 409: the LRS already holds this statement id' });
          else if (one.kind === 'refused') await this.mark([d._id], { state: 'failed', error: one.error });
          else {
            await this.mark([d._id], last ? { state: 'failed', error: one.error } : { error: one.error });
            throw new Error(`LRS: ${one.error}`);
          }
        }
      }
      this.log.info({ n: docs.length, outcome: out.kind }, 'xapi.deliver() | batch posted');
    }
  }

  /** Records an attempt's outcome on statements (one writer: the delivery job, or an admin's retry). */
  private async mark(ids: string[], o: { state?: 'sent' | 'failed'; error?: string }) {
    for (const id of ids) {
      const set: Record<string, unknown> = {};
      if (o.state) set.state = o.state;
      if (o.state === 'sent') set.sentAt = new Date();
      if (o.error) set.lastError = o.error;
      await this.models.Xapi.updateOne({ _id: id }, { $set: set, $inc: { attempts: 1 } });
      if (o.state) await this.models.XapiOutbox.deleteOne({ _id: id });
    }
  }

  // ---- the admin page ----------------------------------------------------------------------

  async status(limit = 50) {
    const { Xapi, XapiOutbox } = this.models;
    const [pending, sent, failed, rows] = await Promise.all([
      XapiOutbox.countDocuments({}),
      Xapi.countDocuments({ state: 'sent' }),
      Xapi.countDocuments({ state: 'failed' }),
      Xapi.find({ state: 'failed' }).sort({ stored: -1 }).limit(limit).lean(),
    ]);
    const job = await this.models.Job.findOne({ type: DELIVER_JOB, state: { $in: ['queued', 'running'] } }).lean();
    return {
      configured: Boolean(this.opts.lrs),
      lrsUrl: this.opts.lrs ? this.opts.lrs.url : null,
      homePage: this.opts.homePage,
      pending,
      sent,
      failed,
      nextAttemptAt: job?.state === 'queued' && job.runAfter ? new Date(job.runAfter).toISOString() : null,
      failures: rows.map((r) => {
        const st = JSON.parse(r.json) as Statement;
        return { id: r._id, verb: r.verb ?? '', userId: r.userId ?? st.actor?.account?.name ?? '', activity: st.object?.id ?? '', timestamp: st.timestamp ?? '', attempts: r.attempts ?? 0, error: r.lastError ?? '' };
      }),
    };
  }

  /** Puts failed statements back to pending and delivers now (a queued job waiting out its backoff runs at once). */
  async retryNow(): Promise<{ requeued: number }> {
    const failed = await this.models.Xapi.find({ state: 'failed' }, { _id: 1 }).lean();
    const now = new Date();
    for (const f of failed) {
      await this.models.Xapi.updateOne({ _id: f._id }, { $set: { state: 'pending', attempts: 0 } });
      await insertIfAbsent(this.models.XapiOutbox.collection.insertOne({ _id: f._id as never, at: now }));
    }
    await this.models.Job.updateMany({ type: DELIVER_JOB, state: 'queued' }, { $set: { runAfter: now } });
    await this.ensureJob();
    return { requeued: failed.length };
  }
}
