/**
 * Enrolment in training classes: by assignment (调训: the org admin or a class manager names
 * cadres) and by application (报名: a cadre of the audience applies; with approval a manager
 * approves or refuses with a reason; a full class puts the cadre on its waiting list; a cadre
 * withdraws an application until the class's deadline, county time). Nominations by units are
 * nomination.service.ts; completion (结业) and its certificates are completion.service.ts.
 * Seats are counted and taken only under the class's lock (ClassRepository.serial): FerretDB 1.24
 * has no atomic conditional update, and one enrolment per class and cadre is its `_id`. Notices
 * (the bell) are sent after the lock is released.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { NoticeService } from '../notices/notices.service';
import type { CreditLedger, LedgerEntry } from '../study/credit-ledger';
import type { UserDoc } from '../users/user.model';
import { ClassRepository } from './class-repository';
import { classFacts } from './classes.service';
import { EnrolmentRepository, enrolmentId } from './enrolment-repository';
import type { EnrolmentDoc, EnrolmentState, TrainingClassDoc } from './training.model';
import { ACTIVE, applicationState, applicationsOpen, completionOpen, creditInstant, openTo, seatsTaken, withdrawalOpen } from './training-rules';
import { trainingErrors, type Scope } from './training-scope';

export type Send = { userId: string; id: string; title: string; titleEn: string; body: string; bodyEn: string; link?: string };

export interface EnrolmentDeps {
  models: Models;
  calendar: CountyCalendar;
  ledger: CreditLedger;
  notices: NoticeService;
  scope: (user: UserDoc) => Promise<Scope>;
  isManager: (c: TrainingClassDoc, s: Scope) => boolean;
  visible: (c: TrainingClassDoc, s: Scope) => boolean;
  now?: () => number;
}

export const label = (c: TrainingClassDoc) => (c.cohort > 1 || /期/.test(c.name) ? `${c.name}(第${c.cohort}期)` : c.name);

/** The bell's message to a cadre enrolled in a class (assigned, applied, nominated and confirmed). */
export function enrolledNote(c: TrainingClassDoc, userId: string): Send {
  const when = c.startDay === c.endDay ? c.startDay : `${c.startDay} 至 ${c.endDay}`;
  return {
    userId,
    id: `training-enrolled-${String(c._id)}`,
    title: `您已列入培训班:${label(c)}`,
    titleEn: `You are enrolled in the class ${c.name}`,
    body: `${when}${c.venue ? `,${c.venue}` : ''}。结业后计 ${c.creditHours} 学时。`,
    bodyEn: `${c.startDay}–${c.endDay}${c.venue ? `, ${c.venue}` : ''}. Completion earns ${c.creditHours} hours.`,
  };
}

export class EnrolmentService {
  private readonly classes: ClassRepository;
  private readonly enrolments: EnrolmentRepository;
  private readonly now: () => number;

  constructor(private readonly deps: EnrolmentDeps) {
    this.classes = new ClassRepository(deps.models);
    this.enrolments = new EnrolmentRepository(deps.models);
    this.now = deps.now ?? Date.now;
  }

  async send(notes: Send[]) {
    const at = new Date(this.now());
    for (const n of notes) await this.deps.notices.send(n.userId, { id: n.id, kind: 'training', at, title: n.title, titleEn: n.titleEn, body: n.body, bodyEn: n.bodyEn, link: n.link ?? '/training' });
  }

  private enrolledNote(c: TrainingClassDoc, userId: string): Send {
    return enrolledNote(c, userId);
  }

  /** Seats the first waiting cadres while places are left. Call under the class's lock. */
  async promote(c: TrainingClassDoc, rows?: EnrolmentDoc[], notes: Send[] = []): Promise<Send[]> {
    const all = rows ?? (await this.enrolments.ofClass(String(c._id)));
    let taken = seatsTaken(all.map((e) => e.state));
    for (const e of all) {
      if (taken >= c.capacity) break;
      if (e.state !== 'waitlisted') continue;
      await this.enrolments.set(e._id, { state: 'enrolled' });
      e.state = 'enrolled';
      taken++;
      notes.push(this.enrolledNote(c, String(e.userId)));
    }
    if (!rows) await this.send(notes);
    return notes;
  }

