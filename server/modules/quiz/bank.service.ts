/**
 * Question banks (题库): a lecture's questions and its policy, edited by the lecture's editors
 * only (catalog canEdit: a lecturer their own lectures, the org admin all; anyone else 403), in
 * the studio or imported from the Excel template (all rows or none, errors by row). Banks are
 * read on every quiz view and every held completion, so each lecture's questions and policy are
 * cached for a minute and dropped on every edit (one portal process per store).
 */
import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import type { CatalogService } from '../catalog/catalog.service';
import type { UserDoc } from '../users/user.model';
import type { QuizQuestionDoc } from './quiz.model';
import { quizErrors } from './quiz-errors';
import { checkQuizRow, type QuizRowError } from './quiz-rows';
import { questionProblems, settingsProblem, type BankSettings, type QuestionFields } from './quiz-rules';
import { quizTemplate, readQuizRows } from './quiz-workbook';
import type { BankRepository, QuestionRepository } from './repositories';

export interface EditorQuestion extends QuestionFields {
  id: string;
}

export const toEditorQuestion = (q: QuizQuestionDoc): EditorQuestion => ({
  id: String(q._id),
  kind: q.kind,
  stem: q.stem,
  options: [...q.options],
  answer: [...q.answer],
  spanFrom: q.spanFrom ?? null,
  spanTo: q.spanTo ?? null,
  explanation: q.explanation ?? '',
});

/** A lecture's bank as the quizzes and the credit gate read it: questions and policy, cached for a minute, dropped on every edit. */
export class BankReads {
  private readonly questionCache: LRUCache<string, EditorQuestion[]>;
  private readonly settingsCache: LRUCache<string, BankSettings>;

  constructor(
    readonly banks: BankRepository,
    readonly questions: QuestionRepository,
  ) {
    this.questionCache = new LRUCache({ max: 5000, ttl: 60_000, fetchMethod: async (id) => (await this.questions.forLecture(id)).map(toEditorQuestion) });
    this.settingsCache = new LRUCache({ max: 5000, ttl: 60_000, fetchMethod: (id) => this.banks.settings(id) });
  }

  /** A lecture's questions with their keys (server side only). */
  async questionsOf(lectureId: string): Promise<EditorQuestion[]> {
    return (await this.questionCache.fetch(lectureId)) ?? [];
  }

  async settingsOf(lectureId: string): Promise<BankSettings> {
    return (await this.settingsCache.fetch(lectureId))!;
  }

  changed(lectureId: string) {
    this.questionCache.delete(lectureId);
    this.settingsCache.delete(lectureId);
  }
}

/** Editing a bank: the lecture's editors only. */
export class BankService {
  private readonly banks: BankRepository;
  private readonly questions: QuestionRepository;

  constructor(
    private readonly reads: BankReads,
    private readonly catalog: CatalogService,
    /** Called when a lecture's credit may no longer wait for a pass (policy off, bank emptied). */
    private readonly opened: (lectureId: string) => Promise<unknown> = async () => {},
  ) {
    this.banks = reads.banks;
    this.questions = reads.questions;
  }

  questionsOf(lectureId: string) {
    return this.reads.questionsOf(lectureId);
  }

  settingsOf(lectureId: string) {
    return this.reads.settingsOf(lectureId);
  }

  private changed(lectureId: string) {
    this.reads.changed(lectureId);
  }

  async view(user: UserDoc, lectureId: string) {
    const lecture = await this.catalog.loadEditable(user, lectureId);
    return { lectureId, title: lecture.title, durationSec: lecture.durationSec ?? 0, settings: await this.settingsOf(lectureId), questions: await this.questionsOf(lectureId) };
  }

  async saveSettings(user: UserDoc, lectureId: string, s: BankSettings): Promise<BankSettings> {
    await this.catalog.loadEditable(user, lectureId);
    const problem = settingsProblem(s);
    if (problem) throw quizErrors.invalid(problem);
    await this.banks.save(lectureId, s, user._id as Types.ObjectId);
    this.changed(lectureId);
    if (!s.needsPass) await this.opened(lectureId);
    return this.settingsOf(lectureId);
  }

