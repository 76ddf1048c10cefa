/**
 * xAPI records. A statement is stored as JSON text (its extension keys are IRIs with dots, which
 * FerretDB 1.24 does not allow as keys), `_id` its statement id, with its delivery state to the LRS:
 * `pending` until an LRS accepted it (`sent`), `failed` once the delivery gave up (an admin may
 * retry). A trail (`XapiTrail`, `_id` playback|learner) is where a playback's statements stand,
 * and its credited pieces not yet stated: written by the sweep, deleted once the playback ended.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const deliveryStates = ['pending', 'sent', 'failed'] as const;

const xapiSchema = new Schema({
  _id: { type: String, required: true }, // statement id (uuid)
  ledgerId: { type: String }, // statements written before the video profile (one per ledger entry)
  trail: { type: String }, // playback|learner
  verb: { type: String },
  userId: { type: String },
  json: { type: String, required: true }, // the statement as JSON text (its IRI keys contain dots)
  stored: { type: Date, required: true },
  state: { type: String, enum: deliveryStates },
  attempts: { type: Number, default: 0 },
  lastError: { type: String },
  sentAt: { type: Date },
  forwardedAt: { type: Date }, // kept for statements forwarded before delivery states existed
});

const trailSchema = new Schema({
  _id: { type: String, required: true }, // playback|learner
  json: { type: String, required: true }, // the trail and its profile state as JSON text
  at: { type: Date, required: true },
  done: { type: Boolean, default: false }, // the playback ended and every piece is stated
});

// Statements still to deliver, `_id` the statement id: a small collection (sent ones leave it), so
// the delivery job reads it whole instead of filtering the statements (a scan on FerretDB 1.24).
const outboxSchema = new Schema({
  _id: { type: String, required: true },
  at: { type: Date, required: true },
});

export function defineXapiModels(conn: Connection) {
  return {
    Xapi: conn.model('XapiStatement', xapiSchema) as Model<InferSchemaType<typeof xapiSchema>>,
    XapiTrail: conn.model('XapiTrail', trailSchema) as Model<InferSchemaType<typeof trailSchema>>,
    XapiOutbox: conn.model('XapiOutbox', outboxSchema) as Model<InferSchemaType<typeof outboxSchema>>,
  };
}
