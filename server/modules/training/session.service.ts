/**
 * A class's timetable (课程表): its managers (org admins, unit admins given the class) add, change
 * and remove sessions; admins who see the class read it; the class's enrolled cadres read it with
 * each recorded part's watched share (from the study engine's progress, the same figure that
 * credits it) and their own attendance at in-person sessions, and are told of each new session
 * (notice `training-session-<id>`, sent once). Recorded and live parts are credited by the study
 * rules; this module only shows them.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { LectureDoc } from '../catalog/lecture.model';
import type { NoticeService } from '../notices/notices.service';
import type { StudyEngine } from '../study/study-engine';
import type { UserDoc } from '../users/user.model';
import type { ClassesService } from './classes.service';
import { EnrolmentRepository } from './enrolment-repository';
import { ClassRepository } from './class-repository';
import { AttendanceRepository } from './attendance-repository';
import { SessionRepository, type SessionFields } from './session-repository';
import { presenceKinds, type SessionKind, type TrainingSessionDoc, type TrainingAttendanceDoc } from './session.model';
import { sessionErrors } from './session-errors';
import { attendanceState, sessionProblem, type SessionInput } from './session-rules';
import { trainingErrors } from './training-scope';
import type { TrainingClassDoc } from './training.model';

export interface SessionDeps {
  models: Models;
  calendar: CountyCalendar;
  notices: NoticeService;
  study: StudyEngine;
  classes: ClassesService;
  log: FastifyBaseLogger;
  now?: () => number;
}

const DEFAULT_LIVE_SEC = 3600;
/** Enrolments that are on the class's roster. */
export const onRoster = (state: string) => state === 'enrolled' || state === 'completed';

export function sessionView(s: TrainingSessionDoc, lectureTitle = '') {
  return {
    id: String(s._id),
    classId: String(s.classId),
    kind: s.kind as SessionKind,
    title: s.title,
    lectureId: s.lectureId ? String(s.lectureId) : undefined,
    lectureTitle: lectureTitle || undefined,
    dueDay: s.dueDay ?? undefined,
    startAt: s.startAt ? new Date(s.startAt).toISOString() : undefined,
    endAt: s.endAt ? new Date(s.endAt).toISOString() : undefined,
    venue: s.venue ?? '',
    place: s.place ?? '',
    lecturer: s.lecturer ?? '',
    required: s.required ?? true,
  };
}

/** Soonest first: a timed session by its start, a recorded part at the end of its due day. */
export function sortKey(s: TrainingSessionDoc, calendar: CountyCalendar): number {
  if (s.startAt) return new Date(s.startAt).getTime();
  return s.dueDay ? calendar.startOfDay(calendar.addDays(s.dueDay, 1)) - 1 : Number.MAX_SAFE_INTEGER;
}

export class SessionService {
  readonly sessions: SessionRepository;
  readonly attendance: AttendanceRepository;
  private readonly enrolments: EnrolmentRepository;
  private readonly classRepo: ClassRepository;
  private readonly now: () => number;

  constructor(private readonly deps: SessionDeps) {
    this.sessions = new SessionRepository(deps.models);
    this.attendance = new AttendanceRepository(deps.models);
    this.enrolments = new EnrolmentRepository(deps.models);
    this.classRepo = new ClassRepository(deps.models);
    this.now = deps.now ?? Date.now;
  }

  /** The class, for an admin who may see it (404 otherwise) and, with `manage`, manages it (403). */
  async classFor(actor: UserDoc, classId: string, manage: boolean): Promise<TrainingClassDoc> {
    const s = await this.deps.classes.scope(actor);
    const c = await this.deps.classes.visibleClass(classId, s);
    if (manage && !this.deps.classes.isManager(c, s)) throw trainingErrors.notManager();
    return c;
  }

