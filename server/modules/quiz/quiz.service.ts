/**
 * A cadre's quizzes on a lecture (随堂测验 and 结课测试). Rules (quiz-rules.ts):
 * - what unlocks follows the watched union the study engine credited (never what the page says);
 * - keys never leave the server: a question goes out as its stem and options in a displayed order
 *   (per attempt for the test, per cadre for a span question); answers come back as displayed
 *   positions and are scored here;
 * - the end test's draw leaves out the span questions the cadre already answered (their reply
 *   told right or wrong), as long as the rest make a full draw;
 * - a span question is answered once (the result's `_id` is `span:user:question`) and the reply
 *   says only right or wrong; a test attempt says its score, never which answers were wrong;
 * - the n-th attempt is an insert with `_id` `user:lecture:n` (a second one cannot exist), its
 *   draw is stored with it, and an unsubmitted attempt is handed back as it was (no new draw by
 *   reloading); its result is an insert with the attempt's `_id` (two submissions cannot both
 *   count). Starts are serialised per cadre and lecture in this process.
 */
import { Types } from 'mongoose';
import type { CatalogService } from '../catalog/catalog.service';
import { progressOf } from '../study/intervals';
import type { StudyEngine } from '../study/study-engine';
import type { UserDoc } from '../users/user.model';
import { KeyedLock } from '../../store/keyed-lock';
import type { BankReads, EditorQuestion } from './bank.service';
import type { CreditHolds, CreditState } from './credit-hold';
import type { QuizAttemptDoc } from './quiz.model';
import { quizErrors } from './quiz-errors';
import { drawQuestions, isCorrect, maxAttempts, phaseOf, scoreAttempt, seededRandom, shuffle, spanWatched, toBankChoice, type DrawnItem, type Phase } from './quiz-rules';
import { attemptId, spanResultId, type AttemptRepository, type ResultRepository } from './repositories';

export interface ShownQuestion {
  id: string;
  kind: EditorQuestion['kind'];
  stem: string;
  options: string[];
}

export interface AttemptView {
  id: string;
  n: number;
  phase: Phase;
  startedAt: string;
  questions: ShownQuestion[];
}

const show = (q: EditorQuestion, order: readonly number[]): ShownQuestion => ({ id: q.id, kind: q.kind, stem: q.stem, options: order.map((i) => q.options[i]!) });
/** A span question's option order for one cadre: stable across views, different between cadres. */
const spanOrder = (userId: string, q: EditorQuestion) => (q.kind === 'judge' ? q.options.map((_, i) => i) : shuffle(q.options.map((_, i) => i), seededRandom(`${userId}:${q.id}`)));

export class QuizService {
  private readonly lock = new KeyedLock();

  constructor(
    private readonly deps: {
      bank: BankReads;
      attempts: AttemptRepository;
      results: ResultRepository;
      holds: CreditHolds;
      study: StudyEngine;
      catalog: CatalogService;
      random: () => number;
      now: () => number;
      /** Told of each scored test once (the yearly result's roll-up: server/modules/assessment). */
      onTested?: (r: { userId: string; lectureId: string; passed: boolean; at: number }) => Promise<void>;
    },
  ) {}

  /** The credited watched union, the lecture's length and whether the end test is open. */
  private async watched(userId: string, lectureId: string, fallbackDuration: number) {
    const { study } = this.deps;
    const p = await study.progressOf(userId, lectureId);
    const info = await study.content(await study.lecture(lectureId));
    const durationSec = info?.durationSec || p.durationSec || fallbackDuration;
    const progress = progressOf(p.intervals, durationSec);
    const threshold = study.policy.completionThreshold;
    return { intervals: p.intervals, durationSec, progress, threshold, completedAt: p.completedAt, endUnlocked: p.completedAt !== null || (durationSec > 0 && progress >= threshold) };
  }

