/**
 * Terminal stations (终端站点) and the air classroom (空中课堂). Shaped by FerretDB 1.24 (see
 * docs/store-on-ferretdb.md): everything read on a hot path is addressed by `_id` or kept in
 * memory by the services (the 206 stations and the timetable are small and loaded at start).
 * - Station: the registry row; the credential is only a SHA-256 of the secret in the cookie.
 * - PairingCode: `_id` = the code; one live code per station (the station names it).
 * - TimetableSession (课表): a lecture scheduled at a group of stations; its status says when the
 *   lecture was withdrawn or the live lecture ended early (booking-status.ts).
 * - StationRun: `_id` = `session:station`, one station's run of one session: its playbacks,
 *   presence (签到) per learner as flat ms spans with its evidence (QR scan times, 签退 scan
 *   times, the roster confirmation), the media the station was credited, its credited spans per
 *   playback (server-time wall + media, so evidence that comes later is credited then) and what
 *   each learner earned from it (media, wall seconds, the wall pieces offered to the engine).
 *   Maps are keyed by ObjectId hex or playback ids (no dots).
 * - StationDay: `_id` = `YYYY-MM-DD`, the statistics roll-up of a day: `runs.<runId>` =
 *   { s: station, held, persons, sec }, written with `$set` (idempotent) whenever a run changes.
 * - StationSyncKey: `_id` = `station:key`, the outcome of an offline check-in (accepted once).
 * - StationMedia: `_id` = `station:lecture`, segments a station's browser fetched ahead of time.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';
import { stationTypes } from './station-rules';

const stationSchema = new Schema(
  {
    name: { type: String, required: true, trim: true },
    type: { type: String, enum: stationTypes, required: true },
    unitId: { type: Schema.Types.ObjectId, required: true },
    address: { type: String, default: '' },
    contact: { type: new Schema({ name: { type: String, default: '' }, phone: { type: String, default: '' } }, { _id: false }), default: () => ({}) },
    disabled: { type: Boolean, default: false },
    credentialHash: { type: String },
    pairedAt: { type: Date },
    pairingCode: { type: String },
    lastSeenAt: { type: Date },
  },
  { timestamps: true },
);

const pairingCodeSchema = new Schema({
  _id: { type: String, required: true },
  stationId: { type: Schema.Types.ObjectId, required: true },
  expiresAt: { type: Date, required: true },
  createdAt: { type: Date, required: true },
  usedAt: { type: Date },
});

const timetableSchema = new Schema(
  {
    lectureId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    lecturer: { type: String, default: '' },
    kind: { type: String, enum: ['live', 'replay'], required: true },
    startAt: { type: Date, required: true },
    endAt: { type: Date, required: true },
    durationSec: { type: Number, required: true },
    stationIds: { type: [Schema.Types.ObjectId], default: [] },
    createdBy: { type: Schema.Types.ObjectId },
    // booking-status.ts: cancelled when the lecture is withdrawn, ended when a live lecture ends early.
    status: { type: String, enum: ['scheduled', 'cancelled', 'ended'], default: 'scheduled' },
    statusReason: { type: String, enum: ['withdrawn', 'live-ended'] },
    statusAt: { type: Date },
  },
  { timestamps: true },
);

const runSchema = new Schema({
  _id: { type: String, required: true }, // `${sessionId}:${stationId}`
  sessionId: { type: String, required: true },
  stationId: { type: String, required: true },
  lectureId: { type: String, required: true },
  day: { type: String, required: true },
  startAt: { type: Date, required: true },
  endAt: { type: Date, required: true },
  playbacks: { type: [String], default: [] },
  present: { type: Schema.Types.Mixed, default: {} }, // userId -> { name, spans: flat ms, since, scans: ms[], outs: ms[], conf?: ms }
  played: { type: [Number], default: [] }, // flat media intervals credited to the station
  credited: { type: Schema.Types.Mixed, default: {} }, // playbackId -> flat spans (group-credit.ts flattenSpans)
  learners: { type: Schema.Types.Mixed, default: {} }, // userId -> { iv: flat media, w: wall s, wall: flat ms offered }
  held: { type: Boolean, default: false },
  firstBeatAt: { type: Date },
  lastBeatAt: { type: Date },
});

const daySchema = new Schema({
  _id: { type: String, required: true }, // YYYY-MM-DD (local)
  runs: { type: Schema.Types.Mixed, default: {} }, // runId -> { s, held, persons, sec }
});

const syncKeySchema = new Schema({
  _id: { type: String, required: true },
  ok: { type: Boolean, required: true },
  code: { type: String },
  at: { type: Date, required: true },
});

const mediaSchema = new Schema({
  _id: { type: String, required: true },
  segments: { type: [Number], default: [] },
});

export type StationDoc = InferSchemaType<typeof stationSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type TimetableDoc = InferSchemaType<typeof timetableSchema> & { _id: Types.ObjectId };
export type RunDoc = InferSchemaType<typeof runSchema>;

export function defineStationModels(conn: Connection) {
  return {
    Station: conn.model('Station', stationSchema) as Model<InferSchemaType<typeof stationSchema>>,
    PairingCode: conn.model('StationPairingCode', pairingCodeSchema) as Model<InferSchemaType<typeof pairingCodeSchema>>,
    Timetable: conn.model('TimetableSession', timetableSchema) as Model<InferSchemaType<typeof timetableSchema>>,
    StationRun: conn.model('StationRun', runSchema) as Model<InferSchemaType<typeof runSchema>>,
    StationDay: conn.model('StationDay', daySchema) as Model<InferSchemaType<typeof daySchema>>,
    StationSyncKey: conn.model('StationSyncKey', syncKeySchema) as Model<InferSchemaType<typeof syncKeySchema>>,
    StationMedia: conn.model('StationMedia', mediaSchema) as Model<InferSchemaType<typeof mediaSchema>>,
  };
}
