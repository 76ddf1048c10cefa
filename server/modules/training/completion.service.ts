/**
 * Completion (结业) of a training class, for its managers. The class's rules (completion-rules.ts)
 * are checked per cadre from what the store holds: attendance at its presence sessions (read
 * only: TrainingAttendance, written by the attendance service), the study engine's progress on its
 * recorded and live lectures (a completed progress, or a ledger entry for the lecture), and the
 * class's quiz and evaluation through `ClassAssessmentHook` (none exist yet: the default says the
 * class has none). Completing credits only the cadres who meet the rules, unless the manager
 * overrides with a reason, which is recorded on the enrolment with what was missing. Each
 * completed cadre gets the class's hours in the ledger once (CreditLedger.creditOnce: the entry's
 * `_id` user:class:year decides), with source `training` and the class's `trainingChannel`, and a
 * certificate with a serial (certificate-service.ts). Everything runs under the class's lock.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import type { LedgerEntry } from '../study/credit-ledger';
import type { UserDoc } from '../users/user.model';
import type { CertificateService } from './certificate-service';
import { ClassRepository } from './class-repository';
import { checkCadre, DEFAULT_RULES, isScreen, type CadreCheck, type CompletionRules, type RuleSession } from './completion-rules';
import { label, type Send } from './enrolment.service';
import { EnrolmentRepository } from './enrolment-repository';
import type { TrainingAttendanceDoc, TrainingSessionDoc } from './session.model';
import type { EnrolmentDoc, EnrolmentState, TrainingClassDoc } from './training.model';
import { completionOpen, creditInstant } from './training-rules';
import { trainingErrors, type Scope } from './training-scope';

/**
 * The hook for the class's quiz (结业测试) and evaluation (培训评估) once they exist: per cadre,
 * true = passed/submitted, false = not yet; an absent entry or null = the class has none.
 */
export type ClassAssessmentHook = (c: TrainingClassDoc, userIds: readonly string[]) => Promise<Map<string, { quiz?: boolean | null; evaluation?: boolean | null }>>;
export const noAssessments: ClassAssessmentHook = async () => new Map();

export interface CompletionDeps {
  models: Models;
  calendar: CountyCalendar;
  ledger: { creditOnce(entry: LedgerEntry): Promise<boolean> };
  /** The study engine's progress of a cadre on a lecture (memory first). */
  progressOf: (userId: string, lectureId: string) => Promise<{ completedAt: number | null }>;
  send: (notes: Send[]) => Promise<void>;
  scope: (user: UserDoc) => Promise<Scope>;
  isManager: (c: TrainingClassDoc, s: Scope) => boolean;
  visible: (c: TrainingClassDoc, s: Scope) => boolean;
  certificates: CertificateService;
  assessments?: ClassAssessmentHook;
  /** Told of each cadre completed (again on a repeat: idempotent), for the yearly result (server/modules/assessment). */
  onCompleted?: (userId: string, classId: string, year: number, at: number) => Promise<void>;
  now?: () => number;
}

export const completionErrors = {
  reasonNeeded: () => new AppError(400, 'TRAINING_OVERRIDE_REASON', '请填写破例结业的理由', 'Give a reason for completing despite the rules', { field: 'override' }),
  overrideNeedsNames: () => new AppError(400, 'TRAINING_OVERRIDE_NAMES', '破例结业须逐一选择学员', 'Name the cadres to complete despite the rules', { field: 'userIds' }),
};

export const rulesOf = (c: TrainingClassDoc): CompletionRules => ({
  presenceShare: c.completionRules?.presenceShare ?? DEFAULT_RULES.presenceShare,
  recordedAll: c.completionRules?.recordedAll ?? DEFAULT_RULES.recordedAll,
  evaluationRequired: c.completionRules?.evaluationRequired ?? false,
});

/** Runs `fn` over `items`, `n` at a time (each cadre's reads and writes are their own documents). */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const SEATED = (e: EnrolmentDoc) => e.state === 'enrolled' || e.state === 'completed';

export class CompletionService {
  readonly classes: ClassRepository;
  readonly enrolments: EnrolmentRepository;
  private readonly now: () => number;

  constructor(private readonly deps: CompletionDeps) {
    this.classes = new ClassRepository(deps.models);
    this.enrolments = new EnrolmentRepository(deps.models);
    this.now = deps.now ?? Date.now;
  }

  async managed(actor: UserDoc, classId: string): Promise<{ c: TrainingClassDoc; s: Scope }> {
    const s = await this.deps.scope(actor);
    const c = await this.classes.find(classId);
    if (!c || !this.deps.visible(c, s)) throw trainingErrors.classNotFound();
    if (!this.deps.isManager(c, s)) throw trainingErrors.notManager();
    return { c, s };
  }

