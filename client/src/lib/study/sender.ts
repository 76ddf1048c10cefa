/**
 * Sends the outbox (outbox.ts) to POST /api/study/heartbeats, one batch at a time, oldest first.
 *
 * - One request at a time per page; a `flush()` asked for while one runs makes it go round again.
 *   (The one exception is the page going away: study-session.svelte.ts hands its last beats to
 *   sendBeacon or a keepalive fetch at once, whatever is in flight; the server ignores repeats.)
 * - The server judges each beat on its own: a 200 answer lists the beats it stored (`acks`) and
 *   those it refused (`rejected`, with a code and a message). Both leave the outbox; the refused
 *   ones are recorded there (Outbox.reject) and logged. Beats it names in neither stay.
 * - A whole request refused with a 4xx (the body as a whole was bad: a beat an older server could
 *   not parse, too large) is split in halves and the parts sent in order, splitting again as
 *   needed; only a beat refused alone is dropped (recorded like a rejected one). So one bad beat
 *   costs about 2·log2(batch) requests and never the good beats around it.
 * - Offline (navigator.onLine false) nothing is tried; `online` flushes at once.
 * - A failed request (no connection, timeout, 5xx such as 503 STORE_UNAVAILABLE, 429, or a 4xx
 *   that refuses the request rather than its beats, see classifyFailure) stored nothing:
 *   the same beats, same seqs, are retried after 1, 2, 4, 8, 16, 30, 60, 60… s (a server's
 *   Retry-After wins when longer); they stay in the outbox meanwhile.
 * - 401: the user is signed out; the beats wait in that user's outbox for the next sign-in.
 * - Which beats a page sends: its own playbacks', those it found when it started (left by a closed
 *   page), and any made more than `orphanAfterMs` away from now (a tab that died, or a PC clock
 *   that was put back since). Beats of another live tab are left to that tab, which needs the
 *   server's answer about its session; sending them twice would be harmless, only wasteful.
 * - `clientAt` is the PC's clock when the beat was made and is sent as it is: the server
 *   estimates each session's clock offset itself, so the client never corrects it.
 *
 * Time, timers, the network state and the request are injected, so the rules are unit-tested.
 */
import { beatKey, type Ack, type Outbox, type Rejection } from './outbox.ts';
import type { Beat } from './beats.ts';

/** The server's view of one playback after a batch. */
export interface SessionView {
  counting: boolean;
  reason?: string;
  /** 0..1 of the lecture covered. */
  progress: number;
  coveredSec: number;
  completed: boolean;
  /** Hours credited, when this batch completed the lecture. */
  creditHours?: number;
  /** A pending attention check (随机签到) of this playback. */
  attention?: { id: string; expiresInSec: number; overdue: boolean };
}

/** A beat the server refused on its own. */
export type RejectedBeat = Omit<Rejection, 'at' | 'event'>;

export interface HeartbeatAnswer {
  acks: Ack[];
  /** Absent from servers older than the per-beat contract. */
  rejected?: RejectedBeat[];
  sessions: Record<string, SessionView>;
}

export type Transport = (beats: Beat[]) => Promise<HeartbeatAnswer>;

export type SendFailure = 'retry' | 'split' | 'stop';

const BACKOFF_SEC = [1, 2, 4, 8, 16, 30, 60];

/** Delay before retry number `attempt` (0-based), in ms. */
export function backoffMs(attempt: number, retryAfterSec?: number): number {
  const base = BACKOFF_SEC[Math.min(Math.max(0, Math.floor(attempt)), BACKOFF_SEC.length - 1)]! * 1000;
  return retryAfterSec !== undefined && Number.isFinite(retryAfterSec) ? Math.max(base, retryAfterSec * 1000) : base;
}

/**
 * Refusals of the request itself, never of a beat in it: 403 (CSRF_REJECTED: an old browser's
 * headers), 404/405 (the route missing: a proxy, a server mid-upgrade), 415. Splitting would
 * only drop good beats one by one, so they are waited out like an outage.
 */
const NOT_THE_BEATS = new Set([403, 404, 405, 408, 415, 425, 429]);

/** What to do about a failed request, by its HTTP status (0 = no answer). */
export function classifyFailure(status: number): SendFailure {
  if (status === 401) return 'stop';
  if (status < 400 || status >= 500 || NOT_THE_BEATS.has(status)) return 'retry';
  return 'split';
}

