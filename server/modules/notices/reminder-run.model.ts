/**
 * What each reminder run sent (学时提醒记录): one document per run, inserted once and never
 * updated (no read-modify-write on FerretDB). An admin's run names its scope (a unit subtree, or
 * the county when `unitId` is null) and who pressed the button; the monthly sweep has no `byUserId`.
 * `recipients` keeps who was reminded with the figures of that moment, each with their unit, so a
 * unit admin reading a county-wide run sees only their own cadres in it.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

/** At most this many recipients are listed per run (the counts stay exact). */
export const MAX_LISTED_RECIPIENTS = 5000;

const recipientSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    unitId: { type: Schema.Types.ObjectId },
    earned: { type: Number, required: true },
    required: { type: Number, required: true },
  },
  { _id: false },
);

const reminderRunSchema = new Schema({
  at: { type: Date, required: true },
  noticeId: { type: String, required: true },
  byUserId: { type: Schema.Types.ObjectId },
  byName: { type: String },
  unitId: { type: Schema.Types.ObjectId, default: null },
  unitName: { type: String },
  checked: { type: Number, required: true },
  behind: { type: Number, required: true },
  reminded: { type: Number, required: true },
  recipients: { type: [recipientSchema], default: [] },
});

export type ReminderRunDoc = InferSchemaType<typeof reminderRunSchema> & { _id: import('mongoose').Types.ObjectId };
export type ReminderRunModel = Model<InferSchemaType<typeof reminderRunSchema>>;
export const defineReminderRunModel = (conn: Connection): ReminderRunModel => conn.model('ReminderRun', reminderRunSchema);
