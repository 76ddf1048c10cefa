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
 * - Scheduling by groups: the admin may preview a selection's conflicts, and save it leaving out
 *   the stations already booked (skipConflicts).
 * - Bookings follow their lecture (booking-status.ts): withdrawn -> cancelled, a live lecture
 *   ended early -> ended; the stations plugin calls lectureChanged() on every catalog change, and
 *   load() re-checks the bookings not over yet (a change made while the portal was down).
 */
import { Types } from 'mongoose';
import { errors } from '../../errors';
import type { Models } from '../../store/models';
import type { LectureDoc } from '../catalog/lecture.model';
import type { UserDoc } from '../users/user.model';
import { bookingChanges, heldSpan, type BookingChange, type BookingReason, type BookingStatus } from './booking-status';
import { KeyedLock } from './keyed-lock';
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
  status: BookingStatus;
  statusReason?: BookingReason;
  statusAt?: number;
}

export interface ScheduleInput {
  lectureId: string;
  startAt: string;
  stationIds?: string[];
  stationType?: StationType;
  unitId?: string;
  durationSec?: number;
  rejectConflicts?: boolean;
  skipConflicts?: boolean;
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
    status: (d.status ?? 'scheduled') as BookingStatus,
    statusReason: (d.statusReason ?? undefined) as BookingReason | undefined,
    statusAt: d.statusAt ? new Date(d.statusAt).getTime() : undefined,
  };
}

export class TimetableService {
  private readonly byId = new Map<string, SessionEntry>();
  private readonly lock = new KeyedLock();

  constructor(
    private readonly models: Models,
    private readonly registry: StationService,
    private readonly now: () => number = Date.now,
  ) {}

