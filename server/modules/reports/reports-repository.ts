/**
 * What a unit report reads (docs/store-on-ferretdb.md): the organisation units (a small
 * collection, read whole), the cadres of the units (one read), their yearly summaries (the
 * roll-ups the credit ledger keeps: ledger ids and lectures per cadre and year) and the ledger
 * entries those list. Progress records are never read; no read is made per cadre in turn.
 *
 * On FerretDB 1.24 any filter but `_id` alone decodes the whole collection, and an `$in` tests
 * every document against each of its values. So summaries and entries are read by `_id`, several
 * at a time (an index search each on the embedded store): the cost follows the unit, not the
 * county. Past a committee's size (1,000 cadre-years, 20,000 entries) they are read by year in
 * one query and picked in JS, which costs the collection once.
 *
 * Ledger entries are append-only and never change once written (credit-ledger.ts: one insert per
 * cadre, content and year), so they are kept in memory by `_id` once read: a report reads only the
 * entries it has not seen before.
 *
 * Kept on write, so a repeated report reads nothing but the units: each cadre-year's ledger ids and
 * lectures once read are kept and brought up to date by the summary repository's `changed` events
 * (the only writer of summaries; a read that overlaps a change is used but not kept); the cadres
 * of each unit are kept by unit-rosters.ts, which reads again only the users written since. Both
 * expire after KEEP_MS as well, for writers outside this process (a script on a production
 * MongoDB).
 */
import { Types } from 'mongoose';
import { LRUCache } from 'lru-cache';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { SummaryChange } from '../study/repositories';
import type { FlatNode, OrgKind } from '../org/org-tree';
import type { Cadre, CadreStudy, LedgerFact } from './report-rules';
import { UnitRosters } from './unit-rosters';
import { eachLimited } from './each-limited';

/** At most this many unseen entries (a large unit's year) are read by `_id`; more in one read of their years. */
const ONE_BY_ONE = 20_000;
/** Summaries of up to this many cadre-years are read by `_id`; more in one read of their years. */
const BULK_SUMMARIES = 1_000;
const PARALLEL = 8;
/** Entries kept in memory (~150 bytes each): a county's year is ~11,000 cadres x ~30 lectures. */
const CACHED_ENTRIES = 400_000;
/** Cadre-years kept (two county years). */
const CACHED_STUDIES = 25_000;
/** How long a kept roster or study is trusted without a change seen in this process. */
const KEEP_MS = 10 * 60_000;

interface LedgerRow {
  _id: string;
  lectureId: Types.ObjectId;
  title?: string;
  at: Date;
  hours: number;
  required?: boolean;
}

const LEDGER_PROJECTION = { lectureId: 1, title: 1, at: 1, hours: 1, required: 1 };

interface KeptStudy {
  entries: string[];
  lectures: string[];
}