  /** A session and its class, for a manager of the class. */
  async managed(actor: UserDoc, sessionId: string): Promise<{ session: TrainingSessionDoc; cls: TrainingClassDoc }> {
    const session = await this.sessions.find(sessionId);
    if (!session) throw sessionErrors.sessionNotFound();
    const cls = await this.classFor(actor, String(session.classId), true).catch((err: unknown) => {
      throw err instanceof Error && (err as { statusCode?: number }).statusCode === 404 ? sessionErrors.sessionNotFound() : err;
    });
    return { session, cls };
  }

  /** The roster's enrolments (enrolled or completed), read under the class's lock. */
  async rosterOf(classId: string) {
    return (await this.classRepo.serial(classId, () => this.enrolments.ofClass(classId))).filter((e) => onRoster(e.state));
  }

  async list(actor: UserDoc, classId: string) {
    const cls = await this.classFor(actor, classId, false);
    const s = await this.deps.classes.scope(actor);
    const rows = await this.sessions.ofClass(classId);
    return { classId, className: cls.name, startDay: cls.startDay, endDay: cls.endDay, manageable: this.deps.classes.isManager(cls, s), items: await this.views(rows) };
  }

  private async views(rows: TrainingSessionDoc[], lectures?: Map<string, { title: string; durationSec: number }>) {
    const info = lectures ?? (await this.lectures(rows));
    return [...rows].sort((a, b) => sortKey(a, this.deps.calendar) - sortKey(b, this.deps.calendar)).map((s) => sessionView(s, s.lectureId ? info.get(String(s.lectureId))?.title : ''));
  }

  private async lectures(rows: TrainingSessionDoc[]) {
    const out = new Map<string, { title: string; durationSec: number }>();
    for (const id of new Set(rows.flatMap((s) => (s.lectureId ? [String(s.lectureId)] : [])))) {
      const l = await this.deps.models.Lecture.findById(id, { title: 1, durationSec: 1 }).lean<LectureDoc>();
      if (l) out.set(id, { title: l.title, durationSec: l.durationSec ?? 0 });
    }
    return out;
  }

  private async fields(cls: TrainingClassDoc, input: SessionInput): Promise<SessionFields> {
    const timed = { ...input };
    let lecture: LectureDoc | null = null;
    if (input.kind === 'recorded' || input.kind === 'live') {
      if (input.lectureId) {
        lecture = await this.deps.models.Lecture.findById(input.lectureId).lean<LectureDoc>();
        if (!lecture || lecture.kind !== (input.kind === 'live' ? 'live' : lecture.kind) || lecture.state === 'withdrawn') throw sessionErrors.badLecture();
        if (input.kind === 'live' && !timed.startAt && lecture.live?.scheduledAt) {
          const at = new Date(lecture.live.scheduledAt).getTime();
          timed.startAt = new Date(at).toISOString();
          timed.endAt = new Date(at + (lecture.durationSec || DEFAULT_LIVE_SEC) * 1000).toISOString();
        }
      }
    }
    const problem = sessionProblem(timed, cls, (ms) => this.deps.calendar.day(ms));
    if (problem) throw sessionErrors.field(problem[0], problem[1]);
    const recorded = input.kind === 'recorded';
    return {
      kind: input.kind,
      title: input.title.trim() || lecture?.title || '',
      lectureId: lecture ? lecture._id : null,
      dueDay: recorded ? input.dueDay! : null,
      startAt: recorded ? null : new Date(timed.startAt!),
      endAt: recorded ? null : new Date(timed.endAt!),
      venue: input.venue?.trim() ?? '',
      place: input.place?.trim() ?? '',
      lecturer: input.lecturer?.trim() || lecture?.lecturer || '',
      required: input.required ?? true,
    };
  }

  async create(actor: UserDoc, classId: string, input: SessionInput) {
    const cls = await this.classFor(actor, classId, true);
    const fields = await this.fields(cls, input);
    const doc = await this.sessions.serial(classId, () => this.sessions.insert(classId, fields));
    // Told in the background: a 300-person class is 300 notice boxes.
    void this.announce(cls, doc).catch((err: unknown) => this.deps.log.warn({ err, sessionId: String(doc._id) }, 'training.announce() | notices not sent'));
    return (await this.views([doc]))[0]!;
  }

