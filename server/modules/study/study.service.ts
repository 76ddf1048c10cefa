/**
 * Self-selection (自主选学) and the study archive (学习档案). A seat of a limited offering is a
 * document whose `_id` is the slot (`lecture:n`): taking one is an insert the primary key makes
 * atomic, so concurrent selections never overbook (a conditional `$inc` on FerretDB does); the
 * lecture's `seatsLeft` is a recount shown in the catalog, written under the lecture's lock. A
 * selection's `_id` (user:lecture) makes a second one a conflict that gives the seat back. The
 * study index is written under the cadre's lock. Pages read roll-ups by `_id` (summary user:year,
 * index by user).
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { writeLecture, type CatalogService } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import type { OrgService } from '../org/org.service';
import type { UserDoc } from '../users/user.model';
import { isBehind, windowEarned } from './credit-rules';
import type { StudyEngine } from './study-engine';
import { insertIfAbsent, isDuplicateKey } from '../../store/errors';

const round1 = (x: number) => Math.round(x * 10) / 10;

export class StudyService {
  constructor(
    private readonly models: Models,
    private readonly engine: StudyEngine,
    private readonly catalog: CatalogService,
    private readonly org: OrgService,
    private readonly calendar: CountyCalendar,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ---- selections ------------------------------------------------------------------------

  async select(user: UserDoc, input: { lectureId?: string; topic?: string; deadline?: string }) {
    const userId = String(user._id);
    const deadline = input.deadline ? new Date(input.deadline) : undefined;
    if (input.lectureId) {
      const lecture = await this.catalog.loadViewable(user, input.lectureId);
      if (lecture.state !== 'published') throw errors.notFound('课程', 'Lecture');
      const id = `${userId}:${input.lectureId}`;
      if (await this.models.Selection.exists({ _id: id })) throw errors.conflict('ALREADY_SELECTED', '已选学该课程', 'You have already selected this lecture');
      const limit = typeof lecture.seatLimit === 'number' ? lecture.seatLimit : null;
      const seatId = limit === null ? undefined : await this.takeSeat(lecture, user);
      try {
        await this.models.Selection.collection.insertOne({ _id: id as never, userId: user._id, lectureId: lecture._id, selectedAt: this.now(), deadline, seatId });
      } catch (err) {
        if (seatId) await this.releaseSeat(lecture._id, seatId);
        if (isDuplicateKey(err)) throw errors.conflict('ALREADY_SELECTED', '已选学该课程', 'You have already selected this lecture');
        throw err;
      }
      await this.engine.serialUser(userId, () => this.models.StudyIndex.updateOne({ _id: userId }, { $addToSet: { selections: id } }, { upsert: true }));
      return { id, lectureId: input.lectureId, title: lecture.title, required: lecture.required ?? false, deadline: deadline?.toISOString() };
    }
    if (!input.topic) throw errors.validation('lectureId or topic is required');
    const id = `${userId}:topic:${input.topic}`;
    try {
      await this.models.Selection.collection.insertOne({ _id: id as never, userId: user._id, topic: input.topic, selectedAt: this.now(), deadline });
    } catch (err) {
      if (isDuplicateKey(err)) throw errors.conflict('ALREADY_SELECTED', '已选学该专题', 'You have already selected this topic');
      throw err;
    }
    await this.engine.serialUser(userId, () => this.models.StudyIndex.updateOne({ _id: userId }, { $addToSet: { selections: id } }, { upsert: true }));
    return { id, topic: input.topic, title: input.topic, required: false, deadline: deadline?.toISOString() };
  }

  async drop(user: UserDoc, id: string) {
    const userId = String(user._id);
    if (!id.startsWith(`${userId}:`)) throw errors.notFound('选学记录', 'Selection');
    const row = await this.models.Selection.findById(id).lean();
    if (!row) throw errors.notFound('选学记录', 'Selection');
    const res = await this.models.Selection.deleteOne({ _id: id });
    if (res.deletedCount === 1 && row.lectureId && row.seatId) await this.releaseSeat(row.lectureId, row.seatId);
    await this.engine.serialUser(userId, () => this.models.StudyIndex.updateOne({ _id: userId }, { $pull: { selections: id } }));
  }

  /** Takes a free seat slot (an insert the primary key makes atomic) or throws SEATS_FULL. */
  private async takeSeat(lecture: LectureDoc, user: UserDoc): Promise<string> {
    const limit = lecture.seatLimit ?? 0;
    const hint = limit - (lecture.seatsLeft ?? limit);
    for (let k = 0; k < limit; k++) {
      const seatId = `${String(lecture._id)}:${(hint + k) % limit}`;
      if (await insertIfAbsent(this.models.Seat.collection.insertOne({ _id: seatId as never, lectureId: lecture._id, userId: user._id, at: this.now() }))) {
        await this.syncSeats(lecture._id);
        return seatId;
      }
    }
    throw errors.conflict('SEATS_FULL', '名额已满', 'All seats of this offering are taken');
  }

  private async releaseSeat(lectureId: Types.ObjectId, seatId: string) {
    await this.models.Seat.deleteOne({ _id: seatId });
    await this.syncSeats(lectureId);
  }

  /**
   * Recounts the taken seats into `seatsLeft` (shown in the catalog; the seats themselves decide),
   * under the lecture's lock: recounts run one after another, so the last one sees every insert,
   * and no other write of the lecture (an edit, a watch count) overwrites it or is overwritten.
   */
  private syncSeats(lectureId: Types.ObjectId): Promise<void> {
    return writeLecture(this.models, String(lectureId), () => this.recountSeats(lectureId));
  }

  private async recountSeats(lectureId: Types.ObjectId) {
    const lecture = await this.models.Lecture.findById(lectureId, { seatLimit: 1 }).lean();
    if (typeof lecture?.seatLimit !== 'number') return;
    const taken = await this.models.Seat.countDocuments({ lectureId });
    const fresh = await this.models.Lecture.findByIdAndUpdate(lectureId, { $set: { seatsLeft: Math.max(0, lecture.seatLimit - taken) } }, { returnDocument: 'after' }).lean<LectureDoc>();
    if (fresh) this.catalog.index.apply(fresh);
  }

  async selections(user: UserDoc) {
    const idx = await this.models.StudyIndex.findById(String(user._id)).lean();
    const out = [];
    for (const id of idx?.selections ?? []) {
      const s = await this.models.Selection.findById(id).lean();
      if (!s) continue;
      const lecture = s.lectureId ? await this.models.Lecture.findById(s.lectureId, { title: 1, required: 1 }).lean() : null;
      out.push({ id, lectureId: s.lectureId ? String(s.lectureId) : undefined, topic: s.topic ?? undefined, title: lecture?.title ?? s.topic ?? '', required: lecture?.required ?? false, deadline: s.deadline ? new Date(s.deadline).toISOString() : undefined });
    }
    return out;
  }

  // ---- my study --------------------------------------------------------------------------

  async myStudy(user: UserDoc, year: number) {
    const userId = String(user._id);
    const policy = await this.engine.creditPolicy(user.rank ?? 'township');
    const summary = await this.models.Summary.findById(`${userId}:${year}`).lean();
    const idx = await this.models.StudyIndex.findById(userId).lean();
    const years = [...new Set([...(idx?.years ?? []), year])].sort((a, b) => b - a);
    const byYear: Record<number, number> = {};
    for (const y of years) byYear[y] = y === year ? (summary?.total ?? 0) : ((await this.models.Summary.findById(`${userId}:${y}`, { total: 1 }).lean())?.total ?? 0);
    const lectures = [];
    for (const lectureId of summary?.lectures ?? []) {
      const info = await this.engine.lecture(lectureId);
      if (!info) continue;
      const p = await this.engine.progressOf(userId, lectureId);
      const ledger = await this.models.Ledger.findById(`${userId}:${lectureId}:${year}`, { hours: 1 }).lean();
      // Completed, but its lecture's credit waits for a passed test (server/modules/quiz credit-hold.ts).
      const held = !ledger && p.completedAt !== null ? await this.models.QuizCreditHold.exists({ _id: `${userId}:${lectureId}:${year}`, releasedAt: null }) : null;
      lectures.push({
        lectureId,
        title: info.title,
        category: info.category,
        required: info.required,
        progress: info.durationSec ? Math.min(1, p.coveredSec / info.durationSec) : 0,
        completed: p.completedAt !== null,
        creditHours: info.creditHours,
        earnedHours: ledger?.hours ?? 0,
        creditHeld: Boolean(held),
        lastWatchedAt: p.lastWatchedAt ? new Date(p.lastWatchedAt).toISOString() : undefined,
      });
    }
    const earned = round1(summary?.total ?? 0);
    const assignments = await this.assignmentsFor(user, year);
    return {
      year,
      rank: (user.rank ?? 'township') as 'township' | 'county',
      requirement: {
        yearlyHours: policy.yearlyHours,
        requiredMinHours: policy.requiredMinHours,
        windowYears: policy.windowYears,
        windowHours: policy.windowHours,
        windowEarned: windowEarned(byYear, year, policy.windowYears),
      },
      earned: {
        total: earned,
        required: round1(summary?.required ?? 0),
        elective: round1(summary?.elective ?? 0),
        byMonth: ((summary?.byMonth as number[] | undefined) ?? Array(12).fill(0)).map(round1),
        byCategory: (summary?.byCategory as Record<string, number> | undefined) ?? {},
      },
      behind: isBehind(earned, policy, this.calendar.month(this.now().getTime())) && year === this.calendar.year(this.now().getTime()),
      lectures,
      history: years.map((y) => ({ year: y, total: round1(byYear[y] ?? 0) })),
      selections: await this.selections(user),
      assignments,
    };
  }

  // ---- assignments -----------------------------------------------------------------------

  async assign(actor: UserDoc, input: { unitId: string; lectureId?: string; topic?: string; year: number; dueDate?: string }) {
    if (actor.role === 'unitAdmin') {
      const scope = actor.orgUnitId ? await this.org.subtree(actor.orgUnitId) : [];
      if (!scope.some((id) => id.equals(input.unitId))) throw errors.forbidden();
    }
    if (!input.lectureId && !input.topic) throw errors.validation('lectureId or topic is required');
    if (input.lectureId && !(await this.models.Lecture.exists({ _id: input.lectureId }))) throw errors.notFound('课程', 'Lecture');
    const doc = await this.models.Assignment.create({ ...input, dueDate: input.dueDate ? new Date(input.dueDate) : undefined, createdBy: actor._id });
    return { id: String(doc._id), ...input };
  }

  /** Required lectures or topics assigned to the user's unit or the units above it. */
  async assignmentsFor(user: UserDoc, year: number) {
    if (!user.orgUnitId) return [];
    const units = await this.catalog.viewerUnits(user);
    const rows = await this.models.Assignment.find({ year, unitId: { $in: units.map((u) => new Types.ObjectId(u)) } }).lean();
    return rows.map((r) => ({ id: String(r._id), lectureId: r.lectureId ? String(r.lectureId) : undefined, topic: r.topic ?? undefined, dueDate: r.dueDate ? new Date(r.dueDate).toISOString() : undefined }));
  }

  assertYear(year: number) {
    if (year < 2000 || year > 2100) throw new AppError(400, 'VALIDATION_ERROR', '年份不正确', 'Invalid year');
  }
}
