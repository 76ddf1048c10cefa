/**
 * The yearly result's two collections, with the FerretDB workarounds in one place
 * (docs/store-on-ferretdb.md): everything is read by `_id`; a roll-up is created by an insert
 * whose `_id` decides (insertIfAbsent) and then changed by a read-modify-write under its key of
 * the store's lock, adding an id only when absent, so 30 concurrent passes all count and a
 * repeated note counts once. Roll-ups are kept in memory once read and brought up to date by the
 * writes made here (the only writer in this process); a read that overlaps a write is used but
 * not kept, and kept ones expire after KEEP_MS for writers outside this process.
 */
import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import { insertIfAbsent } from '../../store/errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import { eachLimited } from '../reports/each-limited';
import type { AssessmentRuleDoc, AssessmentYearDoc } from './assessment.model';
import { DEFAULT_RULE, type AssessmentRule } from './assessment-rules';

const KEEP_MS = 10 * 60_000;
const CACHED_YEARS = 25_000;
const PARALLEL = 8;

export type RollupField = 'quizzesTaken' | 'quizzesPassed' | 'classes';

export interface Rollup {
  quizzesTaken: string[];
  quizzesPassed: string[];
  classes: string[];
}

const EMPTY: Rollup = { quizzesTaken: [], quizzesPassed: [], classes: [] };
export const rollupId = (userId: string, year: number) => `${userId}:${year}`;

export class RuleRepository {
  private readonly kept = new LRUCache<number, { rule: AssessmentRule; custom: boolean; updatedAt: string | null }>({ max: 50, ttl: KEEP_MS });

  constructor(private readonly models: Models) {}

  /** The year's rule, or the default (custom: false). */
  async of(year: number): Promise<{ rule: AssessmentRule; custom: boolean; updatedAt: string | null }> {
    const hit = this.kept.get(year);
    if (hit) return hit;
    const row = await this.models.AssessmentRule.findById(String(year)).lean<AssessmentRuleDoc>();
    const out = row
      ? {
          rule: {
            hoursWeight: row.hoursWeight,
            quizWeight: row.quizWeight,
            classWeight: row.classWeight,
            quizTarget: row.quizTarget,
            classTarget: row.classTarget,
            hoursMust: row.hoursMust,
            minQuizzes: row.minQuizzes ?? 0,
            minClasses: row.minClasses ?? 0,
            excellentScore: row.excellentScore,
            passScore: row.passScore,
          },
          custom: true,
          updatedAt: row.updatedAt ? new Date(row.updatedAt).toISOString() : null,
        }
      : { rule: { ...DEFAULT_RULE }, custom: false, updatedAt: null };
    this.kept.set(year, out);
    return out;
  }

  async save(year: number, rule: AssessmentRule, by: Types.ObjectId, at: Date) {
    return storeLock(this.models).run(`assessment-rule:${year}`, async () => {
      await this.models.AssessmentRule.replaceOne({ _id: String(year) }, { year, ...rule, updatedAt: at, updatedBy: by }, { upsert: true });
      this.kept.delete(year);
      return this.of(year);
    });
  }
}

export class RollupRepository {
  private readonly kept = new LRUCache<string, Rollup>({ max: CACHED_YEARS, ttl: KEEP_MS });
  private readonly writes = new Map<string, number>();
  private writeCount = 0;

  constructor(private readonly models: Models) {}

  private async read(id: string): Promise<Rollup> {
    const r = await this.models.AssessmentYear.findById(id, { quizzesTaken: 1, quizzesPassed: 1, classes: 1 }).lean<AssessmentYearDoc>();
    return r ? { quizzesTaken: [...(r.quizzesTaken ?? [])], quizzesPassed: [...(r.quizzesPassed ?? [])], classes: [...(r.classes ?? [])] } : { ...EMPTY };
  }

  /** The roll-ups with these `user:year` ids (an absent one is empty), from memory where kept. */
  async many(ids: readonly string[]): Promise<Map<string, Rollup>> {
    const out = new Map<string, Rollup>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.kept.get(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    const startedAt = this.writeCount;
    await eachLimited(missing, PARALLEL, async (id) => {
      const r = await this.read(id);
      if ((this.writes.get(id) ?? 0) <= startedAt) this.kept.set(id, r);
      out.set(id, r);
    });
    return out;
  }

  /**
   * Adds `value` to the given lists of the cadre-year once; true when something was added.
   * Serialised per document (read, then insert or update by `_id` alone).
   */
  add(userId: string, year: number, fields: readonly RollupField[], value: string, at: Date): Promise<boolean> {
    const id = rollupId(userId, year);
    return storeLock(this.models).run(`assessment-year:${id}`, async () => {
      const { AssessmentYear } = this.models;
      let current: Rollup | null = null;
      const row = await AssessmentYear.findById(id).lean<AssessmentYearDoc>();
      if (!row) {
        const fresh: Rollup = { quizzesTaken: [], quizzesPassed: [], classes: [] };
        for (const f of fields) fresh[f].push(value);
        if (await insertIfAbsent(AssessmentYear.collection.insertOne({ _id: id, userId, year, ...fresh, updatedAt: at } as never))) {
          this.noteWrite(id, fresh);
          return true;
        }
        current = await this.read(id);
      } else {
        current = { quizzesTaken: [...(row.quizzesTaken ?? [])], quizzesPassed: [...(row.quizzesPassed ?? [])], classes: [...(row.classes ?? [])] };
      }
      const change: Partial<Rollup> = {};
      for (const f of fields) if (!current[f].includes(value)) change[f] = [...current[f], value];
      if (!Object.keys(change).length) {
        this.noteWrite(id, current);
        return false;
      }
      await AssessmentYear.updateOne({ _id: id }, { $set: { ...change, updatedAt: at } });
      this.noteWrite(id, { ...current, ...change });
      return true;
    });
  }

  private noteWrite(id: string, r: Rollup) {
    this.writes.set(id, ++this.writeCount);
    if (this.writes.size > CACHED_YEARS * 2) this.writes.clear();
    this.kept.set(id, r);
  }
}
