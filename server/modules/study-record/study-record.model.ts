/**
 * A unit's study records as one PDF (学习档案导出): one document per export, written by its
 * queued job (`study-record-export`) alone: the count of cadres and how many are rendered, which
 * the export screen polls, then the file's place under DATA_DIR. Read by `_id`; the list of a
 * unit's recent exports filters on `unitId` (a small collection).
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

/** `expired`: a finished PDF kept EXPORT_KEEP_DAYS, then deleted (record-export.ts prune()). */
export const exportStates = ['queued', 'running', 'done', 'failed', 'expired'] as const;

const recordExportSchema = new Schema(
  {
    unitId: { type: String, required: true },
    unitName: { type: String, required: true },
    year: { type: Number, required: true },
    requestedBy: { type: Schema.Types.ObjectId, required: true },
    /** Where the verification URLs point (PUBLIC_URL, else the requesting page's origin). */
    origin: { type: String, required: true },
    state: { type: String, enum: exportStates, default: 'queued' },
    total: { type: Number, default: 0 },
    done: { type: Number, default: 0 },
    pages: { type: Number },
    bytes: { type: Number },
    file: { type: String },
    failure: { type: String },
    startedAt: { type: Date },
    finishedAt: { type: Date },
  },
  { timestamps: true },
);

export type RecordExportDoc = InferSchemaType<typeof recordExportSchema> & { _id: Types.ObjectId; createdAt: Date };
export type RecordExportModel = Model<InferSchemaType<typeof recordExportSchema>>;
export const defineRecordExportModel = (conn: Connection): RecordExportModel => conn.model('StudyRecordExport', recordExportSchema);