  /** A cadre's classes of a year: those open to them and those they are enrolled in, with their state. */
  async mine(user: UserDoc, year: number) {
    const s = await this.deps.scope(user);
    const userId = String(user._id);
    const mine = new Map((await this.enrolments.ofUser(userId)).map((e) => [String(e.classId), e]));
    const facts = { unitPath: s.path, rank: user.rank ?? 'township' };
    const rows = (await this.classes.forYear(year)).filter((c) => mine.has(String(c._id)) || openTo({ unitIds: c.unitIds.map(String), ranks: c.ranks }, facts));
    const now = this.now();
    const seats = await this.deps.models.TrainingEnrolment.find({ classId: { $in: rows.map((c) => c._id) }, state: { $in: ['enrolled', 'completed'] } }, { classId: 1 }).lean();
    return rows.map((c) => {
      const e = mine.get(String(c._id));
      const active = e && ACTIVE.includes(e.state as EnrolmentState);
      const taken = seats.filter((x) => String(x.classId) === String(c._id)).length;
      return {
        ...classFacts(c, s.unitName),
        placesLeft: Math.max(0, c.capacity - taken),
        enrolment: e ? { state: e.state as EnrolmentState, via: e.via as 'assigned' | 'applied', reason: e.reason ?? '', hours: e.hours ?? 0 } : undefined,
        canApply: !active && (c.applications ?? true) && applicationsOpen(this.deps.calendar, c.startDay, now),
        canWithdraw: Boolean(active && e!.via === 'applied' && e!.state !== 'completed' && withdrawalOpen(this.deps.calendar, c.withdrawBy, now)),
      };
    });
  }

