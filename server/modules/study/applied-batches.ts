/**
 * Cadre batches applied to memory before their log commit returned (cadre-ingest.ts): a cadre's
 * next batch is judged on them at once, their beats are acknowledged only once the log holds them.
 * Inserts go to the store one after another (wal.ts), so when one fails, every batch applied since
 * may build on it: all of them are taken back, newest first (each batch's `undo` restores what it
 * changed and releases its clock grants), and each answers 503 so its retry is judged afresh.
 * A batch that fails after being taken back, or succeeds, changes nothing more; a batch stored after
 * being taken back is harmless: replaying credit is idempotent (union of intervals) and the retry
 * earns the same intervals.
 */
import type { Progress } from './records';
import type { WalEntry, WalWriter } from './wal';

interface UnconfirmedBatch {
  undo: () => void;
  undone: boolean;
  credited: Progress[];
  /** Settles (never rejects) when the batch's commit returned. */
  done?: Promise<void>;
}

export class AppliedBatches {
  /** Applied batches whose commit has not returned yet, oldest first. */
  private readonly pending: UnconfirmedBatch[] = [];
  private readonly credits = new Map<Progress, number>();

  constructor(
    private readonly wal: Pick<WalWriter, 'commit'>,
    private readonly log: { error(obj: object, msg: string): void },
    private readonly unavailable: () => Error,
  ) {}

  /**
   * Hands an applied batch to the log; resolves once it is stored. If a commit fails, every batch
   * applied since the failed one (they may build on it) is taken back, newest first, and each of
   * them answers 503 (study-engine header: acknowledged means durable).
   */
  commit(entries: WalEntry[], undo: () => void, credited: Progress[]): Promise<void> {
    const batch = { undo, undone: false, credited };
    // A batch with nothing new (duplicates) is as durable as the newest batch before it.
    const before = this.pending[this.pending.length - 1];
    this.pending.push(batch);
    for (const p of credited) this.credits.set(p, (this.credits.get(p) ?? 0) + 1);
    const write = entries.length ? this.wal.commit(entries) : (before?.done ?? Promise.resolve());
    const done = write.then(
      () => {
        this.settle(batch);
        if (batch.undone) throw this.unavailable();
      },
      (err: unknown) => {
        this.takeBackFrom(batch, err);
        this.settle(batch);
        throw this.unavailable();
      },
    );
    Object.assign(batch, { done: done.catch(() => {}) });
    return done;
  }

  /** Batches of a cadre's beats whose credit to `p` is not durable yet. */
  unconfirmedCredits(p: Progress): number {
    return this.credits.get(p) ?? 0;
  }

  private takeBackFrom(failed: UnconfirmedBatch, err: unknown) {
    if (failed.undone) return;
    const from = this.pending.indexOf(failed);
    if (from < 0) return;
    let n = 0;
    for (let i = this.pending.length - 1; i >= from; i--) {
      const b = this.pending[i]!;
      if (b.undone) continue;
      b.undone = true;
      b.undo();
      n++;
    }
    this.log.error({ err, batches: n }, 'study.ingest() | the log commit failed; the batches applied since were taken back');
  }

  private settle(batch: UnconfirmedBatch) {
    const i = this.pending.indexOf(batch);
    if (i >= 0) this.pending.splice(i, 1);
    for (const p of batch.credited) {
      const n = (this.credits.get(p) ?? 1) - 1;
      if (n > 0) this.credits.set(p, n);
      else this.credits.delete(p);
    }
  }

  get size(): number {
    return this.pending.length;
  }
}
