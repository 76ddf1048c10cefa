/**
 * Lectures (课程): recorded or live, with topic (专题) and one of the training needs
 * (服务能力 / 落实能力 / 发展能力, plus 党史党性). Only published lectures appear in the catalog.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const lectureCategories = ['service', 'implementation', 'development', 'party-history'] as const;
export const lectureStates = ['draft', 'processing', 'published', 'withdrawn'] as const;
export const lectureKinds = ['recorded', 'live'] as const;

const lectureSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    summary: { type: String, default: '' },
    lecturer: { type: String, default: '' },
    lecturerId: { type: Schema.Types.ObjectId, ref: 'User' },
    institution: { type: String, default: '' },
    institutionId: { type: Schema.Types.ObjectId, ref: 'Institution' },
    topic: { type: String, default: '' },
    category: { type: String, enum: lectureCategories, required: true },
    tags: { type: [String], default: [] },
    durationSec: { type: Number, default: 0 },
    creditHours: { type: Number, default: 0 },
    required: { type: Boolean, default: false },
    audienceUnitIds: { type: [Schema.Types.ObjectId], default: [] },
    state: { type: String, enum: lectureStates, default: 'draft', index: true },
    kind: { type: String, enum: lectureKinds, default: 'recorded' },
    coverPath: { type: String },
    publishedAt: { type: Date, index: true },
  },
  { timestamps: true },
);

export type LectureModel = Model<InferSchemaType<typeof lectureSchema>>;
export const defineLectureModel = (conn: Connection): LectureModel => conn.model('Lecture', lectureSchema);
