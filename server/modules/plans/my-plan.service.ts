/**
 * A cadre's learning plan (我的学习计划): one list of lectures, each once, from
 * - the plan assignments that apply to them (their unit or a unit above it, and their rank),
 * - the older per-unit assignments of the study module (POST /api/study/assignments),
 * - the lectures marked 必修 in the catalog that they may watch (no deadline of their own),
 * - their own selections (选学: "self-selected", with the deadline they chose, if any).
 * A lecture from several sources keeps the earliest deadline. Progress and completion are the
 * study engine's (memory first), so a page sees a completion at once; deadlines and overdue are
 * counted in the county's zone (plan-rules.ts).
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { CatalogService } from '../catalog/catalog.service';
import type { StudyEngine } from '../study/study-engine';
import type { UserDoc } from '../users/user.model';
import { PlanRepository } from './plan-repository';
import { appliesTo, deadlineState, earlierDay, type Rank } from './plan-rules';

export type PlanSource = 'assigned' | 'required' | 'selected';

interface Draft {
  lectureId?: string;
  topic?: string;
  sources: Set<PlanSource>;
  dueDay?: string;
  notes: string[];
  assignmentIds: string[];
  selectionId?: string;
}

/** Order: overdue, then by deadline, then those without one; completed last. */
function order(a: { completed: boolean; overdue: boolean; dueDay?: string; title: string }, b: typeof a): number {
  return Number(a.completed) - Number(b.completed) || Number(b.overdue) - Number(a.overdue) || (a.dueDay ?? '9999').localeCompare(b.dueDay ?? '9999') || a.title.localeCompare(b.title, 'zh-CN');
}

export class MyPlanService {
  private readonly repo: PlanRepository;

  constructor(
    private readonly models: Models,
    private readonly engine: StudyEngine,
    private readonly catalog: CatalogService,
    private readonly calendar: CountyCalendar,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = new PlanRepository(models);
  }

  async mine(user: UserDoc, year: number) {
    const userId = String(user._id);
    const unitPath = await this.catalog.viewerUnits(user);
    const rank = (user.rank ?? 'township') as Rank;
    const drafts = new Map<string, Draft>();
    const draft = (key: string, init: Partial<Draft>) => {
      let d = drafts.get(key);
      if (!d) drafts.set(key, (d = { sources: new Set(), notes: [], assignmentIds: [], ...init }));
      return d;
    };

    for (const a of await this.repo.forYear(year)) {
      if (!appliesTo({ unitIds: a.unitIds.map(String), ranks: a.ranks }, { unitPath, rank })) continue;
      for (const l of a.lectureIds) {
        const d = draft(String(l), { lectureId: String(l) });
        d.sources.add('assigned');
        d.dueDay = earlierDay(d.dueDay, a.dueDay);
        d.assignmentIds.push(String(a._id));
        if (a.note) d.notes.push(a.note);
      }
    }
    if (unitPath.length) {
      const older = await this.models.Assignment.find({ year, unitId: { $in: unitPath.map((u) => new Types.ObjectId(u)) } }).lean();
      for (const a of older) {
        if (!a.lectureId) continue;
        const d = draft(String(a.lectureId), { lectureId: String(a.lectureId) });
        d.sources.add('assigned');
        // Stored as the UTC midnight of the day typed: its UTC date is that day.
        d.dueDay = earlierDay(d.dueDay, a.dueDate ? new Date(a.dueDate).toISOString().slice(0, 10) : undefined);
        d.assignmentIds.push(String(a._id));
      }
    }
    const required = this.catalog.index.query({ required: true, viewerUnits: unitPath, page: 1, pageSize: 200 });
    for (const e of required.items) draft(e.id, { lectureId: e.id }).sources.add('required');

    const index = await this.models.StudyIndex.findById(userId, { selections: 1, years: 1 }).lean();
    const selections = index?.selections?.length ? await this.models.Selection.find({ _id: { $in: index.selections } }).lean() : [];
    for (const s of selections) {
      const d = s.lectureId ? draft(String(s.lectureId), { lectureId: String(s.lectureId) }) : draft(`topic:${s.topic}`, { topic: s.topic ?? '' });
      d.sources.add('selected');
      d.selectionId = String(s._id);
      d.dueDay = earlierDay(d.dueDay, s.deadline ? new Date(s.deadline).toISOString().slice(0, 10) : undefined);
    }

    const lectureIds = [...drafts.values()].flatMap((d) => (d.lectureId && Types.ObjectId.isValid(d.lectureId) ? [new Types.ObjectId(d.lectureId)] : []));
    const lectures = new Map(
      (await this.models.Lecture.find({ _id: { $in: lectureIds } }, { title: 1, category: 1, durationSec: 1, creditHours: 1, required: 1, state: 1, kind: 1, topic: 1 }).lean()).map((l) => [String(l._id), l]),
    );
    const now = this.now();
    const items = [];
    for (const d of drafts.values()) {
      const l = d.lectureId ? lectures.get(d.lectureId) : undefined;
      if (d.lectureId && (!l || l.state !== 'published')) continue;
      let progress = 0;
      let completedAt: number | null = null;
      let lastWatchedAt: number | null = null;
      if (d.lectureId) {
        const p = await this.engine.progressOf(userId, d.lectureId);
        const duration = l?.durationSec || p.durationSec;
        completedAt = p.completedAt;
        progress = completedAt !== null ? 1 : duration ? Math.min(1, p.coveredSec / duration) : 0;
        lastWatchedAt = p.lastWatchedAt || null;
      }
      const deadline = d.dueDay ? deadlineState(this.calendar, d.dueDay, now, completedAt) : null;
      items.push({
        key: d.lectureId ?? `topic:${d.topic}`,
        lectureId: d.lectureId,
        topic: d.topic,
        title: l?.title ?? d.topic ?? '',
        category: l?.category,
        kind: (l?.kind ?? 'recorded') as string,
        durationSec: l?.durationSec ?? 0,
        creditHours: l?.creditHours ?? 0,
        sources: [...d.sources],
        selectionId: d.selectionId,
        assignmentIds: d.assignmentIds,
        note: [...new Set(d.notes)].join(' · '),
        dueDay: d.dueDay,
        dueAt: deadline?.dueAt,
        daysLeft: deadline?.daysLeft,
        overdue: deadline?.overdue ?? false,
        late: deadline?.late ?? false,
        progress: Math.round(progress * 1000) / 1000,
        completed: completedAt !== null,
        completedAt: completedAt !== null ? new Date(completedAt).toISOString() : undefined,
        lastWatchedAt: lastWatchedAt ? new Date(lastWatchedAt).toISOString() : undefined,
      });
    }
    items.sort(order);

    // Lectures finished in any year (their ledger ids, user:content:year, are in the yearly summaries).
    const years = index?.years ?? [];
    const summaries = years.length ? await this.models.Summary.find({ _id: { $in: years.map((y) => `${userId}:${y}`) } }, { entries: 1 }).lean() : [];
    const finished = [...new Set(summaries.flatMap((s) => (s.entries ?? []).map((e) => e.split(':')[1]!)))];
    for (const i of items) if (i.completed && i.lectureId && !finished.includes(i.lectureId)) finished.push(i.lectureId);

    return {
      year,
      today: this.calendar.day(now),
      items,
      totals: {
        all: items.length,
        completed: items.filter((i) => i.completed).length,
        overdue: items.filter((i) => i.overdue).length,
        dueSoon: items.filter((i) => !i.completed && !i.overdue && i.daysLeft !== undefined && i.daysLeft <= 7).length,
      },
      finishedLectureIds: finished,
    };
  }
}
