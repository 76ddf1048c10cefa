/**
 * "Credit needs a pass" (学时须测试合格后计入). When a lecture's policy says so and its bank has
 * questions, a cadre's completion is recorded as usual (the study engine keeps `completedAt` and
 * the watched union: nothing earned is lost) but the ledger entry waits: the ledger asks the gate
 * (CreditLedger.creditGate) and gets "hold". The hold is written once, with its reason, as
 * `QuizCreditHold` (`user:lecture:year`). A pass later asks the ledger again, which now writes the
 * entry exactly once (its own `_id` rule), and the hold is marked released with the passing
 * attempt and the hours. Whether a cadre passed is remembered in memory (this process writes
 * every result) and read from the results otherwise.
 */
import { LRUCache } from 'lru-cache';
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { StudyEngine } from '../study/study-engine';
import type { BankReads } from './bank.service';
import { creditWaits, maxAttempts } from './quiz-rules';
import { holdId, type AttemptRepository, type HoldRepository, type ResultRepository } from './repositories';

export const HOLD_REASON = 'quiz-pass-required';

interface Log {
  info(obj: object, msg: string): void;
}

export type CreditState = { state: 'none' } | { state: 'held'; since: string } | { state: 'granted'; hours: number | null; at: string };

export class CreditHolds {
  private readonly passed = new LRUCache<string, boolean>({ max: 200_000 });
  private readonly written = new Set<string>();

  constructor(
    private readonly deps: { bank: BankReads; attempts: AttemptRepository; results: ResultRepository; holds: HoldRepository; calendar: CountyCalendar; log: Log },
  ) {}

  /** Has the cadre passed the lecture's end test (any attempt)? */
  async hasPassed(userId: string, lectureId: string): Promise<boolean> {
    const key = `${userId}:${lectureId}`;
    const hit = this.passed.get(key);
    if (hit !== undefined) return hit;
    const s = await this.deps.bank.settingsOf(lectureId);
    let yes = false;
    for (const a of await this.deps.attempts.ofCadre(userId, lectureId, Math.max(maxAttempts(s), 20))) {
      if ((await this.deps.results.find(a._id))?.passed) {
        yes = true;
        break;
      }
    }
    this.passed.set(key, yes);
    return yes;
  }

  notePassed(userId: string, lectureId: string) {
    this.passed.set(`${userId}:${lectureId}`, true);
  }

  /** The ledger's gate: true holds the credit (and records why, once). */
  readonly gate = async (userId: string, contentId: string, completedAtMs: number): Promise<boolean> => {
    const s = await this.deps.bank.settingsOf(contentId);
    if (!s.needsPass) return false;
    const questions = await this.deps.bank.questionsOf(contentId);
    if (!creditWaits(s, questions.length, await this.hasPassed(userId, contentId))) return false;
    const id = holdId(userId, contentId, this.deps.calendar.year(completedAtMs));
    if (!this.written.has(id)) {
      const fresh = await this.deps.holds.insert({ _id: id, userId: new Types.ObjectId(userId), lectureId: new Types.ObjectId(contentId), year: this.deps.calendar.year(completedAtMs), reason: HOLD_REASON, heldAt: new Date(completedAtMs), releasedAt: null, releasedBy: null, hours: null });
      if (fresh) this.deps.log.info({ userId, lectureId: contentId }, 'quiz.gate() | credit held until the test is passed');
      if (this.written.size > 100_000) this.written.clear();
      this.written.add(id);
    }
    return true;
  };

  /** After a pass: the ledger writes the held credit (once); the hold is marked released. */
  async release(study: StudyEngine, userId: string, lectureId: string, attempt: string): Promise<CreditState> {
    this.notePassed(userId, lectureId);
    const info = await study.content(await study.lecture(lectureId));
    const p = await study.loadProgress(userId, info?.id ?? lectureId);
    // A progress replayed from the log may not know its length yet (the next beat sets it, as here).
    if (!p.durationSec && info?.durationSec) {
      p.durationSec = info.durationSec;
      p.dirty = true;
    }
    // Complete but not checked yet (a restart replayed it and no beat came since) counts too.
    if (p.completedAt === null && !study.ledger.reached(p)) return { state: 'none' };
    const hours = await study.ledger.checkCompletion(p, info);
    if (hours === undefined || p.completedAt === null) return { state: 'none' };
    const id = holdId(userId, p.lectureId, this.deps.calendar.year(p.completedAt));
    if (await this.deps.holds.release(id, attempt, hours ?? null, new Date())) {
      this.deps.log.info({ userId, lectureId, attempt, hours }, 'quiz.release() | held credit granted after a pass');
    }
    return { state: 'granted', hours: hours ?? null, at: new Date().toISOString() };
  }

  /**
   * The lecture's credit no longer waits (its policy was turned off, or its bank emptied): every
   * held credit of it is granted now, marked released with the reason.
   */
  async releaseAll(study: StudyEngine, lectureId: string): Promise<number> {
    let n = 0;
    for (const h of await this.deps.holds.heldFor(lectureId)) {
      const userId = String(h.userId);
      const p = await study.loadProgress(userId, lectureId);
      if (p.completedAt === null) continue;
      const hours = await study.ledger.checkCompletion(p, await study.content(await study.lecture(lectureId)));
      if (hours !== undefined && (await this.deps.holds.release(h._id, 'policy-changed', hours, new Date()))) n++;
    }
    if (n) this.deps.log.info({ lectureId, released: n }, 'quiz.releaseAll() | held credits granted: the lecture no longer needs a pass');
    return n;
  }

  /** What became of the credit of a completed lecture under this policy. */
  async stateOf(userId: string, lectureId: string, completedAt: number | null): Promise<CreditState> {
    if (completedAt === null) return { state: 'none' };
    const h = await this.deps.holds.find(holdId(userId, lectureId, this.deps.calendar.year(completedAt)));
    if (!h) return { state: 'none' };
    if (h.releasedAt) return { state: 'granted', hours: h.hours ?? null, at: new Date(h.releasedAt).toISOString() };
    return { state: 'held', since: new Date(h.heldAt).toISOString() };
  }
}
