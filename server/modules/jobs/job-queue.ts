/**
 * A persistent job queue in the store (FerretDB-safe: single-document updates only).
 * Claim: one atomic findOneAndUpdate moves a due `queued` job, or a `running` one whose lease ran
 * out (its process died), to `running` under this owner with a fresh lease. While a handler
 * runs, the lease is renewed every third of its length; losing it (another owner took over)
 * aborts the handler. Failure: retry after retryBase * 2^(attempt-1), up to maxAttempts, then
 * `failed` with the error. close(): stop claiming, abort running handlers and hand their jobs
 * back (`queued`, the interrupted attempt not counted) so a restart picks them up at once.
 * On FerretDB 1.24 neither the claim nor a conditional update is atomic (each is a read and a
 * rewrite of the whole document), so in this process claims run one at a time, across queues on
 * one store (`jobs:claim` of the store's lock), and every write of a running job (lease renewal,
 * progress, outcome) runs under its `job:<id>` key: a renewal still in flight can no longer put
 * `running` back over `done`. Across processes the claim is safe only on MongoDB
 * (docs/store-on-ferretdb.md).
 */
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { AppConfig } from '../../../config';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { JobDoc } from './job.model';

export interface JobContext {
  signal: AbortSignal;
  attempt: number;
  /** Records progress on the job (throttle at the caller). */
  progress(percent: number, etaSec?: number): Promise<void>;
}
export type JobHandler = (job: JobDoc, ctx: JobContext) => Promise<void>;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class JobAbortedError extends Error {
  constructor() {
    super('job aborted');
    this.name = 'JobAbortedError';
  }
}

/** Delay before retry number `attempt` (1-based count of attempts already made). */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return baseMs * 2 ** Math.max(0, attempt - 1);
}

