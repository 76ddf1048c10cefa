/**
 * The training classes collection. A county runs dozens of classes a year, so lists are read
 * whole for a year and filtered by the pure rules (training-rules.ts). Every read-modify-write of
 * a class or of its enrolments runs under its `training-class:<id>` key of the store's lock
 * (FerretDB 1.24 rewrites the whole document, and counts seats by reading): `serial()`.
 */
import { Types } from 'mongoose';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { TrainingClassDoc } from './training.model';

export type ClassFields = Omit<TrainingClassDoc, '_id' | 'createdAt' | 'updatedAt' | 'createdBy' | 'completedAt' | 'nomination' | 'completionRules' | 'certificateNo'>;
/** Set apart from the class form's fields (nomination.service.ts, completion.service.ts, certificate-service.ts). */
type ClassExtras = Partial<Pick<TrainingClassDoc, 'completedAt' | 'nomination' | 'completionRules' | 'certificateNo'>>;

export class ClassRepository {
  constructor(private readonly models: Models) {}

  /** Runs `fn` after every earlier task on this class (seats, edits, completion) has finished. */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return storeLock(this.models).run(`training-class:${id}`, fn);
  }

  async insert(fields: ClassFields, createdBy: Types.ObjectId): Promise<TrainingClassDoc> {
    const doc = await this.models.TrainingClass.create({ ...fields, createdBy });
    return doc.toObject() as TrainingClassDoc;
  }

  find(id: string): Promise<TrainingClassDoc | null> {
    if (!Types.ObjectId.isValid(id)) return Promise.resolve(null);
    return this.models.TrainingClass.findById(id).lean<TrainingClassDoc>().exec();
  }

  /** Every class of a county year, soonest first. */
  async forYear(year: number): Promise<TrainingClassDoc[]> {
    const rows = await this.models.TrainingClass.find({ year }).lean<TrainingClassDoc[]>();
    return rows.sort((a, b) => a.startDay.localeCompare(b.startDay) || a.name.localeCompare(b.name, 'zh-CN') || a.cohort - b.cohort);
  }

  /** Classes by id (a cadre's enrolments), one `_id` read each. */
  async byIds(ids: readonly string[]): Promise<TrainingClassDoc[]> {
    const out: TrainingClassDoc[] = [];
    for (const id of ids) {
      const c = await this.find(id);
      if (c) out.push(c);
    }
    return out;
  }

  /** Call under serial(id). */
  async set(id: string, fields: Partial<ClassFields> & ClassExtras): Promise<TrainingClassDoc | null> {
    return this.models.TrainingClass.findByIdAndUpdate(id, { $set: fields }, { returnDocument: 'after' }).lean<TrainingClassDoc>();
  }

  /** Call under serial(id). */
  async remove(id: string): Promise<void> {
    await this.models.TrainingClass.deleteOne({ _id: new Types.ObjectId(id) });
  }
}
