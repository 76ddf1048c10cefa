/** The store side of evaluations: answers inserted once, tallies changed under the subject's key. */
import type { Models } from '../../store/models';
import { insertIfAbsent } from '../../store/errors';
import { storeLock } from '../../store/keyed-lock';
import type { RatedItem, TallyDoc } from './evaluation.model';
import { addToTally } from './evaluation-rules';

export class EvaluationRepository {
  constructor(private readonly models: Models) {}

  /** Stores an answer; false when this cadre's answer to the subject is already there. */
  insert(a: { _id: string; subject: string; ratings: Record<RatedItem, number>; comment: string; year: number }): Promise<boolean> {
    return insertIfAbsent(this.models.CourseEvaluation.create(a));
  }

  exists(id: string): Promise<boolean> {
    return this.models.CourseEvaluation.exists({ _id: id }).then(Boolean);
  }

  /** Adds an answer to the subject's tally (read-modify-write under the subject's key). */
  addToTally(subject: string, ratings: Record<RatedItem, number>, hasComment: boolean): Promise<void> {
    return storeLock(this.models).run(`evaluationTally:${subject}`, async () => {
      const t = await this.models.EvaluationTally.findById(subject).lean<TallyDoc>();
      const next = addToTally(t ?? { count: 0, histograms: {}, comments: 0 }, ratings, hasComment);
      await this.models.EvaluationTally.updateOne({ _id: subject }, { $set: { ...next, updatedAt: new Date() } }, { upsert: true });
    });
  }

  tally(subject: string): Promise<TallyDoc | null> {
    return this.models.EvaluationTally.findById(subject).lean<TallyDoc>().exec();
  }

  /** The subject's comments in the order of their answers' ids (pseudo-random, not the order given). */
  async comments(subject: string, limit = 200): Promise<string[]> {
    const rows = await this.models.CourseEvaluation.find({ subject, comment: { $ne: '' } }, { comment: 1 }).lean();
    return rows
      .sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1))
      .slice(0, limit)
      .map((r) => r.comment ?? '');
  }
}