  /** The class's sessions, soonest first (read only: the timetable service owns them). */
  async sessions(classId: string): Promise<TrainingSessionDoc[]> {
    const rows = await this.deps.models.TrainingSession.find({ classId: new Types.ObjectId(classId) }).lean<TrainingSessionDoc[]>();
    const at = (s: TrainingSessionDoc) => (s.startAt ? new Date(s.startAt).getTime() : s.dueDay ? Date.parse(s.dueDay) : 0);
    return rows.sort((a, b) => at(a) - at(b) || a.title.localeCompare(b.title, 'zh-CN'));
  }

  async attendance(classId: string): Promise<TrainingAttendanceDoc[]> {
    return this.deps.models.TrainingAttendance.find({ classId: new Types.ObjectId(classId) }).lean<TrainingAttendanceDoc[]>();
  }

  /**
   * Has the cadre completed the lecture: a ledger entry of the class's year or the next (the engine
   * writes one when a lecture completes; an `_id` read), else the engine's progress (memory first).
   */
  private async watched(userId: string, lectureId: string, year: number): Promise<boolean> {
    for (const y of [year, year + 1]) if (await this.deps.models.Ledger.exists({ _id: `${userId}:${lectureId}:${y}` })) return true;
    return (await this.deps.progressOf(userId, lectureId)).completedAt !== null;
  }

  /** Each seated cadre's check against the class's rules. */
  async evaluate(c: TrainingClassDoc, rows: EnrolmentDoc[]): Promise<Map<string, CadreCheck>> {
    const classId = String(c._id);
    const sessions = (await this.sessions(classId)).filter((s) => s.required ?? true);
    const ruleSessions: RuleSession[] = sessions.map((s) => ({ id: String(s._id), kind: s.kind as RuleSession['kind'], title: s.title, lectureId: s.lectureId ? String(s.lectureId) : null }));
    const byUser = new Map<string, Map<string, { checkIn: boolean; checkOut: boolean }>>();
    for (const a of await this.attendance(classId)) {
      const u = String(a.userId);
      if (!byUser.has(u)) byUser.set(u, new Map());
      byUser.get(u)!.set(String(a.sessionId), { checkIn: Boolean(a.checkInAt), checkOut: Boolean(a.checkOutAt) });
    }
    const lectures = [...new Set(ruleSessions.filter((s) => isScreen(s.kind) && s.lectureId).map((s) => s.lectureId!))];
    const userIds = rows.map((e) => String(e.userId));
    const assessed = await (this.deps.assessments ?? noAssessments)(c, userIds);
    const out = new Map<string, CadreCheck>();
    await pool(userIds, 8, async (userId) => {
      const watched = new Set<string>();
      for (const l of lectures) if (await this.watched(userId, l, c.year)) watched.add(l);
      const a = assessed.get(userId);
      out.set(userId, checkCadre(rulesOf(c), ruleSessions, { attendance: byUser.get(userId) ?? new Map(), watched, quiz: a?.quiz, evaluation: a?.evaluation }));
    });
    return out;
  }

  /** 结业审核: per seated cadre what is met and what is missing, with their certificate if any. */
  async check(actor: UserDoc, classId: string) {
    const { c, s } = await this.managed(actor, classId);
    const rows = (await this.classes.serial(classId, () => this.enrolments.ofClass(classId))).filter(SEATED);
    const checks = await this.evaluate(c, rows);
    const certs = await this.deps.certificates.ofClass(classId);
    const users = rows.length ? await this.deps.models.User.find({ _id: { $in: rows.map((e) => e.userId) } }, { displayName: 1, username: 1 }).lean() : [];
    const byId = new Map(users.map((u) => [String(u._id), u]));
    const sessions = await this.sessions(classId);
    return {
      rules: rulesOf(c),
      completionOpen: completionOpen(this.deps.calendar, c.endDay, this.now()),
      sessions: { presence: sessions.filter((x) => (x.required ?? true) && !isScreen(x.kind)).length, screen: sessions.filter((x) => (x.required ?? true) && isScreen(x.kind)).length },
      items: rows.map((e) => {
        const u = byId.get(String(e.userId));
        const cert = certs.get(e._id);
        return {
          userId: String(e.userId),
          displayName: u?.displayName ?? '',
          username: u?.username ?? '',
          unit: e.unitId ? s.unitName(String(e.unitId)) : '',
          state: e.state as EnrolmentState,
          check: checks.get(String(e.userId))!,
          override: e.override?.reason ? { reason: e.override.reason, missing: e.override.missing ?? [] } : undefined,
          certificate: cert ? { serial: cert._id, valid: !cert.revokedAt } : undefined,
        };
      }),
    };
  }