  /** What the quiz panel shows a cadre. */
  async mine(user: UserDoc, lectureId: string) {
    const lecture = await this.deps.catalog.loadViewable(user, lectureId);
    const userId = String(user._id);
    const { bank, attempts, results, holds } = this.deps;
    const [questions, s, w] = [await bank.questionsOf(lectureId), await bank.settingsOf(lectureId), await this.watched(userId, lectureId, lecture.durationSec ?? 0)];
    const spans = [];
    for (const q of questions.filter((x) => x.spanFrom !== null && x.spanTo !== null)) {
      const unlocked = spanWatched(w.intervals, q.spanFrom!, q.spanTo!);
      const r = await results.find(spanResultId(userId, q.id));
      spans.push({ id: q.id, from: q.spanFrom!, to: q.spanTo!, unlocked, question: unlocked ? show(q, spanOrder(userId, q)) : undefined, answered: r ? { correct: Boolean(r.answers[0]?.correct) } : undefined });
    }
    const done = await attempts.ofCadre(userId, lectureId, Math.max(maxAttempts(s), 20));
    const history = [];
    let open: AttemptView | undefined;
    for (const a of done) {
      const r = await results.find(a._id);
      if (r) history.push({ n: a.n, phase: a.phase as Phase, score: r.score, passed: r.passed, at: new Date(r.at).toISOString() });
      else open = this.view(a, questions);
    }
    const passed = history.some((h) => h.passed);
    const used = done.length;
    let credit: CreditState = s.needsPass ? await holds.stateOf(userId, lectureId, w.completedAt ?? (w.endUnlocked ? this.deps.now() : null)) : { state: 'none' };
    // Passed but still held (the process stopped between the result and the credit): granted now.
    const lastPass = history.find((h) => h.passed);
    if (credit.state === 'held' && lastPass) credit = await holds.release(this.deps.study, userId, lectureId, attemptId(userId, lectureId, lastPass.n));
    return {
      lectureId,
      durationSec: w.durationSec,
      progress: w.progress,
      threshold: w.threshold,
      spans,
      test: {
        questionCount: questions.length,
        drawCount: Math.min(s.drawCount, questions.length),
        passPercent: s.passPercent,
        mainAttempts: s.mainAttempts,
        makeupAttempts: s.makeupAttempts,
        unlocked: w.endUnlocked,
        attemptsUsed: used,
        attemptsLeft: passed ? 0 : Math.max(0, maxAttempts(s) - used),
        nextPhase: passed ? undefined : (phaseOf(used + 1, s) ?? undefined),
        passed,
        history,
        open,
      },
      needsPass: s.needsPass && questions.length > 0,
      credit,
    };
  }

  private view(a: QuizAttemptDoc, questions: EditorQuestion[]): AttemptView {
    const byId = new Map(questions.map((q) => [q.id, q]));
    const shown = (a.items as DrawnItem[]).flatMap((it) => {
      const q = byId.get(it.q);
      return q ? [show(q, it.order)] : [];
    });
    return { id: a._id, n: a.n, phase: a.phase as Phase, startedAt: new Date(a.startedAt).toISOString(), questions: shown };
  }

  /** Answers a span question once; says only whether it was right. */
  async answerSpan(user: UserDoc, lectureId: string, questionId: string, displayed: number[]) {
    const lecture = await this.deps.catalog.loadViewable(user, lectureId);
    const userId = String(user._id);
    const q = (await this.deps.bank.questionsOf(lectureId)).find((x) => x.id === questionId && x.spanFrom !== null && x.spanTo !== null);
    if (!q) throw quizErrors.questionNotFound();
    const w = await this.watched(userId, lectureId, lecture.durationSec ?? 0);
    if (!spanWatched(w.intervals, q.spanFrom!, q.spanTo!)) throw quizErrors.locked();
    const choice = toBankChoice(spanOrder(userId, q), displayed);
    const correct = isCorrect(q.answer, choice);
    const fresh = await this.deps.results.insert({ _id: spanResultId(userId, q.id), kind: 'span', userId: user._id as Types.ObjectId, lectureId: new Types.ObjectId(lectureId), questionId: q.id, answers: [{ q: q.id, choice, correct }], right: correct ? 1 : 0, total: 1, score: correct ? 100 : 0, passed: correct, at: new Date(this.deps.now()) } as never);
    if (!fresh) throw quizErrors.alreadyAnswered();
    return { correct };
  }

