/**
 * The learning-plan assignments collection. Lists are read whole for a year (a county has
 * hundreds of assignments, not millions) and filtered by the pure rules; edits of one assignment
 * run under its `plan:<id>` key of the store's lock (FerretDB 1.24 rewrites the document).
 */
import { Types } from 'mongoose';
import type { Models } from '../../store/models';
import { storeLock } from '../../store/keyed-lock';
import type { PlanAssignmentDoc, PlanKind } from './plan.model';

export interface PlanFields {
  kind: PlanKind;
  title: string;
  lectureIds: string[];
  unitIds: string[];
  ranks: string[];
  year: number;
  dueDay: string;
  note: string;
}

const oids = (ids: readonly string[]) => ids.map((id) => new Types.ObjectId(id));

export class PlanRepository {
  constructor(private readonly models: Models) {}

  async insert(fields: PlanFields, createdBy: Types.ObjectId, ownerUnitId: Types.ObjectId | null): Promise<PlanAssignmentDoc> {
    const doc = await this.models.PlanAssignment.create({ ...fields, lectureIds: oids(fields.lectureIds), unitIds: oids(fields.unitIds), createdBy, ownerUnitId });
    return doc.toObject() as PlanAssignmentDoc;
  }

  find(id: string): Promise<PlanAssignmentDoc | null> {
    if (!Types.ObjectId.isValid(id)) return Promise.resolve(null);
    return this.models.PlanAssignment.findById(id).lean<PlanAssignmentDoc>().exec();
  }

  /** Every assignment of a county year, soonest due first. */
  async forYear(year: number): Promise<PlanAssignmentDoc[]> {
    const rows = await this.models.PlanAssignment.find({ year }).lean<PlanAssignmentDoc[]>();
    return rows.sort((a, b) => a.dueDay.localeCompare(b.dueDay) || String(a._id).localeCompare(String(b._id)));
  }

  /** Replaces the editable fields; `check` runs on the stored document inside the lock and may throw. */
  update(id: string, fields: PlanFields, check: (doc: PlanAssignmentDoc) => Promise<void>): Promise<PlanAssignmentDoc | null> {
    return storeLock(this.models).run(`plan:${id}`, async () => {
      const doc = await this.find(id);
      if (!doc) return null;
      await check(doc);
      return this.models.PlanAssignment.findByIdAndUpdate(id, { $set: { ...fields, lectureIds: oids(fields.lectureIds), unitIds: oids(fields.unitIds) } }, { returnDocument: 'after' }).lean<PlanAssignmentDoc>();
    });
  }

  remove(id: string, check: (doc: PlanAssignmentDoc) => Promise<void>): Promise<boolean> {
    return storeLock(this.models).run(`plan:${id}`, async () => {
      const doc = await this.find(id);
      if (!doc) return false;
      await check(doc);
      return (await this.models.PlanAssignment.deleteOne({ _id: doc._id })).deletedCount === 1;
    });
  }
}