  async update(actor: UserDoc, sessionId: string, input: SessionInput) {
    const { cls } = await this.managed(actor, sessionId);
    const fields = await this.fields(cls, input);
    const classId = String(cls._id);
    const doc = await this.sessions.serial(classId, () => this.sessions.set(classId, sessionId, fields));
    if (!doc) throw sessionErrors.sessionNotFound();
    return (await this.views([doc]))[0]!;
  }

  async remove(actor: UserDoc, sessionId: string) {
    const { cls } = await this.managed(actor, sessionId);
    if ((await this.attendance.countOfSession(sessionId)) > 0) throw sessionErrors.hasAttendance();
    const classId = String(cls._id);
    await this.sessions.serial(classId, () => this.sessions.remove(classId, sessionId));
  }

  /** Tells the class's enrolled cadres of a new session (once each, by the notice's id). */
  async announce(cls: TrainingClassDoc, s: TrainingSessionDoc) {
    const roster = await this.rosterOf(String(cls._id));
    const when = s.startAt ? this.deps.calendar.day(new Date(s.startAt).getTime()) + ' ' + clock(this.deps.calendar, new Date(s.startAt).getTime()) : `${s.dueDay} 前`;
    const whenEn = s.startAt ? when : `by ${s.dueDay}`;
    const where = s.place || s.venue;
    const at = new Date(this.now());
    for (const e of roster) {
      await this.deps.notices.send(String(e.userId), {
        id: `training-session-${String(s._id)}`,
        kind: 'training',
        at,
        title: `${cls.name} 新增课程:${s.title}`,
        titleEn: `${cls.name}: new session ${s.title}`,
        body: `${when}${where ? `,${where}` : ''}`,
        bodyEn: `${whenEn}${where ? `, ${where}` : ''}`,
        link: '/training',
      });
    }
  }

  /** A cadre's classes (on the roster) with their timetables, watched shares and attendance. */
  async mine(user: UserDoc) {
    const userId = String(user._id);
    const enrolments = (await this.enrolments.ofUser(userId)).filter((e) => onRoster(e.state));
    const out = [];
    for (const e of enrolments) {
      const cls = await this.classRepo.find(String(e.classId));
      if (!cls) continue;
      const rows = await this.sessions.ofClass(String(cls._id));
      const lectures = await this.lectures(rows);
      const views = await this.views(rows, lectures);
      const items = [];
      for (const v of views) {
        let watched: { coveredSec: number; durationSec: number; percent: number; completed: boolean } | undefined;
        let attendance: { state: ReturnType<typeof attendanceState>; checkInAt?: string; checkOutAt?: string } | undefined;
        if ((v.kind === 'recorded' || v.kind === 'live') && v.lectureId) {
          const p = await this.deps.study.progressOf(userId, v.lectureId);
          const durationSec = p.durationSec || lectures.get(v.lectureId)?.durationSec || 0;
          const percent = durationSec > 0 ? Math.min(100, Math.round((p.coveredSec / durationSec) * 100)) : 0;
          watched = { coveredSec: Math.round(p.coveredSec), durationSec, percent: p.completedAt ? 100 : percent, completed: !!p.completedAt };
        }
        if (presenceKinds.includes(v.kind)) attendance = attendanceOf(await this.attendance.find(v.id, userId));
        items.push({ ...v, ...(watched ? { watched } : {}), ...(attendance ? { attendance } : {}) });
      }
      out.push({ classId: String(cls._id), className: cls.name, startDay: cls.startDay, endDay: cls.endDay, venue: cls.venue ?? '', items });
    }
    return out.sort((a, b) => a.startDay.localeCompare(b.startDay));
  }
}

export function attendanceOf(a: TrainingAttendanceDoc | null) {
  return {
    state: attendanceState(a),
    ...(a?.checkInAt ? { checkInAt: new Date(a.checkInAt).toISOString() } : {}),
    ...(a?.checkOutAt ? { checkOutAt: new Date(a.checkOutAt).toISOString() } : {}),
  };
}

const clock = (calendar: CountyCalendar, ms: number) => {
  const p = calendar.parts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};
