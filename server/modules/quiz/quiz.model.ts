/**
 * Effectiveness evaluation (实效测评), issue 18. Shaped by FerretDB 1.24 (docs/store-on-ferretdb.md):
 * - QuizBank: `_id` = the lecture's id; its policy (needs a pass, draw size, pass mark, 正考 and
 *   补考 attempts). Written by the lecture's editors under `quiz-bank:<id>` of the store's lock.
 * - QuizQuestion: one per question of a lecture's bank; read per lecture and cached.
 * - QuizAttempt: `_id` = `user:lecture:n`, inserted when the n-th attempt starts, with its draw
 *   (questions and option orders): the primary key makes a second n-th attempt impossible.
 * - QuizResult: `_id` = the attempt's id (`span:user:question` for a span question's one answer),
 *   inserted at submission: two submissions of one attempt cannot both be scored.
 * - QuizCreditHold: `_id` = `user:lecture:year`, a completion whose credit waits for a pass, with
 *   the reason; `releasedAt` and the passing attempt once the credit was granted.
 * Intervals and options are never nested arrays (FerretDB refuses them).
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';
import { questionKinds } from './quiz-rules';

const bankSchema = new Schema({
  _id: { type: String, required: true },
  needsPass: { type: Boolean, default: false },
  drawCount: { type: Number, default: 5 },
  passPercent: { type: Number, default: 60 },
  mainAttempts: { type: Number, default: 1 },
  makeupAttempts: { type: Number, default: 1 },
  updatedAt: { type: Date },
  updatedBy: { type: Schema.Types.ObjectId },
});

const questionSchema = new Schema(
  {
    lectureId: { type: Schema.Types.ObjectId, required: true, index: true },
    kind: { type: String, enum: questionKinds, required: true },
    stem: { type: String, required: true },
    options: { type: [String], default: [] },
    answer: { type: [Number], default: [] },
    spanFrom: { type: Number, default: null },
    spanTo: { type: Number, default: null },
    explanation: { type: String, default: '' },
    createdBy: { type: Schema.Types.ObjectId },
  },
  { timestamps: true },
);

const drawnSchema = new Schema({ q: { type: String, required: true }, order: { type: [Number], default: [] } }, { _id: false });

const attemptSchema = new Schema({
  _id: { type: String, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  n: { type: Number, required: true },
  phase: { type: String, enum: ['main', 'makeup'], required: true },
  items: { type: [drawnSchema], default: [] },
  passPercent: { type: Number, required: true },
  startedAt: { type: Date, required: true },
});

const scoredSchema = new Schema({ q: String, choice: { type: [Number], default: [] }, correct: Boolean }, { _id: false });

const resultSchema = new Schema({
  _id: { type: String, required: true },
  kind: { type: String, enum: ['test', 'span'], required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  n: { type: Number },
  questionId: { type: String },
  answers: { type: [scoredSchema], default: [] },
  right: { type: Number, default: 0 },
  total: { type: Number, default: 0 },
  score: { type: Number, default: 0 },
  passed: { type: Boolean, default: false },
  at: { type: Date, required: true },
});

const holdSchema = new Schema({
  _id: { type: String, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  year: { type: Number, required: true },
  reason: { type: String, required: true },
  heldAt: { type: Date, required: true },
  releasedAt: { type: Date, default: null },
  releasedBy: { type: String, default: null },
  hours: { type: Number, default: null },
});

export type QuizBankDoc = InferSchemaType<typeof bankSchema> & { _id: string };
export type QuizQuestionDoc = InferSchemaType<typeof questionSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type QuizAttemptDoc = InferSchemaType<typeof attemptSchema> & { _id: string };
export type QuizResultDoc = InferSchemaType<typeof resultSchema> & { _id: string };
export type QuizCreditHoldDoc = InferSchemaType<typeof holdSchema> & { _id: string };

export function defineQuizModels(conn: Connection) {
  return {
    QuizBank: conn.model('QuizBank', bankSchema) as Model<InferSchemaType<typeof bankSchema>>,
    QuizQuestion: conn.model('QuizQuestion', questionSchema) as Model<InferSchemaType<typeof questionSchema>>,
    QuizAttempt: conn.model('QuizAttempt', attemptSchema) as Model<InferSchemaType<typeof attemptSchema>>,
    QuizResult: conn.model('QuizResult', resultSchema) as Model<InferSchemaType<typeof resultSchema>>,
    QuizCreditHold: conn.model('QuizCreditHold', holdSchema) as Model<InferSchemaType<typeof holdSchema>>,
  };
}
