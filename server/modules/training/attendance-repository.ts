/**
 * Attendance at class sessions: `_id` = `sessionId:userId`, one document per session and cadre.
 * The first record of a cadre at a session is an insert (the primary key makes two concurrent
 * first scans one document); later changes (a check-out, an earlier offline check-in) are
 * read-modify-writes under the record's `training-attendance:<id>` lock, since FerretDB 1.24
 * rewrites documents without atomicity. Check-in keeps the earliest time, check-out the latest,
 * so scans and batches give the same record in whatever order they arrive.
 * A session's records are kept in memory once read (the manager's roster reads them every few
 * seconds, and a filter on `sessionId` decodes every record of every session); every write goes
 * through here and lands in memory too, also before the session was read.
 */
import { Types } from 'mongoose';
import { insertIfAbsent } from '../../store/errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { AttendanceVia, TrainingAttendanceDoc } from './session.model';
import type { Direction } from './session-rules';

export const attendanceId = (sessionId: string, userId: string) => `${sessionId}:${userId}`;

interface Held {
  /** Sessions whose records were all read. */
  filled: Set<string>;
  bySession: Map<string, Map<string, TrainingAttendanceDoc>>;
}
const held = new WeakMap<object, Held>();

export interface Mark {
  classId: string;
  sessionId: string;
  userId: string;
  direction: Direction;
  at: number;
  via: AttendanceVia;
  markedBy?: string;
}

export type MarkResult = { record: TrainingAttendanceDoc; changed: boolean };

export class AttendanceRepository {
  private readonly cache: Held;

  constructor(private readonly models: Models) {
    let c = held.get(models);
    if (!c) held.set(models, (c = { filled: new Set(), bySession: new Map() }));
    this.cache = c;
  }

  private mapOf(sessionId: string) {
    let m = this.cache.bySession.get(sessionId);
    if (!m) this.cache.bySession.set(sessionId, (m = new Map()));
    return m;
  }

  async ofSession(sessionId: string): Promise<TrainingAttendanceDoc[]> {
    if (!this.cache.filled.has(sessionId)) {
      const rows = await this.models.TrainingAttendance.find({ sessionId: new Types.ObjectId(sessionId) }).lean<TrainingAttendanceDoc[]>();
      const m = this.mapOf(sessionId);
      // Writes that landed while the read ran are newer than what it saw.
      for (const r of rows) if (!m.has(r.userId.toString())) m.set(r.userId.toString(), r);
      this.cache.filled.add(sessionId);
    }
    return [...this.mapOf(sessionId).values()];
  }

  async find(sessionId: string, userId: string): Promise<TrainingAttendanceDoc | null> {
    const hit = this.cache.bySession.get(sessionId)?.get(userId);
    if (hit) return hit;
    // Every record of a session read once is in memory: one not there does not exist.
    if (this.cache.filled.has(sessionId)) return null;
    return this.models.TrainingAttendance.findById(attendanceId(sessionId, userId)).lean<TrainingAttendanceDoc>();
  }

  /** Records a check-in or check-out; `changed` is false when the record already said as much. */
  mark(m: Mark): Promise<MarkResult> {
    const id = attendanceId(m.sessionId, m.userId);
    return storeLock(this.models).run(`training-attendance:${id}`, async () => {
      const at = new Date(m.at);
      const markedBy = m.markedBy ? new Types.ObjectId(m.markedBy) : null;
      const had = await this.find(m.sessionId, m.userId);
      if (!had) {
        const doc = {
          _id: id,
          classId: new Types.ObjectId(m.classId),
          sessionId: new Types.ObjectId(m.sessionId),
          userId: new Types.ObjectId(m.userId),
          checkInAt: m.direction === 'in' ? at : null,
          checkInVia: m.direction === 'in' ? m.via : null,
          checkOutAt: m.direction === 'out' ? at : null,
          checkOutVia: m.direction === 'out' ? m.via : null,
          markedBy,
          note: '',
        };
        if (await insertIfAbsent(this.models.TrainingAttendance.collection.insertOne(doc as never))) {
          this.mapOf(m.sessionId).set(m.userId, doc as unknown as TrainingAttendanceDoc);
          return { record: doc as unknown as TrainingAttendanceDoc, changed: true };
        }
        // Written by an earlier process between our read and insert: read it and go on.
        return this.change(m, (await this.models.TrainingAttendance.findById(id).lean<TrainingAttendanceDoc>())!, at, markedBy);
      }
      return this.change(m, had, at, markedBy);
    });
  }

  private async change(m: Mark, had: TrainingAttendanceDoc, at: Date, markedBy: Types.ObjectId | null): Promise<MarkResult> {
    const set: Partial<TrainingAttendanceDoc> = {};
    if (m.direction === 'in' && (!had.checkInAt || at < new Date(had.checkInAt))) Object.assign(set, { checkInAt: at, checkInVia: m.via });
    if (m.direction === 'out' && (!had.checkOutAt || at > new Date(had.checkOutAt))) Object.assign(set, { checkOutAt: at, checkOutVia: m.via });
    if (!Object.keys(set).length) return { record: had, changed: false };
    if (markedBy) set.markedBy = markedBy;
    await this.models.TrainingAttendance.updateOne({ _id: had._id }, { $set: set });
    const record = { ...had, ...set } as TrainingAttendanceDoc;
    this.mapOf(m.sessionId).set(m.userId, record);
    return { record, changed: true };
  }

  async countOfSession(sessionId: string): Promise<number> {
    return (await this.ofSession(sessionId)).length;
  }

  // ---- offline batches: each scan's outcome under its client key ----

  async outcome(sessionId: string, key: string): Promise<{ ok: boolean; code?: string } | null> {
    const done = await this.models.TrainingSyncKey.findById(`${sessionId}:${key}`).lean();
    return done ? { ok: done.ok, ...(done.code ? { code: done.code } : {}) } : null;
  }

  async keep(sessionId: string, key: string, outcome: { ok: boolean; code?: string }, now: number): Promise<void> {
    await insertIfAbsent(this.models.TrainingSyncKey.collection.insertOne({ _id: `${sessionId}:${key}` as never, ok: outcome.ok, code: outcome.code ?? null, at: new Date(now) }));
  }
}