  /** Starts the next attempt (or hands back the open one, same draw). */
  async start(user: UserDoc, lectureId: string): Promise<AttemptView> {
    const lecture = await this.deps.catalog.loadViewable(user, lectureId);
    const userId = String(user._id);
    return this.lock.run(`${userId}:${lectureId}`, async () => {
      const { bank, attempts, results } = this.deps;
      const questions = await bank.questionsOf(lectureId);
      if (!questions.length) throw quizErrors.noQuestions();
      const s = await bank.settingsOf(lectureId);
      const w = await this.watched(userId, lectureId, lecture.durationSec ?? 0);
      if (!w.endUnlocked) throw quizErrors.endLocked(Math.round(w.threshold * 100));
      const done = await attempts.ofCadre(userId, lectureId, Math.max(maxAttempts(s), 20));
      // An attempt not handed in is handed back as drawn; one passed ends the test.
      let passed = false;
      for (const a of done) {
        const r = await results.find(a._id);
        if (!r) return this.view(a, questions);
        passed ||= r.passed;
      }
      if (passed) throw quizErrors.alreadyPassed();
      const n = done.length + 1;
      const phase = phaseOf(n, s);
      if (!phase) throw quizErrors.noAttemptsLeft();
      // A span question the cadre answered has told them whether they were right (for 判断题, the
      // key): the test draws from the others while they are enough for a full draw.
      const answered = new Set<string>();
      for (const q of questions) if (q.spanFrom !== null && q.spanTo !== null && (await results.find(spanResultId(userId, q.id)))) answered.add(q.id);
      const unseen = questions.filter((q) => !answered.has(q.id));
      const pool = unseen.length >= Math.min(s.drawCount, questions.length) ? unseen : questions;
      const doc = { _id: attemptId(userId, lectureId, n), userId: user._id as Types.ObjectId, lectureId: new Types.ObjectId(lectureId), n, phase, items: drawQuestions(pool, s.drawCount, this.deps.random), passPercent: s.passPercent, startedAt: new Date(this.deps.now()) };
      if (!(await attempts.insert(doc as QuizAttemptDoc))) {
        const winner = await attempts.find(doc._id);
        if (winner) return this.view(winner, questions);
      }
      return this.view(doc as QuizAttemptDoc, questions);
    });
  }

  /** Scores an attempt on the server, once. */
  async submit(user: UserDoc, id: string, answers: { questionId: string; choice: number[] }[]) {
    const userId = String(user._id);
    const { bank, attempts, results, holds } = this.deps;
    const a = id.startsWith(`${userId}:`) ? await attempts.find(id) : null;
    if (!a || String(a.userId) !== userId) throw quizErrors.attemptNotFound();
    const lectureId = String(a.lectureId);
    const keys = new Map((await bank.questionsOf(lectureId)).map((q) => [q.id, q.answer]));
    const scored = scoreAttempt(a.items as DrawnItem[], keys, answers, a.passPercent);
    const fresh = await results.insert({ _id: a._id, kind: 'test', userId: a.userId, lectureId: a.lectureId, n: a.n, answers: scored.answers, right: scored.right, total: scored.total, score: scored.score, passed: scored.passed, at: new Date(this.deps.now()) } as never);
    if (!fresh) throw quizErrors.alreadySubmitted();
    await this.deps.onTested?.({ userId, lectureId, passed: scored.passed, at: this.deps.now() });
    const s = await bank.settingsOf(lectureId);
    let credit: CreditState = { state: 'none' };
    if (scored.passed) {
      holds.notePassed(userId, lectureId);
      if (s.needsPass) credit = await holds.release(this.deps.study, userId, lectureId, a._id);
    }
    return { attemptId: a._id, n: a.n, phase: a.phase as Phase, score: scored.score, right: scored.right, total: scored.total, passed: scored.passed, passPercent: a.passPercent, attemptsLeft: scored.passed ? 0 : Math.max(0, maxAttempts(s) - a.n), credit };
  }
}
