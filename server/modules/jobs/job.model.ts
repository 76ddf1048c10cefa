/**
 * Persistent jobs (transcoding now, more kinds later). A job is claimed with a lease
 * (`leaseUntil`), renewed while it runs; a process that dies stops renewing, and after the lease
 * the job is claimed again, so a crash never loses work. Failures retry with exponential backoff
 * (`runAfter`) until `maxAttempts`, then stay `failed` with the error for the uploader.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

export const jobStates = ['queued', 'running', 'done', 'failed'] as const;

const jobSchema = new Schema(
  {
    type: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, default: {} },
    state: { type: String, enum: jobStates, default: 'queued', index: true },
    attempts: { type: Number, default: 0 },
    maxAttempts: { type: Number, default: 3 },
    runAfter: { type: Date, default: () => new Date() },
    leaseUntil: { type: Date },
    owner: { type: String },
    progress: { type: Number, default: 0 },
    etaSec: { type: Number },
    lastError: { type: String },
    finishedAt: { type: Date },
  },
  { timestamps: true },
);

export type JobDoc = InferSchemaType<typeof jobSchema> & { _id: Types.ObjectId };
export type JobModel = Model<InferSchemaType<typeof jobSchema>>;
export const defineJobModel = (conn: Connection): JobModel => conn.model('Job', jobSchema);
