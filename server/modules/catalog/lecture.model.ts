/**
 * Lectures (课程): recorded or live, with topic (专题) and one of the training needs
 * (服务能力 / 落实能力 / 发展能力, plus 党史党性). Only published lectures appear in the catalog.
 * `searchGrams` is kept on write (search.ts); `media` is set when the lowest rung of the HLS ladder
 * is ready (`media.pending` lists the higher rungs still being made);
 * `processing` mirrors the transcode job so the studio can show it without a join.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';

export const lectureCategories = ['service', 'implementation', 'development', 'party-history'] as const;
export const lectureStates = ['draft', 'processing', 'published', 'withdrawn'] as const;
export const lectureKinds = ['recorded', 'live'] as const;
export type LectureCategory = (typeof lectureCategories)[number];
export type LectureKind = (typeof lectureKinds)[number];
export const processingStates = ['none', 'queued', 'running', 'ready', 'failed', 'rejected'] as const;

const renditionSchema = new Schema(
  { name: String, height: Number, width: Number, bandwidth: Number, playlist: String },
  { _id: false },
);

/** The HLS ladder a lecture plays (`media`), and the one kept while a new upload's first rung grows (`mediaBefore`). */
const mediaSchema = new Schema(
  {
    prefix: String, // storage key prefix of the HLS folder
    master: String,
    renditions: [renditionSchema],
    poster: String,
    thumbnails: String,
    segmentSec: Number,
    audioOnly: Boolean,
    // First rung first: rungs still being made while the master lists the lower ones (高清版本处理中).
    pending: { type: [String], default: undefined },
    // Rungs listed while they are made (an EVENT playlist that grows): watchable from the
    // start up to what is made; the player cannot seek past it (视频处理中,可从头观看).
    growing: { type: [String], default: undefined },
  },
  { _id: false },
);

const lectureSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    summary: { type: String, default: '' },
    lecturer: { type: String, default: '' },
    institution: { type: String, default: '' },
    topic: { type: String, default: '' },
    category: { type: String, enum: lectureCategories, required: true },
    tags: { type: [String], default: [] },
    durationSec: { type: Number, default: 0 },
    creditHours: { type: Number, default: 0 },
    required: { type: Boolean, default: false },
    // Optional attention checks (随机签到): a prompt at random moments that must be answered in time.
    attentionChecks: { type: Boolean, default: false },
    audienceUnitIds: { type: [Schema.Types.ObjectId], default: [] },
    state: { type: String, enum: lectureStates, default: 'draft', index: true },
    kind: { type: String, enum: lectureKinds, default: 'recorded' },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', index: true },
    publishedAt: { type: Date },
    watchCount: { type: Number, default: 0 },
    // Limited offerings (选学名额): seatsLeft is decremented atomically, so selections never overbook.
    seatLimit: { type: Number },
    seatsLeft: { type: Number },
    searchGrams: { type: [String], default: [] },
    sourceKey: { type: String },
    media: { type: mediaSchema, default: undefined },
    // A new upload replacing a watchable ladder: the ladder before, kept (files and all) while the
    // new first rung only grows. It comes back should that upload fail for good, and goes (with its
    // folder) once the new first rung is complete.
    mediaBefore: {
      type: new Schema({ media: mediaSchema, durationSec: Number }, { _id: false }),
      default: undefined,
    },
    // Live lectures (直播讲座): the schedule and the room's state; the replay made from the
    // recording is its own recorded lecture, linked both ways (live.replayLectureId / replayOf).
    live: {
      type: new Schema(
        {
          scheduledAt: Date,
          state: { type: String, enum: ['scheduled', 'live', 'ended'], default: 'scheduled' },
          startedAt: Date,
          endedAt: Date,
          replayLectureId: { type: Schema.Types.ObjectId },
          // The recording's folder (`live/<id>/<stamp>`), kept so that after a portal restart the
          // lecture goes on recording into new parts of the same folder.
          recordingPrefix: String,
          // Each recording part's folder and where it starts on the live timeline (its segments restart at 0);
          // its number, length and picture size once it has stopped (a part cut short by a restart has none).
          parts: {
            type: [new Schema({ prefix: String, offsetSec: Number, index: Number, durationSec: Number, width: Number, height: Number }, { _id: false })],
            default: undefined,
          },
        },
        { _id: false },
      ),
      default: undefined,
    },
    replayOf: { type: Schema.Types.ObjectId },
    subtitles: {
      type: [new Schema({ lang: String, label: String, key: String }, { _id: false })],
      default: [],
    },
    processing: {
      state: { type: String, enum: processingStates, default: 'none' },
      percent: { type: Number, default: 0 },
      etaSec: { type: Number },
      stage: { type: String },
      attempts: { type: Number, default: 0 },
      error: { type: new Schema({ code: String, message: String, messageEn: String }, { _id: false }), default: undefined },
      jobId: { type: Schema.Types.ObjectId },
    },
  },
  { timestamps: true },
);

export type LectureDoc = InferSchemaType<typeof lectureSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type LectureModel = Model<InferSchemaType<typeof lectureSchema>>;
export const defineLectureModel = (conn: Connection): LectureModel => conn.model('Lecture', lectureSchema);
