/**
 * Learning-plan assignments (学习计划 · 指定必修): required lectures (later also training classes,
 * hence `kind`) assigned to units (each with all its sub-units) and/or cadre ranks, due by a
 * county day. `dueDay` is the county's 'YYYY-MM-DD' label, never an instant: the deadline is the
 * end of that day in TIME_ZONE (plan-rules.ts), whatever the host's zone. `ownerUnitId` is the
 * unit of the unit admin who made it (null for the organisation department): a unit admin edits
 * only assignments owned within their unit subtree.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

export const planKinds = ['lecture', 'class'] as const;
export type PlanKind = (typeof planKinds)[number];

const planAssignmentSchema = new Schema(
  {
    kind: { type: String, enum: planKinds, default: 'lecture' },
    title: { type: String, default: '', trim: true },
    lectureIds: { type: [Schema.Types.ObjectId], default: [] },
    unitIds: { type: [Schema.Types.ObjectId], default: [] },
    ranks: { type: [String], default: [] },
    year: { type: Number, required: true },
    dueDay: { type: String, required: true },
    note: { type: String, default: '' },
    createdBy: { type: Schema.Types.ObjectId, required: true },
    ownerUnitId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true },
);

export type PlanAssignmentDoc = InferSchemaType<typeof planAssignmentSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type PlanAssignmentModel = Model<InferSchemaType<typeof planAssignmentSchema>>;

export function definePlanModels(conn: Connection) {
  return { PlanAssignment: conn.model('PlanAssignment', planAssignmentSchema) as PlanAssignmentModel };
}
