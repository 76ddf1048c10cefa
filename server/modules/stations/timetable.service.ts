/**
 * The air-classroom timetable (空中课堂课表): lectures scheduled at groups of stations.
 * - A session is a lecture (a live lecture, or a recorded one played as a replay) at a start
 *   time, for a duration (the lecture's; a live lecture's is given or 90 minutes), at a set of
 *   stations: explicit ids, or every enabled station of a type and/or under a unit.
 * - Conflicts are overlapping sessions at a same station: they are shown, and the session is
 *   still created unless the admin asked to reject conflicts (409).
 * - The timetable is small (hundreds of sessions a year): it is loaded at start and kept in
 *   memory, and every write goes through this service, so kiosks and calendars read no store.
 * - Unit admins schedule and delete only at stations of their subtree.
 */
import { Types } from 'mongoose';
import { errors } from '../../errors';
import type { Models } from '../../store/models';
import type { LectureDoc } from '../catalog/lecture.model';
import type { UserDoc } from '../users/user.model';
import { stationErrors } from './station-errors';
import type { TimetableDoc } from './station.model';
import { currentSession, findConflicts, type Conflict, type StationType } from './station-rules';
import type { StationService } from './stations.service';

export interface SessionEntry {
  id: string;
  lectureId: string;
  title: string;
  lecturer: string;
  kind: 'live' | 'replay';
  startAt: number;
  endAt: number;
  durationSec: number;
  stationIds: string[];
}

export interface ScheduleInput {
  lectureId: string;
  startAt: string;
  stationIds?: string[];
  stationType?: StationType;
  unitId?: string;
  durationSec?: number;
  rejectConflicts?: boolean;
}

const DEFAULT_LIVE_SEC = 90 * 60;

function toEntry(d: TimetableDoc): SessionEntry {
  return {
    id: String(d._id),
    lectureId: String(d.lectureId),
    title: d.title,
    lecturer: d.lecturer ?? '',
    kind: d.kind as 'live' | 'replay',
    startAt: new Date(d.startAt).getTime(),
    endAt: new Date(d.endAt).getTime(),
    durationSec: d.durationSec,
    stationIds: (d.stationIds ?? []).map(String),
  };
}

export class TimetableService {
  private readonly byId = new Map<string, SessionEntry>();

  constructor(
    private readonly models: Models,
    private readonly registry: StationService,
    private readonly now: () => number = Date.now,
  ) {}

  async load() {
    const rows = await this.models.Timetable.find({}).lean<TimetableDoc[]>();
    this.byId.clear();
    for (const r of rows) this.byId.set(String(r._id), toEntry(r));
  }

  get(id: string): SessionEntry | undefined {
    return this.byId.get(id);
  }

  /** Sessions overlapping [from, to], optionally at one station, by start time. */
  range(from: number, to: number, stationId?: string): SessionEntry[] {
    const out: SessionEntry[] = [];
    for (const s of this.byId.values()) {
      if (s.endAt < from || s.startAt > to) continue;
      if (stationId && !s.stationIds.includes(stationId)) continue;
      out.push(s);
    }
    return out.sort((a, b) => a.startAt - b.startAt || a.title.localeCompare(b.title, 'zh-CN'));
  }

  /** The session a station is in now (on for check-ins), if any. */
  current(stationId: string, now = this.now()): SessionEntry | undefined {
    return currentSession(this.range(now - 24 * 3600_000, now + 3600_000, stationId), now);
  }

  conflictsOf(s: SessionEntry): Conflict[] {
    return findConflicts(s, this.range(s.startAt, s.endAt));
  }

  /** What every view of a session shows (the timetable, a kiosk's list). */
  brief(s: SessionEntry) {
    return {
      id: s.id,
      lectureId: s.lectureId,
      title: s.title,
      lecturer: s.lecturer,
      kind: s.kind,
      startAt: new Date(s.startAt).toISOString(),
      endAt: new Date(s.endAt).toISOString(),
      durationSec: s.durationSec,
    };
  }

  view(s: SessionEntry) {
    return {
      ...this.brief(s),
      stationIds: s.stationIds,
      stationNames: s.stationIds.map((id) => this.registry.get(id)?.name ?? ''),
      conflicts: this.conflictsOf(s),
    };
  }

  /** Stations a schedule request names: explicit ids, or every enabled station of a type and/or under a unit. */
  private async resolveStations(actor: UserDoc, input: ScheduleInput): Promise<string[]> {
    const scope = await this.registry.scopeOf(actor);
    const inScope = (unitId: string) => scope.all || scope.units.has(unitId);
    const ids = new Set<string>();
    for (const id of input.stationIds ?? []) {
      const s = this.registry.get(id);
      if (!s) throw stationErrors.stationNotFound();
      if (!inScope(s.unitId)) throw errors.forbidden();
      ids.add(id);
    }
    if (input.stationType || input.unitId) {
      const under = input.unitId ? await this.registry.subtree(input.unitId) : null;
      for (const s of this.registry.all()) {
        if (s.disabled || !inScope(s.unitId)) continue;
        if (input.stationType && s.type !== input.stationType) continue;
        if (under && !under.has(s.unitId)) continue;
        ids.add(s.id);
      }
    }
    if (!ids.size) throw stationErrors.noStations();
    return [...ids];
  }

