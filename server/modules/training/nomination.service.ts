/**
 * 调训 by nomination (推荐调训): the organisation department opens a class to nominations with a
 * quota per unit and/or overall; unit admins nominate cadres of their own units (本单位及下属单位;
 * anyone else is 403); the organisation department (or a class manager) confirms each nomination,
 * which enrols the cadre (via `assigned`) against the class's capacity, or refuses it with a
 * reason. Quotas and seats are counted under the class's lock (FerretDB 1.24 has no atomic
 * conditional update); a nomination's `_id` is classId:userId. Cadres hear of each step in the bell;
 * the nominating admin hears of a refusal. Nominations close when the class starts.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { pathTo } from '../org/org-tree';
import type { UserDoc } from '../users/user.model';
import { ClassRepository } from './class-repository';
import { enrolledNote, label, type Send } from './enrolment.service';
import { EnrolmentRepository, enrolmentId } from './enrolment-repository';
import { NominationRepository, nominationId } from './nomination-repository';
import type { NominationDoc, NominationState, TrainingClassDoc } from './training.model';
import { applicationsOpen, quotaLeft, quotaUnitOf, reachesUnits, seatsTaken } from './training-rules';
import { trainingErrors, type Scope } from './training-scope';

export const nominationErrors = {
  closed: () => errors.conflict('TRAINING_NOMINATION_CLOSED', '该培训班未开放推荐或已开班', 'This class is not open to nominations'),
  noQuota: () => new AppError(409, 'TRAINING_NO_QUOTA', '所选干部的单位没有该班的推荐名额', 'The cadre’s unit has no nomination quota for this class', { field: 'userIds' }),
  quotaFull: (left: number) => new AppError(409, 'TRAINING_QUOTA_FULL', `推荐名额不足,剩余 ${left} 个`, `Not enough nomination places: ${left} left`, { placesLeft: left }),
  notFound: () => errors.notFound('推荐', 'Nomination'),
  badUnit: () => new AppError(400, 'TRAINING_UNKNOWN_UNIT', '所选单位不存在', 'A chosen unit does not exist', { field: 'unitQuotas' }),
};

export interface NominationSettings {
  open: boolean;
  overallQuota: number;
  unitQuotas: { unitId: string; quota: number }[];
}

export interface NominationDeps {
  models: Models;
  calendar: CountyCalendar;
  send: (notes: Send[]) => Promise<void>;
  scope: (user: UserDoc) => Promise<Scope>;
  isManager: (c: TrainingClassDoc, s: Scope) => boolean;
  visible: (c: TrainingClassDoc, s: Scope) => boolean;
  now?: () => number;
}

const LIVE: readonly NominationState[] = ['pending', 'confirmed'];
const isLive = (n: NominationDoc) => LIVE.includes(n.state as NominationState);

export const settingsOf = (c: TrainingClassDoc): NominationSettings => ({
  open: c.nomination?.open ?? false,
  overallQuota: c.nomination?.overallQuota ?? 0,
  unitQuotas: (c.nomination?.unitQuotas ?? []).map((q) => ({ unitId: String(q.unitId), quota: q.quota ?? 0 })),
});

export class NominationService {
  private readonly classes: ClassRepository;
  private readonly enrolments: EnrolmentRepository;
  private readonly nominations: NominationRepository;
  private readonly now: () => number;

  constructor(private readonly deps: NominationDeps) {
    this.classes = new ClassRepository(deps.models);
    this.enrolments = new EnrolmentRepository(deps.models);
    this.nominations = new NominationRepository(deps.models);
    this.now = deps.now ?? Date.now;
  }

  private async visibleClass(actor: UserDoc, classId: string) {
    const s = await this.deps.scope(actor);
    const c = await this.classes.find(classId);
    if (!c || !this.deps.visible(c, s)) throw trainingErrors.classNotFound();
    return { c, s };
  }

  /** The org admin opens or closes a class to nominations and sets its quotas. */
  async configure(actor: UserDoc, classId: string, input: NominationSettings): Promise<NominationSettings> {
    await this.visibleClass(actor, classId);
    const ids = [...new Set(input.unitQuotas.map((q) => q.unitId))];
    if (ids.length !== input.unitQuotas.length) throw nominationErrors.badUnit();
    if (ids.length && (await this.deps.models.OrgUnit.countDocuments({ _id: { $in: ids.map((u) => new Types.ObjectId(u)) } })) !== ids.length) throw nominationErrors.badUnit();
    return this.classes.serial(classId, async () => {
      const nomination = { open: input.open, overallQuota: input.overallQuota, unitQuotas: input.unitQuotas.map((q) => ({ unitId: new Types.ObjectId(q.unitId), quota: q.quota })) };
      const c = await this.classes.set(classId, { nomination: nomination as unknown as TrainingClassDoc['nomination'] });
      if (!c) throw trainingErrors.classNotFound();
      return settingsOf(c);
    });
  }

  /** A cadre's unit followed by the units above it. */
  private cadrePath(s: Scope, unitId: string | null): string[] {
    return unitId ? pathTo(s.flat, unitId).map((u) => u.id).reverse() : [];
  }

  /** The quotas an admin nominates against (a unit admin: those of their units; the org admin: all), with what is left. */
  private quotaView(c: TrainingClassDoc, s: Scope, live: NominationDoc[]) {
    const q = settingsOf(c);
    const left = quotaLeft(q, live.map((n) => ({ quotaUnitId: n.quotaUnitId ? String(n.quotaUnitId) : null })));
    const mine = q.unitQuotas.filter((u) => s.units === null || s.units.has(u.unitId) || s.path.includes(u.unitId));
    return {
      open: q.open,
      overall: q.overallQuota > 0 ? { quota: q.overallQuota, left: Math.max(0, left.overall) } : undefined,
      units: mine.map((u) => ({ unitId: u.unitId, unit: s.unitName(u.unitId), quota: u.quota, left: Math.max(0, left.units.get(u.unitId) ?? 0) })),
    };
  }

  private async rows(ns: NominationDoc[], s: Scope) {
    const users = ns.length ? await this.deps.models.User.find({ _id: { $in: ns.map((n) => n.userId) } }, { displayName: 1, username: 1 }).lean() : [];
    const byId = new Map(users.map((u) => [String(u._id), u]));
    return ns.map((n) => ({
      userId: String(n.userId),
      displayName: byId.get(String(n.userId))?.displayName ?? '',
      username: byId.get(String(n.userId))?.username ?? '',
      unit: n.unitId ? s.unitName(String(n.unitId)) : '',
      state: n.state as NominationState,
      reason: n.reason ?? '',
      at: new Date(n.at).toISOString(),
    }));
  }

  /** A unit admin sees their units' nominations; a manager all, with the settings. */
  async ofClass(actor: UserDoc, classId: string) {
    const { c, s } = await this.visibleClass(actor, classId);
    const all = await this.nominations.ofClass(classId);
    const manager = this.deps.isManager(c, s);
    const mine = manager ? all : all.filter((n) => s.units !== null && n.unitId !== null && s.units.has(String(n.unitId)));
    return { manageable: manager, settings: settingsOf(c), quotas: this.quotaView(c, s, all.filter(isLive)), items: await this.rows(mine, s) };
  }

  /** The year's classes open to nominations that reach the actor's units, with their quotas and the actor's nominations. */
  async open(actor: UserDoc, year: number) {
    const s = await this.deps.scope(actor);
    const now = this.now();
    const classes = (await this.classes.forYear(year)).filter((c) => c.nomination?.open && applicationsOpen(this.deps.calendar, c.startDay, now) && (s.units === null || reachesUnits({ unitIds: c.unitIds.map(String), ranks: c.ranks }, s.units, s.path)));
    const all = await this.nominations.ofClasses(classes.map((c) => String(c._id)));
    const out = [];
    for (const c of classes) {
      const ns = all.filter((n) => String(n.classId) === String(c._id));
      const mine = ns.filter((n) => s.units === null || (n.unitId !== null && s.units.has(String(n.unitId))));
      out.push({ id: String(c._id), name: c.name, cohort: c.cohort, startDay: c.startDay, endDay: c.endDay, venue: c.venue ?? '', creditHours: c.creditHours, quotas: this.quotaView(c, s, ns.filter(isLive)), items: await this.rows(mine, s) });
    }
    return out;
  }

  /** 推荐: all the named cadres or none (quota or scope). */
  async nominate(actor: UserDoc, classId: string, userIds: string[]): Promise<{ nominated: number; already: number }> {
    const { s } = await this.visibleClass(actor, classId);
    const ids = [...new Set(userIds)];
    const users = await this.deps.models.User.find({ _id: { $in: ids.map((u) => new Types.ObjectId(u)) } }, { role: 1, disabled: 1, orgUnitId: 1, displayName: 1 }).lean();
    if (users.length !== ids.length || users.some((u) => u.role !== 'cadre' || u.disabled)) throw trainingErrors.notCadre();
    if (s.units && users.some((u) => !u.orgUnitId || !s.units!.has(String(u.orgUnitId)))) throw trainingErrors.outOfScope();
    const notes: Send[] = [];
    const result = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      if (!c) throw trainingErrors.classNotFound();
      const now = this.now();
      const q = settingsOf(c);
      if (!q.open || !applicationsOpen(this.deps.calendar, c.startDay, now)) throw nominationErrors.closed();
      const all = await this.nominations.ofClass(classId);
      const seated = new Set((await this.enrolments.ofClass(classId)).filter((e) => e.state === 'enrolled' || e.state === 'completed').map((e) => String(e.userId)));
      const byUser = new Map(all.map((n) => [String(n.userId), n]));
      const fresh = users.filter((u) => !seated.has(String(u._id)) && !(byUser.get(String(u._id)) && isLive(byUser.get(String(u._id))!)));
      const live = all.filter(isLive).map((n) => ({ quotaUnitId: n.quotaUnitId ? String(n.quotaUnitId) : null }));
      const planned = fresh.map((u) => {
        const unitId = u.orgUnitId ? String(u.orgUnitId) : null;
        const quotaUnit = quotaUnitOf(q.unitQuotas, this.cadrePath(s, unitId));
        if (quotaUnit === null) throw nominationErrors.noQuota();
        return { u, unitId, quotaUnitId: quotaUnit ?? null };
      });
      const left = quotaLeft(q, [...live, ...planned]);
      if (left.overall < 0) throw nominationErrors.quotaFull(Math.max(0, left.overall + planned.length));
      for (const p of planned) {
        const l = p.quotaUnitId ? left.units.get(p.quotaUnitId)! : 0;
        if (l < 0) throw nominationErrors.quotaFull(Math.max(0, l + planned.filter((x) => x.quotaUnitId === p.quotaUnitId).length));
      }
      for (const p of planned) {
        const userId = String(p.u._id);
        const had = byUser.get(userId);
        if (had) await this.nominations.set(had._id, { state: 'pending', unitId: p.unitId ? new Types.ObjectId(p.unitId) : null, quotaUnitId: p.quotaUnitId ? new Types.ObjectId(p.quotaUnitId) : null, nominatedBy: actor._id, at: new Date(now), decidedBy: null, decidedAt: null, reason: '' });
        else if (!(await this.nominations.insert({ classId, userId, unitId: p.unitId, quotaUnitId: p.quotaUnitId, nominatedBy: actor._id, at: now }))) continue;
        notes.push({ userId, id: `training-nominated-${classId}`, title: `您已被推荐参加培训班:${label(c)}`, titleEn: `You were nominated for the class ${c.name}`, body: '待组织部确认后列入名单。', bodyEn: 'You are on the roster once the organisation department confirms.' });
      }
      return { nominated: notes.length, already: ids.length - fresh.length };
    });
    await this.deps.send(notes);
    return result;
  }

  /** A unit admin takes back a pending nomination of their units. */
  async withdraw(actor: UserDoc, classId: string, userId: string): Promise<{ state: NominationState }> {
    const { s } = await this.visibleClass(actor, classId);
    return this.classes.serial(classId, async () => {
      const n = (await this.nominations.ofClass(classId)).find((x) => x._id === nominationId(classId, userId));
      if (!n || (s.units && !(n.unitId && s.units.has(String(n.unitId))))) throw nominationErrors.notFound();
      if (n.state !== 'pending') throw trainingErrors.badTransition();
      await this.nominations.set(n._id, { state: 'withdrawn', decidedBy: actor._id, decidedAt: new Date(this.now()) });
      return { state: 'withdrawn' as const };
    });
  }

  /** The organisation department (or a class manager) confirms (enrols against capacity) or refuses (with a reason). */
  async decide(actor: UserDoc, classId: string, userId: string, action: 'confirm' | 'refuse', reason = ''): Promise<{ state: NominationState }> {
    const { c: seen, s } = await this.visibleClass(actor, classId);
    if (!this.deps.isManager(seen, s)) throw trainingErrors.notManager();
    if (action === 'refuse' && !reason.trim()) throw trainingErrors.reasonNeeded();
    const notes: Send[] = [];
    const state = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      const n = c ? (await this.nominations.ofClass(classId)).find((x) => x._id === nominationId(classId, userId)) : undefined;
      if (!c || !n) throw nominationErrors.notFound();
      if (n.state !== 'pending') throw trainingErrors.badTransition();
      const now = this.now();
      if (action === 'refuse') {
        await this.nominations.set(n._id, { state: 'refused', reason: reason.trim(), decidedBy: actor._id, decidedAt: new Date(now) });
        const note = { title: `推荐未获确认:${label(c)}`, titleEn: `A nomination for ${c.name} was not confirmed`, body: `理由:${reason.trim()}`, bodyEn: `Reason: ${reason.trim()}` };
        notes.push({ userId, id: `training-nomination-refused-${classId}-${now}`, ...note });
        notes.push({ userId: String(n.nominatedBy), id: `training-nomination-refused-${classId}-${userId}-${now}`, ...note, link: '/admin/training/nominations' });
        return 'refused' as const;
      }
      const rows = await this.enrolments.ofClass(classId);
      const had = rows.find((e) => e._id === enrolmentId(classId, userId));
      if (!had || (had.state !== 'enrolled' && had.state !== 'completed')) {
        const left = c.capacity - seatsTaken(rows.map((e) => e.state));
        if (left < 1) throw trainingErrors.full(0);
        const unitId = n.unitId ? String(n.unitId) : null;
        if (had) await this.enrolments.set(had._id, { state: 'enrolled', via: 'assigned', reason: '', decidedAt: new Date(now), decidedBy: actor._id });
        else await this.enrolments.insert({ classId, userId, unitId, state: 'enrolled', via: 'assigned', now, decidedBy: actor._id });
        notes.push(enrolledNote(c, userId));
      }
      await this.nominations.set(n._id, { state: 'confirmed', decidedBy: actor._id, decidedAt: new Date(now), reason: '' });
      return 'confirmed' as const;
    });
    await this.deps.send(notes);
    return { state };
  }
}
