/**
 * The nominations collection (推荐调训): `_id` = `classId:userId`, so a cadre is nominated for a
 * class once (insert-if-absent); a refused or withdrawn nomination is set back to pending by `_id`.
 * Reads by class scan the collection (FerretDB filters in Go): a county nominates a few hundred
 * cadres a year, and every write runs under the class's lock (ClassRepository.serial).
 */
import { Types } from 'mongoose';
import { insertIfAbsent } from '../../store/errors';
import type { Models } from '../../store/models';
import type { NominationDoc, NominationState } from './training.model';

export const nominationId = (classId: string, userId: string) => `${classId}:${userId}`;

export class NominationRepository {
  constructor(private readonly models: Models) {}

  async ofClass(classId: string): Promise<NominationDoc[]> {
    const rows = await this.models.TrainingNomination.find({ classId: new Types.ObjectId(classId) }).lean<NominationDoc[]>();
    return rows.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  }

  async ofClasses(classIds: readonly string[]): Promise<NominationDoc[]> {
    if (!classIds.length) return [];
    return this.models.TrainingNomination.find({ classId: { $in: classIds.map((c) => new Types.ObjectId(c)) } }).lean<NominationDoc[]>();
  }

  /** True when new. Call under the class's lock. */
  insert(n: { classId: string; userId: string; unitId: string | null; quotaUnitId: string | null; nominatedBy: Types.ObjectId; at: number }): Promise<boolean> {
    const doc = {
      _id: nominationId(n.classId, n.userId),
      classId: new Types.ObjectId(n.classId),
      userId: new Types.ObjectId(n.userId),
      unitId: n.unitId ? new Types.ObjectId(n.unitId) : null,
      quotaUnitId: n.quotaUnitId ? new Types.ObjectId(n.quotaUnitId) : null,
      state: 'pending' as NominationState,
      nominatedBy: n.nominatedBy,
      at: new Date(n.at),
      decidedBy: null,
      decidedAt: null,
      reason: '',
    };
    return insertIfAbsent(this.models.TrainingNomination.collection.insertOne(doc as never));
  }

  /** Call under the class's lock. */
  async set(id: string, fields: Partial<Omit<NominationDoc, '_id' | 'classId' | 'userId'>>): Promise<void> {
    await this.models.TrainingNomination.updateOne({ _id: id }, { $set: fields });
  }
}
