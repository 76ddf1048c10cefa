/**
 * Training classes (培训班) for admins. The organisation department creates, edits and deletes
 * them; a unit admin sees the classes open to their units (or that they manage) and edits none;
 * a class's managers (班主任: org admins, or unit admins given the class) run its roster
 * (enrolment.service.ts). Edits of a class run under its lock, so a capacity change and
 * concurrent applications count the same seats; raising the capacity seats waiting cadres.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { LectureCategory } from '../catalog/lecture.model';
import type { OrgService } from '../org/org.service';
import type { UserDoc } from '../users/user.model';
import { ClassRepository, type ClassFields } from './class-repository';
import { EnrolmentRepository } from './enrolment-repository';
import type { ClassCategory, ClassChannel, EnrolmentDoc, TrainingClassDoc } from './training.model';
import { defaultWithdrawBy, reachesUnits, seatsTaken } from './training-rules';
import { scopeOf, trainingErrors, type Scope } from './training-scope';

export interface ClassInput {
  name: string;
  cohort?: number;
  category: ClassCategory;
  channel: ClassChannel;
  organiser?: string;
  startDay: string;
  endDay: string;
  venue?: string;
  capacity: number;
  unitIds?: string[];
  ranks?: string[];
  creditHours: number;
  required?: boolean;
  contentCategory?: LectureCategory;
  managerIds?: string[];
  applications?: boolean;
  approval?: boolean;
  withdrawBy?: string;
  note?: string;
}

const uniq = (xs: readonly string[] | undefined) => [...new Set(xs ?? [])];

export type Counts = { enrolled: number; waitlisted: number; pending: number; completed: number };

export function countsOf(rows: readonly EnrolmentDoc[]): Counts {
  const n = (s: string) => rows.filter((r) => r.state === s).length;
  return { enrolled: n('enrolled'), waitlisted: n('waitlisted'), pending: n('pending'), completed: n('completed') };
}

export class ClassesService {
  readonly classes: ClassRepository;
  readonly enrolments: EnrolmentRepository;

  constructor(
    private readonly models: Models,
    private readonly org: OrgService,
    private readonly calendar: CountyCalendar,
    /** Seats the first waiting cadres when places free up (enrolment.service.ts); call under the class's lock. */
    private readonly promote: (cls: TrainingClassDoc) => Promise<void>,
  ) {
    this.classes = new ClassRepository(models);
    this.enrolments = new EnrolmentRepository(models);
  }

  scope(user: UserDoc): Promise<Scope> {
    return scopeOf(this.org, user);
  }

  /** May the actor see the class in the admin list? */
  visible(c: TrainingClassDoc, s: Scope): boolean {
    if (s.user.role === 'orgAdmin') return true;
    if (this.isManager(c, s)) return true;
    return s.units !== null && reachesUnits({ unitIds: c.unitIds.map(String), ranks: c.ranks }, s.units, s.path);
  }

  isManager(c: TrainingClassDoc, s: Scope): boolean {
    return s.user.role === 'orgAdmin' || (s.user.role === 'unitAdmin' && c.managerIds.some((m) => String(m) === s.userId));
  }

  /** The class for an admin who may see it, else 404. */
  async visibleClass(id: string, s: Scope): Promise<TrainingClassDoc> {
    const c = await this.classes.find(id);
    if (!c || !this.visible(c, s)) throw trainingErrors.classNotFound();
    return c;
  }

  private async fields(input: ClassInput): Promise<ClassFields> {
    if (input.endDay < input.startDay) throw trainingErrors.badDates();
    const withdrawBy = input.withdrawBy ?? defaultWithdrawBy(this.calendar, input.startDay);
    if (withdrawBy > input.endDay) throw trainingErrors.badWithdrawBy();
    const unitIds = uniq(input.unitIds);
    if (unitIds.length && (await this.models.OrgUnit.countDocuments({ _id: { $in: unitIds.map((u) => new Types.ObjectId(u)) } })) !== unitIds.length) throw trainingErrors.unknownUnit();
    const managerIds = uniq(input.managerIds);
    if (managerIds.length) {
      const admins = await this.models.User.find({ _id: { $in: managerIds.map((m) => new Types.ObjectId(m)) } }, { role: 1 }).lean();
      if (admins.length !== managerIds.length || admins.some((a) => a.role !== 'orgAdmin' && a.role !== 'unitAdmin')) throw trainingErrors.badManager();
    }
    return {
      name: input.name.trim(),
      cohort: input.cohort ?? 1,
      category: input.category,
      channel: input.channel,
      organiser: input.organiser?.trim() ?? '',
      startDay: input.startDay,
      endDay: input.endDay,
      venue: input.venue?.trim() ?? '',
      capacity: input.capacity,
      unitIds: unitIds.map((u) => new Types.ObjectId(u)),
      ranks: uniq(input.ranks),
      creditHours: input.creditHours,
      required: input.required ?? true,
      contentCategory: input.contentCategory ?? 'service',
      managerIds: managerIds.map((m) => new Types.ObjectId(m)),
      applications: input.applications ?? true,
      approval: input.approval ?? false,
      withdrawBy,
      note: input.note?.trim() ?? '',
      year: Number(input.startDay.slice(0, 4)),
    };
  }

  async create(actor: UserDoc, input: ClassInput) {
    const s = await this.scope(actor);
    const doc = await this.classes.insert(await this.fields(input), actor._id);
    return (await this.views([doc], s))[0]!;
  }

  async update(actor: UserDoc, id: string, input: ClassInput) {
    const s = await this.scope(actor);
    const fields = await this.fields(input);
    const doc = await this.classes.serial(id, async () => {
      if (!(await this.classes.find(id))) throw trainingErrors.classNotFound();
      const taken = seatsTaken((await this.enrolments.ofClass(id)).map((e) => e.state));
      if (fields.capacity < taken) throw trainingErrors.capacityBelow(taken);
      const updated = await this.classes.set(id, fields);
      if (updated) await this.promote(updated);
      return updated;
    });
    if (!doc) throw trainingErrors.classNotFound();
    return (await this.views([doc], s))[0]!;
  }

  async remove(id: string) {
    await this.classes.serial(id, async () => {
      if (!(await this.classes.find(id))) throw trainingErrors.classNotFound();
      if ((await this.enrolments.ofClass(id)).some((e) => e.state === 'completed')) throw trainingErrors.hasCompletions();
      // Attendance is evidence: a class someone checked in at stays. Otherwise its timetable goes with it.
      if (await this.models.TrainingAttendance.exists({ classId: id })) throw trainingErrors.hasAttendance();
      await this.models.TrainingSession.deleteMany({ classId: id });
      await this.enrolments.removeClass(id);
      await this.classes.remove(id);
    });
  }

  async list(actor: UserDoc, year: number) {
    const s = await this.scope(actor);
    return this.views((await this.classes.forYear(year)).filter((c) => this.visible(c, s)), s);
  }

  async one(actor: UserDoc, id: string) {
    const s = await this.scope(actor);
    return (await this.views([await this.visibleClass(id, s)], s))[0]!;
  }

  /** Views with unit and manager names and seat counts: one query per collection. */
  async views(rows: TrainingClassDoc[], s: Scope) {
    if (!rows.length) return [];
    const ids = rows.map((c) => c._id);
    const enrolments = await this.models.TrainingEnrolment.find({ classId: { $in: ids } }, { classId: 1, state: 1 }).lean<EnrolmentDoc[]>();
    const managerIds = [...new Set(rows.flatMap((c) => c.managerIds.map(String)))];
    const managers = managerIds.length ? await this.models.User.find({ _id: { $in: managerIds.map((m) => new Types.ObjectId(m)) } }, { displayName: 1 }).lean() : [];
    const managerName = new Map(managers.map((m) => [String(m._id), m.displayName]));
    return rows.map((c) => {
      const id = String(c._id);
      const counts = countsOf(enrolments.filter((e) => String(e.classId) === id));
      return {
        ...classFacts(c, s.unitName),
        managers: c.managerIds.map((m) => ({ id: String(m), displayName: managerName.get(String(m)) ?? '' })),
        counts,
        placesLeft: Math.max(0, c.capacity - counts.enrolled - counts.completed),
        editable: s.user.role === 'orgAdmin',
        manageable: this.isManager(c, s),
        nominationOpen: c.nomination?.open ?? false,
      };
    });
  }
}

/** What every view of a class says about it (admins and cadres). */
export function classFacts(c: TrainingClassDoc, unitName: (id: string) => string) {
  return {
    id: String(c._id),
    name: c.name,
    cohort: c.cohort,
    category: c.category as ClassCategory,
    channel: c.channel as ClassChannel,
    organiser: c.organiser ?? '',
    startDay: c.startDay,
    endDay: c.endDay,
    venue: c.venue ?? '',
    capacity: c.capacity,
    units: c.unitIds.map((u) => ({ id: String(u), name: unitName(String(u)) })),
    ranks: c.ranks,
    creditHours: c.creditHours,
    required: c.required ?? true,
    contentCategory: (c.contentCategory ?? 'service') as LectureCategory,
    applications: c.applications ?? true,
    approval: c.approval ?? false,
    withdrawBy: c.withdrawBy,
    note: c.note ?? '',
    year: c.year,
    completedAt: c.completedAt ? new Date(c.completedAt).toISOString() : undefined,
  };
}
