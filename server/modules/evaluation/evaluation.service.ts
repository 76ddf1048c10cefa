/**
 * Course and class evaluations (教学评估): who may answer, the answer stored once and anonymously,
 * and what its readers see (evaluation-rules.ts).
 * - A lecture (recorded or live, its replay included) may be evaluated by a cadre it credited
 *   (a ledger entry for it): someone who watched it through, not anyone who opened the page. A
 *   live lecture and its replay are one content: one answer per cadre, one tally.
 * - A training class by a cadre enrolled (or completed) once the class has begun (county day).
 * - The lecture's owner (canEdit: its lecturer) and the organisation department read a lecture's
 *   tally; the class's managers and the organisation department a class's.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { canEdit } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import type { UserDoc } from '../users/user.model';
import type { RatedItem, SubjectKind } from './evaluation.model';
import { EvaluationRepository } from './evaluation-repository';
import { answerId, subjectKey, tallyView, type TallyView } from './evaluation-rules';

export interface AnswerInput {
  ratings: Record<RatedItem, number>;
  comment?: string;
}

export interface MyEvaluation {
  eligible: boolean;
  /** Why not, when not eligible (a code the client words). */
  reason?: 'not-credited' | 'not-enrolled' | 'not-begun';
  answered: boolean;
}

const notEligible = () => new AppError(403, 'EVALUATION_NOT_ELIGIBLE', '学完本课程(或参加本班)后才能评价', 'You can evaluate this once you have completed it (or attended the class)');

export class EvaluationService {
  readonly repo: EvaluationRepository;

  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
    private readonly key: Buffer,
    private readonly minAnswers: number,
  ) {
    this.repo = new EvaluationRepository(models);
  }

  async mine(user: UserDoc, kind: SubjectKind, id: string): Promise<MyEvaluation> {
    id = await this.contentId(kind, id);
    const subject = subjectKey(kind, id);
    const [why, answered] = await Promise.all([this.ineligible(user, kind, id), this.repo.exists(answerId(this.key, subject, String(user._id)))]);
    return why ? { eligible: false, reason: why, answered } : { eligible: true, answered };
  }

  async answer(user: UserDoc, kind: SubjectKind, id: string, input: AnswerInput): Promise<MyEvaluation> {
    id = await this.contentId(kind, id);
    if (await this.ineligible(user, kind, id)) throw notEligible();
    const subject = subjectKey(kind, id);
    const comment = (input.comment ?? '').trim();
    const fresh = await this.repo.insert({ _id: answerId(this.key, subject, String(user._id)), subject, ratings: input.ratings, comment, year: this.calendar.year(Date.now()) });
    if (!fresh) throw errors.conflict('EVALUATION_ANSWERED', '您已评价过', 'You have already evaluated this');
    await this.repo.addToTally(subject, input.ratings, comment !== '');
    return { eligible: true, answered: true };
  }

  async summary(user: UserDoc, kind: SubjectKind, id: string): Promise<TallyView & { title: string }> {
    const title = await this.readable(user, kind, id);
    id = await this.contentId(kind, id);
    const subject = subjectKey(kind, id);
    const tally = await this.repo.tally(subject);
    const shown = (tally?.count ?? 0) >= this.minAnswers;
    return { title, ...tallyView(tally, shown ? await this.repo.comments(subject) : [], this.minAnswers) };
  }

  /** A replay is evaluated as its live lecture (one content, one ledger entry, one tally). */
  private async contentId(kind: SubjectKind, id: string): Promise<string> {
    if (kind !== 'lecture') return id;
    const l = await this.models.Lecture.findById(id, { replayOf: 1 }).lean<LectureDoc>();
    if (!l) throw errors.notFound('讲座', 'Lecture');
    return l.replayOf ? String(l.replayOf) : id;
  }

  /** The subject's title when `user` may read its tally; 403/404 otherwise. */
  private async readable(user: UserDoc, kind: SubjectKind, id: string): Promise<string> {
    if (kind === 'lecture') {
      const lecture = await this.models.Lecture.findById(id, { title: 1, createdBy: 1 }).lean<LectureDoc>();
      if (!lecture) throw errors.notFound('讲座', 'Lecture');
      if (!canEdit(user, lecture)) throw errors.forbidden();
      return lecture.title;
    }
    const c = await this.models.TrainingClass.findById(id, { name: 1, cohort: 1, managerIds: 1 }).lean();
    if (!c) throw errors.notFound('培训班', 'Class');
    if (user.role !== 'orgAdmin' && !(c.managerIds ?? []).some((m) => m.equals(user._id))) throw errors.forbidden();
    return `${c.name}(第${c.cohort}期)`;
  }

  private async ineligible(user: UserDoc, kind: SubjectKind, id: string): Promise<MyEvaluation['reason'] | undefined> {
    const userId = user._id as Types.ObjectId;
    if (kind === 'lecture') {
      if (!(await this.models.Lecture.exists({ _id: id }))) throw errors.notFound('讲座', 'Lecture');
      const credited = await this.models.Ledger.exists({ userId, lectureId: new Types.ObjectId(id) });
      return credited ? undefined : 'not-credited';
    }
    const c = await this.models.TrainingClass.findById(id, { startDay: 1 }).lean();
    if (!c) throw errors.notFound('培训班', 'Class');
    const e = await this.models.TrainingEnrolment.findById(`${id}:${String(userId)}`, { state: 1 }).lean();
    if (!e || (e.state !== 'enrolled' && e.state !== 'completed')) return 'not-enrolled';
    if (c.startDay > this.calendar.day(Date.now())) return 'not-begun';
    return undefined;
  }
}