  async setRules(actor: UserDoc, classId: string, rules: CompletionRules) {
    await this.managed(actor, classId);
    return this.classes.serial(classId, async () => {
      const c = await this.classes.set(classId, { completionRules: { presenceShare: rules.presenceShare, recordedAll: rules.recordedAll, evaluationRequired: rules.evaluationRequired ?? false } });
      if (!c) throw trainingErrors.classNotFound();
      return rulesOf(c);
    });
  }

  /**
   * 结业: completes the seated cadres (all, or those named) who meet the rules; with `override`
   * (a reason) the named cadres complete whatever is missing, recorded. Credits once, issues certificates.
   */
  async complete(actor: UserDoc, classId: string, opts: { userIds?: string[]; override?: string } = {}) {
    await this.managed(actor, classId);
    const override = opts.override?.trim() ?? '';
    if (opts.override !== undefined && !override) throw completionErrors.reasonNeeded();
    if (override && !opts.userIds?.length) throw completionErrors.overrideNeedsNames();
    const notes: Send[] = [];
    const result = await this.classes.serial(classId, async () => {
      const c = await this.classes.find(classId);
      if (!c) throw trainingErrors.classNotFound();
      const now = this.now();
      if (!completionOpen(this.deps.calendar, c.endDay, now)) throw trainingErrors.notEnded();
      const named = opts.userIds ? new Set(opts.userIds) : null;
      const rows = (await this.enrolments.ofClass(classId)).filter((e) => SEATED(e) && (!named || named.has(String(e.userId))));
      const checks = await this.evaluate(c, rows);
      const at = creditInstant(this.deps.calendar, c.endDay, now);
      const year = this.deps.calendar.year(at);
      let credited = 0;
      const done: EnrolmentDoc[] = [];
      const skipped: { userId: string; missing: string[] }[] = [];
      const passing = rows.filter((e) => {
        const check = checks.get(String(e.userId))!;
        const pass = check.met || Boolean(override) || e.state === 'completed';
        if (!pass) skipped.push({ userId: String(e.userId), missing: check.missing });
        return pass;
      });
      // Cadres are independent (the ledger serialises per cadre): a few at a time.
      await pool(passing, 8, async (e) => {
        const userId = String(e.userId);
        const check = checks.get(userId)!;
        const entry: LedgerEntry & { trainingChannel: string } = {
          _id: `${userId}:${classId}:${year}`,
          userId: e.userId,
          lectureId: c._id,
          year,
          hours: c.creditHours,
          required: c.required ?? true,
          category: c.contentCategory ?? 'service',
          topic: 'training',
          title: label(c),
          at: new Date(at),
          source: 'training',
          trainingChannel: c.channel,
        };
        // The ledger first: a crash between the two leaves a cadre to mark again, never hours twice.
        if (await this.deps.ledger.creditOnce(entry)) credited++;
        if (e.state !== 'completed') {
          const overridden = check.met ? null : { reason: override, by: actor._id, at: new Date(now), missing: check.missing };
          await this.enrolments.set(e._id, { state: 'completed', completedAt: new Date(now), hours: c.creditHours, override: overridden });
          done.push(e);
        }
        await this.deps.onCompleted?.(userId, classId, year, now);
      });
      // Serials in roster order, one class at a time (certificate-service.ts).
      const issued = await this.deps.certificates.issue(c, passing.map((e) => ({ enrolmentId: e._id, userId: String(e.userId), hours: c.creditHours })), now);
      for (const e of done) {
        const serial = issued.get(e._id);
        notes.push({
          userId: String(e.userId),
          id: `training-completed-${classId}`,
          title: `您已结业:${label(c)}`,
          titleEn: `You completed the class ${c.name}`,
          body: `计 ${c.creditHours} 学时${serial ? `,结业证书编号 ${serial}` : ''}。`,
          bodyEn: `${c.creditHours} hours credited${serial ? `; certificate ${serial}` : ''}.`,
          link: `/training/certificates/${classId}`,
        });
      }
      if (!c.completedAt && done.length) await this.classes.set(classId, { completedAt: new Date(now) });
      return { completed: rows.length - skipped.length, credited, hours: c.creditHours, certificates: issued.size, skipped };
    });
    await this.deps.send(notes);
    return result;
  }
}
