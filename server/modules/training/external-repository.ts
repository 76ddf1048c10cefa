/**
 * External training claims (外出培训学时登记). A county sees a few thousand a year: lists are read
 * for a year and scoped in the service. A decision is a read-modify-write of one claim, run
 * under its `training-external:<id>` key of the store's lock, so two admins deciding at once
 * cannot both credit it (the ledger's insert-if-absent would hold anyway).
 */
import { Types } from 'mongoose';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { ExternalTrainingDoc } from './training.model';

export interface ClaimFields {
  _id?: Types.ObjectId;
  userId: Types.ObjectId;
  unitId: Types.ObjectId | null;
  title: string;
  organiser: string;
  startDay: string;
  endDay: string;
  hoursClaimed: number;
  note: string;
  year: number;
  certificateType?: string | null;
  certificateName?: string;
}

export class ExternalRepository {
  constructor(private readonly models: Models) {}

  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return storeLock(this.models).run(`training-external:${id}`, fn);
  }

  async insert(fields: ClaimFields): Promise<ExternalTrainingDoc> {
    const doc = await this.models.ExternalTraining.create({ ...fields, state: 'pending' });
    return doc.toObject() as ExternalTrainingDoc;
  }

  find(id: string): Promise<ExternalTrainingDoc | null> {
    if (!Types.ObjectId.isValid(id)) return Promise.resolve(null);
    return this.models.ExternalTraining.findById(id).lean<ExternalTrainingDoc>().exec();
  }

  ofUser(userId: string): Promise<ExternalTrainingDoc[]> {
    return this.models.ExternalTraining.find({ userId: new Types.ObjectId(userId) }).sort({ createdAt: -1 }).lean<ExternalTrainingDoc[]>().exec();
  }

  /** Claims of a year from these units (null = every unit), newest first. */
  async ofUnits(year: number, unitIds: readonly string[] | null): Promise<ExternalTrainingDoc[]> {
    const filter: Record<string, unknown> = { year };
    if (unitIds) filter.unitId = { $in: unitIds.map((u) => new Types.ObjectId(u)) };
    const rows = await this.models.ExternalTraining.find(filter).lean<ExternalTrainingDoc[]>();
    return rows.sort((a, b) => Number(a.state !== 'pending') - Number(b.state !== 'pending') || new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime());
  }

  /** Call under serial(id). */
  async set(id: string, fields: Partial<Pick<ExternalTrainingDoc, 'state' | 'hoursAllowed' | 'reason' | 'decidedBy' | 'decidedAt'>>): Promise<ExternalTrainingDoc | null> {
    return this.models.ExternalTraining.findByIdAndUpdate(id, { $set: fields }, { returnDocument: 'after' }).lean<ExternalTrainingDoc>();
  }

  /** Call under serial(id). */
  async remove(id: string): Promise<void> {
    await this.models.ExternalTraining.deleteOne({ _id: new Types.ObjectId(id) });
  }
}
