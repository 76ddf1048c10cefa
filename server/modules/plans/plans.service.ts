/**
 * Learning-plan assignments for admins (学习计划管理): the organisation department assigns to any
 * unit or rank; a unit admin only to units of their own subtree, and edits or deletes only
 * assignments made within it. A unit admin sees the assignments that reach their units (their
 * own, and those made above for their units, ranks or the whole county), with completion counted
 * among the cadres of their subtree only.
 * Completion counts read one query per collection (assignments, units, lectures, cadres, ledger)
 * and count in memory (plan-rules.ts completionCounts): never a query per cadre.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import type { OrgService } from '../org/org.service';
import type { UserDoc } from '../users/user.model';
import type { PlanAssignmentDoc, PlanKind } from './plan.model';
import { PlanRepository, type PlanFields } from './plan-repository';
import { completionCounts, deadlineEnd, hasTarget, type Rank } from './plan-rules';

export interface PlanInput {
  kind?: PlanKind;
  title?: string;
  lectureIds: string[];
  unitIds?: string[];
  ranks?: Rank[];
  year?: number;
  dueDay: string;
  note?: string;
}

export const planErrors = {
  noTarget: () => new AppError(400, 'PLAN_NO_TARGET', '请至少选择一个单位或职级', 'Choose at least one unit or rank'),
  unitScope: () => new AppError(403, 'PLAN_OUT_OF_SCOPE', '只能为本单位及下属单位指定学习计划', 'You can assign plans only to your own unit and the units below it'),
  notEditable: () => new AppError(403, 'PLAN_NOT_EDITABLE', '该学习计划由上级制定,不能修改', 'This plan was made above your unit and cannot be changed here'),
  lectureUnavailable: () => new AppError(400, 'PLAN_LECTURE_UNAVAILABLE', '所选课程不存在或未发布', 'A chosen lecture does not exist or is not published'),
  unknownUnit: () => new AppError(400, 'PLAN_UNKNOWN_UNIT', '所选单位不存在', 'A chosen unit does not exist'),
  deadlinePassed: () => new AppError(400, 'PLAN_DEADLINE_PASSED', '截止日期不能早于今天', 'The deadline cannot be before today'),
  kindUnsupported: () => new AppError(400, 'PLAN_KIND_UNSUPPORTED', '暂不支持指定培训班', 'Training classes cannot be assigned yet'),
};

/** Who the actor is, for scoping: null = the whole county (org admin). */
interface Scope {
  units: Set<string> | null;
  /** The actor's unit and the units above it. */
  path: string[];
  unitId: Types.ObjectId | null;
}

const uniq = (xs: readonly string[] | undefined) => [...new Set(xs ?? [])];

export class PlansService {
  readonly repo: PlanRepository;

  constructor(
    private readonly models: Models,
    private readonly org: OrgService,
    private readonly calendar: CountyCalendar,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = new PlanRepository(models);
  }

  private async scopeOf(actor: UserDoc): Promise<Scope> {
    if (actor.role === 'orgAdmin') return { units: null, path: [], unitId: null };
    if (actor.role !== 'unitAdmin' || !actor.orgUnitId) throw errors.forbidden();
    const units = new Set((await this.org.subtree(actor.orgUnitId)).map(String));
    const unit = await this.models.OrgUnit.findById(actor.orgUnitId, { ancestors: 1 }).lean();
    return { units, path: [String(actor.orgUnitId), ...(unit?.ancestors ?? []).map(String)], unitId: actor.orgUnitId };
  }

  private visible(a: PlanAssignmentDoc, scope: Scope): boolean {
    if (!scope.units) return true;
    const units = a.unitIds.map(String);
    return units.length === 0 || units.some((u) => scope.units!.has(u) || scope.path.includes(u));
  }

  private editable(a: PlanAssignmentDoc, scope: Scope): boolean {
    return !scope.units || (a.ownerUnitId !== null && a.ownerUnitId !== undefined && scope.units.has(String(a.ownerUnitId)));
  }

  /** Checks and normalises an assignment's fields for this actor. */
  private async fields(input: PlanInput, scope: Scope, creating: boolean): Promise<PlanFields> {
    const kind = input.kind ?? 'lecture';
    if (kind !== 'lecture') throw planErrors.kindUnsupported();
    const lectureIds = uniq(input.lectureIds);
    const unitIds = uniq(input.unitIds);
    const ranks = uniq(input.ranks);
    if (!hasTarget({ unitIds, ranks })) throw planErrors.noTarget();
    if (scope.units && (unitIds.length === 0 || unitIds.some((u) => !scope.units!.has(u)))) throw planErrors.unitScope();
    if (unitIds.length && (await this.models.OrgUnit.countDocuments({ _id: { $in: unitIds.map((u) => new Types.ObjectId(u)) } })) !== unitIds.length) throw planErrors.unknownUnit();
    const lectures = await this.models.Lecture.find({ _id: { $in: lectureIds.map((l) => new Types.ObjectId(l)) } }, { state: 1 }).lean();
    if (lectures.length !== lectureIds.length || lectures.some((l) => l.state !== 'published')) throw planErrors.lectureUnavailable();
    if (creating && input.dueDay < this.calendar.day(this.now())) throw planErrors.deadlinePassed();
    return { kind, title: input.title?.trim() ?? '', lectureIds, unitIds, ranks, year: input.year ?? this.calendar.year(this.now()), dueDay: input.dueDay, note: input.note?.trim() ?? '' };
  }

