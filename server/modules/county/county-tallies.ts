/**
 * The county tallies in memory, kept on write, written through to the store (collection
 * CountyTally, one document per `${year}:${unitId}`, tally.ts).
 *
 * How they stay right on FerretDB 1.24, whose updates are not atomic (docs/store-on-ferretdb.md):
 * - every ledger entry reaches a cadre's yearly summary exactly once (SummaryRepository.addEntry,
 *   under the cadre's lock), and that is where the entry is handed to `onEntry`: each entry is
 *   added once;
 * - the figures change only in memory, synchronously (one process per store); the store never
 *   increments anything. A document is written whole (`replaceOne` by `_id`), one write at a
 *   time per document (KeyedLock), from the memory of the moment the write starts; writes asked
 *   for while one waits join it. So a later write always carries every earlier entry.
 * - what can still go wrong — a crash between the summary and the tally's write, a failed write,
 *   a cadre moved to another unit, a hand edit — is what `rebuild()` finds and repairs: it
 *   recomputes the years' tallies from the ledger (one query) and the users' current units (one
 *   query), compares them with the stored documents, writes the ones that differ and replaces
 *   memory. Entries that land while it runs are held and added after it (unless its read of the
 *   ledger had them already).
 */
import type { CountyCalendar } from '../../calendar';
import { KeyedLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { LedgerEntry } from '../study/credit-ledger';
import type { CountyPeople } from './county-people';
import { addEntry, diffTallies, emptyTally, fromDoc, tallyId, toDoc, type Difference, type EntryFacts, type Tally, type TallyDoc } from './tally';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RebuildResult {
  years: number[];
  tallies: number;
  differences: Difference[];
}

type LedgerRow = Pick<LedgerEntry, '_id' | 'userId' | 'year' | 'hours' | 'at' | 'topic' | 'category' | 'source' | 'trainingChannel'>;

/** Ledger ids a rebuild read, kept this long for their summaries' late events. */
const SEEN_KEEP_MS = 5 * 60_000;

export class CountyTallies {
  private tallies = new Map<string, Tally>();
  /** year -> user -> hours (all units), for compliance. */
  private cadreHours = new Map<number, Map<string, number>>();
  private readonly lock = new KeyedLock();
  /** Writes asked for and not started yet, by tally id. */
  private readonly queued = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<unknown>>();
  private loading: Promise<void> | null = null;
  private held: LedgerEntry[] | null = null;
  /** Reloads and rebuilds so far (every kept answer is stale after one). */
  private loads = 0;
  private seen: { ids: Set<string>; until: number } | null = null;
  /** Goes up on every change (answers kept per version). */
  version = 0;
  private readonly yearVersions = new Map<number, number>();

  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
    private readonly people: CountyPeople,
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads every stored tally and every user; entries that arrive meanwhile wait for it. */
  ready(): Promise<void> {
    this.loading ??= (async () => {
      await this.people.load();
      const docs = await this.models.CountyTally.find({}).lean<TallyDoc[]>();
      this.tallies = new Map(docs.map((d) => [d._id, fromDoc(d)]));
      this.reindex();
      this.version++;
      this.loads++;
      this.log.info({ tallies: this.tallies.size }, 'county | tallies loaded');
    })();
    return this.loading;
  }

  /** Reads the stored tallies again (after a hand edit or another process's rebuild). */
  async reload(): Promise<void> {
    await this.idle();
    this.loading = null;
    await this.ready();
  }

  private reindex() {
    this.cadreHours = new Map();
    for (const t of this.tallies.values()) for (const [u, c] of t.cadres) this.addHours(t.year, u, c.h);
  }

  private addHours(year: number, userId: string, h: number) {
    let m = this.cadreHours.get(year);
    if (!m) this.cadreHours.set(year, (m = new Map()));
    m.set(userId, Math.round(((m.get(userId) ?? 0) + h) * 1e6) / 1e6);
  }

  /** A new ledger entry (from the summary's `entryAdded`): added once, in the background. */
  onEntry(entry: LedgerEntry): void {
    this.track(
      this.ready()
        .then(() => this.apply(entry))
        .catch((err: unknown) => this.log.warn({ err, entry: entry._id }, 'county.onEntry() | not tallied; a rebuild repairs it')),
    );
  }

  private track(p: Promise<unknown>) {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when every entry handed in so far is in memory and written. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private facts(e: LedgerRow): EntryFacts {
    return {
      userId: String(e.userId),
      year: e.year,
      month: this.calendar.month(new Date(e.at).getTime()),
      hours: Number(e.hours) || 0,
      source: e.source,
      trainingChannel: e.trainingChannel,
      topic: e.topic,
      category: e.category,
    };
  }

  private async apply(entry: LedgerEntry) {
    if (this.held) {
      this.held.push(entry);
      return;
    }
    if (this.seen && this.now() > this.seen.until) this.seen = null;
    if (this.seen?.ids.has(entry._id)) return;
    const person = await this.people.person(String(entry.userId));
    // A rebuild may have started meanwhile (TypeScript narrowed `held` before the await).
    const held = this.held as LedgerEntry[] | null;
    if (held) {
      held.push(entry);
      return;
    }
    const id = tallyId(entry.year, person?.unitId);
    let t = this.tallies.get(id);
    if (!t) this.tallies.set(id, (t = emptyTally(entry.year, person?.unitId || '-')));
    const f = this.facts(entry);
    addEntry(t, f);
    this.addHours(f.year, f.userId, f.hours);
    this.version++;
    this.yearVersions.set(f.year, this.version);
    await this.write(id);
  }

  /** Writes the tally as memory has it when the write starts; a write asked for while one waits joins it. */
  private write(id: string): Promise<void> {
    const waiting = this.queued.get(id);
    if (waiting) return waiting;
    const run = this.lock.run(id, async () => {
      this.queued.delete(id);
      const t = this.tallies.get(id);
      if (t) await this.models.CountyTally.replaceOne({ _id: id }, toDoc(t), { upsert: true });
      else await this.models.CountyTally.deleteOne({ _id: id });
    });
    this.queued.set(id, run);
    return run;
  }

  /** Changes with every change of the year's tallies (a reload or rebuild changes every year's). */
  yearVersion(year: number): string {
    return `${this.loads}:${this.yearVersions.get(year) ?? 0}`;
  }

  /** The tallies of a year (kept: do not change them). */
  ofYear(year: number): Tally[] {
    const out: Tally[] = [];
    for (const t of this.tallies.values()) if (t.year === year) out.push(t);
    return out;
  }

  get(year: number, unitId: string): Tally | undefined {
    return this.tallies.get(tallyId(year, unitId));
  }

  /** A cadre's hours in a year (every unit they were counted under). */
  hoursOf(userId: string, year: number): number {
    return this.cadreHours.get(year)?.get(userId) ?? 0;
  }

  /** Years with any tally. */
  years(): number[] {
    return [...new Set([...this.tallies.values()].map((t) => t.year))].sort();
  }

  /**
   * Recomputes the tallies of `years` (default: every year of the ledger and of the tallies) from
   * the ledger and the users' units, compares them with the stored ones, writes those that differ
   * (and deletes stored tallies nothing backs), and replaces memory. Returns the differences.
   */
  async rebuild(opts: { years?: number[] } = {}): Promise<RebuildResult> {
    await this.ready();
    if (this.held) throw new Error('county.rebuild() | a rebuild is already running');
    this.held = [];
    let seen = new Set<string>();
    try {
      await this.idle();
      await Promise.all([...this.queued.values()]);
      await this.people.load();
      const filter = opts.years?.length ? { year: { $in: opts.years } } : {};
      const rows = await this.models.Ledger.find(filter, { userId: 1, year: 1, hours: 1, at: 1, topic: 1, category: 1, source: 1, trainingChannel: 1 }).lean<LedgerRow[]>();
      seen = new Set(rows.map((r) => r._id));
      const computed = new Map<string, Tally>();
      for (const r of rows) {
        const unitId = this.people.known(String(r.userId))?.unitId ?? null;
        const id = tallyId(r.year, unitId);
        let t = computed.get(id);
        if (!t) computed.set(id, (t = emptyTally(r.year, unitId || '-')));
        addEntry(t, this.facts(r));
      }
      const storedDocs = await this.models.CountyTally.find(filter).lean<TallyDoc[]>();
      const stored = new Map(storedDocs.map((d) => [d._id, fromDoc(d)]));
      const years = opts.years?.length ? [...opts.years].sort() : [...new Set([...rows.map((r) => r.year), ...storedDocs.map((d) => d.year)])].sort();
      const differences: Difference[] = [];
      const changed: string[] = [];
      for (const id of new Set([...stored.keys(), ...computed.keys()])) {
        const d = diffTallies(id, stored.get(id), computed.get(id));
        if (d.length) {
          differences.push(...d);
          changed.push(id);
        }
      }
      for (const id of [...this.tallies.keys()]) if (years.includes(this.tallies.get(id)!.year) && !computed.has(id)) this.tallies.delete(id);
      for (const [id, t] of computed) this.tallies.set(id, t);
      this.reindex();
      this.version++;
      this.loads++;
      await Promise.all(changed.map((id) => this.write(id)));
      this.log.info({ years, tallies: computed.size, differences: differences.length, repaired: changed.length }, 'county.rebuild() | tallies recomputed from the ledger');
      return { years, tallies: computed.size, differences };
    } finally {
      const held = this.held;
      this.held = null;
      this.seen = { ids: seen, until: this.now() + SEEN_KEEP_MS };
      for (const e of held) this.onEntry(e);
    }
  }
}
