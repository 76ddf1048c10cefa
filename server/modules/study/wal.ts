/**
 * Group commit of study decisions. Entries handed to `commit()` are written to the store in one
 * document per batch, and the promise resolves only once that insert returned: the HTTP ack waits
 * for it, so an acknowledged heartbeat survives a kill -9. One insert is in flight at a time; what
 * arrives meanwhile forms the next batch, so batches grow with load and latency stays around one
 * insert.
 *
 * Three choices keep that insert short on FerretDB 1.24 / SQLite (measured in
 * docs/benchmarks.md, "Heartbeat ingestion"):
 * - the log lives in a database of its own (`<db>_studywal`). SQLite lets one writer at a time
 *   into a database file, and FerretDB keeps each database in its own file, so the checkpoint's
 *   many updates to the main database never make an ack wait (p99 of a 50-entry insert beside
 *   a busy updater: 108 ms in the same database, 7-10 ms in its own);
 * - a batch's entries are one JSON string, not an array of documents: FerretDB converts every
 *   field of every nested document, a string is one value;
 * - batches go to one collection per generation (`studywal_<boot>_<n>`). A checkpoint calls
 *   `rotate()` (later batches go to a new generation), commits a snapshot of every record not yet
 *   written back (kinds `s` and `p`) into the new generation, then `discard()`s the ones before:
 *   dropping a collection is one cheap command, whereas FerretDB deletes and updates by scanning
 *   the collection. So the log holds one snapshot plus what followed it.
 * A snapshot is written by `write()`, in documents of `chunk` entries (a county's snapshot runs
 * to megabytes, and a document may not pass 16 MB), one chunk between two acknowledged batches:
 * a heartbeat's ack waits behind at most one chunk, not behind the whole snapshot.
 * At start `recover()` returns every batch left, in commit order, including those of the
 * `studywals` collection in the main database used before (its batches hold `entries` arrays);
 * replaying a snapshot merges (union of intervals, highest sequence number), so an old one never
 * takes back what a record written later holds. Back up this database with the main one.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Models } from '../../store/models';

/** A playback's placement on the server's timeline (heartbeat-policy.ts SessionState); absent in logs written before it. */
export interface WalPlacement {
  off?: number | null;
  le?: number;
  pm?: number;
  adv?: number;
  cl?: number;
}

export type WalEntry =
  // A judged beat: the playback's state after it.
  | ({ k: 'b'; p: string; seq: number; pos: number; ca: number; pl: boolean; v: boolean; el?: number } & WalPlacement)
  // Delivery evidence: whole segments (i) and/or media intervals (iv, flat).
  | { k: 'd'; p: string; i?: number[]; iv?: number[] }
  // A credit to a cadre's progress of a content: media (iv, flat [a0, b0, ...]), wall seconds, and the
  // server-time pieces its cadre's clock granted (wf, flat ms).
  | { k: 'c'; u: string; l: string; iv: number[]; w: number; pos: number; at: number; wf?: number[]; src?: string }
  // Snapshots (checkpoint): a playback's whole state (d: delivered segments as runs [from, to, ...], ds: spans)
  | ({ k: 's'; p: string; seq: number; pos: number; ca: number | null; pl: boolean; v: boolean; el?: number; d: number[]; ds?: number[] } & WalPlacement)
  // a progress's whole state (done: completedAt or null)
  | { k: 'p'; u: string; l: string; iv: number[]; ag?: number[]; w: number; dur: number; pos: number; at: number; done: number | null }
  // and a cadre's clock (iv: flat server-time ms credited).
  | { k: 'u'; u: string; iv: number[] };

/** The log entry of a judged beat: the playback's state after it. */
export function beatEntry(playbackId: string, b: { seq: number; position: number; clientAt: number }, st: { lastClientAt: number | null; playing: boolean; visible: boolean; offsetMs: number | null; lastEnd: number; playMs: number; advanceSec: number; clippedMs: number }): WalEntry {
  return { k: 'b', p: playbackId, seq: b.seq, pos: b.position, ca: st.lastClientAt ?? b.clientAt, pl: st.playing, v: st.visible, off: st.offsetMs, le: st.lastEnd, pm: st.playMs, adv: st.advanceSec, cl: st.clippedMs };
}

