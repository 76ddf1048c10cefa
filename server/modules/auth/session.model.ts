/**
 * Login sessions. The cookie carries a random token; the store keeps only its SHA-256, so a
 * leaked database cannot be replayed as cookies. FerretDB has no TTL indexes: expiry is checked
 * on every lookup and expired rows are swept periodically (auth.service.ts).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

const sessionSchema = new Schema({
  _id: { type: String, required: true }, // sha256(token), hex
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  createdAt: { type: Date, required: true },
  expiresAt: { type: Date, required: true, index: true },
  ip: { type: String },
  userAgent: { type: String },
});

export type SessionModel = Model<InferSchemaType<typeof sessionSchema>>;
export const defineSessionModel = (conn: Connection): SessionModel => conn.model('Session', sessionSchema);
