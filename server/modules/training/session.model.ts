/**
 * A class's timetable (课程表) and attendance at its sessions, issue 17. Shaped by FerretDB 1.24
 * (docs/store-on-ferretdb.md):
 * - TrainingSession: one document per session of a class. `kind` says how it is attended:
 *   `recorded` (a catalog lecture to watch by `dueDay`, credited by the study rules), `live` (a live
 *   lecture, credited by the live rules), `in-person` (at `venue`), `site-visit` (现场教学) and
 *   `caravan` (干教大篷车, at a village or community named in `place`) — the last three need
 *   attendance evidence. Instants are UTC `Date`s; `dueDay` is a county 'YYYY-MM-DD' label.
 * - TrainingAttendance: `_id` = `sessionId:userId`, one per session and cadre (insert-if-absent),
 *   with the server time of check-in and check-out and how each was evidenced.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

export const sessionKinds = ['recorded', 'live', 'in-person', 'site-visit', 'caravan'] as const;
export type SessionKind = (typeof sessionKinds)[number];
/** The kinds attended in a room or a place (check-in and check-out), not on a screen. */
export const presenceKinds: readonly SessionKind[] = ['in-person', 'site-visit', 'caravan'];

export const attendanceVias = ['qr', 'roster', 'offline'] as const;
export type AttendanceVia = (typeof attendanceVias)[number];

const sessionSchema = new Schema(
  {
    classId: { type: Schema.Types.ObjectId, required: true, index: true },
    kind: { type: String, enum: sessionKinds, required: true },
    title: { type: String, required: true, trim: true },
    /** recorded / live: the lecture. */
    lectureId: { type: Schema.Types.ObjectId, default: null },
    /** recorded: the last county day to watch it. */
    dueDay: { type: String, default: null },
    /** live / in-person / site-visit / caravan: when it runs. */
    startAt: { type: Date, default: null },
    endAt: { type: Date, default: null },
    venue: { type: String, default: '' },
    /** caravan / site-visit: the village, community or site. */
    place: { type: String, default: '' },
    lecturer: { type: String, default: '' },
    /** Counts toward completion. */
    required: { type: Boolean, default: true },
  },
  { timestamps: true },
);

const attendanceSchema = new Schema({
  _id: { type: String, required: true },
  classId: { type: Schema.Types.ObjectId, required: true, index: true },
  sessionId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  checkInAt: { type: Date, default: null },
  checkInVia: { type: String, enum: [...attendanceVias, null], default: null },
  checkOutAt: { type: Date, default: null },
  checkOutVia: { type: String, enum: [...attendanceVias, null], default: null },
  /** The manager who marked the roster or uploaded the offline scans. */
  markedBy: { type: Schema.Types.ObjectId, default: null },
  note: { type: String, default: '' },
});

/**
 * The outcome of one scan of a manager's offline batch, `_id` = `sessionId:clientKey`: a batch
 * sent twice (the phone lost the answer) is answered from here and counts once.
 */
const syncKeySchema = new Schema({
  _id: { type: String, required: true },
  ok: { type: Boolean, required: true },
  code: { type: String, default: null },
  at: { type: Date, required: true },
});

export type TrainingSessionDoc = InferSchemaType<typeof sessionSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type TrainingAttendanceDoc = InferSchemaType<typeof attendanceSchema> & { _id: string };

export function defineTrainingSessionModels(conn: Connection) {
  return {
    TrainingSession: conn.model('TrainingSession', sessionSchema) as Model<InferSchemaType<typeof sessionSchema>>,
    TrainingAttendance: conn.model('TrainingAttendance', attendanceSchema) as Model<InferSchemaType<typeof attendanceSchema>>,
    TrainingSyncKey: conn.model('TrainingSyncKey', syncKeySchema) as Model<InferSchemaType<typeof syncKeySchema>>,
  };
}
