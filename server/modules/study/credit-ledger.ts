/**
 * Completion and the credit ledger (学时台账). When a cadre's watched union of a piece of content
 * reaches the completion threshold, exactly one ledger entry is written per cadre, content and
 * county year (`_id` user:content:year; a live lecture and its replay are one content), and the
 * yearly summary adds it once (its `entries` list). Hours: the content's credit hours scaled by
 * the real time spent (2x playback earns half), then the daily and per-topic caps of the
 * cadre's rank. Year, month and day are the county's (TIME_ZONE), never the host's.
 * A cadre's completions and summary writes run one at a time (FerretDB updates are not atomic).
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import { insertIfAbsent, isDuplicateKey } from '../../store/errors';
import { KeyedLock } from '../../store/keyed-lock';
import { capCredit, defaultPolicies, earnedHours, type CreditPolicy } from './credit-rules';
import { covered, progressOf } from './intervals';
import type { LectureInfo, Progress } from './records';
import { SummaryRepository } from './repositories';

export interface LedgerEntry {
  _id: string;
  userId: Types.ObjectId;
  lectureId: Types.ObjectId;
  year: number;
  hours: number;
  required: boolean;
  category?: string;
  topic?: string;
  title?: string;
  at: Date;
  coveredSec?: number;
  wallSec?: number;
  source?: string;
  /** A training class's channel (source training; caravan = 干教大篷车). */
  trainingChannel?: string;
}

interface Log {
  info(obj: object, msg: string): void;
}

