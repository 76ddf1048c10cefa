/** The /api/quiz calls and their shapes (server/modules/quiz/schemas.ts), plus small pure helpers. */
import { api } from '../api/client.ts';

export type QuestionKind = 'single' | 'multi' | 'judge';

export interface QuestionInput {
  kind: QuestionKind;
  stem: string;
  options: string[];
  answer: number[];
  spanFrom: number | null;
  spanTo: number | null;
  explanation: string;
}
export interface BankQuestion extends QuestionInput {
  id: string;
}
export interface BankSettings {
  needsPass: boolean;
  drawCount: number;
  passPercent: number;
  mainAttempts: number;
  makeupAttempts: number;
}
export interface Bank {
  lectureId: string;
  title: string;
  durationSec: number;
  settings: BankSettings;
  questions: BankQuestion[];
}
export interface RowError {
  row: number;
  field: string;
  code: string;
  message: string;
  messageEn: string;
}
export interface ShownQuestion {
  id: string;
  kind: QuestionKind;
  stem: string;
  options: string[];
}
export type Phase = 'main' | 'makeup';
export interface Attempt {
  id: string;
  n: number;
  phase: Phase;
  startedAt: string;
  questions: ShownQuestion[];
}
export interface Credit {
  state: 'none' | 'held' | 'granted';
  since?: string;
  hours?: number | null;
  at?: string;
}
export interface MyQuiz {
  lectureId: string;
  durationSec: number;
  progress: number;
  threshold: number;
  spans: { id: string; from: number; to: number; unlocked: boolean; question?: ShownQuestion; answered?: { correct: boolean } }[];
  test: {
    questionCount: number;
    drawCount: number;
    passPercent: number;
    mainAttempts: number;
    makeupAttempts: number;
    unlocked: boolean;
    attemptsUsed: number;
    attemptsLeft: number;
    nextPhase?: Phase;
    passed: boolean;
    history: { n: number; phase: Phase; score: number; passed: boolean; at: string }[];
    open?: Attempt;
  };
  needsPass: boolean;
  credit: Credit;
}
export interface SubmitResult {
  attemptId: string;
  n: number;
  phase: Phase;
  score: number;
  right: number;
  total: number;
  passed: boolean;
  passPercent: number;
  attemptsLeft: number;
  credit: Credit;
}

const lec = (id: string) => `/api/quiz/lectures/${encodeURIComponent(id)}`;

export const quizApi = {
  bank: (lectureId: string) => api.get<Bank>(`${lec(lectureId)}/bank`),
  saveSettings: (lectureId: string, s: BankSettings) => api.request<BankSettings>('PUT', `${lec(lectureId)}/settings`, s),
  add: (lectureId: string, q: QuestionInput) => api.post<BankQuestion>(`${lec(lectureId)}/questions`, q),
  update: (lectureId: string, id: string, q: QuestionInput) => api.request<BankQuestion>('PUT', `${lec(lectureId)}/questions/${id}`, q),
  remove: (lectureId: string, id: string) => api.delete(`${lec(lectureId)}/questions/${id}`),
  import: (lectureId: string, fileName: string, contentBase64: string) => api.post<{ imported: number; rows: number; rowErrors: RowError[] }>(`${lec(lectureId)}/import`, { fileName, contentBase64 }),
  templateUrl: '/api/quiz/template',
  mine: (lectureId: string, signal?: AbortSignal) => api.get<MyQuiz>(`${lec(lectureId)}/mine`, signal),
  answerSpan: (lectureId: string, questionId: string, choice: number[]) => api.post<{ correct: boolean }>(`${lec(lectureId)}/span-answers/${questionId}`, { choice }),
  start: (lectureId: string) => api.post<Attempt>(`${lec(lectureId)}/attempts`),
  submit: (attemptId: string, answers: { questionId: string; choice: number[] }[]) => api.post<SubmitResult>(`/api/quiz/attempts/${encodeURIComponent(attemptId)}/submission`, { answers }),
};

/** Seconds as m:ss (h:mm:ss past an hour). */
export function clock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** "1:30", "1:02:03" or "90" as seconds; null for empty, NaN when not a time. */
export function parseClock(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})$/.exec(t);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : Number.NaN;
}

/** Toggles a choice: one for single and true/false, a set for multiple choice. */
export function toggle(kind: QuestionKind, chosen: number[], i: number): number[] {
  if (kind !== 'multi') return [i];
  return chosen.includes(i) ? chosen.filter((x) => x !== i) : [...chosen, i].sort((a, b) => a - b);
}

export const LETTERS = 'ABCDEFGH';