export class ReportsRepository {
  private readonly facts = new LRUCache<string, LedgerFact>({ max: CACHED_ENTRIES });
  /** `${userId}:${year}` -> the summary's ledger ids and lectures (an absent summary: both empty). */
  private readonly studies = new LRUCache<string, KeptStudy>({ max: CACHED_STUDIES, ttl: KEEP_MS });
  /** Bumped per cadre-year on each change: a read that started before it is not kept. */
  private readonly studyChanges = new Map<string, number>();
  private changeCount = 0;
  private readonly rosters: UnitRosters;

  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
    summaries?: { on(event: 'changed', fn: (c: SummaryChange) => void): unknown },
  ) {
    this.rosters = new UnitRosters(models, KEEP_MS);
    summaries?.on('changed', (c) => this.noteSummaryChange(c));
  }

  /** Brings a kept cadre-year up to date with a write to its summary. */
  noteSummaryChange(c: SummaryChange): void {
    const key = `${c.userId}:${c.year}`;
    this.studyChanges.set(key, ++this.changeCount);
    if (this.studyChanges.size > CACHED_STUDIES * 2) this.studyChanges.clear();
    const kept = this.studies.get(key);
    if (!kept) return;
    if (c.entry && !kept.entries.includes(c.entry)) kept.entries.push(c.entry);
    if (c.lecture && !kept.lectures.includes(c.lecture)) kept.lectures.push(c.lecture);
  }

  /**
   * Reads a year's summaries and ledger entries once, in two queries, into what is kept (run
   * behind the start): the first committee-wide report after a start then reads nothing but its
   * roster, instead of thousands of entries one by one (26 s at load 7 on the demo county's
   * 73,000 entries; the two reads take a few seconds there, ~150 bytes kept per entry).
   */
  async warm(year: number): Promise<{ summaries: number; entries: number }> {
    const startedAt = this.changeCount;
    type Row = { _id: string; entries?: string[]; lectures?: string[] };
    const summaries = await this.models.Summary.find({ year }, { entries: 1, lectures: 1 }).lean<Row[]>();
    for (const r of summaries) {
      if ((this.studyChanges.get(r._id) ?? 0) > startedAt || this.studies.has(r._id)) continue;
      this.studies.set(r._id, { entries: [...(r.entries ?? [])], lectures: [...(r.lectures ?? [])] });
    }
    const rows = await this.models.Ledger.find({ year }, LEDGER_PROJECTION).lean<LedgerRow[]>();
    for (const r of rows) this.facts.set(r._id, this.factOf(r));
    return { summaries: summaries.length, entries: rows.length };
  }

  private factOf(r: LedgerRow): LedgerFact {
    return { id: r._id, lectureId: String(r.lectureId), title: r.title ?? '', day: this.calendar.day(new Date(r.at).getTime()), hours: r.hours ?? 0, required: r.required === true };
  }

  /** Every organisation unit (a few hundred in a county: one read, the tree is cut in memory). */
  async units(): Promise<FlatNode[]> {
    const rows = await this.models.OrgUnit.find({}, { name: 1, kind: 1, parentId: 1 }).lean();
    return rows.map((r) => ({ id: String(r._id), name: r.name, kind: r.kind as OrgKind, parentId: r.parentId ? String(r.parentId) : null }));
  }

  /** The enabled cadres of the given units (unit-rosters.ts: kept, and current on write). */
  cadresIn(unitIds: readonly string[]): Promise<Cadre[]> {
    return this.rosters.cadresIn(unitIds);
  }

  /** Ledger ids and studied lectures of each cadre over the given years, from their yearly summaries. */
  async studyOf(userIds: readonly string[], years: readonly number[]): Promise<Map<string, CadreStudy>> {
    const out = new Map<string, CadreStudy>();
    const add = (userId: string, kept: KeptStudy) => {
      const s = out.get(userId) ?? { entries: [], lectures: [] };
      s.entries.push(...kept.entries);
      for (const l of kept.lectures) if (!s.lectures.includes(l)) s.lectures.push(l);
      out.set(userId, s);
    };
    const unread: string[] = [];
    for (const u of userIds) {
      for (const y of years) {
        const kept = this.studies.get(`${u}:${y}`);
        if (kept) add(u, kept);
        else unread.push(`${u}:${y}`);
      }
    }
    if (!unread.length) return out;
    const startedAt = this.changeCount;
    const read = await this.readSummaries(unread, years);
    for (const id of unread) {
      const kept = read.get(id) ?? { entries: [], lectures: [] };
      // Changed while being read: used now, read again next time.
      if ((this.studyChanges.get(id) ?? 0) <= startedAt) this.studies.set(id, { entries: [...kept.entries], lectures: [...kept.lectures] });
      add(id.slice(0, id.indexOf(':')), kept);
    }
    return out;
  }

  /** Summaries by `${userId}:${year}` id: one by one for a unit, in one read of the years past a committee. */
  private async readSummaries(ids: readonly string[], years: readonly number[]): Promise<Map<string, KeptStudy>> {
    const out = new Map<string, KeptStudy>();
    const projection = { entries: 1, lectures: 1 };
    type Row = { _id: string; entries?: string[]; lectures?: string[] };
    let rows: Row[] = [];
    if (ids.length > BULK_SUMMARIES) {
      const wanted = new Set(ids);
      rows = (await this.models.Summary.find({ year: { $in: [...years] } }, projection).lean<Row[]>()).filter((r) => wanted.has(r._id));
    } else {
      await eachLimited(ids, PARALLEL, async (id) => {
        const r = await this.models.Summary.findById(id, projection).lean<Row>();
        if (r) rows.push(r);
      });
    }
    for (const r of rows) out.set(r._id, { entries: r.entries ?? [], lectures: r.lectures ?? [] });
    return out;
  }

  /** The ledger entries with these ids (those that exist), from memory where already read. */
  async ledger(ids: readonly string[]): Promise<Map<string, LedgerFact>> {
    const out = new Map<string, LedgerFact>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.facts.get(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    const projection = LEDGER_PROJECTION;
    const keep = (r: LedgerRow) => {
      const fact = this.factOf(r);
      this.facts.set(r._id, fact);
      out.set(r._id, fact);
    };
    if (missing.length > ONE_BY_ONE) {
      // By year, kept in JS: FerretDB tests every document against each value of an `$in`, so
      // thousands of ids cost far more than decoding the year's entries once.
      const wanted = new Set(missing);
      const years = [...new Set(missing.map((id) => Number(id.slice(id.lastIndexOf(':') + 1))))];
      const rows = await this.models.Ledger.find({ year: { $in: years } }, projection).lean<LedgerRow[]>();
      rows.filter((r) => wanted.has(r._id)).forEach(keep);
    } else {
      await eachLimited(missing, PARALLEL, async (id) => {
        const r = await this.models.Ledger.findById(id, projection).lean<LedgerRow>();
        if (r) keep(r);
      });
    }
    return out;
  }
}
