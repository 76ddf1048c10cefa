/**
 * What a lecturer learns about a lecture from verified watching and from its tests. Pure, no I/O.
 * - Retention (留存曲线): for each minute of the lecture, how many cadres' credited watched
 *   unions (the server's, never a client's claim) cover at least half of that minute. The first
 *   minute's count is the audience; a fall shows where it is lost.
 * - Per question: how many answered it in end tests and how many right (difficulty, P), and how
 *   well it separates strong and weak results (discrimination, D = P of the upper 27 % by test
 *   score − P of the lower 27 %; shown from MIN_FOR_D results that drew it, else null).
 */
import type { Interval } from '../study/intervals';

export const MIN_FOR_D = 10;

/** Flat [a0, b0, a1, b1, …] (as stored) to intervals. */
export function pairs(flat: readonly number[]): Interval[] {
  const out: Interval[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** Viewers per minute: minute m counts a cadre whose union covers ≥ half of [60m, 60(m+1)) ∩ [0, duration). */
export function retention(unions: readonly (readonly Interval[])[], durationSec: number): number[] {
  const minutes = Math.max(1, Math.ceil(durationSec / 60));
  const counts = new Array<number>(minutes).fill(0);
  for (const union of unions) {
    const seen = new Array<number>(minutes).fill(0);
    for (const [a, b] of union) {
      const lo = Math.max(0, a);
      const hi = Math.min(durationSec, b);
      for (let m = Math.floor(lo / 60); m < minutes && m * 60 < hi; m++) seen[m]! += Math.max(0, Math.min(hi, (m + 1) * 60) - Math.max(lo, m * 60));
    }
    for (let m = 0; m < minutes; m++) {
      const len = Math.min(durationSec, (m + 1) * 60) - m * 60;
      if (len > 0 && seen[m]! >= len / 2) counts[m]!++;
    }
  }
  return counts;
}

export interface TestResult {
  score: number;
  answers: readonly { q: string; correct: boolean }[];
}

export interface QuestionFigures {
  questionId: string;
  answered: number;
  right: number;
  /** Share answered right (0..1), null when nobody answered. */
  difficulty: number | null;
  /** Upper-27 % share right minus lower-27 % share right, null below MIN_FOR_D results. */
  discrimination: number | null;
}

export function questionFigures(questionIds: readonly string[], results: readonly TestResult[]): QuestionFigures[] {
  const sorted = [...results].sort((a, b) => b.score - a.score);
  const k = Math.max(1, Math.round(sorted.length * 0.27));
  const upper = sorted.slice(0, k);
  const lower = sorted.slice(-k);
  const shareRight = (group: readonly TestResult[], id: string) => {
    const hits = group.flatMap((r) => r.answers.filter((a) => a.q === id));
    return hits.length ? hits.filter((a) => a.correct).length / hits.length : null;
  };
  return questionIds.map((id) => {
    const all = results.flatMap((r) => r.answers.filter((a) => a.q === id));
    const right = all.filter((a) => a.correct).length;
    const drew = results.filter((r) => r.answers.some((a) => a.q === id)).length;
    const pu = shareRight(upper, id);
    const pl = shareRight(lower, id);
    return {
      questionId: id,
      answered: all.length,
      right,
      difficulty: all.length ? Math.round((right / all.length) * 100) / 100 : null,
      discrimination: drew >= MIN_FOR_D && pu !== null && pl !== null ? Math.round((pu - pl) * 100) / 100 : null,
    };
  });
}
