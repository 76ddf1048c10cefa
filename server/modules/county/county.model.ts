/**
 * County tallies (统计计数, issue 19): one document per county year and org unit, `_id`
 * `${year}:${unitId}` (tally.ts has the shape). Written whole, by `_id`, by one writer per
 * document at a time (county-tallies.ts); read all at start.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';
import type { TallyDoc } from './tally';

const countyTallySchema = new Schema(
  {
    _id: { type: String, required: true },
    year: { type: Number, required: true },
    unitId: { type: String, required: true },
    channels: { type: Schema.Types.Mixed, default: {} },
    months: { type: Schema.Types.Mixed, default: {} },
    topics: { type: Schema.Types.Mixed, default: [] },
    categories: { type: Schema.Types.Mixed, default: [] },
    cadres: { type: Schema.Types.Mixed, default: [] },
    updatedAt: { type: Date },
  },
  { minimize: false },
);

export type CountyTallyModel = Model<TallyDoc>;
export const defineCountyTallyModel = (conn: Connection): CountyTallyModel => conn.model<TallyDoc>('CountyTally', countyTallySchema);

/**
 * A reminder of the cadres behind under a node (提醒未达标干部), sent by a queued job
 * (county-reminders.ts): one document per press of the button, written by its job alone (the
 * count behind, how many were looked at and how many reminded), which the compliance screen polls.
 */
export const reminderStates = ['queued', 'running', 'done', 'failed'] as const;

const countyReminderSchema = new Schema(
  {
    year: { type: Number, required: true },
    node: { type: String, required: true },
    nodeName: { type: String, required: true },
    requestedBy: { type: Schema.Types.ObjectId, required: true },
    state: { type: String, enum: reminderStates, default: 'queued' },
    total: { type: Number, default: 0 },
    done: { type: Number, default: 0 },
    sent: { type: Number, default: 0 },
    failure: { type: String },
    finishedAt: { type: Date },
  },
  { timestamps: true },
);

export type CountyReminderDoc = InferSchemaType<typeof countyReminderSchema> & { _id: Types.ObjectId; createdAt: Date };
export type CountyReminderModel = Model<InferSchemaType<typeof countyReminderSchema>>;
export const defineCountyReminderModel = (conn: Connection): CountyReminderModel => conn.model('CountyReminder', countyReminderSchema);