export class JobQueue {
  readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private timer?: NodeJS.Timeout;
  /** The claim loop now running, if any: close() waits for it (a claim may be in flight). */
  private polling: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly models: Models,
    private readonly cfg: AppConfig['jobs'],
    private readonly log: Log,
    /** Told of each attempt's outcome, so the job's owner module can show it (e.g. to the uploader). */
    private readonly onOutcome?: (job: JobDoc, outcome: 'done' | 'retry' | 'failed', error?: Error) => Promise<void>,
  ) {}

  register(type: string, handler: JobHandler) {
    this.handlers.set(type, handler);
  }

  async enqueue(type: string, payload: Record<string, unknown>, opts: { maxAttempts?: number } = {}) {
    const job = await this.models.Job.create({ type, payload, state: 'queued', runAfter: new Date(), maxAttempts: opts.maxAttempts ?? this.cfg.maxAttempts });
    setImmediate(() => void this.poll());
    return job.toObject() as JobDoc;
  }

  start() {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.cfg.pollMs);
    this.timer.unref();
    void this.poll();
  }

  get active() {
    return this.running.size;
  }

  /** One claim at a time in this process, across queues on the same store (FerretDB's findOneAndUpdate is no claim). */
  private claim(): Promise<JobDoc | null> {
    return storeLock(this.models).run('jobs:claim', () => this.claimLocked());
  }

  private async claimLocked(): Promise<JobDoc | null> {
    const now = new Date();
    return this.models.Job.findOneAndUpdate(
      {
        type: { $in: [...this.handlers.keys()] },
        $or: [
          { state: 'queued', runAfter: { $lte: now } },
          { state: 'running', leaseUntil: { $lt: now } },
        ],
      },
      { $set: { state: 'running', owner: this.owner, leaseUntil: new Date(now.getTime() + this.cfg.leaseSeconds * 1000) }, $inc: { attempts: 1 } },
      { returnDocument: 'after', sort: { runAfter: 1 } },
    ).lean<JobDoc>();
  }

  /** Claims and starts jobs while there is room. */
  poll(): Promise<void> {
    if (this.polling || this.closed) return this.polling ?? Promise.resolve();
    this.polling = this.claimWhileRoom().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async claimWhileRoom(): Promise<void> {
    try {
      while (!this.closed && this.running.size < this.cfg.concurrency) {
        const job = await this.claim();
        if (!job) break;
        // Claimed while close() began: it is handed back at once, not started against a store
        // about to close (it would otherwise wait out its lease, and count an attempt).
        if (this.closed) {
          await this.handBack(job);
          break;
        }
        this.launch(job);
      }
    } catch (err) {
      this.log.warn({ err }, 'jobs.poll() | claim failed');
    }
  }

  /** A job this process holds goes back to `queued`, due now, the attempt it was claimed for not counted. */
  private async handBack(job: JobDoc) {
    const id = job._id as Types.ObjectId;
    await storeLock(this.models)
      .run(`job:${String(id)}`, () => this.models.Job.updateOne({ _id: id, owner: this.owner }, { $set: { state: 'queued', runAfter: new Date() }, $inc: { attempts: -1 }, $unset: { owner: 1, leaseUntil: 1 } }).exec())
      .catch((err: unknown) => this.log.warn({ err, jobId: String(id) }, 'jobs | hand back failed: the job runs again once its lease ends'));
    this.log.info({ jobId: String(id) }, 'jobs.run() | handed back at shutdown');
  }

  private launch(job: JobDoc) {
    const id = String(job._id);
    const abort = new AbortController();
    const done = this.run(job, abort).finally(() => {
      this.running.delete(id);
      if (!this.closed) setImmediate(() => void this.poll());
    });
    this.running.set(id, { abort, done });
  }

  private async run(job: JobDoc, abort: AbortController) {
    const { Job: jobs } = this.models;
    const id = job._id as Types.ObjectId;
    const lock = storeLock(this.models);
    // Every write of this job, one at a time (see the header).
    const Job = { updateOne: (filter: Record<string, unknown>, update: Record<string, unknown>) => lock.run(`job:${String(id)}`, () => jobs.updateOne(filter, update).exec()) };
    const leaseMs = this.cfg.leaseSeconds * 1000;
    const renew = setInterval(() => {
      Job.updateOne({ _id: id, owner: this.owner, state: 'running' }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } }).then(
        (r) => {
          if (r.matchedCount === 0 && !abort.signal.aborted) {
            this.log.warn({ jobId: String(id) }, 'jobs.run() | lease lost, aborting');
            abort.abort(new JobAbortedError());
          }
        },
        (err: unknown) => this.log.warn({ err, jobId: String(id) }, 'jobs.run() | lease renewal failed'),
      );
    }, Math.max(500, leaseMs / 3));
    const handler = this.handlers.get(job.type)!;
    this.log.info({ jobId: String(id), type: job.type, attempt: job.attempts }, 'jobs.run() | started');
    try {
      await handler(job, {
        signal: abort.signal,
        attempt: job.attempts,
        progress: async (percent, etaSec) => {
          await Job.updateOne({ _id: id, owner: this.owner }, { $set: { progress: percent, etaSec } });
        },
      });
      clearInterval(renew);
      await Job.updateOne({ _id: id, owner: this.owner }, { $set: { state: 'done', progress: 100, finishedAt: new Date() }, $unset: { leaseUntil: 1, lastError: 1 } });
      this.log.info({ jobId: String(id), type: job.type }, 'jobs.run() | done');
      await this.onOutcome?.(job, 'done');
    } catch (err) {
      clearInterval(renew);
      const error = err instanceof Error ? err : new Error(String(err));
      if (abort.signal.aborted) {
        // Shutting down: hand the job back without counting this attempt.
        if (this.closed) await this.handBack(job);
        return;
      }
      if (job.attempts >= (job.maxAttempts ?? this.cfg.maxAttempts)) {
        await Job.updateOne({ _id: id, owner: this.owner }, { $set: { state: 'failed', lastError: error.message, finishedAt: new Date() }, $unset: { leaseUntil: 1 } });
        this.log.error({ jobId: String(id), err: error }, 'jobs.run() | failed for good');
        await this.onOutcome?.(job, 'failed', error).catch(() => {});
      } else {
        const delay = retryDelayMs(job.attempts, this.cfg.retryBaseMs);
        await Job.updateOne({ _id: id, owner: this.owner }, { $set: { state: 'queued', lastError: error.message, runAfter: new Date(Date.now() + delay) }, $unset: { leaseUntil: 1, owner: 1 } });
        this.log.warn({ jobId: String(id), err: error, retryInMs: delay }, 'jobs.run() | failed, will retry');
        await this.onOutcome?.(job, 'retry', error).catch(() => {});
      }
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    // A claim still in flight ends first: its job is handed back, not left to its lease.
    await this.polling;
    for (const r of this.running.values()) r.abort.abort(new JobAbortedError());
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
