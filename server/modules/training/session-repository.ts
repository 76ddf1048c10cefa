/**
 * The class sessions collection (课程表). A class holds a few dozen sessions, read whole per class
 * and kept in memory once read (per store's `Models`; one portal process per store): a check-in
 * reads its session on every scan, and FerretDB 1.24 answers a filter on `classId` by decoding
 * every session. Every write goes through here and updates the copy; writes of one class's
 * timetable run under its `training-timetable:<classId>` lock.
 */
import { Types } from 'mongoose';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { TrainingSessionDoc } from './session.model';

export type SessionFields = Omit<TrainingSessionDoc, '_id' | 'createdAt' | 'updatedAt' | 'classId'>;

interface Held {
  byClass: Map<string, Map<string, TrainingSessionDoc>>;
  byId: Map<string, TrainingSessionDoc>;
}
const held = new WeakMap<object, Held>();

export class SessionRepository {
  private readonly cache: Held;

  constructor(private readonly models: Models) {
    let c = held.get(models);
    if (!c) held.set(models, (c = { byClass: new Map(), byId: new Map() }));
    this.cache = c;
  }

  serial<T>(classId: string, fn: () => Promise<T>): Promise<T> {
    return storeLock(this.models).run(`training-timetable:${classId}`, fn);
  }

  /** The class's sessions, soonest first (a recorded part by its due day's start). */
  async ofClass(classId: string): Promise<TrainingSessionDoc[]> {
    let rows = this.cache.byClass.get(classId);
    if (!rows) {
      const found = Types.ObjectId.isValid(classId) ? await this.models.TrainingSession.find({ classId: new Types.ObjectId(classId) }).lean<TrainingSessionDoc[]>() : [];
      rows = this.cache.byClass.get(classId) ?? new Map(found.map((s) => [String(s._id), s]));
      this.cache.byClass.set(classId, rows);
      for (const s of rows.values()) this.cache.byId.set(String(s._id), s);
    }
    return [...rows.values()];
  }

  async find(id: string): Promise<TrainingSessionDoc | null> {
    const hit = this.cache.byId.get(id);
    if (hit) return hit;
    if (!Types.ObjectId.isValid(id)) return null;
    const doc = await this.models.TrainingSession.findById(id).lean<TrainingSessionDoc>();
    if (doc) this.cache.byId.set(id, doc);
    return doc;
  }

  /** Call under serial(classId). */
  async insert(classId: string, fields: SessionFields): Promise<TrainingSessionDoc> {
    await this.ofClass(classId);
    const doc = (await this.models.TrainingSession.create({ ...fields, classId: new Types.ObjectId(classId) })).toObject() as TrainingSessionDoc;
    this.remember(classId, doc);
    return doc;
  }

  /** Call under serial(classId). */
  async set(classId: string, id: string, fields: SessionFields): Promise<TrainingSessionDoc | null> {
    await this.ofClass(classId);
    const doc = await this.models.TrainingSession.findByIdAndUpdate(id, { $set: fields }, { returnDocument: 'after' }).lean<TrainingSessionDoc>();
    if (doc) this.remember(classId, doc);
    return doc;
  }

  /** Call under serial(classId). */
  async remove(classId: string, id: string): Promise<void> {
    await this.models.TrainingSession.deleteOne({ _id: new Types.ObjectId(id) });
    this.cache.byClass.get(classId)?.delete(id);
    this.cache.byId.delete(id);
  }

  private remember(classId: string, doc: TrainingSessionDoc) {
    this.cache.byClass.get(classId)?.set(String(doc._id), doc);
    this.cache.byId.set(String(doc._id), doc);
  }
}
