/**
 * The enabled cadres of each organisation unit, kept in memory for the unit report and kept
 * current on write. A unit's cadres are read once (one query for all the units a report lacks);
 * afterwards every writer of users says which users it wrote (changeSignal 'users'), and before
 * the next answer those users alone are read again by `_id` and moved, added or dropped. A change
 * of unknown or many users (a roster import batch) forgets everything instead.
 *
 * Races: re-reads run one at a time, so an older read never lands after a newer one; a unit read
 * that a change overlapped keeps its rows but queues the changed users for a re-read. Units are
 * also forgotten after `keepMs`, for writers outside this process (a script on MongoDB).
 */
import { Types } from 'mongoose';
import { changeSignal } from '../../store/change-signal';
import type { Models } from '../../store/models';
import type { Cadre } from './report-rules';
import { eachLimited } from './each-limited';

/** More users changed at once than this: forget all units rather than re-read them one by one. */
const MAX_PATCH = 200;
const PARALLEL = 8;

interface UserRow {
  _id: Types.ObjectId;
  username: string;
  displayName: string;
  rank?: string | null;
  orgUnitId?: Types.ObjectId | null;
  disabled?: boolean | null;
  role?: string;
}

const PROJECTION = { username: 1, displayName: 1, rank: 1, orgUnitId: 1, disabled: 1, role: 1 };

function toCadre(r: UserRow): Cadre | null {
  if (r.role !== 'cadre' || r.disabled === true || !r.orgUnitId) return null;
  return { userId: String(r._id), username: r.username, displayName: r.displayName, rank: r.rank === 'county' ? 'county' : 'township', unitId: String(r.orgUnitId) };
}

export class UnitRosters {
  /** unit id -> (user id -> cadre), for the units read so far, with when they were read. */
  private readonly units = new Map<string, { at: number; cadres: Map<string, Cadre> }>();
  /** Users written since their units were read, to read again before the next answer. */
  private stale = new Set<string>();
  /** Changes so far, and the users of recent ones (null: unknown), for reads they overlapped. */
  private seq = 0;
  private recent: { seq: number; ids: readonly string[] | null }[] = [];
  private patching: Promise<void> = Promise.resolve();

  constructor(
    private readonly models: Models,
    private readonly keepMs: number,
    private readonly now: () => number = Date.now,
  ) {
    changeSignal(models, 'users').on('changed', (ids) => this.noteChange(ids));
  }

  private noteChange(ids: readonly string[] | null): void {
    this.seq += 1;
    this.recent.push({ seq: this.seq, ids: ids && ids.length <= MAX_PATCH ? ids : null });
    if (this.recent.length > 1000) this.recent = this.recent.slice(-500);
    if (!ids || ids.length > MAX_PATCH) {
      this.units.clear();
      this.stale.clear();
    } else {
      for (const id of ids) this.stale.add(id);
    }
  }

  /** The enabled cadres of the given units. */
  async cadresIn(unitIds: readonly string[]): Promise<Cadre[]> {
    await this.patch();
    const at = this.now();
    for (const [id, u] of this.units) if (at - u.at > this.keepMs) this.units.delete(id);
    const missing = unitIds.filter((id) => !this.units.has(id));
    const fresh = new Map<string, Map<string, Cadre>>(missing.map((id) => [id, new Map()]));
    if (missing.length) {
      const before = this.seq;
      const rows = await this.models.User.find({ orgUnitId: { $in: missing.map((id) => new Types.ObjectId(id)) }, role: 'cadre' }, PROJECTION).lean<UserRow[]>();
      for (const r of rows) {
        const c = toCadre(r);
        if (c) fresh.get(c.unitId)?.set(c.userId, c);
      }
      const overlapped = this.recent.filter((r) => r.seq > before);
      // Kept unless an unknown change overlapped the read; users changed meanwhile are read again.
      if (!overlapped.some((r) => r.ids === null)) {
        for (const [id, cadres] of fresh) this.units.set(id, { at, cadres });
        for (const r of overlapped) for (const id of r.ids ?? []) this.stale.add(id);
      }
    }
    return unitIds.flatMap((id) => [...(fresh.get(id) ?? this.units.get(id)?.cadres ?? new Map<string, Cadre>()).values()]);
  }

  /** Reads the stale users again and moves them between the kept units; one re-read at a time. */
  private patch(): Promise<void> {
    const run = this.patching.then(async () => {
      if (!this.stale.size) return;
      const ids = [...this.stale];
      this.stale = new Set();
      const rows = new Map<string, UserRow | null>();
      try {
        await eachLimited(ids, PARALLEL, async (id) => {
          rows.set(id, Types.ObjectId.isValid(id) ? await this.models.User.findById(id, PROJECTION).lean<UserRow>() : null);
        });
      } catch (err) {
        for (const id of ids) this.stale.add(id);
        throw err;
      }
      for (const [id, row] of rows) {
        for (const u of this.units.values()) u.cadres.delete(id);
        const c = row ? toCadre(row) : null;
        if (c) this.units.get(c.unitId)?.cadres.set(c.userId, c);
      }
    });
    this.patching = run.catch(() => {});
    return run;
  }
}
