/**
 * What an evaluation answer is and what its readers may see. Pure, no I/O.
 * - A subject is `lecture:<id>` or `class:<id>`; an answer's id is an HMAC of the subject and the
 *   cadre under the portal's secret, so the store can refuse a second answer without keeping
 *   who gave it (and the ids cannot be tried against a list of cadres without the secret).
 * - Lecturers and class managers see the count always; means, histograms and the comments only
 *   from `minAnswers` answers (default 5): below that, one person's answer could be told apart.
 *   Comments come in the order of their ids (pseudo-random), never in the order given.
 */
import { createHmac } from 'node:crypto';
import { ratedItems, type RatedItem, type SubjectKind, type TallyDoc } from './evaluation.model';

export const subjectKey = (kind: SubjectKind, id: string) => `${kind}:${id}`;

export function answerId(secret: Buffer, subject: string, userId: string): string {
  return createHmac('sha256', secret).update(`${subject}\u0000${userId}`).digest('base64url');
}

export function evaluationKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('course-evaluation-answers').digest();
}

export interface ItemSummary {
  item: RatedItem;
  mean: number;
  histogram: number[];
}

export interface TallyView {
  count: number;
  minAnswers: number;
  /** Answers still needed before anything but the count is shown. */
  missing: number;
  items: ItemSummary[];
  comments: string[];
}

/** Adds one answer to a tally (a new object). */
export function addToTally(t: Pick<TallyDoc, 'count' | 'histograms' | 'comments'>, ratings: Record<RatedItem, number>, hasComment: boolean): Pick<TallyDoc, 'count' | 'histograms' | 'comments'> {
  const histograms: Partial<Record<RatedItem, number[]>> = {};
  for (const item of ratedItems) {
    const h = [...(t.histograms[item] ?? [0, 0, 0, 0, 0])];
    const r = ratings[item];
    h[r - 1] = (h[r - 1] ?? 0) + 1;
    histograms[item] = h;
  }
  return { count: t.count + 1, histograms, comments: t.comments + (hasComment ? 1 : 0) };
}

/** What a lecturer or manager sees of a tally and its comments. */
export function tallyView(t: Pick<TallyDoc, 'count' | 'histograms'> | null, comments: readonly string[], minAnswers: number): TallyView {
  const count = t?.count ?? 0;
  const shown = count >= minAnswers;
  return {
    count,
    minAnswers,
    missing: Math.max(0, minAnswers - count),
    items: shown
      ? ratedItems.map((item) => {
          const histogram = t?.histograms[item] ?? [0, 0, 0, 0, 0];
          const n = histogram.reduce((a, b) => a + b, 0);
          const mean = n ? histogram.reduce((a, c, i) => a + c * (i + 1), 0) / n : 0;
          return { item, mean: Math.round(mean * 100) / 100, histogram };
        })
      : [],
    comments: shown ? [...comments] : [],
  };
}