export class CreditLedger {
  private readonly policies = new Map<string, CreditPolicy>();
  private readonly lock = new KeyedLock();
  readonly summaries: SummaryRepository;
  /** `${userId}:${lectureId}:${year}` already listed in the yearly summary. */
  private readonly indexed = new Set<string>();
  /**
   * Set by the quiz module (server/modules/quiz): true holds a completion's credit (its lecture's
   * credit needs a passed test); the completion stays recorded and a later `checkCompletion`
   * (after the pass) writes the entry. Runs under the cadre's lock: it must not take it.
   */
  creditGate?: (userId: string, contentId: string, completedAtMs: number) => Promise<boolean>;

  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
    private readonly completionThreshold: number,
    private readonly log: Log,
    private readonly now: () => number,
    /** Called once per new ledger entry (xAPI). */
    private readonly onCredited: (entry: LedgerEntry, p: Progress) => Promise<void>,
  ) {
    this.summaries = new SummaryRepository(models);
  }

  /** Runs `fn` after every earlier call for the same user has finished (one portal process per store). */
  serialUser<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(`user:${userId}`, fn);
  }

  async creditPolicy(rank: string): Promise<CreditPolicy> {
    const key = rank === 'county' ? 'county' : 'township';
    const hit = this.policies.get(key);
    if (hit) return hit;
    const row = await this.models.Policy.findById(key).lean();
    const policy: CreditPolicy = row
      ? { rank: key, yearlyHours: row.yearlyHours ?? 0, windowYears: row.windowYears ?? 1, windowHours: row.windowHours ?? 0, requiredMinHours: row.requiredMinHours ?? 0, maxPerTopicHours: row.maxPerTopicHours ?? null, dailyCapHours: row.dailyCapHours ?? null }
      : defaultPolicies[key];
    this.policies.set(key, policy);
    return policy;
  }

  async setPolicy(policy: CreditPolicy) {
    // One write per rank at a time: concurrent upserts of one key can fail (E11000) or lose one on FerretDB.
    await this.lock.run(`policy:${policy.rank}`, () => this.models.Policy.updateOne({ _id: policy.rank }, { $set: { ...policy, updatedAt: new Date() } }, { upsert: true }));
    this.policies.set(policy.rank, policy);
  }

  /** Is the content complete (coverage at or above the threshold)? */
  reached(p: Progress): boolean {
    return p.durationSec > 0 && progressOf(p.intervals, p.durationSec) >= this.completionThreshold;
  }

  /** Writes the ledger entry once when complete; returns its hours, or undefined when not complete. */
  checkCompletion(p: Progress, info: LectureInfo | null): Promise<number | undefined> {
    return this.serialUser(p.userId, () => this.complete(p, info));
  }

  private async complete(p: Progress, info: LectureInfo | null): Promise<number | undefined> {
    if (!this.reached(p)) return undefined;
    const at = p.completedAt ?? this.now();
    const year = this.calendar.year(at);
    const ledgerId = `${p.userId}:${p.lectureId}:${year}`;
    if (p.completedAt === null) {
      p.completedAt = at;
      p.dirty = true;
    }
    const existing = await this.models.Ledger.findById(ledgerId).lean<LedgerEntry>();
    if (existing) {
      await this.rollUp(existing);
      return existing.hours;
    }
    if (this.creditGate && (await this.creditGate(p.userId, p.lectureId, at))) return undefined;
    const user = await this.models.User.findById(p.userId, { rank: 1 }).lean();
    if (!info || !user) return undefined;
    const policy = await this.creditPolicy(user.rank ?? 'township');
    const usage = await this.summaries.usage(p.userId, year);
    const usedToday = Number((usage?.byDay as Record<string, number> | undefined)?.[this.calendar.day(at)] ?? 0);
    const usedTopic = Number((usage?.byTopic as Record<string, number> | undefined)?.[info.topic || '-'] ?? 0);
    const coveredSec = covered(p.intervals);
    const hours = capCredit(earnedHours(info.creditHours, p.wallSec, coveredSec), policy, usedToday, usedTopic);
    const entry: LedgerEntry = {
      _id: ledgerId,
      userId: new Types.ObjectId(p.userId),
      lectureId: new Types.ObjectId(p.lectureId),
      year,
      hours,
      required: info.required,
      category: info.category,
      topic: info.topic,
      title: info.title,
      at: new Date(at),
      coveredSec,
      wallSec: p.wallSec,
      source: p.source ?? 'individual',
    };
    try {
      await this.models.Ledger.collection.insertOne(entry as never);
      this.log.info({ userId: p.userId, lectureId: p.lectureId, hours }, 'study.complete() | credit recorded');
      await this.onCredited(entry, p);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Someone else (a replay of the log) wrote it first: that entry stands.
      const winner = await this.models.Ledger.findById(ledgerId).lean<LedgerEntry>();
      if (winner) await this.rollUp(winner);
      return winner?.hours;
    }
    await this.rollUp(entry);
    return hours;
  }

  /** Adds a ledger entry to the cadre's yearly summary exactly once, in the county's month and day. */
  private async rollUp(entry: LedgerEntry) {
    const userId = String(entry.userId);
    const atMs = new Date(entry.at).getTime();
    await this.summaries.addEntry(userId, entry.year, entry._id, {
      total: entry.hours,
      [entry.required ? 'required' : 'elective']: entry.hours,
      [`byMonth.${this.calendar.month(atMs)}`]: entry.hours,
      [`byCategory.${entry.category ?? 'other'}`]: entry.hours,
      [`byTopic.${entry.topic || '-'}`]: entry.hours,
      [`byDay.${this.calendar.day(atMs)}`]: entry.hours,
    }, entry);
    await this.summaries.listYear(userId, entry.year);
  }

  /**
   * Credits hours earned away from the player (a training class's completion, approved external
   * training: server/modules/training) exactly once: the entry's `_id` decides (insert-if-absent),
   * and the yearly summary lists it once. Not capped per day or topic and not added to `byDay`
   * (those caps are for online study, which a class's hours must not use up). True when new.
   */
  creditOnce(entry: LedgerEntry): Promise<boolean> {
    return this.serialUser(String(entry.userId), async () => {
      const fresh = await insertIfAbsent(this.models.Ledger.collection.insertOne(entry as never));
      const stored = fresh ? entry : await this.models.Ledger.findById(entry._id).lean<LedgerEntry>();
      if (!stored) return false;
      const atMs = new Date(stored.at).getTime();
      await this.summaries.addEntry(String(stored.userId), stored.year, stored._id, {
        total: stored.hours,
        [stored.required ? 'required' : 'elective']: stored.hours,
        [`byMonth.${this.calendar.month(atMs)}`]: stored.hours,
        [`byCategory.${stored.category ?? 'other'}`]: stored.hours,
      }, stored);
      await this.summaries.listYear(String(stored.userId), stored.year);
      if (fresh) this.log.info({ userId: String(stored.userId), entry: stored._id, hours: stored.hours, source: stored.source }, 'ledger.creditOnce() | credit recorded');
      return fresh;
    });
  }

  /** Lists a studied lecture in the cadre's yearly summary and the year in their index, once per process. */
  async indexStudy(userId: string, lectureId: string, atMs: number): Promise<boolean> {
    const year = this.calendar.year(atMs);
    const key = `${userId}:${lectureId}:${year}`;
    if (this.indexed.has(key)) return false;
    await this.serialUser(userId, async () => {
      await this.summaries.addLecture(userId, year, lectureId);
      await this.summaries.listYear(userId, year);
    });
    if (this.indexed.size >= 100_000) this.indexed.clear();
    this.indexed.add(key);
    return true;
  }
}
