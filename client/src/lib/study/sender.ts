/**
 * Sends the outbox (outbox.ts) to POST /api/study/heartbeats, one batch at a time, oldest first.
 *
 * - One request at a time per page; a `flush()` asked for while one runs makes it go round again.
 * - A batch leaves the outbox only when the server acknowledges its beats (acks by playbackId+seq).
 * - Offline (navigator.onLine false) nothing is tried; `online` flushes at once.
 * - A failed request (no connection, 5xx, 429, 408) is retried after 1, 2, 4, 8, 16, 30, 60, 60… s
 *   (a server's Retry-After wins when longer); the beats stay in the outbox meanwhile.
 * - 401: the user is signed out; the beats wait in that user's outbox for the next sign-in.
 * - Any other 4xx refuses the batch for good (malformed, not the user's playback): it is dropped,
 *   so one bad beat cannot hold back everything after it.
 * - Which beats a page sends: its own playbacks', those it found when it started (left by a closed
 *   page), and any older than `orphanAfterMs` (a tab that died). Beats of another live tab are
 *   left to that tab, which needs the server's answer about its session; sending them twice would
 *   be harmless (the server drops repeated seqs), only wasteful.
 *
 * Time, timers, the network state and the request are injected, so the rules are unit-tested.
 */
import type { Ack, Outbox } from './outbox.ts';
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

export interface HeartbeatAnswer {
  acks: Ack[];
  sessions: Record<string, SessionView>;
}

export type Transport = (beats: Beat[]) => Promise<HeartbeatAnswer>;

export type SendFailure = 'retry' | 'drop' | 'stop';

const BACKOFF_SEC = [1, 2, 4, 8, 16, 30, 60];

/** Delay before retry number `attempt` (0-based), in ms. */
export function backoffMs(attempt: number, retryAfterSec?: number): number {
  const base = BACKOFF_SEC[Math.min(Math.max(0, Math.floor(attempt)), BACKOFF_SEC.length - 1)]! * 1000;
  return retryAfterSec !== undefined && Number.isFinite(retryAfterSec) ? Math.max(base, retryAfterSec * 1000) : base;
}

/** What to do about a failed request, by its HTTP status (0 = no answer). */
export function classifyFailure(status: number): SendFailure {
  if (status === 0 || status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  if (status === 401) return 'stop';
  return 'drop';
}

function statusOf(error: unknown): { status: number; retryAfter?: number } {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof (error as { status: unknown }).status === 'number') {
    const e = error as { status: number; retryAfter?: unknown };
    return { status: e.status, retryAfter: typeof e.retryAfter === 'number' ? e.retryAfter : undefined };
  }
  return { status: 0 };
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

  readonly #transport: Transport;
  readonly #isOnline: () => boolean;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #orphanAfterMs: number;
  readonly #maxBatch: number;
  readonly #listeners = new Set<(answer: HeartbeatAnswer) => void>();
  #running: Promise<void> | null = null;
  #again = false;
  #timer: unknown = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

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

  /** Whether this page would send `beat` now. */
  sendable = (beat: Beat): boolean =>
    this.own.has(beat.playbackId) || this.inherited.has(beat.playbackId) || this.#now() - beat.clientAt >= this.#orphanAfterMs;

  /** Puts beats in the outbox (as this page's) and sends them. */
  enqueue(beats: readonly Beat[]): Promise<void> {
    if (beats.length === 0) return Promise.resolve();
    for (const b of beats) this.own.add(b.playbackId);
    this.outbox.add(beats);
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
    this.#cancelTimer();
    this.#listeners.clear();
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      if (!this.#isOnline()) return; // the `online` event flushes
      if (this.#timer !== null && this.lastFailure === 'retry') return; // a backoff is pending
      const batch = this.outbox.batch({ max: this.#maxBatch, include: this.sendable });
      if (batch.length === 0) {
        this.#scheduleOrphans();
        return;
      }
      let answer: HeartbeatAnswer;
      try {
        answer = await this.#transport(batch);
      } catch (error) {
        const { status, retryAfter } = statusOf(error);
        const failure = classifyFailure(status);
        this.lastFailure = failure;
        if (failure === 'drop') {
          console.warn('study sender | server refused a batch, dropping it [beats:%d status:%d]', batch.length, status, error);
          this.outbox.drop(batch);
          continue;
        }
        if (failure === 'stop') return;
        this.#schedule(backoffMs(this.attempt, retryAfter));
        this.attempt += 1;
        return;
      }
      this.attempt = 0;
      this.lastFailure = null;
      const acks = Array.isArray(answer?.acks) ? answer.acks : [];
      this.outbox.ack(acks);
      for (const listener of this.#listeners) {
        try {
          listener(answer);
        } catch (error) {
          console.warn('study sender | answer listener failed', error);
        }
      }
      const done = new Set(acks.map((a) => `${a.playbackId}#${a.seq}`));
      if (!batch.some((b) => done.has(`${b.playbackId}#${b.seq}`))) {
        // The server answered but took nothing: do not spin; try again later.
        this.lastFailure = 'retry';
        this.#schedule(backoffMs(this.attempt));
        this.attempt += 1;
        return;
      }
    }
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
