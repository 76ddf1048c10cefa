/**
 * What a study record reads, and nothing else (it never writes study data). On FerretDB 1.24 only
 * `_id` reads are cheap (docs/store-on-ferretdb.md), so a record is: the user by `_id`, the
 * cadre's yearly summary by `user:year` (its `entries` list is the year's ledger ids, kept by
 * the credit ledger, the only writer), and each of those ledger entries by `_id`, a few at a time.
 * Units are a small collection read whole (org.service.ts); the cadres of a unit subtree come
 * from the unit report's rosters (reports/unit-rosters.ts), kept current on write.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { FlatNode } from '../org/org-tree';
import { OrgService } from '../org/org.service';
import type { Cadre } from '../reports/report-rules';
import { UnitRosters } from '../reports/unit-rosters';
import { eachLimited } from '../reports/each-limited';
import type { EntryFact } from './record-rules';

const PARALLEL = 8;
const ROSTER_KEEP_MS = 10 * 60_000;

export interface RecordUser {
  userId: string;
  username: string;
  displayName: string;
  role: string;
  rank: 'township' | 'county';
  unitId: string | null;
}

interface LedgerRow {
  _id: string;
  lectureId: Types.ObjectId;
  title?: string;
  at: Date;
  hours?: number;
  required?: boolean;
  source?: string;
}

export class StudyRecordRepository {
  private readonly org: OrgService;
  private readonly rosters: UnitRosters;

  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
  ) {
    this.org = new OrgService(models);
    this.rosters = new UnitRosters(models, ROSTER_KEEP_MS);
  }

  units(): Promise<FlatNode[]> {
    return this.org.flat();
  }

  async user(userId: string): Promise<RecordUser | null> {
    if (!Types.ObjectId.isValid(userId)) return null;
    const u = await this.models.User.findById(userId, { username: 1, displayName: 1, role: 1, rank: 1, orgUnitId: 1 }).lean();
    if (!u) return null;
    return { userId, username: u.username, displayName: u.displayName, role: u.role, rank: u.rank === 'county' ? 'county' : 'township', unitId: u.orgUnitId ? String(u.orgUnitId) : null };
  }

  /** The enabled cadres of these units. */
  cadresIn(unitIds: readonly string[]): Promise<Cadre[]> {
    return this.rosters.cadresIn(unitIds);
  }

  /** The cadre's ledger entries of the county year, as listed by their yearly summary. */
  async entries(userId: string, year: number): Promise<EntryFact[]> {
    const summary = await this.models.Summary.findById(`${userId}:${year}`, { entries: 1 }).lean();
    const ids = (summary?.entries ?? []) as string[];
    const out: EntryFact[] = [];
    await eachLimited(ids, PARALLEL, async (id) => {
      const r = await this.models.Ledger.findById(id, { lectureId: 1, title: 1, at: 1, hours: 1, required: 1, source: 1 }).lean<LedgerRow>();
      if (!r) return;
      out.push({ lectureId: String(r.lectureId), title: r.title ?? '', day: this.calendar.day(new Date(r.at).getTime()), hours: r.hours ?? 0, required: r.required === true, source: r.source ?? null });
    });
    return out;
  }
}