  /** 报名. Returns the state the application landed in. */
  async apply(user: UserDoc, classId: string): Promise<{ state: EnrolmentState }> {
    const s = await this.deps.scope(user);
    const userId = String(user._id);
    const notes: Send[] = [];
    const state = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      if (!c || !openTo({ unitIds: c.unitIds.map(String), ranks: c.ranks }, { unitPath: s.path, rank: user.rank ?? 'township' })) throw trainingErrors.classNotFound();
      if (!(c.applications ?? true)) throw trainingErrors.notOpen();
      const now = this.now();
      if (!applicationsOpen(this.deps.calendar, c.startDay, now)) throw trainingErrors.applicationsClosed();
      const rows = await this.enrolments.ofClass(classId);
      const mineNow = rows.find((e) => String(e.userId) === userId);
      if (mineNow && ACTIVE.includes(mineNow.state as EnrolmentState)) throw trainingErrors.already();
      const next = applicationState(c.approval ?? false, seatsTaken(rows.map((e) => e.state)), c.capacity);
      const unitId = user.orgUnitId ? String(user.orgUnitId) : null;
      if (mineNow) {
        await this.enrolments.set(mineNow._id, { state: next, via: 'applied', reason: '', decidedAt: null, decidedBy: null, at: new Date(now) }, now);
      } else if (!(await this.enrolments.insert({ classId, userId, unitId, state: next, via: 'applied', now }))) {
        throw trainingErrors.already();
      }
      if (next === 'enrolled') notes.push(this.enrolledNote(c, userId));
      return next;
    });
    await this.send(notes);
    return { state };
  }

  /** 退出报名, until the class's withdrawal deadline (end of that county day). */
  async withdraw(user: UserDoc, classId: string): Promise<{ state: EnrolmentState }> {
    const userId = String(user._id);
    const notes = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      const rows = c ? await this.enrolments.ofClass(classId) : [];
      const e = rows.find((x) => String(x.userId) === userId);
      if (!c || !e) throw trainingErrors.classNotFound();
      if (!['pending', 'enrolled', 'waitlisted'].includes(e.state)) throw trainingErrors.nothingToWithdraw();
      if (e.via === 'assigned') throw trainingErrors.assignedStays();
      if (!withdrawalOpen(this.deps.calendar, c.withdrawBy, this.now())) throw trainingErrors.withdrawClosed();
      await this.enrolments.set(e._id, { state: 'withdrawn', decidedAt: new Date(this.now()), decidedBy: user._id });
      e.state = 'withdrawn';
      return this.promote(c, rows);
    });
    await this.send(notes);
    return { state: 'withdrawn' };
  }

  /** The class for one of its managers (or the org admin); 404 if the actor may not see it, 403 if they may not manage it. */
  private async managed(actor: UserDoc, classId: string): Promise<{ c: TrainingClassDoc; s: Scope }> {
    const s = await this.deps.scope(actor);
    const c = await this.classes.find(classId);
    if (!c || !this.deps.visible(c, s)) throw trainingErrors.classNotFound();
    if (!this.deps.isManager(c, s)) throw trainingErrors.notManager();
    return { c, s };
  }

  /** 调训: enrols the named cadres (all or none when places run short). */
  async assign(actor: UserDoc, classId: string, userIds: string[]): Promise<{ assigned: number; already: number }> {
    const { s } = await this.managed(actor, classId);
    const ids = [...new Set(userIds)];
    const users = await this.deps.models.User.find({ _id: { $in: ids.map((u) => new Types.ObjectId(u)) } }, { role: 1, disabled: 1, orgUnitId: 1 }).lean();
    if (users.length !== ids.length || users.some((u) => u.role !== 'cadre' || u.disabled)) throw trainingErrors.notCadre();
    if (s.units && users.some((u) => !u.orgUnitId || !s.units!.has(String(u.orgUnitId)))) throw trainingErrors.outOfScope();
    const notes: Send[] = [];
    const result = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      if (!c) throw trainingErrors.classNotFound();
      const rows = await this.enrolments.ofClass(classId);
      const byUser = new Map(rows.map((e) => [String(e.userId), e]));
      const seated = (u: string) => ['enrolled', 'completed'].includes(byUser.get(u)?.state ?? '');
      const fresh = users.filter((u) => !seated(String(u._id)));
      const left = c.capacity - seatsTaken(rows.map((e) => e.state));
      if (fresh.length > left) throw trainingErrors.full(Math.max(0, left));
      const now = this.now();
      for (const u of fresh) {
        const userId = String(u._id);
        const had = byUser.get(userId);
        const unitId = u.orgUnitId ? String(u.orgUnitId) : null;
        if (had) await this.enrolments.set(had._id, { state: 'enrolled', via: 'assigned', reason: '', decidedAt: new Date(now), decidedBy: actor._id });
        else if (!(await this.enrolments.insert({ classId, userId, unitId, state: 'enrolled', via: 'assigned', now, decidedBy: actor._id }))) continue;
        notes.push(this.enrolledNote(c, userId));
      }
      return { assigned: notes.length, already: ids.length - fresh.length };
    });
    await this.send(notes);
    return result;
  }

  /** A manager's decision on one cadre: approve (seat or wait), refuse (with a reason), or remove from the roster. */
  async decide(actor: UserDoc, classId: string, userId: string, action: 'approve' | 'refuse' | 'remove', reason = ''): Promise<{ state: EnrolmentState }> {
    await this.managed(actor, classId);
    if (action !== 'approve' && !reason.trim()) throw trainingErrors.reasonNeeded();
    const notes: Send[] = [];
    const state = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      const rows = c ? await this.enrolments.ofClass(classId) : [];
      const e = rows.find((x) => x._id === enrolmentId(classId, userId));
      if (!c || !e) throw trainingErrors.classNotFound();
      const now = new Date(this.now());
      let next: EnrolmentState;
      if (action === 'approve') {
        if (e.state !== 'pending') throw trainingErrors.badTransition();
        next = seatsTaken(rows.map((x) => x.state)) < c.capacity ? 'enrolled' : 'waitlisted';
      } else if (action === 'refuse') {
        if (e.state !== 'pending' && e.state !== 'waitlisted') throw trainingErrors.badTransition();
        next = 'refused';
      } else {
        if (e.state !== 'enrolled') throw trainingErrors.badTransition();
        next = 'withdrawn';
      }
      await this.enrolments.set(e._id, { state: next, reason: action === 'approve' ? '' : reason.trim(), decidedAt: now, decidedBy: actor._id });
      e.state = next;
      if (next === 'enrolled') notes.push(this.enrolledNote(c, userId));
      if (next === 'refused' || next === 'withdrawn') {
        const removed = next === 'withdrawn';
        notes.push({
          userId,
          id: `training-${next}-${classId}-${now.getTime()}`,
          title: removed ? `您已被移出培训班:${label(c)}` : `培训班报名未通过:${label(c)}`,
          titleEn: removed ? `You were removed from the class ${c.name}` : `Your application to ${c.name} was not accepted`,
          body: `理由:${reason.trim()}`,
          bodyEn: `Reason: ${reason.trim()}`,
        });
        await this.promote(c, rows, notes);
      }
      return next;
    });
    await this.send(notes);
    return { state };
  }

  /** The roster: a manager sees everyone; another admin who may see the class only their units' cadres. */
  async roster(actor: UserDoc, classId: string) {
    const s = await this.deps.scope(actor);
    const c = await this.classes.find(classId);
    if (!c || !this.deps.visible(c, s)) throw trainingErrors.classNotFound();
    const manager = this.deps.isManager(c, s);
    const rows = (await this.classes.serial(classId, () => this.enrolments.ofClass(classId))).filter((e) => manager || (s.units !== null && e.unitId !== null && s.units.has(String(e.unitId))));
    const users = rows.length ? await this.deps.models.User.find({ _id: { $in: rows.map((e) => e.userId) } }, { displayName: 1, username: 1, rank: 1 }).lean() : [];
    const byId = new Map(users.map((u) => [String(u._id), u]));
    let waiting = 0;
    return {
      manageable: manager,
      items: rows.map((e) => {
        const u = byId.get(String(e.userId));
        return {
          userId: String(e.userId),
          displayName: u?.displayName ?? '',
          username: u?.username ?? '',
          unit: e.unitId ? s.unitName(String(e.unitId)) : '',
          state: e.state as EnrolmentState,
          via: e.via as 'assigned' | 'applied',
          at: new Date(e.at).toISOString(),
          reason: e.reason ?? '',
          hours: e.hours ?? 0,
          waitlistPosition: e.state === 'waitlisted' ? ++waiting : undefined,
        };
      }),
    };
  }
}
