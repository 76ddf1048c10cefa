// Worker pool: N mediasoup worker processes, each bound to its own slice of the RTC port range.
//
// Rules:
// - A slot (index 0..N-1) owns a fixed port slice; slices never overlap, and a replacement
//   worker gets the slice of the worker it replaces, so firewall rules stay valid.
// - A worker that dies is replaced on the same slot. Its routers, and every room on them, die
//   with it: the pool reports that (`worker-died`) and rebuilding rooms is the caller's job.
// - Restart backoff: a worker that had been running for STABLE_AFTER_MS is replaced at once.
//   A failed start, or a worker dying again soon after it started, doubles the wait
//   (restartDelayMs, 2x, 4x ... capped at MAX_RESTART_DELAY_MS) so a crash loop cannot spin.
// - Load is the number of routers created through this pool that are still open on a worker;
//   createRouter() puts a new router on the least loaded live worker, ties taken round-robin.
// - close() is idempotent: it stops restarts, closes every worker and resolves once their
//   processes are gone; `close` is emitted exactly once, after that.
// - mediasoup 3.8.4 reads MEDIASOUP_WORKER_BIN once, when its Worker module is first loaded.
//   That is why mediasoup is imported lazily in create(), after opts.workerBin is applied, and
//   why create() refuses a workerBin that can no longer take effect.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Router, RtpCodecCapability, Worker } from 'mediasoup/lib/types';
import { cloneCodecs, mediaCodecs as defaultMediaCodecs } from './codecs';
import { STABLE_AFTER_MS, pickLeastLoaded, poolState, restartDelay, splitPortRange } from './worker-pool-policy';

// The pure rules live in worker-pool-policy.ts; they are exported from here as before.
export { MAX_RESTART_DELAY_MS, STABLE_AFTER_MS, pickLeastLoaded, poolState, restartDelay, splitPortRange } from './worker-pool-policy';

type Mediasoup = typeof import('mediasoup');

export type WorkerLogLevel = 'debug' | 'warn' | 'error' | 'none';

export interface WorkerPoolOptions {
  numWorkers: number;
  logLevel?: WorkerLogLevel;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Path of the mediasoup-worker binary; sets MEDIASOUP_WORKER_BIN (see header). */
  workerBin?: string;
  /** Base of the restart backoff, in ms. Default 1000. */
  restartDelayMs?: number;
}

export interface PortRange {
  min: number;
  max: number;
}

export interface WorkerDiedEvent {
  index: number;
  pid: number;
  error: Error;
}

export interface WorkerReplacedEvent {
  index: number;
  oldPid: number;
  newPid: number;
}

export interface WorkerRestartFailedEvent {
  index: number;
  /** Consecutive failures on this slot so far. */
  attempt: number;
  error: Error;
  retryInMs: number;
}

export interface WorkerPoolEvents {
  'worker-died': [WorkerDiedEvent];
  'worker-replaced': [WorkerReplacedEvent];
  'worker-restart-failed': [WorkerRestartFailedEvent];
  close: [];
}

export type PoolState = 'up' | 'down' | 'degraded';

export interface WorkerSlotStatus {
  index: number;
  /** null while the slot waits for a replacement. */
  pid: number | null;
  alive: boolean;
  routers: number;
  rtcMinPort: number;
  rtcMaxPort: number;
}

export interface WorkerPoolStatus {
  state: PoolState;
  total: number;
  alive: number;
  workers: WorkerSlotStatus[];
}

export type WorkerPoolErrorCode = 'pool-closed' | 'no-live-worker' | 'worker-start-failed';

export class WorkerPoolError extends Error {
  override readonly name = 'WorkerPoolError';
  readonly code: WorkerPoolErrorCode;

