/**
 * Effectiveness evaluation (实效测评), the pure rules: no I/O, unit-tested
 * (test/unit/quiz-rules.test.ts).
 * - A question is single choice (单选), multiple choice (多选) or true/false (判断); its key is the
 *   set of correct option indexes. A multiple-choice answer is right only when it is exactly the
 *   key (no partial credit).
 * - A question tied to a span of the lecture (随堂测验) unlocks when that span is in the cadre's
 *   watched union as the server credited it; a sliver at the edges (at most 1 s or 5 % of the
 *   span) may be missing, since credited coverage follows delivered segments.
 * - The end-of-lecture test (结课测试) unlocks at the completion threshold. Each attempt draws its
 *   own questions from the bank at random and shuffles each question's options; the draw is kept
 *   on the server and answers arrive as displayed positions, mapped back through it.
 * - Attempts: the first `mainAttempts` are the regular test (正考), the next `makeupAttempts` the
 *   make-up (补考); none after a pass.
 */
import { covered, intersect, type Interval } from '../study/intervals';

export const questionKinds = ['single', 'multi', 'judge'] as const;
export type QuestionKind = (typeof questionKinds)[number];

export interface QuestionFields {
  kind: QuestionKind;
  stem: string;
  options: string[];
  answer: number[];
  spanFrom: number | null;
  spanTo: number | null;
  explanation: string;
}

export interface BankSettings {
  /** The lecture's credit waits for a passed end test. */
  needsPass: boolean;
  /** Questions drawn per attempt (fewer when the bank is smaller). */
  drawCount: number;
  /** Percent of the drawn questions right to pass. */
  passPercent: number;
  mainAttempts: number;
  makeupAttempts: number;
}

export const defaultSettings: BankSettings = { needsPass: false, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 };

export const JUDGE_OPTIONS = ['正确', '错误'];
/** Uncovered seconds tolerated at a span's edges. */
const SPAN_SLACK_SEC = 1;
const SPAN_SLACK_SHARE = 0.05;

/** Is the span [from, to] in the watched union (all but a sliver)? */
export function spanWatched(union: readonly Interval[], from: number, to: number): boolean {
  if (!(to > from)) return false;
  const missing = to - from - covered(intersect(union, [[from, to]]));
  return missing <= Math.max(SPAN_SLACK_SEC, (to - from) * SPAN_SLACK_SHARE) + 1e-9;
}

export interface FieldProblem {
  field: string;
  code: string;
  zh: string;
  en: string;
}

/** What is wrong with a question, or [] (the lecture's duration bounds its span when known). */
export function questionProblems(q: QuestionFields, durationSec: number): FieldProblem[] {
  const out: FieldProblem[] = [];
  const p = (field: string, code: string, zh: string, en: string) => out.push({ field, code, zh, en });
  if (!q.stem.trim()) p('stem', 'QUIZ_STEM_REQUIRED', '题干不能为空', 'The question text is required');
  if (q.stem.length > 1000) p('stem', 'QUIZ_STEM_TOO_LONG', '题干不能超过 1000 字', 'The question text is longer than 1,000 characters');
  const min = q.kind === 'judge' ? 2 : q.kind === 'multi' ? 3 : 2;
  if (q.kind === 'judge' && q.options.length !== 2) p('options', 'QUIZ_JUDGE_OPTIONS', '判断题只有“正确”“错误”两个选项', 'A true/false question has exactly two options');
  else if (q.options.length < min || q.options.length > 8) p('options', 'QUIZ_OPTION_COUNT', `选项须为 ${min}–8 个`, `Give ${min} to 8 options`);
  if (q.options.some((o) => !o.trim() || o.length > 300)) p('options', 'QUIZ_OPTION_EMPTY', '选项不能为空,且不超过 300 字', 'Options cannot be empty or longer than 300 characters');
  if (new Set(q.options.map((o) => o.trim())).size !== q.options.length) p('options', 'QUIZ_OPTION_DUPLICATE', '选项不能重复', 'Options must differ');
  const keyOk = q.answer.length > 0 && q.answer.every((i) => Number.isInteger(i) && i >= 0 && i < q.options.length) && new Set(q.answer).size === q.answer.length;
  if (!keyOk) p('answer', 'QUIZ_ANSWER_INVALID', '答案须为已有选项', 'The answer must name existing options');
  else if (q.kind !== 'multi' && q.answer.length !== 1) p('answer', 'QUIZ_ANSWER_SINGLE', '单选题、判断题只有一个正确答案', 'Single-choice and true/false questions have one answer');
  else if (q.kind === 'multi' && q.answer.length < 2) p('answer', 'QUIZ_ANSWER_MULTI', '多选题至少有两个正确答案', 'A multiple-choice question has at least two answers');
  const hasFrom = q.spanFrom !== null;
  const hasTo = q.spanTo !== null;
  if (hasFrom !== hasTo) p('span', 'QUIZ_SPAN_INCOMPLETE', '关联片段须同时填写开始和结束时间', 'A span needs both a start and an end');
  else if (hasFrom && hasTo) {
    if (!(q.spanFrom! >= 0 && q.spanTo! > q.spanFrom!)) p('span', 'QUIZ_SPAN_ORDER', '片段结束时间须晚于开始时间', 'The span must end after it starts');
    else if (durationSec > 0 && q.spanTo! > durationSec + 1) p('span', 'QUIZ_SPAN_PAST_END', '片段超出了课程时长', 'The span runs past the end of the lecture');
  }
  if (q.explanation.length > 1000) p('explanation', 'QUIZ_EXPLANATION_TOO_LONG', '解析不能超过 1000 字', 'The explanation is longer than 1,000 characters');
  return out;
}

