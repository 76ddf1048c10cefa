/**
 * Notices (消息提醒) to one user, kept in one document per user (`_id` = user id): the store
 * answers `_id` reads at once and scans for anything else. `ids` makes a push idempotent (read
 * first, under the box's lock in NoticeService), `read` holds the ids the user has read. Only the
 * newest MAX_NOTICES are kept.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const MAX_NOTICES = 50;

const noticeSchema = new Schema(
  {
    id: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
    title: { type: String, required: true },
    titleEn: { type: String, required: true },
    body: { type: String, default: '' },
    bodyEn: { type: String, default: '' },
    link: { type: String },
  },
  { _id: false },
);

const noticeBoxSchema = new Schema({
  _id: { type: String, required: true },
  items: { type: [noticeSchema], default: [] },
  ids: { type: [String], default: [] },
  read: { type: [String], default: [] },
});

export type Notice = InferSchemaType<typeof noticeSchema>;
export type NoticeBoxModel = Model<InferSchemaType<typeof noticeBoxSchema>>;
export const defineNoticeModel = (conn: Connection): NoticeBoxModel => conn.model('NoticeBox', noticeBoxSchema);
