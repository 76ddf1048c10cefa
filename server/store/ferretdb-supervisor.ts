/**
 * Keeps the embedded FerretDB running. When the child exits without stop() having been asked
 * for (a crash, an OOM kill, kill -9), it is started again on the same port and the same data
 * folder, so the driver's connection string stays valid and the driver reconnects by itself.
 *
 * The first restart waits `restartDelayMs` (0 by default). Restarts back off (250 ms doubling to 5 s between failed attempts) and are rate-limited to
 * `maxRestartsPerMinute` in any sliding minute: a child that crashes at once on every start
 * (a corrupt file, a full disk) is retried slowly rather than in a hot loop. The supervisor never
 * gives up; while the store stays down /healthz turns 503 after STORE_DOWN_UNHEALTHY_SECONDS, so
 * systemd restarts the whole process (docs/deploy.md).
 *
 * Events: `exit` ({ pid, code, signal }) on an unexpected exit, `restarted` ({ pid, attempt }),
 * `restart-failed` ({ attempt, err, nextInMs }).
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerretDb, type FerretDbExit, type FerretDbOptions } from './ferretdb';

export interface SupervisorOptions extends FerretDbOptions {
  maxRestartsPerMinute: number;
  /** Wait before the first restart after a crash (0: at once). */
  restartDelayMs?: number;
}

interface SupervisorEvents {
  exit: [{ pid: number | undefined } & FerretDbExit];
  restarted: [{ pid: number | undefined; attempt: number }];
  'restart-failed': [{ attempt: number; err: Error; nextInMs: number }];
}

const MINUTE = 60_000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

export class FerretDbSupervisor extends EventEmitter<SupervisorEvents> {
  private current: FerretDb | null;
  /** When each restart was attempted, within the last minute. */
  private attempts: number[] = [];
  private stopped = false;
  private readonly abort = new AbortController();
  private restarting: Promise<void> | null = null;
  /** Total restarts that succeeded since start. */
  restarts = 0;

  private constructor(
    first: FerretDb,
    private readonly opts: SupervisorOptions,
  ) {
    super();
    this.current = first;
    // Later starts reuse the first one's port (chosen free when FERRETDB_PORT is 0).
    this.opts = { ...opts, port: first.port };
    this.watch(first);
  }

  static async start(opts: SupervisorOptions): Promise<FerretDbSupervisor> {
    return new FerretDbSupervisor(await FerretDb.start(opts), opts);
  }

  get port(): number {
    return this.opts.port!;
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** The running child's pid; undefined while it is down. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  get up(): boolean {
    return this.current !== null;
  }

  private watch(db: FerretDb): void {
    void db.exited.then((exit) => {
      if (this.stopped || db.stopRequested || this.current !== db) return;
      this.current = null;
      this.emit('exit', { pid: db.pid, ...exit });
      this.restarting = this.restartLoop().finally(() => (this.restarting = null));
    });
  }

  private async restartLoop(): Promise<void> {
    for (let failures = 0; !this.stopped; failures++) {
      const now = Date.now();
      this.attempts = this.attempts.filter((t) => now - t < MINUTE);
      let wait = failures === 0 ? (this.opts.restartDelayMs ?? 0) : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
      if (this.attempts.length >= this.opts.maxRestartsPerMinute) wait = Math.max(wait, this.attempts[0]! + MINUTE - now);
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal: this.abort.signal });
        } catch {
          return; // stop() was called
        }
      }
      if (this.stopped) return;
      this.attempts.push(Date.now());
      try {
        const db = await FerretDb.start(this.opts);
        if (this.stopped) {
          await db.stop();
          return;
        }
        this.current = db;
        this.restarts++;
        this.watch(db);
        this.emit('restarted', { pid: db.pid, attempt: failures + 1 });
        return;
      } catch (err) {
        this.emit('restart-failed', { attempt: failures + 1, err: err as Error, nextInMs: Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** failures) });
      }
    }
  }

  /** Stops supervising and stops the child; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.restarting;
    await this.current?.stop();
  }
}