  async load() {
    const rows = await this.models.Timetable.find({}).lean<TimetableDoc[]>();
    this.byId.clear();
    for (const r of rows) this.byId.set(String(r._id), toEntry(r));
    await this.recheck();
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

  /** The session a station is in now (on for check-ins), if any; a cancelled booking is none. */
  current(stationId: string, now = this.now()): SessionEntry | undefined {
    return currentSession(this.range(now - 24 * 3600_000, now + 3600_000, stationId).filter((s) => s.status !== 'cancelled'), now);
  }

  /** Bookings overlapping `s` at its stations, counting what each still holds (booking-status.ts). */
  conflictsOf(s: SessionEntry): Conflict[] {
    const held = heldSpan(s);
    if (!held) return [];
    return findConflicts(held, this.range(s.startAt, s.endAt).flatMap((o) => heldSpan(o) ?? []));
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
      status: s.status,
      ...(s.statusReason ? { statusReason: s.statusReason } : {}),
      ...(s.statusAt !== undefined ? { statusAt: new Date(s.statusAt).toISOString() } : {}),
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

  /** What saving `input` would do: how many stations, and which of them are booked at an overlapping time. */
  async preview(actor: UserDoc, input: ScheduleInput) {
    const { draft } = await this.draft(actor, input);
    const conflicts = this.conflictsOf(draft).map((c) => {
      const o = this.byId.get(c.sessionId)!;
      return { ...c, stationName: this.registry.get(c.stationId)?.name ?? '', startAt: new Date(o.startAt).toISOString(), endAt: new Date(o.endAt).toISOString() };
    });
    return { stations: draft.stationIds.length, conflicts, conflictStations: new Set(conflicts.map((c) => c.stationId)).size };
  }

  async create(actor: UserDoc, input: ScheduleInput): Promise<{ session: ReturnType<TimetableService['view']>; conflicts: Conflict[]; skipped: string[] }> {
    const { draft, lecture } = await this.draft(actor, input);
    let conflicts = this.conflictsOf(draft);
    const skipped = input.skipConflicts ? [...new Set(conflicts.map((c) => c.stationId))] : [];
    if (skipped.length) {
      draft.stationIds = draft.stationIds.filter((id) => !skipped.includes(id));
      if (!draft.stationIds.length) throw stationErrors.conflicts({ conflicts });
      conflicts = [];
    }
    if (conflicts.length && input.rejectConflicts) throw stationErrors.conflicts({ conflicts });
    await this.models.Timetable.create({
      _id: new Types.ObjectId(draft.id),
      lectureId: lecture._id,
      title: draft.title,
      lecturer: draft.lecturer,
      kind: draft.kind,
      startAt: new Date(draft.startAt),
      endAt: new Date(draft.endAt),
      durationSec: draft.durationSec,
      stationIds: draft.stationIds.map((id) => new Types.ObjectId(id)),
      createdBy: actor._id,
    });
    this.byId.set(draft.id, draft);
    return { session: this.view(draft), conflicts, skipped };
  }

  private async draft(actor: UserDoc, input: ScheduleInput): Promise<{ draft: SessionEntry; lecture: LectureDoc }> {
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
    const draft: SessionEntry = { id: new Types.ObjectId().toHexString(), lectureId: String(lecture._id), title: lecture.title, lecturer: lecture.lecturer ?? '', kind, startAt, endAt: startAt + durationSec * 1000, durationSec, stationIds, status: 'scheduled' };
    return { draft, lecture };
  }

  // ---- bookings follow their lecture (booking-status.ts) -----------------------------------

  /** A lecture's state changed (withdrawn, published, a live lecture ended): mark its bookings. */
  async lectureChanged(l: Pick<LectureDoc, '_id' | 'state' | 'kind' | 'live'>): Promise<BookingChange[]> {
    const id = String(l._id);
    const mine = [...this.byId.values()].filter((s) => s.lectureId === id);
    if (!mine.length) return [];
    const facts = { state: l.state, kind: l.kind, liveState: l.live?.state ?? undefined, endedAt: l.live?.endedAt ? new Date(l.live.endedAt).getTime() : undefined };
    const changes = bookingChanges(mine, facts, this.now());
    for (const c of changes) {
      await this.lock.run(`session:${c.id}`, async () => {
        const update = c.status === 'scheduled' ? { $set: { status: c.status }, $unset: { statusReason: 1, statusAt: 1 } } : { $set: { status: c.status, statusReason: c.statusReason, statusAt: new Date(c.statusAt!) } };
        await this.models.Timetable.updateOne({ _id: c.id }, update);
        const s = this.byId.get(c.id);
        if (s) Object.assign(s, { status: c.status, statusReason: c.statusReason, statusAt: c.statusAt });
      });
    }
    return changes;
  }

  /** Re-checks the lectures of bookings not over yet (one read). */
  private async recheck() {
    const now = this.now();
    const ids = [...new Set([...this.byId.values()].filter((s) => s.endAt > now).map((s) => s.lectureId))];
    if (!ids.length) return;
    const lectures = await this.models.Lecture.find({ _id: { $in: ids } }, { state: 1, kind: 1, live: 1 }).lean<LectureDoc[]>();
    for (const l of lectures) await this.lectureChanged(l);
  }

  /** Bookings marked cancelled or ended, not over for long (a week), that the admin may see. */
  async warnings(actor: UserDoc) {
    const now = this.now();
    const scope = await this.registry.scopeOf(actor);
    const mine = (sid: string) => scope.all || scope.units.has(this.registry.get(sid)?.unitId ?? '');
    return [...this.byId.values()]
      .filter((s) => s.status !== 'scheduled' && s.endAt > now - 7 * 24 * 3600_000 && s.stationIds.some(mine))
      .sort((a, b) => (b.statusAt ?? 0) - (a.statusAt ?? 0))
      .map((s) => {
        // Only the admin's own stations: another committee's are not theirs to see.
        const stationIds = s.stationIds.filter(mine);
        const view = this.view(s);
        return { session: { ...view, stationIds, stationNames: stationIds.map((id) => this.registry.get(id)?.name ?? ''), conflicts: view.conflicts.filter((c) => mine(c.stationId)) }, stations: stationIds.length };
      });
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
      items.push({ id: `live:${lectureId}`, lectureId, title: l.title, lecturer: l.lecturer ?? '', kind: 'live', startAt: new Date(startAt).toISOString(), endAt: new Date(startAt + durationSec * 1000).toISOString(), durationSec, status: 'scheduled' as const, stationIds: [], stationNames: [], conflicts: [] });
    }
    return items.sort((a, b) => a.startAt.localeCompare(b.startAt));
  }
}
