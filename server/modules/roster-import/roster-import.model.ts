/**
 * A roster import (花名册导入): one uploaded file, checked and turned into accounts by a queued
 * job (`roster-import`). Its counts and row errors are what the import page polls; the one-time
 * passwords of the accounts it created wait in a file under DATA_DIR until the importing admin
 * downloads them, once (`credentials`: none → ready → downloaded).
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

export const importStates = ['queued', 'running', 'done', 'failed'] as const;
export const credentialStates = ['none', 'ready', 'downloaded'] as const;

const rosterImportSchema = new Schema(
  {
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    fileName: { type: String, required: true },
    state: { type: String, enum: importStates, default: 'queued' },
    totalRows: { type: Number, default: 0 },
    processedRows: { type: Number, default: 0 },
    created: { type: Number, default: 0 },
    /** Rows whose account already exists for the same person (a re-import): nothing to do. */
    skipped: { type: Number, default: 0 },
    errorCount: { type: Number, default: 0 },
    /** The first errors by row (capped: ROW_ERRORS_KEPT). */
    rowErrors: { type: [Schema.Types.Mixed], default: [] },
    credentials: { type: String, enum: credentialStates, default: 'none' },
    credentialsExpireAt: { type: Date },
    failure: { type: String },
    startedAt: { type: Date },
    finishedAt: { type: Date },
    durationMs: { type: Number },
  },
  { timestamps: true },
);

export type RosterImportDoc = InferSchemaType<typeof rosterImportSchema> & { _id: Types.ObjectId; createdAt: Date };
export type RosterImportModel = Model<InferSchemaType<typeof rosterImportSchema>>;
export const defineRosterImportModel = (conn: Connection): RosterImportModel => conn.model('RosterImport', rosterImportSchema);