export function settingsProblem(s: BankSettings): FieldProblem | null {
  if (s.mainAttempts < 1) return { field: 'mainAttempts', code: 'QUIZ_ATTEMPTS', zh: '正考至少 1 次', en: 'At least one regular attempt' };
  return null;
}

/** Fisher–Yates on a copy, with the given source of randomness. */
export function shuffle<T>(list: readonly T[], random: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface DrawnItem {
  /** The question's id. */
  q: string;
  /** Displayed position -> the option's index in the bank. */
  order: number[];
}

/** One attempt's questions: `count` of the bank at random, each with its options shuffled (true/false keeps its order). */
export function drawQuestions(bank: readonly { id: string; kind: QuestionKind; options: readonly string[] }[], count: number, random: () => number): DrawnItem[] {
  return shuffle(bank, random)
    .slice(0, Math.max(0, Math.min(count, bank.length)))
    .map((q) => ({ q: q.id, order: q.kind === 'judge' ? q.options.map((_, i) => i) : shuffle(q.options.map((_, i) => i), random) }));
}

/** A deterministic source of randomness from a text seed (a span question's option order per cadre). */
export function seededRandom(seed: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Displayed positions chosen -> the bank's option indexes (positions out of range are dropped). */
export function toBankChoice(order: readonly number[], displayed: readonly number[]): number[] {
  return [...new Set(displayed.filter((i) => Number.isInteger(i) && i >= 0 && i < order.length).map((i) => order[i]!))].sort((a, b) => a - b);
}

/** Right only when the choice is exactly the key. */
export function isCorrect(key: readonly number[], choice: readonly number[]): boolean {
  if (key.length !== choice.length) return false;
  const k = new Set(key);
  return choice.every((c) => k.has(c));
}

export interface ScoredAnswer {
  q: string;
  choice: number[];
  correct: boolean;
}

/**
 * Scores an attempt: each drawn question once (answers to questions not drawn are ignored, an
 * unanswered question is wrong; a question gone from the bank since the draw counts as right).
 */
export function scoreAttempt(draw: readonly DrawnItem[], keys: ReadonlyMap<string, readonly number[]>, answers: readonly { questionId: string; choice: readonly number[] }[], passPercent: number) {
  const given = new Map(answers.map((a) => [a.questionId, a.choice]));
  const scored: ScoredAnswer[] = draw.map((item) => {
    const choice = toBankChoice(item.order, given.get(item.q) ?? []);
    const key = keys.get(item.q);
    return { q: item.q, choice, correct: key ? isCorrect(key, choice) : true };
  });
  const right = scored.filter((s) => s.correct).length;
  const total = scored.length;
  const score = total ? Math.round((right / total) * 100) : 100;
  return { answers: scored, right, total, score, passed: score >= passPercent };
}

export type Phase = 'main' | 'makeup';

/** Which test the n-th attempt (from 1) is, or null when none is left. */
export function phaseOf(n: number, s: Pick<BankSettings, 'mainAttempts' | 'makeupAttempts'>): Phase | null {
  if (n < 1) return null;
  if (n <= s.mainAttempts) return 'main';
  if (n <= s.mainAttempts + s.makeupAttempts) return 'makeup';
  return null;
}

export const maxAttempts = (s: Pick<BankSettings, 'mainAttempts' | 'makeupAttempts'>) => s.mainAttempts + s.makeupAttempts;

/** Does the lecture's credit wait for this cadre's pass? Only with questions to pass. */
export function creditWaits(s: Pick<BankSettings, 'needsPass'>, questionCount: number, passed: boolean): boolean {
  return s.needsPass && questionCount > 0 && !passed;
}
