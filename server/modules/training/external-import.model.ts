/**
 * External-training imports (外出培训学时批量导入), issue 17:
 * - ExternalImport: one uploaded file. Checked on upload (`checked`: the preview with errors by
 *   row), then confirmed by the org admin and imported by a queued job (`queued` → `running` →
 *   `done` | `failed`). The rows that passed wait in a file under DATA_DIR until then.
 * - ExternalImportItem: `_id` = the imported record's `_id`; the channel (渠道) of that record,
 *   which the external record itself does not carry, for the year report.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

export const externalImportStates = ['checked', 'queued', 'running', 'done', 'failed'] as const;
export type ExternalImportState = (typeof externalImportStates)[number];

const importSchema = new Schema(
  {
    createdBy: { type: Schema.Types.ObjectId, required: true },
    fileName: { type: String, required: true },
    state: { type: String, enum: externalImportStates, default: 'checked' },
    totalRows: { type: Number, default: 0 },
    okRows: { type: Number, default: 0 },
    /** The first errors by row (capped). */
    rowErrors: { type: [Schema.Types.Mixed], default: [] },
    errorCount: { type: Number, default: 0 },
    processedRows: { type: Number, default: 0 },
    imported: { type: Number, default: 0 },
    /** Rows whose record was already there when the job reached them (another upload of the same rows). */
    skipped: { type: Number, default: 0 },
    hours: { type: Number, default: 0 },
    confirmedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
    failure: { type: String, default: '' },
  },
  { timestamps: true },
);

const itemSchema = new Schema({
  _id: { type: String, required: true },
  importId: { type: Schema.Types.ObjectId, required: true },
  channel: { type: String, required: true },
  year: { type: Number, required: true },
});

export type ExternalImportDoc = InferSchemaType<typeof importSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type ExternalImportItemDoc = InferSchemaType<typeof itemSchema> & { _id: string };

export function defineExternalImportModels(conn: Connection) {
  return {
    ExternalImport: conn.model('ExternalImport', importSchema) as Model<InferSchemaType<typeof importSchema>>,
    ExternalImportItem: conn.model('ExternalImportItem', itemSchema) as Model<InferSchemaType<typeof itemSchema>>,
  };
}