const PREFIX = 'studywal_';
/** The collection in the main database before the log had its own: still read (and emptied) at start. */
const LEGACY = 'studywals';

interface WalBatch {
  _id: string;
  at: Date;
  /** The entries as JSON text. */
  e?: string;
  /** The entries as documents (batches written before the text form). */
  entries?: WalEntry[];
}

/** The database that holds the log: STUDY_LOG_DB, by default `<main database>_studywal`. */
export function walDb(models: Models, name?: string): Db {
  const main = models.StudyWal.db;
  return main.getClient().db(name ?? `${main.name}_studywal`);
}

/** The entries of a stored batch, whichever form it was written in. */
export function batchEntries(b: { e?: unknown; entries?: unknown }): WalEntry[] {
  if (typeof b.e === 'string') return JSON.parse(b.e) as WalEntry[];
  return Array.isArray(b.entries) ? (b.entries as WalEntry[]) : [];
}

export class WalWriter {
  // Base-36 milliseconds are 8 characters until 2059, so generation names sort by boot time.
  private readonly bootId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private readonly db: Db;
  private seq = 0;
  private gen = 0;
  private pending: WalEntry[] = [];
  /** Chunks handed to write(), inserted between acknowledged batches. */
  private background: { entries: WalEntry[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** When the last insert started. */
  private lastStart = 0;
  /** Generations rotated out and not yet discarded (a failed checkpoint leaves them for the next). */
  private retired: string[] = [];

  constructor(
    private readonly models: Models,
    private readonly opts: { maxDelayMs: number; maxEntries: number; chunk?: number; dbName?: string } = { maxDelayMs: 10, maxEntries: 2000 },
  ) {
    this.db = walDb(models, opts.dbName);
  }

  private genName(n = this.gen) {
    return `${PREFIX}${this.bootId}_${String(n).padStart(8, '0')}`;
  }

  commit(entries: WalEntry[]): Promise<void> {
    if (!entries.length) return Promise.resolve();
    for (const e of entries) this.pending.push(e);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule(this.pending.length >= this.opts.maxEntries ? 0 : this.lastStart + this.opts.maxDelayMs - Date.now());
    return done;
  }

  /**
   * Writes entries that nobody's ack waits for (a checkpoint's snapshot) in chunks, each inserted
   * when no acknowledged batch is due, and at least one between two of them; resolves once all
   * are written, rejects if any chunk failed.
   */
  write(entries: WalEntry[]): Promise<void> {
    const size = Math.max(1, this.opts.chunk ?? 1000);
    const done: Promise<void>[] = [];
    for (let i = 0; i < entries.length; i += size) {
      const chunk = entries.slice(i, i + size);
      done.push(new Promise<void>((resolve, reject) => this.background.push({ entries: chunk, resolve, reject })));
    }
    if (!this.inFlight) this.next(true);
    return Promise.all(done).then(() => undefined);
  }

  /** Adds entries to the next batch without waiting for it (deliveries: losing the last few ms is harmless). */
  enqueue(entries: WalEntry[]) {
    for (const e of entries) this.pending.push(e);
    this.schedule(50);
  }

  /**
   * Starts the next insert in `waitMs` (at once when <= 0), unless one is in flight (its end
   * schedules the next) or an earlier start is already set. Each insert costs the store about
   * 0.35 ms of CPU plus 2.5 us per entry, so under load batches are started at most every
   * `maxDelayMs` rather than back to back: at 5,000 beats a second that is ~100 inserts instead
   * of ~1,000, for a few ms more latency. An idle log writes at once.
   */
  private schedule(waitMs: number) {
    if (this.inFlight || !this.pending.length) return;
    // Not due yet: a chunk of a snapshot goes meanwhile (its end schedules the batch again).
    if (waitMs > 0 && this.background.length) return this.flushBackground();
    const at = Date.now() + Math.max(0, waitMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (waitMs <= 0) return this.flush();
    this.timerAt = at;
    this.timer = setTimeout(() => this.flush(), waitMs);
  }

  private flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight || !this.pending.length) return;
    const entries = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.lastStart = Date.now();
    this.inFlight = this.insert(entries).then(
      () => waiters.forEach((w) => w.resolve()),
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    ).finally(() => {
      this.inFlight = null;
      this.next(true);
    });
  }

  private flushBackground() {
    if (this.inFlight) return;
    const chunk = this.background.shift();
    if (!chunk) return;
    this.inFlight = this.insert(chunk.entries).then(chunk.resolve, chunk.reject).finally(() => {
      this.inFlight = null;
      this.next(false);
    });
  }

  /** After an insert: one chunk after an acknowledged batch, then the batch when due, else chunks. */
  private next(afterBatch: boolean) {
    if (this.inFlight) return;
    if (afterBatch && this.background.length) return this.flushBackground();
    if (this.pending.length) return this.schedule(this.waiters.length ? this.lastStart + this.opts.maxDelayMs - Date.now() : 50);
    if (this.background.length) this.flushBackground();
  }

  private insert(entries: WalEntry[]): Promise<unknown> {
    const id = `${this.bootId}:${String(++this.seq).padStart(10, '0')}`;
    return this.db.collection<WalBatch>(this.genName()).insertOne({ _id: id, at: new Date(), e: JSON.stringify(entries) });
  }

  /** Waits until everything handed in so far is written. */
  async drain() {
    while (this.inFlight || this.pending.length || this.background.length) {
      if (!this.inFlight) {
        if (this.pending.length) this.flush();
        else this.flushBackground();
      }
      await this.inFlight?.catch(() => {});
    }
  }

  /**
   * Starts a new generation and returns the ones whose entries are all applied in memory by now
   * (the insert in flight is waited for; entries still pending go to the new generation, where
   * replaying them again would change nothing). Persist the live state, then `discard()` them.
   */
  async rotate(): Promise<string[]> {
    const old = this.genName();
    this.gen++;
    while (this.inFlight) await this.inFlight.catch(() => {});
    this.retired.push(old);
    return [...this.retired];
  }

  /** Generations found at start: the first checkpoint's snapshot makes them obsolete. */
  adopt(generations: string[]) {
    for (const g of generations) if (!this.retired.includes(g)) this.retired.push(g);
  }

  /** Drops generations whose effects are persisted (the legacy collection is emptied instead). */
  async discard(generations: string[]) {
    for (const name of generations) {
      if (name === LEGACY) await this.models.StudyWal.deleteMany({});
      else await this.db.dropCollection(name).catch((err: { codeName?: string }) => {
        if (err.codeName !== 'NamespaceNotFound') throw err;
      });
      this.retired = this.retired.filter((g) => g !== name);
    }
  }

  /** Every batch left by earlier processes, in commit order, and the generations they came from. */
  async recover(): Promise<{ batches: { entries: WalEntry[] }[]; generations: string[] }> {
    const names = await this.db.listCollections({}, { nameOnly: true }).toArray().catch((err: Error) => {
      // A MongoDB user scoped to the main database only: say what to do rather than fail every heartbeat later.
      throw new Error(`The study log database "${this.db.databaseName}" cannot be read (${err.message}). Grant the store user readWrite on it, or set STUDY_LOG_DB to a database it may write.`);
    });
    const gens = names.map((c) => c.name).filter((n) => n.startsWith(PREFIX)).sort();
    const batches: { entries: WalEntry[] }[] = [];
    const ordered = (docs: WalBatch[]) => docs.sort((a, b) => (a._id < b._id ? -1 : 1)).map((b) => ({ entries: batchEntries(b) }));
    // The legacy collection predates the log's own database: its batches come first.
    const legacy = await this.models.StudyWal.find({}).lean<WalBatch[]>();
    batches.push(...ordered(legacy));
    for (const g of gens) batches.push(...ordered(await this.db.collection<WalBatch>(g).find({}).toArray()));
    return { batches, generations: [...(legacy.length ? [LEGACY] : []), ...gens] };
  }
}
