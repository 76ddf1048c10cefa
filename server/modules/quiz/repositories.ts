/**
 * One repository per quiz collection, with the FerretDB workarounds in one place: reads by `_id`,
 * inserts whose `_id` decides who wins (attempts, results, holds), and the few updates serialised
 * under the store's lock (a bank's policy, a hold's release). Questions are read per lecture
 * (a filter FerretDB evaluates in Go) and cached by the service.
 */
import { Types } from 'mongoose';
import { insertIfAbsent } from '../../store/errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { QuizAttemptDoc, QuizBankDoc, QuizCreditHoldDoc, QuizQuestionDoc, QuizResultDoc } from './quiz.model';
import { defaultSettings, type BankSettings, type QuestionFields } from './quiz-rules';

export class BankRepository {
  constructor(private readonly models: Models) {}

  async settings(lectureId: string): Promise<BankSettings> {
    const row = await this.models.QuizBank.findById(lectureId).lean<QuizBankDoc>();
    if (!row) return { ...defaultSettings };
    return { needsPass: Boolean(row.needsPass), drawCount: row.drawCount ?? 5, passPercent: row.passPercent ?? 60, mainAttempts: row.mainAttempts ?? 1, makeupAttempts: row.makeupAttempts ?? 0 };
  }

  save(lectureId: string, s: BankSettings, by: Types.ObjectId): Promise<unknown> {
    return storeLock(this.models).run(`quiz-bank:${lectureId}`, () => this.models.QuizBank.replaceOne({ _id: lectureId }, { ...s, updatedAt: new Date(), updatedBy: by }, { upsert: true }));
  }
}

export class QuestionRepository {
  constructor(private readonly models: Models) {}

  forLecture(lectureId: string): Promise<QuizQuestionDoc[]> {
    return this.models.QuizQuestion.find({ lectureId: new Types.ObjectId(lectureId) }).sort({ createdAt: 1, _id: 1 }).lean<QuizQuestionDoc[]>().exec();
  }

  async insertMany(lectureId: string, questions: QuestionFields[], by: Types.ObjectId): Promise<number> {
    if (!questions.length) return 0;
    const lecture = new Types.ObjectId(lectureId);
    const res = await this.models.QuizQuestion.insertMany(questions.map((q) => ({ ...q, lectureId: lecture, createdBy: by })));
    return res.length;
  }

  async insert(lectureId: string, q: QuestionFields, by: Types.ObjectId): Promise<QuizQuestionDoc> {
    const doc = await this.models.QuizQuestion.create({ ...q, lectureId: new Types.ObjectId(lectureId), createdBy: by });
    return doc.toObject() as QuizQuestionDoc;
  }

  find(id: string): Promise<QuizQuestionDoc | null> {
    if (!Types.ObjectId.isValid(id)) return Promise.resolve(null);
    return this.models.QuizQuestion.findById(id).lean<QuizQuestionDoc>().exec();
  }

  update(id: string, q: QuestionFields): Promise<QuizQuestionDoc | null> {
    return storeLock(this.models).run(`quiz-question:${id}`, () => this.models.QuizQuestion.findByIdAndUpdate(id, { $set: q }, { returnDocument: 'after' }).lean<QuizQuestionDoc>().exec());
  }

  async remove(id: string): Promise<void> {
    await storeLock(this.models).run(`quiz-question:${id}`, () => this.models.QuizQuestion.deleteOne({ _id: new Types.ObjectId(id) }));
  }
}

export const attemptId = (userId: string, lectureId: string, n: number) => `${userId}:${lectureId}:${n}`;

export class AttemptRepository {
  constructor(private readonly models: Models) {}

  find(id: string): Promise<QuizAttemptDoc | null> {
    return this.models.QuizAttempt.findById(id).lean<QuizAttemptDoc>().exec();
  }

  /** A cadre's attempts on a lecture, in order: read by `_id` from 1 up to the first missing one. */
  async ofCadre(userId: string, lectureId: string, upTo: number): Promise<QuizAttemptDoc[]> {
    const out: QuizAttemptDoc[] = [];
    for (let n = 1; n <= upTo; n++) {
      const a = await this.find(attemptId(userId, lectureId, n));
      if (!a) break;
      out.push(a);
    }
    return out;
  }

  /** True when this attempt was new (its `_id` decides). */
  insert(a: QuizAttemptDoc): Promise<boolean> {
    return insertIfAbsent(this.models.QuizAttempt.collection.insertOne(a as never));
  }
}

export class ResultRepository {
  constructor(private readonly models: Models) {}

  find(id: string): Promise<QuizResultDoc | null> {
    return this.models.QuizResult.findById(id).lean<QuizResultDoc>().exec();
  }

  /** True when this result was the first for its `_id` (one per attempt, one per span question). */
  insert(r: QuizResultDoc): Promise<boolean> {
    return insertIfAbsent(this.models.QuizResult.collection.insertOne(r as never));
  }
}

export const spanResultId = (userId: string, questionId: string) => `span:${userId}:${questionId}`;
export const holdId = (userId: string, lectureId: string, year: number) => `${userId}:${lectureId}:${year}`;

export class HoldRepository {
  constructor(private readonly models: Models) {}

  find(id: string): Promise<QuizCreditHoldDoc | null> {
    return this.models.QuizCreditHold.findById(id).lean<QuizCreditHoldDoc>().exec();
  }

  /** A lecture's credits still held (an admin's policy change; a scan, rare). */
  heldFor(lectureId: string): Promise<QuizCreditHoldDoc[]> {
    return this.models.QuizCreditHold.find({ lectureId: new Types.ObjectId(lectureId), releasedAt: null }).lean<QuizCreditHoldDoc[]>().exec();
  }

  insert(h: QuizCreditHoldDoc): Promise<boolean> {
    return insertIfAbsent(this.models.QuizCreditHold.collection.insertOne(h as never));
  }

  /** Marks a hold released once (read, then updated by `_id` alone, under its key). False when already released or absent. */
  release(id: string, attempt: string, hours: number | null, at: Date): Promise<boolean> {
    return storeLock(this.models).run(`quiz-hold:${id}`, async () => {
      const h = await this.find(id);
      if (!h || h.releasedAt) return false;
      await this.models.QuizCreditHold.updateOne({ _id: id }, { $set: { releasedAt: at, releasedBy: attempt, hours } });
      return true;
    });
  }
}