  constructor(code: WorkerPoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const DEFAULT_RESTART_DELAY_MS = 1_000;
const EXIT_WAIT_MS = 3_000;

// ---------------------------------------------------------------------------------------------

interface Slot {
  readonly index: number;
  readonly ports: PortRange;
  worker: Worker | null;
  startedAt: number;
  routers: number;
  /** Consecutive failed starts or early deaths; drives the backoff. */
  failures: number;
  timer: NodeJS.Timeout | null;
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #mediasoup: Mediasoup;
  readonly #slots: Slot[];
  readonly #logLevel: WorkerLogLevel;
  readonly #restartDelayMs: number;
  /** Starts in flight, so that close() can wait for the processes they spawn. */
  readonly #starting = new Set<Promise<unknown>>();
  #closing: Promise<void> | null = null;
  #nextTieBreak = 0;

  private constructor(mediasoup: Mediasoup, ranges: PortRange[], opts: WorkerPoolOptions) {
    super();
    this.#mediasoup = mediasoup;
    this.#logLevel = opts.logLevel ?? 'warn';
    this.#restartDelayMs = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.#slots = ranges.map((ports, index) => ({
      index,
      ports,
      worker: null,
      startedAt: 0,
      routers: 0,
      failures: 0,
      timer: null,
    }));
  }

  static async create(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const ranges = splitPortRange(opts.rtcMinPort, opts.rtcMaxPort, opts.numWorkers);
    if (opts.restartDelayMs !== undefined && !(opts.restartDelayMs >= 0)) {
      throw new RangeError(`Invalid worker pool options: restartDelayMs must be >= 0 (got ${opts.restartDelayMs})`);
    }
    if (opts.workerBin) applyWorkerBin(opts.workerBin);
    const mediasoup = await import('mediasoup');

    const pool = new WorkerPool(mediasoup, ranges, opts);
    const results = await Promise.allSettled(pool.#slots.map((slot) => pool.#start(slot)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await pool.close();
      const bin = process.env.MEDIASOUP_WORKER_BIN ?? '(bundled mediasoup-worker)';
      throw new WorkerPoolError(
        'worker-start-failed',
        `mediasoup worker failed to start [bin:${bin}]: ${errorMessage(failed.reason)}`,
        { cause: failed.reason },
      );
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Live workers, in slot order. */
  get workers(): Worker[] {
    return this.#slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
  }

  /** The live worker on slot `index`, or undefined while that slot waits for a replacement. */
  getWorker(index: number): Worker | undefined {
    return this.#slots[index]?.worker ?? undefined;
  }

  /** The live worker with the fewest open routers created through this pool. */
  leastLoaded(): { index: number; worker: Worker } | undefined {
    const index = pickLeastLoaded(
      this.#slots.map((slot) => (slot.worker ? slot.routers : null)),
      this.#nextTieBreak,
    );
    if (index === undefined) return undefined;
    this.#nextTieBreak = (index + 1) % this.#slots.length;
    const worker = this.#slots[index]!.worker!;
    return { index, worker };
  }

  async createRouter(
    codecs: readonly RtpCodecCapability[] = defaultMediaCodecs,
  ): Promise<{ router: Router; workerIndex: number }> {
    if (this.closed) throw new WorkerPoolError('pool-closed', 'worker pool is closed');
    const picked = this.leastLoaded();
    if (!picked) throw new WorkerPoolError('no-live-worker', 'no mediasoup worker is alive');
    const slot = this.#slots[picked.index]!;
    const { worker } = picked;

    // Count the router before awaiting, so that concurrent calls spread over the workers.
    slot.routers++;
    let router: Router;
    try {
      router = await worker.createRouter({ mediaCodecs: cloneCodecs(codecs) });
    } catch (error) {
      if (slot.worker === worker) slot.routers--;
      throw error;
    }
    // A slot's count is reset when its worker dies, so only the current worker's routers count.
    const release = (): void => {
      if (slot.worker === worker) slot.routers--;
    };
    if (router.closed) release();
    else router.observer.once('close', release);
    return { router, workerIndex: slot.index };
  }

  status(): WorkerPoolStatus {
    const workers = this.#slots.map((slot) => ({
      index: slot.index,
      pid: slot.worker?.pid ?? null,
      alive: slot.worker !== null && !slot.worker.closed,
      routers: slot.routers,
      rtcMinPort: slot.ports.min,
      rtcMaxPort: slot.ports.max,
    }));
    const alive = workers.filter((w) => w.alive).length;
    return { state: poolState(workers.length, alive), total: workers.length, alive, workers };
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const pids: number[] = [];
    for (const slot of this.#slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      if (slot.worker) {
        pids.push(slot.worker.pid);
        // Worker.close() sends SIGTERM and drops its 'died' listeners: no restart follows.
        slot.worker.close();
        slot.worker = null;
      }
      slot.routers = 0;
    }
    this.#closing = (async () => {
      // Starts in flight see the pool closed, close their own worker and wait for it.
      await Promise.allSettled([...this.#starting]);
      await waitForExit(pids, EXIT_WAIT_MS);
      this.emit('close');
    })();
    return this.#closing;
  }

  /** Starts a worker on `slot`; close() waits for every start in flight, including its cleanup. */
  #start(slot: Slot): Promise<Worker> {
    const starting = this.#spawn(slot);
    this.#starting.add(starting);
    const forget = (): void => {
      this.#starting.delete(starting);
    };
    starting.then(forget, forget);
    return starting;
  }

  async #spawn(slot: Slot): Promise<Worker> {
    const worker = await this.#mediasoup.createWorker({
      logLevel: this.#logLevel,
      rtcMinPort: slot.ports.min,
      rtcMaxPort: slot.ports.max,
      appData: { slot: slot.index },
    });
    if (this.closed) {
      worker.close();
      await waitForExit([worker.pid], EXIT_WAIT_MS);
      throw new WorkerPoolError('pool-closed', 'worker pool closed while a worker was starting');
    }
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.routers = 0;
    worker.once('died', (error: Error) => this.#onDied(slot, worker, error));
    return worker;
  }

  #onDied(slot: Slot, worker: Worker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.routers = 0;
    slot.failures = Date.now() - slot.startedAt < STABLE_AFTER_MS ? slot.failures + 1 : 0;
    // Schedule before emitting: a throwing listener must not leave the slot empty for good,
    // and a listener that closes the pool clears the timer.
    this.#scheduleRestart(slot, worker.pid);
    this.emit('worker-died', { index: slot.index, pid: worker.pid, error });
  }

  #scheduleRestart(slot: Slot, oldPid: number): void {
    if (this.closed) return;
    const delay = restartDelay(slot.failures, this.#restartDelayMs);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      void this.#restart(slot, oldPid);
    }, delay);
  }

  async #restart(slot: Slot, oldPid: number): Promise<void> {
    let worker: Worker;
    try {
      worker = await this.#start(slot);
    } catch (error) {
      if (this.closed) return;
      slot.failures++;
      this.#scheduleRestart(slot, oldPid);
      this.emit('worker-restart-failed', {
        index: slot.index,
        attempt: slot.failures,
        error: error instanceof Error ? error : new Error(String(error)),
        retryInMs: restartDelay(slot.failures, this.#restartDelayMs),
      });
      return;
    }
    this.emit('worker-replaced', { index: slot.index, oldPid, newPid: worker.pid });
  }
}