  async create(actor: UserDoc, input: ScheduleInput): Promise<{ session: ReturnType<TimetableService['view']>; conflicts: Conflict[] }> {
    const lecture = Types.ObjectId.isValid(input.lectureId) ? await this.models.Lecture.findById(input.lectureId).lean<LectureDoc>() : null;
    if (!lecture) throw errors.notFound('课程', 'Lecture');
    if (lecture.state !== 'published') throw stationErrors.notSchedulable();
    const kind = lecture.kind === 'live' ? 'live' : 'replay';
    if (kind === 'replay' && !lecture.media?.master) throw stationErrors.mediaNotReady();
    const durationSec = Math.round(input.durationSec ?? (lecture.durationSec || (kind === 'live' ? DEFAULT_LIVE_SEC : 0)));
    if (!(durationSec > 0)) throw stationErrors.mediaNotReady();
    const stationIds = await this.resolveStations(actor, input);
    const startAt = new Date(input.startAt).getTime();
    if (!Number.isFinite(startAt)) throw errors.validation('startAt must be a date-time');
    const draft: SessionEntry = { id: new Types.ObjectId().toHexString(), lectureId: String(lecture._id), title: lecture.title, lecturer: lecture.lecturer ?? '', kind, startAt, endAt: startAt + durationSec * 1000, durationSec, stationIds };
    const conflicts = this.conflictsOf(draft);
    if (conflicts.length && input.rejectConflicts) throw stationErrors.conflicts({ conflicts });
    await this.models.Timetable.create({
      _id: new Types.ObjectId(draft.id),
      lectureId: lecture._id,
      title: draft.title,
      lecturer: draft.lecturer,
      kind,
      startAt: new Date(startAt),
      endAt: new Date(draft.endAt),
      durationSec,
      stationIds: stationIds.map((id) => new Types.ObjectId(id)),
      createdBy: actor._id,
    });
    this.byId.set(draft.id, draft);
    return { session: this.view(draft), conflicts };
  }

  async remove(actor: UserDoc, id: string) {
    const s = this.byId.get(id);
    if (!s) throw stationErrors.sessionNotFound();
    const scope = await this.registry.scopeOf(actor);
    if (!scope.all && !s.stationIds.every((sid) => scope.units.has(this.registry.get(sid)?.unitId ?? ''))) throw errors.forbidden();
    await this.models.Timetable.deleteOne({ _id: id });
    this.byId.delete(id);
  }

  /** Sessions an admin may see: those touching a station in their scope. */
  async forAdmin(actor: UserDoc, from: number, to: number, stationId?: string) {
    const scope = await this.registry.scopeOf(actor);
    return this.range(from, to, stationId).filter((s) => scope.all || s.stationIds.some((sid) => scope.units.has(this.registry.get(sid)?.unitId ?? '')));
  }

  /**
   * A cadre's learning calendar (学习台历): sessions at stations of their unit and the units
   * above it, and the live lectures they selected (选学).
   */
  async forLearner(user: UserDoc, from: number, to: number) {
    const units = user.orgUnitId ? await this.registry.upward(String(user.orgUnitId)) : new Set<string>();
    const mine = new Set(this.registry.all().filter((s) => units.has(s.unitId)).map((s) => s.id));
    const items = this.range(from, to).filter((s) => s.stationIds.some((id) => mine.has(id))).map((s) => ({ ...this.view(s), stationIds: s.stationIds.filter((id) => mine.has(id)) }));
    for (const it of items) it.stationNames = it.stationIds.map((id) => this.registry.get(id)?.name ?? '');
    const idx = await this.models.StudyIndex.findById(String(user._id), { selections: 1 }).lean();
    const scheduled = new Set(items.map((i) => i.lectureId));
    for (const sel of idx?.selections ?? []) {
      const lectureId = sel.split(':')[1];
      if (!lectureId || !Types.ObjectId.isValid(lectureId) || scheduled.has(lectureId)) continue;
      const l = await this.models.Lecture.findById(lectureId, { title: 1, lecturer: 1, kind: 1, live: 1, durationSec: 1 }).lean<LectureDoc>();
      if (!l || l.kind !== 'live' || !l.live?.scheduledAt) continue;
      const startAt = new Date(l.live.scheduledAt).getTime();
      const durationSec = l.durationSec || DEFAULT_LIVE_SEC;
      if (startAt > to || startAt + durationSec * 1000 < from) continue;
      items.push({ id: `live:${lectureId}`, lectureId, title: l.title, lecturer: l.lecturer ?? '', kind: 'live', startAt: new Date(startAt).toISOString(), endAt: new Date(startAt + durationSec * 1000).toISOString(), durationSec, stationIds: [], stationNames: [], conflicts: [] });
    }
    return items.sort((a, b) => a.startAt.localeCompare(b.startAt));
  }
}
