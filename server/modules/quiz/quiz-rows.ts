/**
 * 题库导入 (a question bank from Excel), the rows: the template's columns and the check of each
 * row (pure). As with the roster (roster-import/roster-rows.ts), every problem is reported with
 * its Excel row number, field and a stable code in Chinese and English; a bank is imported only
 * when every row is right (a partial import followed by a corrected one would double questions).
 */
import { JUDGE_OPTIONS, questionProblems, type QuestionFields, type QuestionKind } from './quiz-rules';

export const OPTION_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

export const QUIZ_COLUMNS = [
  { header: '题型', field: 'kind', width: 10, note: '必填:单选、多选 或 判断 / single, multi or judge' },
  { header: '题干', field: 'stem', width: 48, note: '必填 / the question' },
  ...OPTION_LETTERS.map((l) => ({ header: `选项${l}`, field: `option${l}`, width: 22, note: '单选、多选题的选项;判断题不填 / options (not for true/false)' })),
  { header: '答案', field: 'answer', width: 10, note: '必填:单选如 B,多选如 ACD,判断填 正确 或 错误 / the key' },
  { header: '片段开始', field: 'spanFrom', width: 12, note: '选填:关联的课程片段开始,如 1:30 或 90(秒) / optional span start' },
  { header: '片段结束', field: 'spanTo', width: 12, note: '选填:片段结束,如 3:00 / optional span end' },
  { header: '解析', field: 'explanation', width: 36, note: '选填 / optional explanation' },
] as const;
export type QuizField = (typeof QUIZ_COLUMNS)[number]['field'];

export interface QuizRowError {
  row: number;
  field: string;
  code: string;
  message: string;
  messageEn: string;
}

const KINDS: Record<string, QuestionKind> = { 单选: 'single', 单选题: 'single', single: 'single', 多选: 'multi', 多选题: 'multi', multi: 'multi', 判断: 'judge', 判断题: 'judge', judge: 'judge' };
const TRUE_WORDS = new Set(['正确', '对', '√', 'true', 't', 'yes', 'y', 'a']);
const FALSE_WORDS = new Set(['错误', '错', '×', 'false', 'f', 'no', 'n', 'b']);

/** Header cells -> column index per field; the missing required columns otherwise. */
export function mapQuizHeader(cells: string[]): Map<QuizField, number> | { missing: string[] } {
  const at = new Map<QuizField, number>();
  cells.forEach((c, i) => {
    const col = QUIZ_COLUMNS.find((x) => x.header === c.trim());
    if (col && !at.has(col.field)) at.set(col.field, i);
  });
  const missing = (['kind', 'stem', 'answer'] as const).filter((f) => !at.has(f)).map((f) => QUIZ_COLUMNS.find((c) => c.field === f)!.header);
  return missing.length ? { missing } : at;
}

/** "1:30", "01:02:03" or "90" seconds; NaN when it is neither. */
export function parseClock(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})$/.exec(t);
  if (!m) return Number.NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** One row's question, or its problems (each naming the field). */
export function checkQuizRow(row: number, v: Partial<Record<QuizField, string>>, durationSec: number): { question: QuestionFields } | { errors: QuizRowError[] } {
  const errors: QuizRowError[] = [];
  const err = (field: string, code: string, message: string, messageEn: string) => errors.push({ row, field, code, message, messageEn });
  const kind = KINDS[(v.kind ?? '').trim().toLowerCase()] ?? KINDS[(v.kind ?? '').trim()];
  if (!kind) {
    err('kind', 'QUIZ_ROW_KIND', '题型须为 单选、多选 或 判断', 'The type must be 单选 (single), 多选 (multi) or 判断 (true/false)');
    return { errors };
  }
  let options: string[];
  let answer: number[] = [];
  const key = (v.answer ?? '').trim();
  if (kind === 'judge') {
    options = [...JUDGE_OPTIONS];
    const k = key.toLowerCase();
    if (TRUE_WORDS.has(k)) answer = [0];
    else if (FALSE_WORDS.has(k)) answer = [1];
    else err('answer', 'QUIZ_ROW_ANSWER', '判断题答案须为 正确 或 错误', 'A true/false answer must be 正确 or 错误');
  } else {
    // Options up to the last filled column; a gap in between is an empty option (reported).
    const raw = OPTION_LETTERS.map((l) => (v[`option${l}` as QuizField] ?? '').trim());
    const last = raw.reduce((n, o, i) => (o ? i + 1 : n), 0);
    options = raw.slice(0, last);
    const letters = key.toUpperCase().replace(/[\s,，、;；]/g, '');
    if (!letters || !/^[A-F]+$/.test(letters)) err('answer', 'QUIZ_ROW_ANSWER', '答案须为选项字母,如 B 或 ACD', 'The answer must be option letters, such as B or ACD');
    else answer = [...new Set([...letters].map((c) => c.charCodeAt(0) - 65))].sort((a, b) => a - b);
  }
  const spanText = [v.spanFrom ?? '', v.spanTo ?? ''].map((s) => s.trim());
  const span = spanText.map((s) => (s ? parseClock(s) : null));
  spanText.forEach((s, i) => {
    if (s && Number.isNaN(span[i])) err(i ? 'spanTo' : 'spanFrom', 'QUIZ_ROW_CLOCK', `时间“${s}”无法识别,请写成 1:30 或 90`, `The time "${s}" is not understood; write 1:30 or 90`);
  });
  if (errors.length) return { errors };
  const question: QuestionFields = { kind, stem: (v.stem ?? '').trim(), options, answer, spanFrom: span[0] ?? null, spanTo: span[1] ?? null, explanation: (v.explanation ?? '').trim() };
  for (const p of questionProblems(question, durationSec)) err(p.field, p.code, p.zh, p.en);
  return errors.length ? { errors } : { question };
}
