/**
 * Study records. FerretDB 1.24 on SQLite answers `_id` lookups in about a millisecond but scans
 * for anything else, so every record that is read on a hot path has a composed `_id`:
 * progress `user:lecture`, ledger `user:lecture:year`, summary `user:year`, selection
 * `user:lecture` or `user:topic:<topic>`. The ledger is append-only and its `_id` makes an entry
 * unique per user, lecture and year: a second completion is a duplicate-key no-op.
 * `StudyWal` is where the write-ahead log of heartbeat decisions was kept before it moved to a
 * database of its own (wal.ts); a start still replays and empties it.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { defineXapiModels } from '../xapi/xapi.model';

const playbackSchema = new Schema({
  _id: { type: String, required: true }, // playbackId
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  openedAt: { type: Date, required: true },
  kind: { type: String, default: 'recorded' },
  lastSeq: { type: Number, default: 0 },
  lastPosition: { type: Number, default: 0 },
  lastClientAt: { type: Number },
  playing: { type: Boolean, default: false },
  visible: { type: Boolean, default: true },
  clientElapsedMs: { type: Number, default: 0 }, // before the per-session clock offset (kept for old records)
  // The session's placement on the server's timeline (heartbeat-policy.ts SessionState).
  offsetMs: { type: Number },
  lastEnd: { type: Number },
  playMs: { type: Number, default: 0 },
  advanceSec: { type: Number, default: 0 },
  clippedMs: { type: Number, default: 0 },
  delivered: { type: [Number], default: [] }, // whole segments (indexes)
  deliveredSpans: { type: [Number], default: [] }, // flat media intervals delivered in part (ranges, live timeline)
  flags: { type: Schema.Types.Mixed, default: {} },
  userAgent: { type: String },
  ip: { type: String },
});

const progressSchema = new Schema({
  _id: { type: String, required: true }, // `${userId}:${lectureId}`
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  intervals: { type: [Number], default: [] }, // flat [a0, b0, a1, b1, ...]: FerretDB stores no nested arrays
  again: { type: [Number], default: [] }, // flat media intervals credited more than once (parts watched again)
  coveredSec: { type: Number, default: 0 },
  wallSec: { type: Number, default: 0 },
  durationSec: { type: Number, default: 0 },
  lastPosition: { type: Number, default: 0 },
  lastWatchedAt: { type: Date },
  completedAt: { type: Date },
});

const ledgerSchema = new Schema({
  _id: { type: String, required: true }, // `${userId}:${lectureId}:${year}`
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  year: { type: Number, required: true },
  hours: { type: Number, required: true },
  required: { type: Boolean, default: false },
  category: { type: String },
  topic: { type: String },
  title: { type: String },
  at: { type: Date, required: true },
  coveredSec: { type: Number },
  wallSec: { type: Number },
  source: { type: String, default: 'individual' }, // individual | station | live | training | external
  /** A training class's channel (county, university, provincial, visit, caravan), for source training. */
  trainingChannel: { type: String },
});

const summarySchema = new Schema({
  _id: { type: String, required: true }, // `${userId}:${year}`
  userId: { type: Schema.Types.ObjectId, required: true },
  year: { type: Number, required: true },
  total: { type: Number, default: 0 },
  required: { type: Number, default: 0 },
  elective: { type: Number, default: 0 },
  byMonth: { type: [Number], default: () => Array(12).fill(0) },
  byCategory: { type: Schema.Types.Mixed, default: {} },
  byTopic: { type: Schema.Types.Mixed, default: {} },
  byDay: { type: Schema.Types.Mixed, default: {} },
  entries: { type: [String], default: [] }, // ledger ids already added (makes the roll-up idempotent)
  lectures: { type: [String], default: [] }, // lecture ids with progress this year
});

