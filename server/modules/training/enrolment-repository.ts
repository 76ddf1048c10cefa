/**
 * The enrolments collection: `_id` = `classId:userId`, so one cadre holds at most one enrolment
 * of a class and a second application loses at the primary key (insertIfAbsent), the one write
 * FerretDB 1.24 makes atomic. State changes are updates by `_id`, made by callers under the
 * class's lock (ClassRepository.serial), which also counts seats from `ofClass`.
 * A class's enrolments are kept in memory once read (per store's `Models`, one portal process per
 * store): FerretDB answers a filter on `classId` by decoding every enrolment of every class, which
 * would run once per application, one at a time, while a 300-person class enrols. Every write goes
 * through this repository and updates the copy, so call `ofClass` (which may fill it) only under
 * the class's lock.
 */
import { Types } from 'mongoose';
import { insertIfAbsent } from '../../store/errors';
import type { Models } from '../../store/models';
import type { EnrolmentDoc, EnrolmentState, EnrolmentVia } from './training.model';

export const enrolmentId = (classId: string, userId: string) => `${classId}:${userId}`;

let lastSeq = 0;
/** Strictly increasing in this process: the waiting list's order. */
function nextSeq(now: number): number {
  lastSeq = Math.max(lastSeq + 1, now * 1000);
  return lastSeq;
}

/** Per store: class id -> its enrolments by `_id`. */
const rosters = new WeakMap<object, Map<string, Map<string, EnrolmentDoc>>>();

export class EnrolmentRepository {
  private readonly cache: Map<string, Map<string, EnrolmentDoc>>;

  constructor(private readonly models: Models) {
    let cache = rosters.get(models);
    if (!cache) rosters.set(models, (cache = new Map()));
    this.cache = cache;
  }

  find(classId: string, userId: string): Promise<EnrolmentDoc | null> {
    return this.models.TrainingEnrolment.findById(enrolmentId(classId, userId)).lean<EnrolmentDoc>().exec();
  }

  /** Every enrolment of a class (a class holds hundreds at most), in the order they came: copies, from memory once read. Call under the class's lock. */
  async ofClass(classId: string): Promise<EnrolmentDoc[]> {
    let held = this.cache.get(classId);
    if (!held) {
      const rows = await this.models.TrainingEnrolment.find({ classId: new Types.ObjectId(classId) }).lean<EnrolmentDoc[]>();
      held = new Map(rows.map((r) => [r._id, r]));
      this.cache.set(classId, held);
    }
    return [...held.values()].map((r) => ({ ...r })).sort((a, b) => a.seq - b.seq);
  }

  /** A cadre's enrolments of every class. */
  ofUser(userId: string): Promise<EnrolmentDoc[]> {
    return this.models.TrainingEnrolment.find({ userId: new Types.ObjectId(userId) }).lean<EnrolmentDoc[]>().exec();
  }

  /** Inserts the enrolment unless the cadre already has one for the class; true when new. */
  async insert(e: { classId: string; userId: string; unitId: string | null; state: EnrolmentState; via: EnrolmentVia; now: number; decidedBy?: Types.ObjectId }): Promise<boolean> {
    const doc = {
      _id: enrolmentId(e.classId, e.userId),
      classId: new Types.ObjectId(e.classId),
      userId: new Types.ObjectId(e.userId),
      unitId: e.unitId ? new Types.ObjectId(e.unitId) : null,
      state: e.state,
      via: e.via,
      seq: nextSeq(e.now),
      at: new Date(e.now),
      decidedAt: e.decidedBy ? new Date(e.now) : null,
      decidedBy: e.decidedBy ?? null,
      reason: '',
      completedAt: null,
      hours: 0,
    };
    const fresh = await insertIfAbsent(this.models.TrainingEnrolment.collection.insertOne(doc as never));
    if (fresh) this.cache.get(e.classId)?.set(doc._id, doc as unknown as EnrolmentDoc);
    return fresh;
  }

  /** Changes an enrolment (by `_id`); `requeue` puts it at the end of the waiting order. Call under the class's lock. */
  async set(id: string, fields: Partial<Pick<EnrolmentDoc, 'state' | 'via' | 'reason' | 'hours' | 'completedAt' | 'decidedAt' | 'decidedBy' | 'at' | 'unitId' | 'override'>>, requeue?: number): Promise<void> {
    const change = { ...fields, ...(requeue !== undefined ? { seq: nextSeq(requeue) } : {}) };
    await this.models.TrainingEnrolment.updateOne({ _id: id }, { $set: change });
    const held = this.cache.get(id.slice(0, id.indexOf(':')))?.get(id);
    if (held) Object.assign(held, change);
  }

  async removeClass(classId: string): Promise<void> {
    await this.models.TrainingEnrolment.deleteMany({ classId: new Types.ObjectId(classId) });
    this.cache.delete(classId);
  }
}
