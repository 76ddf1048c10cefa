/**
 * Group commit of study decisions. Entries handed to `commit()` are written to the store in one
 * document per batch (one insert for many heartbeats: FerretDB takes ~20,000 documents a second
 * in batches but only ~1,000 single writes), and the promise resolves only once that insert
 * returned: the HTTP ack waits for it, so an acknowledged heartbeat survives a kill -9.
 * One insert is in flight at a time; what arrives meanwhile forms the next batch, so batches
 * grow with load and latency stays around one insert.
 */
import { randomBytes } from 'node:crypto';
import type { Models } from '../../store/models';

export type WalEntry =
  | { k: 'b'; p: string; seq: number; pos: number; ca: number; pl: boolean; v: boolean; el: number }
  | { k: 'd'; p: string; i: number[] }
  | { k: 'c'; u: string; l: string; iv: number[]; w: number; pos: number; at: number }; // iv: flat [a0, b0, a1, b1, ...] (FerretDB stores no nested arrays)

export class WalWriter {
  private readonly bootId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  private seq = 0;
  private pending: WalEntry[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Ids committed since the last checkpoint took them. */
  private committed: string[] = [];

  constructor(
    private readonly models: Models,
    private readonly opts: { maxDelayMs: number; maxEntries: number } = { maxDelayMs: 5, maxEntries: 2000 },
  ) {}

  commit(entries: WalEntry[]): Promise<void> {
    if (!entries.length) return Promise.resolve();
    this.pending.push(...entries);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.inFlight) {
      if (this.pending.length >= this.opts.maxEntries) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.maxDelayMs);
    }
    return done;
  }

  /** Adds entries to the next batch without waiting for it (deliveries: losing the last few ms is harmless). */
  enqueue(entries: WalEntry[]) {
    this.pending.push(...entries);
    if (!this.inFlight) this.timer ??= setTimeout(() => this.flush(), 50);
  }

  private flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight || !this.pending.length) return;
    const entries = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    const id = `${this.bootId}:${String(++this.seq).padStart(10, '0')}`;
    this.inFlight = this.models.StudyWal.collection.insertOne({ _id: id as never, at: new Date(), entries }).then(
      () => {
        this.committed.push(id);
        waiters.forEach((w) => w.resolve());
      },
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    ).finally(() => {
      this.inFlight = null;
      if (this.pending.length) this.flush();
    });
  }

  /** Waits until everything handed in so far is written. */
  async drain() {
    while (this.inFlight || this.pending.length) {
      if (!this.inFlight) this.flush();
      await this.inFlight;
    }
  }

  /** The batch ids written since the last call (the checkpoint deletes them once applied). */
  takeCommitted(): string[] {
    const ids = this.committed;
    this.committed = [];
    return ids;
  }
}