const selectionSchema = new Schema({
  _id: { type: String, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  lectureId: { type: Schema.Types.ObjectId },
  topic: { type: String },
  selectedAt: { type: Date, required: true },
  deadline: { type: Date },
  seatId: { type: String },
});

// One document per taken seat of a limited offering, `_id` lecture:slot. Taking a seat is an
// insert that the primary key makes atomic: FerretDB 1.24 applies conditional updates
// (seatsLeft > 0) as read-modify-write, which concurrent requests can overbook.
const seatSchema = new Schema({
  _id: { type: String, required: true },
  lectureId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  at: { type: Date, required: true },
});

const userIndexSchema = new Schema({
  _id: { type: String, required: true }, // userId: lists what the user has, so pages read by _id only
  selections: { type: [String], default: [] },
  years: { type: [Number], default: [] },
});

const policySchema = new Schema({
  _id: { type: String, required: true }, // rank
  yearlyHours: Number,
  windowYears: Number,
  windowHours: Number,
  requiredMinHours: Number,
  maxPerTopicHours: { type: Number, default: null },
  dailyCapHours: { type: Number, default: null },
  updatedAt: Date,
});

const assignmentSchema = new Schema(
  {
    unitId: { type: Schema.Types.ObjectId, required: true },
    lectureId: { type: Schema.Types.ObjectId },
    topic: { type: String },
    year: { type: Number, required: true },
    dueDate: { type: Date },
    createdBy: { type: Schema.Types.ObjectId },
  },
  { timestamps: true },
);

const walSchema = new Schema({
  _id: { type: String, required: true }, // `${bootId}:${seq padded}`: sorts in commit order
  at: { type: Date, required: true },
  entries: { type: [Schema.Types.Mixed], default: [] },
});

const flagSchema = new Schema({
  userId: { type: Schema.Types.ObjectId },
  lectureId: { type: Schema.Types.ObjectId },
  playbackId: { type: String },
  kind: { type: String, required: true },
  count: { type: Number, default: 1 },
  /** Seconds of credit refused (or at stake) by what was flagged. */
  seconds: { type: Number, default: 0 },
  detail: { type: Schema.Types.Mixed },
  at: { type: Date, required: true },
  /** Set once when an admin marks the flag reviewed (flag-review.ts). */
  reviewedAt: { type: Date },
  reviewedBy: { type: Schema.Types.ObjectId },
  reviewedByName: { type: String },
  reviewNote: { type: String },
});

// One per cadre: the server-time intervals already credited to them (cadre-clock.ts), written back
// when the clock leaves memory; `iv` is flat [a0, b0, ...] ms.
const cadreClockSchema = new Schema({
  _id: { type: String, required: true }, // userId
  iv: { type: [Number], default: [] },
  at: { type: Date },
});

export function defineStudyModels(conn: Connection) {
  return {
    Playback: conn.model('Playback', playbackSchema) as Model<InferSchemaType<typeof playbackSchema>>,
    Progress: conn.model('Progress', progressSchema) as Model<InferSchemaType<typeof progressSchema>>,
    Ledger: conn.model('CreditLedger', ledgerSchema) as Model<InferSchemaType<typeof ledgerSchema>>,
    Summary: conn.model('StudySummary', summarySchema) as Model<InferSchemaType<typeof summarySchema>>,
    Selection: conn.model('Selection', selectionSchema) as Model<InferSchemaType<typeof selectionSchema>>,
    Seat: conn.model('Seat', seatSchema) as Model<InferSchemaType<typeof seatSchema>>,
    StudyIndex: conn.model('StudyIndex', userIndexSchema) as Model<InferSchemaType<typeof userIndexSchema>>,
    Policy: conn.model('CreditPolicy', policySchema) as Model<InferSchemaType<typeof policySchema>>,
    Assignment: conn.model('Assignment', assignmentSchema) as Model<InferSchemaType<typeof assignmentSchema>>,
    StudyWal: conn.model('StudyWal', walSchema) as Model<InferSchemaType<typeof walSchema>>,
    StudyFlag: conn.model('StudyFlag', flagSchema) as Model<InferSchemaType<typeof flagSchema>>,
    CadreClock: conn.model('CadreClock', cadreClockSchema) as Model<InferSchemaType<typeof cadreClockSchema>>,
    // xAPI statements and trails (server/modules/xapi).
    ...defineXapiModels(conn),
  };
}