  async add(user: UserDoc, lectureId: string, q: QuestionFields): Promise<EditorQuestion> {
    const lecture = await this.catalog.loadEditable(user, lectureId);
    const fields = normalise(q);
    const problem = questionProblems(fields, lecture.durationSec ?? 0)[0];
    if (problem) throw quizErrors.invalid(problem);
    const saved = await this.questions.insert(lectureId, fields, user._id as Types.ObjectId);
    this.changed(lectureId);
    return toEditorQuestion(saved);
  }

  async update(user: UserDoc, lectureId: string, questionId: string, q: QuestionFields): Promise<EditorQuestion> {
    const lecture = await this.catalog.loadEditable(user, lectureId);
    const existing = await this.questions.find(questionId);
    if (!existing || String(existing.lectureId) !== lectureId) throw quizErrors.questionNotFound();
    const fields = normalise(q);
    const problem = questionProblems(fields, lecture.durationSec ?? 0)[0];
    if (problem) throw quizErrors.invalid(problem);
    const saved = await this.questions.update(questionId, fields);
    this.changed(lectureId);
    if (!saved) throw quizErrors.questionNotFound();
    return toEditorQuestion(saved);
  }

  async remove(user: UserDoc, lectureId: string, questionId: string): Promise<void> {
    await this.catalog.loadEditable(user, lectureId);
    const existing = await this.questions.find(questionId);
    if (!existing || String(existing.lectureId) !== lectureId) throw quizErrors.questionNotFound();
    await this.questions.remove(questionId);
    this.changed(lectureId);
    if ((await this.questionsOf(lectureId)).length === 0) await this.opened(lectureId);
  }

  template(): Promise<Buffer> {
    return quizTemplate();
  }

  /** Imports a filled template: every row checked; imported only when no row has an error. */
  async import(user: UserDoc, lectureId: string, file: Buffer): Promise<{ imported: number; rows: number; rowErrors: QuizRowError[] }> {
    const lecture = await this.catalog.loadEditable(user, lectureId);
    const rows = await readQuizRows(file);
    const good: QuestionFields[] = [];
    const rowErrors: QuizRowError[] = [];
    const seen = new Map<string, number>();
    for (const r of rows) {
      const res = checkQuizRow(r.row, r.values, lecture.durationSec ?? 0);
      if ('errors' in res) {
        rowErrors.push(...res.errors);
        continue;
      }
      const first = seen.get(res.question.stem);
      if (first !== undefined) {
        rowErrors.push({ row: r.row, field: 'stem', code: 'QUIZ_ROW_DUPLICATE', message: `与第 ${first} 行题干重复`, messageEn: `Same question as row ${first}` });
        continue;
      }
      seen.set(res.question.stem, r.row);
      good.push(res.question);
    }
    if (rows.length === 0) rowErrors.push({ row: 2, field: 'row', code: 'QUIZ_ROW_NONE', message: '文件中没有试题', messageEn: 'The file has no questions' });
    if (rowErrors.length) return { imported: 0, rows: rows.length, rowErrors };
    const imported = await this.questions.insertMany(lectureId, good, user._id as Types.ObjectId);
    this.changed(lectureId);
    return { imported, rows: rows.length, rowErrors };
  }
}

function normalise(q: QuestionFields): QuestionFields {
  return {
    kind: q.kind,
    stem: q.stem.trim(),
    options: q.kind === 'judge' ? ['正确', '错误'] : q.options.map((o) => o.trim()),
    answer: [...new Set(q.answer)].sort((a, b) => a - b),
    spanFrom: q.spanFrom ?? null,
    spanTo: q.spanTo ?? null,
    explanation: (q.explanation ?? '').trim(),
  };
}

export type { QuizRowError };
