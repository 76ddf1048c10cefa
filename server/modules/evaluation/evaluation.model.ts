/**
 * Course and class evaluations (教学评估), issue 18. Shaped by FerretDB 1.24 and by anonymity:
 * - CourseEvaluation: one answer per cadre and subject (a recorded or live lecture, a training
 *   class). Its `_id` is an HMAC of subject and cadre (evaluation-rules.ts answerId): a second
 *   answer of the same cadre is refused by the primary key, and nothing stored says who answered.
 * - EvaluationTally: the subject's roll-up (count, sum and histogram per rated item), changed on
 *   write under the subject's key of the store's lock (FerretDB's $inc is not atomic); lecturers
 *   and class managers read only this and, from a minimum number of answers, the comments.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const subjectKinds = ['lecture', 'class'] as const;
export type SubjectKind = (typeof subjectKinds)[number];
/** The rated items, each 1–5: 内容 (content), 讲师 (lecturer), 实用 (usefulness). */
export const ratedItems = ['content', 'lecturer', 'usefulness'] as const;
export type RatedItem = (typeof ratedItems)[number];

const ratings = new Schema({ content: Number, lecturer: Number, usefulness: Number }, { _id: false });

const evaluationSchema = new Schema({
  _id: { type: String, required: true },
  subject: { type: String, required: true, index: true },
  ratings: { type: ratings, required: true },
  comment: { type: String, default: '' },
  year: { type: Number, required: true },
});

const tallySchema = new Schema({
  _id: { type: String, required: true },
  count: { type: Number, default: 0 },
  /** Per item: [n of 1, n of 2, …, n of 5]. */
  histograms: { type: Schema.Types.Mixed, default: {} },
  comments: { type: Number, default: 0 },
  updatedAt: { type: Date, default: null },
});

export type EvaluationDoc = InferSchemaType<typeof evaluationSchema>;
export type TallyDoc = { _id: string; count: number; histograms: Partial<Record<RatedItem, number[]>>; comments: number; updatedAt: Date | null };

export function defineEvaluationModels(conn: Connection) {
  return {
    CourseEvaluation: conn.model('CourseEvaluation', evaluationSchema) as Model<InferSchemaType<typeof evaluationSchema>>,
    EvaluationTally: conn.model('EvaluationTally', tallySchema) as unknown as Model<TallyDoc>,
  };
}