function failureOf(error: unknown): { status: number; retryAfter?: number; code: string; message: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; retryAfter?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : 0;
  return {
    status,
    retryAfter: typeof e.retryAfter === 'number' ? e.retryAfter : undefined,
    code: typeof e.code === 'string' ? e.code : `HTTP_${status}`,
    message: typeof e.message === 'string' ? e.message : String(error),
  };
}

/** The halves of a refused batch, the first one the larger (it holds the older beats). */
export function splitBatch(batch: readonly Beat[]): [Beat[], Beat[]] {
  const half = Math.ceil(batch.length / 2);
  return [batch.slice(0, half), batch.slice(half)];
}

export interface SenderOptions {
  outbox: Outbox;
  transport: Transport;
  isOnline?: () => boolean;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Beats of other tabs younger than this are left to them. */
  orphanAfterMs?: number;
  maxBatch?: number;
  onAnswer?: (answer: HeartbeatAnswer) => void;
}

export class OutboxSender {
  readonly outbox: Outbox;
  /** Playbacks this page made. */
  readonly own = new Set<string>();
  /** Playbacks whose beats were already waiting when this page started. */
  readonly inherited: Set<string>;
  /** Failed attempts in a row (drives the backoff). */
  attempt = 0;
  /** Why the last request failed, while a retry is pending. */
  lastFailure: SendFailure | null = null;
  /** Beats refused on their own, as the outbox records them (newest last). */
  get rejections(): Rejection[] {
    return this.outbox.rejections();
  }

  readonly #transport: Transport;
  readonly #isOnline: () => boolean;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  #orphanAfterMs: number;
  readonly #maxBatch: number;
  readonly #listeners = new Set<(answer: HeartbeatAnswer) => void>();
  #running: Promise<void> | null = null;
  #again = false;
  #timer: unknown = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;
  /** Parts of a batch refused as a whole, still to send (first = next); kept across retries. */
  #parts: Beat[][] = [];

  constructor(options: SenderOptions) {
    this.outbox = options.outbox;
    this.#transport = options.transport;
    this.#isOnline = options.isOnline ?? (() => globalThis.navigator?.onLine !== false);
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.#orphanAfterMs = options.orphanAfterMs ?? 30_000;
    this.#maxBatch = options.maxBatch ?? 200;
    if (options.onAnswer) this.#listeners.add(options.onAnswer);
    this.inherited = new Set(this.outbox.all().map((b) => b.playbackId));
  }