// ---------------------------------------------------------------------------------------------

function applyWorkerBin(bin: string): void {
  if (process.env.MEDIASOUP_WORKER_BIN === bin) return;
  if (mediasoupWorkerModuleLoaded()) {
    throw new WorkerPoolError(
      'worker-start-failed',
      `mediasoup was loaded before workerBin could apply (it reads MEDIASOUP_WORKER_BIN once, at load): ` +
        `set MEDIASOUP_WORKER_BIN=${bin} in the environment, or create the pool before anything imports mediasoup`,
    );
  }
  process.env.MEDIASOUP_WORKER_BIN = bin;
}

function mediasoupWorkerModuleLoaded(): boolean {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('mediasoup/lib/Worker.js') in require.cache;
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: the pid was reaped and reused by someone else's process.
    return false;
  }
}

/**
 * Resolves once every pid is gone. mediasoup's close() only sends SIGTERM; a worker still
 * there after `timeoutMs` gets SIGKILL, so close() never leaves a process behind. Gives up
 * after a second timeout rather than hang a shutdown.
 */
async function waitForExit(pids: number[], timeoutMs: number): Promise<void> {
  const killAt = Date.now() + timeoutMs;
  const giveUpAt = killAt + timeoutMs;
  let remaining = pids.filter(isRunning);
  let killed = false;
  while (remaining.length > 0 && Date.now() < giveUpAt) {
    if (!killed && Date.now() >= killAt) {
      for (const pid of remaining) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Exited in the meantime.
        }
      }
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    remaining = remaining.filter(isRunning);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
