/**
 * Training classes (培训班) and external training (外出培训), issue 17. Shaped by FerretDB 1.24
 * (docs/store-on-ferretdb.md):
 * - TrainingClass: one document per class and cohort (期次). Days (`startDay`, `endDay`,
 *   `withdrawBy`) are county 'YYYY-MM-DD' labels, never instants. The audience is units (each with
 *   all the units below it) and/or ranks; both empty = the whole county. `managerIds` are the
 *   class managers (班主任): org admins or unit admins given the class.
 * - TrainingEnrolment: `_id` = `classId:userId`, one per class and cadre, so a second application
 *   of the same cadre is refused by the primary key (insert-if-absent). Seats are counted and
 *   changed only under the class's key of the store's lock (enrolment.service.ts): FerretDB's
 *   conditional updates are not atomic. `seq` orders the waiting list (first come, first served).
 * - TrainingNomination: `_id` = `classId:userId`, a unit's nomination (推荐调训) confirmed or refused
 *   by the organisation department; confirming enrols the cadre (via `assigned`) under the class lock.
 * - TrainingCertificate: `_id` = the serial (see below).
 * - ExternalTraining: a cadre's claim of hours earned elsewhere (学时登记), approved or refused by
 *   an admin of their unit (学时认定); its `_id` names its ledger entry.
 */
import { Schema, type Connection, type InferSchemaType, type Model, type Types } from 'mongoose';
import { lectureCategories } from '../catalog/lecture.model';

/** 培训类别. */
export const classCategories = ['集中轮训', '专题培训', '任职培训', '初任培训', '岗位培训', '党员培训'] as const;
export type ClassCategory = (typeof classCategories)[number];

/** 培训渠道: county-run, a partner university, riding along a provincial class, a study visit, the travelling classroom. */
export const classChannels = ['county', 'university', 'provincial', 'visit', 'caravan'] as const;
export type ClassChannel = (typeof classChannels)[number];

export const enrolmentStates = ['pending', 'enrolled', 'waitlisted', 'refused', 'withdrawn', 'completed'] as const;
export type EnrolmentState = (typeof enrolmentStates)[number];
export const enrolmentVias = ['assigned', 'applied'] as const;
export type EnrolmentVia = (typeof enrolmentVias)[number];

export const claimStates = ['pending', 'approved', 'refused'] as const;
export type ClaimState = (typeof claimStates)[number];

const classSchema = new Schema(
  {
    name: { type: String, required: true, trim: true },
    cohort: { type: Number, default: 1 },
    category: { type: String, enum: classCategories, required: true },
    channel: { type: String, enum: classChannels, required: true },
    organiser: { type: String, default: '' },
    startDay: { type: String, required: true },
    endDay: { type: String, required: true },
    venue: { type: String, default: '' },
    capacity: { type: Number, required: true },
    unitIds: { type: [Schema.Types.ObjectId], default: [] },
    ranks: { type: [String], default: [] },
    creditHours: { type: Number, required: true },
    /** Counted as required hours (必修) in the ledger. */
    required: { type: Boolean, default: true },
    /** The content category its hours count under (the catalog's four). */
    contentCategory: { type: String, enum: lectureCategories, default: 'service' },
    managerIds: { type: [Schema.Types.ObjectId], default: [] },
    /** Open to applications (报名) by cadres of the audience. */
    applications: { type: Boolean, default: true },
    /** Applications wait for a manager's approval. */
    approval: { type: Boolean, default: false },
    /** Last county day a cadre may withdraw an application. */
    withdrawBy: { type: String, required: true },
    note: { type: String, default: '' },
    year: { type: Number, required: true },
    createdBy: { type: Schema.Types.ObjectId, required: true },
    completedAt: { type: Date, default: null },
    /** 调训名额: units nominate cadres (nomination.service.ts) while open; quotas per unit and/or overall (0 = none). */
    nomination: {
      open: { type: Boolean, default: false },
      overallQuota: { type: Number, default: 0 },
      unitQuotas: { type: [{ _id: false, unitId: Schema.Types.ObjectId, quota: Number }], default: [] },
    },
    /** 结业条件 (completion-rules.ts): share of required presence sessions attended in and out, every required recording watched. */
    completionRules: {
      presenceShare: { type: Number, default: 1 },
      recordedAll: { type: Boolean, default: true },
      /** The class's evaluation (培训评估) answered (completion-assessments.ts). */
      evaluationRequired: { type: Boolean, default: false },
    },
    /** The class's number in its year on certificates (证书编号), given at its first certificate. */
    certificateNo: { type: Number, default: null },
  },
  { timestamps: true },
);