  async create(actor: UserDoc, input: PlanInput) {
    const scope = await this.scopeOf(actor);
    const doc = await this.repo.insert(await this.fields(input, scope, true), actor._id, scope.unitId);
    return (await this.views([doc], scope))[0]!;
  }

  async update(actor: UserDoc, id: string, input: PlanInput) {
    const scope = await this.scopeOf(actor);
    const fields = await this.fields(input, scope, false);
    const doc = await this.repo.update(id, fields, async (stored) => {
      if (!this.visible(stored, scope)) throw errors.notFound('学习计划', 'Learning plan');
      if (!this.editable(stored, scope)) throw planErrors.notEditable();
    });
    if (!doc) throw errors.notFound('学习计划', 'Learning plan');
    return (await this.views([doc], scope))[0]!;
  }

  async remove(actor: UserDoc, id: string) {
    const scope = await this.scopeOf(actor);
    const gone = await this.repo.remove(id, async (stored) => {
      if (!this.visible(stored, scope)) throw errors.notFound('学习计划', 'Learning plan');
      if (!this.editable(stored, scope)) throw planErrors.notEditable();
    });
    if (!gone) throw errors.notFound('学习计划', 'Learning plan');
  }

  /** The assignments of a year the actor may see, each with its completion counts. */
  async list(actor: UserDoc, year: number) {
    const scope = await this.scopeOf(actor);
    const rows = (await this.repo.forYear(year)).filter((a) => this.visible(a, scope));
    return this.views(rows, scope);
  }

  /** Views with lecture titles, unit names and completion counts: one query per collection. */
  private async views(rows: PlanAssignmentDoc[], scope: Scope) {
    if (!rows.length) return [];
    const { OrgUnit, Lecture, User, Ledger } = this.models;
    const units = await OrgUnit.find({}, { name: 1, ancestors: 1 }).lean();
    const unitById = new Map(units.map((u) => [String(u._id), u]));
    const lectureIds = [...new Set(rows.flatMap((a) => a.lectureIds.map(String)))];
    const lectures = await Lecture.find({ _id: { $in: lectureIds.map((l) => new Types.ObjectId(l)) } }, { title: 1, durationSec: 1, creditHours: 1, state: 1, replayOf: 1 }).lean();
    const lectureById = new Map(lectures.map((l) => [String(l._id), l]));
    // What is credited: a replay's credit is its live lecture's (one content).
    const contentOf = (id: string) => {
      const l = lectureById.get(id);
      return l?.replayOf ? String(l.replayOf) : id;
    };
    const cadreFilter: Record<string, unknown> = { role: 'cadre', disabled: { $ne: true } };
    if (scope.units) cadreFilter.orgUnitId = { $in: [...scope.units].map((u) => new Types.ObjectId(u)) };
    const cadres = (await User.find(cadreFilter, { orgUnitId: 1, rank: 1 }).lean()).map((c) => {
      const unit = c.orgUnitId ? unitById.get(String(c.orgUnitId)) : undefined;
      return { userId: String(c._id), rank: (c.rank ?? 'township') as Rank, unitPath: unit ? [String(unit._id), ...unit.ancestors.map(String)] : [] };
    });
    const contentIds = [...new Set(lectureIds.map(contentOf))];
    const ledgerFilter: Record<string, unknown> = { lectureId: { $in: contentIds.map((l) => new Types.ObjectId(l)) } };
    if (scope.units) ledgerFilter.userId = { $in: cadres.map((c) => new Types.ObjectId(c.userId)) };
    const done = new Set((await Ledger.find(ledgerFilter, { userId: 1, lectureId: 1 }).lean()).map((e) => `${String(e.userId)}:${String(e.lectureId)}`));
    const counts = completionCounts(
      rows.map((a) => ({ id: String(a._id), unitIds: a.unitIds.map(String), ranks: a.ranks, contentIds: a.lectureIds.map((l) => contentOf(String(l))) })),
      cadres,
      done,
    );
    const now = this.now();
    return rows.map((a) => {
      const end = deadlineEnd(this.calendar, a.dueDay);
      return {
        id: String(a._id),
        kind: (a.kind ?? 'lecture') as PlanKind,
        title: a.title ?? '',
        lectures: a.lectureIds.map((id) => {
          const l = lectureById.get(String(id));
          return { id: String(id), title: l?.title ?? '', durationSec: l?.durationSec ?? 0, creditHours: l?.creditHours ?? 0, available: l?.state === 'published' };
        }),
        units: a.unitIds.map((id) => ({ id: String(id), name: unitById.get(String(id))?.name ?? '' })),
        ranks: a.ranks as Rank[],
        year: a.year,
        dueDay: a.dueDay,
        dueAt: new Date(end).toISOString(),
        pastDue: now >= end,
        note: a.note ?? '',
        editable: this.editable(a, scope),
        counts: counts.get(String(a._id)) ?? { assigned: 0, completed: 0 },
        createdAt: new Date(a.createdAt).toISOString(),
      };
    });
  }
}