  /** Listens to every answer (each playback picks its own session view). Returns the unsubscribe. */
  subscribe(listener: (answer: HeartbeatAnswer) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Whether this page would send `beat` now. A beat stamped far from now either way is orphaned:
   * a live tab shares this PC's clock, so its fresh beats are stamped about now.
   */
  sendable = (beat: Beat): boolean =>
    this.own.has(beat.playbackId) || this.inherited.has(beat.playbackId) || Math.abs(this.#now() - beat.clientAt) >= this.#orphanAfterMs;

  /**
   * Puts beats in the outbox (as this page's) without sending them: ticks waiting for the next
   * request. They are kept like any other (a closed page's go out with the next page), and any
   * flush takes them along.
   */
  hold(beats: readonly Beat[]): void {
    if (beats.length === 0) return;
    for (const b of beats) this.own.add(b.playbackId);
    this.outbox.add(beats);
  }

  /**
   * A page of this user holds ticks up to `ms` before sending them: other tabs leave beats that
   * young to it (they are not orphans), with half a minute to spare.
   */
  holdsUpTo(ms: number): void {
    if (Number.isFinite(ms)) this.#orphanAfterMs = Math.max(this.#orphanAfterMs, ms + 30_000);
  }

  /** Puts beats in the outbox (as this page's) and sends them. */
  enqueue(beats: readonly Beat[]): Promise<void> {
    if (beats.length === 0) return Promise.resolve();
    this.hold(beats);
    return this.flush();
  }

  /** Sends what is sendable, batch after batch, until the outbox has nothing more for this page. */
  flush(): Promise<void> {
    this.#stopped = false;
    // A run in progress picks up what was added meanwhile (it loops until nothing is left);
    // `#again` covers a flush asked for just as it finished.
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        void this.flush();
      }
    });
    return this.#running;
  }

  /** The browser is back online: forget the backoff and send now. */
  online(): Promise<void> {
    this.attempt = 0;
    this.#cancelTimer();
    return this.flush();
  }

  dispose(): void {
    this.#stopped = true;
    this.#parts = [];
    this.#cancelTimer();
    this.#listeners.clear();
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      if (!this.#isOnline()) return; // the `online` event flushes
      if (this.#timer !== null && this.lastFailure === 'retry') return; // a backoff is pending
      const [batch, isPart] = this.#nextBatch();
      if (batch.length === 0) {
        this.#scheduleOrphans();
        return;
      }
      let answer: HeartbeatAnswer;
      try {
        answer = await this.#transport(batch);
      } catch (error) {
        const { status, retryAfter, code, message } = failureOf(error);
        const failure = classifyFailure(status);
        if (failure === 'split') {
          this.lastFailure = null;
          if (batch.length === 1) {
            console.warn('study sender | server refused a beat, dropping it [beat:%s status:%d code:%s]', beatKey(batch[0]!), status, code);
            this.outbox.reject([{ playbackId: batch[0]!.playbackId, seq: batch[0]!.seq, code, message }], this.#now());
          } else {
            this.#parts.unshift(...splitBatch(batch));
          }
          continue;
        }
        // A part of a split batch is retried as it is: the whole it came from would be refused again.
        if (isPart) this.#parts.unshift(batch);
        this.lastFailure = failure;
        if (failure === 'stop') return;
        this.#schedule(backoffMs(this.attempt, retryAfter));
        this.attempt += 1;
        return;
      }
      this.attempt = 0;
      this.lastFailure = null;
      if (!this.accept(batch, answer)) {
        // The server answered but took nothing: do not spin; try again later.
        this.lastFailure = 'retry';
        this.#schedule(backoffMs(this.attempt));
        this.attempt += 1;
        return;
      }
    }
  }

  /**
   * Applies an answer to the beats of `batch`: the acknowledged and the refused ones leave the
   * outbox, listeners hear it. Also for answers to the page's last beats (a keepalive fetch).
   * Returns whether any beat of the batch was settled.
   */
  accept(batch: readonly Beat[], answer: HeartbeatAnswer): boolean {
    const acks = Array.isArray(answer?.acks) ? answer.acks : [];
    const rejected = Array.isArray(answer?.rejected) ? answer.rejected : [];
    this.outbox.ack(acks);
    if (rejected.length) {
      console.warn('study sender | server refused beats [beats:%s]', rejected.map((r) => `${beatKey(r)} ${r.code}`).join(', '));
      this.outbox.reject(rejected, this.#now());
    }
    for (const listener of this.#listeners) {
      try {
        listener(answer);
      } catch (error) {
        console.warn('study sender | answer listener failed', error);
      }
    }
    const settled = new Set([...acks, ...rejected].map(beatKey));
    return batch.some((b) => settled.has(beatKey(b)));
  }

  /** The first pending part of a split batch (what is left of it), else the outbox's next batch. */
  #nextBatch(): [batch: Beat[], isPart: boolean] {
    while (this.#parts.length) {
      const pending = new Set(this.outbox.all().map(beatKey));
      const part = this.#parts.shift()!.filter((b) => pending.has(beatKey(b)));
      if (part.length) return [part, true];
    }
    return [this.outbox.batch({ max: this.#maxBatch, include: this.sendable }), false];
  }

  /** Beats left only because they belong to another live tab become ours when that tab dies. */
  #scheduleOrphans(): void {
    const now = this.#now();
    const waiting = this.outbox.all().filter((b) => !this.sendable(b));
    if (waiting.length === 0) return;
    const soonest = Math.min(...waiting.map((b) => b.clientAt + this.#orphanAfterMs));
    this.#schedule(Math.max(1000, soonest - now), false);
  }

  #schedule(ms: number, isRetry = true): void {
    const at = this.#now() + ms;
    if (this.#timer !== null && !isRetry && this.#timerAt <= at) return;
    this.#cancelTimer();
    if (!isRetry) this.lastFailure = null;
    this.#timerAt = at;
    this.#timer = this.#setTimer(() => {
      this.#timer = null;
      this.#timerAt = Number.POSITIVE_INFINITY;
      void this.flush();
    }, ms);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}
