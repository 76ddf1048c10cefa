/**
 * The yearly result's documents (实效测评), shaped by FerretDB 1.24 (docs/store-on-ferretdb.md):
 * - AssessmentRule: `_id` = the county year ('2026'); the organisation department's rule for it
 *   (assessment-rules.ts), replaced whole under the store's lock. A year without one uses the default.
 * - AssessmentYear: `_id` = `user:year`, the roll-up kept on write of what a cadre did that year
 *   beside their hours: the lectures whose end test they handed in and passed, the classes they
 *   completed. The ids themselves are kept, so noting one twice changes nothing (idempotent), and
 *   each write is a read-modify-write under `assessment-year:<_id>` (updates are not atomic).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

const ruleSchema = new Schema({
  _id: { type: String, required: true },
  year: { type: Number, required: true },
  hoursWeight: { type: Number, required: true },
  quizWeight: { type: Number, required: true },
  classWeight: { type: Number, required: true },
  quizTarget: { type: Number, required: true },
  classTarget: { type: Number, required: true },
  hoursMust: { type: Boolean, required: true },
  minQuizzes: { type: Number, default: 0 },
  minClasses: { type: Number, default: 0 },
  excellentScore: { type: Number, required: true },
  passScore: { type: Number, required: true },
  updatedAt: { type: Date },
  updatedBy: { type: Schema.Types.ObjectId },
});

const yearSchema = new Schema({
  _id: { type: String, required: true },
  userId: { type: String, required: true },
  year: { type: Number, required: true },
  quizzesTaken: { type: [String], default: [] },
  quizzesPassed: { type: [String], default: [] },
  classes: { type: [String], default: [] },
  updatedAt: { type: Date },
});

export type AssessmentRuleDoc = InferSchemaType<typeof ruleSchema> & { _id: string };
export type AssessmentYearDoc = InferSchemaType<typeof yearSchema> & { _id: string };

export function defineAssessmentModels(conn: Connection) {
  return {
    AssessmentRule: conn.model('AssessmentRule', ruleSchema) as Model<InferSchemaType<typeof ruleSchema>>,
    AssessmentYear: conn.model('AssessmentYear', yearSchema) as Model<InferSchemaType<typeof yearSchema>>,
  };
}
