/**
 * Every user's unit, rank and name, in memory, for the county tallies (which unit a credit counts
 * under) and compliance (the enabled cadres of each unit). Read whole once at start (one query:
 * FerretDB decodes every user for any filter but `_id`); afterwards writers of users say which
 * users they wrote (changeSignal 'users', as unit-rosters.ts), and those alone are read again by
 * `_id`; a change of unknown users, or `maxAgeMs` passing, reads everyone again behind the answers.
 * A credit of a user not yet known (inserted by a script or a test) reads that user by `_id`.
 */
import { Types } from 'mongoose';
import { changeSignal } from '../../store/change-signal';
import type { Models } from '../../store/models';

export interface Person {
  userId: string;
  name: string;
  rank: 'township' | 'county';
  unitId: string | null;
  /** An enabled cadre: counted for compliance. */
  cadre: boolean;
}

interface UserRow {
  _id: Types.ObjectId;
  displayName?: string;
  username?: string;
  rank?: string | null;
  orgUnitId?: Types.ObjectId | null;
  disabled?: boolean | null;
  role?: string;
}

const PROJECTION = { username: 1, displayName: 1, rank: 1, orgUnitId: 1, disabled: 1, role: 1 };

function toPerson(r: UserRow): Person {
  return {
    userId: String(r._id),
    name: r.displayName || r.username || '',
    rank: r.rank === 'county' ? 'county' : 'township',
    unitId: r.orgUnitId ? String(r.orgUnitId) : null,
    cadre: r.role === 'cadre' && r.disabled !== true && Boolean(r.orgUnitId),
  };
}

export class CountyPeople {
  private byId = new Map<string, Person>();
  /** unit id -> enabled cadres' ids. */
  private byUnit = new Map<string, Set<string>>();
  private loadedAt = 0;
  private reloading: Promise<void> | null = null;
  private stale = new Set<string>();
  private unknownChange = false;
  /** Goes up whenever a kept user changes (answers built from them are kept per version). */
  version = 0;

  constructor(
    private readonly models: Models,
    private readonly maxAgeMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    changeSignal(models, 'users').on('changed', (ids) => {
      if (!ids || ids.length > 200) this.unknownChange = true;
      else for (const id of ids) this.stale.add(id);
    });
  }

  /** Reads every user (at start, and by `rebuild`). */
  async load(): Promise<void> {
    this.unknownChange = false;
    this.stale.clear();
    const rows = await this.models.User.find({}, PROJECTION).lean<UserRow[]>();
    const byId = new Map<string, Person>();
    for (const r of rows) byId.set(String(r._id), toPerson(r));
    this.byId = byId;
    this.byUnit = new Map();
    for (const p of byId.values()) this.index(p);
    this.loadedAt = this.now();
    this.version++;
  }

  private index(p: Person) {
    if (!p.cadre || !p.unitId) return;
    let set = this.byUnit.get(p.unitId);
    if (!set) this.byUnit.set(p.unitId, (set = new Set()));
    set.add(p.userId);
  }

  private put(p: Person | null, id: string) {
    this.version++;
    const old = this.byId.get(id);
    if (old?.unitId) this.byUnit.get(old.unitId)?.delete(id);
    if (p) {
      this.byId.set(id, p);
      this.index(p);
    } else this.byId.delete(id);
  }

  /**
   * Brings the kept users up to date: changed ones read again, everyone when unknown or old.
   * `complete`: wait for that full read too (a reminder must reach the cadres a roster import just
   * added); otherwise, once something is loaded, the answer never waits for 11,000 users.
   */
  async fresh(opts: { complete?: boolean } = {}): Promise<void> {
    if (this.unknownChange || this.now() - this.loadedAt > this.maxAgeMs) {
      this.reloading ??= this.load().finally(() => (this.reloading = null));
      if (this.loadedAt === 0 || opts.complete) await this.reloading;
      else void this.reloading.catch(() => {});
    } else if (opts.complete && this.reloading) {
      await this.reloading;
    }
    if (!this.stale.size) return;
    const ids = [...this.stale];
    this.stale.clear();
    for (const id of ids) await this.refresh(id);
  }

  private async refresh(id: string) {
    if (!Types.ObjectId.isValid(id)) return;
    const row = await this.models.User.findById(id, PROJECTION).lean<UserRow>();
    this.put(row ? toPerson(row) : null, id);
  }

  /** The user, read by `_id` when not known yet. */
  async person(userId: string): Promise<Person | null> {
    const hit = this.byId.get(userId);
    if (hit && !this.stale.has(userId)) return hit;
    this.stale.delete(userId);
    await this.refresh(userId);
    return this.byId.get(userId) ?? null;
  }

  known(userId: string): Person | undefined {
    return this.byId.get(userId);
  }

  /** Enabled cadres of the units given. */
  cadresIn(unitIds: Iterable<string>): Person[] {
    const out: Person[] = [];
    for (const u of unitIds) for (const id of this.byUnit.get(u) ?? []) out.push(this.byId.get(id)!);
    return out;
  }

  /** Every user (the rebuild's view of units). */
  all(): Iterable<Person> {
    return this.byId.values();
  }
}