const enrolmentSchema = new Schema({
  _id: { type: String, required: true },
  classId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  unitId: { type: Schema.Types.ObjectId, default: null },
  state: { type: String, enum: enrolmentStates, required: true },
  via: { type: String, enum: enrolmentVias, required: true },
  seq: { type: Number, required: true },
  at: { type: Date, required: true },
  decidedAt: { type: Date, default: null },
  decidedBy: { type: Schema.Types.ObjectId, default: null },
  reason: { type: String, default: '' },
  completedAt: { type: Date, default: null },
  hours: { type: Number, default: 0 },
  /** Completed although the rules were not met: the manager's reason (recorded with who and when). */
  override: { type: { _id: false, reason: String, by: Schema.Types.ObjectId, at: Date, missing: [String] }, default: null },
});

export const nominationStates = ['pending', 'confirmed', 'refused', 'withdrawn'] as const;
export type NominationState = (typeof nominationStates)[number];

/** A unit's nomination of a cadre for a class (推荐调训): `_id` = `classId:userId`. */
const nominationSchema = new Schema({
  _id: { type: String, required: true },
  classId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  /** The cadre's unit when nominated. */
  unitId: { type: Schema.Types.ObjectId, default: null },
  /** The quota unit it counts against (null: the overall quota only). */
  quotaUnitId: { type: Schema.Types.ObjectId, default: null },
  state: { type: String, enum: nominationStates, required: true },
  nominatedBy: { type: Schema.Types.ObjectId, required: true },
  at: { type: Date, required: true },
  decidedBy: { type: Schema.Types.ObjectId, default: null },
  decidedAt: { type: Date, default: null },
  reason: { type: String, default: '' },
});

/**
 * 结业证书: `_id` is its serial (`2026-培训-012-0007`: year, class number, per-class sequence), so a
 * serial exists once whatever races; serials are allocated under the class's lock, gapless. `token`
 * names it in the signed verification code (certificate-code.ts). One per enrolment (`enrolmentId`).
 */
const certificateSchema = new Schema({
  _id: { type: String, required: true },
  token: { type: String, required: true },
  classId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  enrolmentId: { type: String, required: true },
  seq: { type: Number, required: true },
  hours: { type: Number, required: true },
  issuedAt: { type: Date, required: true },
  revokedAt: { type: Date, default: null },
  revokedBy: { type: Schema.Types.ObjectId, default: null },
  revokeReason: { type: String, default: '' },
});

const externalSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    unitId: { type: Schema.Types.ObjectId, default: null },
    title: { type: String, required: true, trim: true },
    organiser: { type: String, required: true, trim: true },
    startDay: { type: String, required: true },
    endDay: { type: String, required: true },
    hoursClaimed: { type: Number, required: true },
    note: { type: String, default: '' },
    /** An attached certificate (certificate.ts): its sniffed type and the file name given; null = none. */
    certificateType: { type: String, default: null },
    certificateName: { type: String, default: '' },
    state: { type: String, enum: claimStates, default: 'pending' },
    hoursAllowed: { type: Number, default: 0 },
    reason: { type: String, default: '' },
    decidedBy: { type: Schema.Types.ObjectId, default: null },
    decidedAt: { type: Date, default: null },
    year: { type: Number, required: true },
  },
  { timestamps: true },
);

export type TrainingClassDoc = InferSchemaType<typeof classSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export type EnrolmentDoc = InferSchemaType<typeof enrolmentSchema> & { _id: string };
export type NominationDoc = InferSchemaType<typeof nominationSchema> & { _id: string };
export type CertificateDoc = InferSchemaType<typeof certificateSchema> & { _id: string };
export type ExternalTrainingDoc = InferSchemaType<typeof externalSchema> & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };

export function defineTrainingModels(conn: Connection) {
  return {
    TrainingClass: conn.model('TrainingClass', classSchema) as Model<InferSchemaType<typeof classSchema>>,
    TrainingEnrolment: conn.model('TrainingEnrolment', enrolmentSchema) as Model<InferSchemaType<typeof enrolmentSchema>>,
    ExternalTraining: conn.model('ExternalTraining', externalSchema) as Model<InferSchemaType<typeof externalSchema>>,
    TrainingNomination: conn.model('TrainingNomination', nominationSchema) as Model<InferSchemaType<typeof nominationSchema>>,
    TrainingCertificate: conn.model('TrainingCertificate', certificateSchema) as Model<InferSchemaType<typeof certificateSchema>>,
  };
}
