/**
 * Pure rules of completion (结业) of a training class, no I/O. A cadre on the roster meets the
 * class's rules when:
 * - presence: of the class's required presence sessions (in-person, site-visit, caravan: attended
 *   in a room or a place), they attended at least `presenceShare` of them (rounded up), and a
 *   session counts only with both a check-in AND a check-out (a check-in alone is "partial");
 * - screen: when `recordedAll`, every required recorded (or live) session's lecture is complete for
 *   them in the study engine (its progress completed, or a ledger entry for it);
 * - assessments: the class's quiz and evaluation, once they exist (`ClassAssessmentHook` in
 *   completion.service.ts answers per cadre; `null` = the class has none, which is met).
 * A class with no required sessions of a kind meets that part trivially. Whatever is missing is
 * named, so a manager sees why and may override with a reason (recorded on the enrolment).
 */
import type { SessionKind } from './session.model';

export interface CompletionRules {
  /** 0..1: the share of required presence sessions to attend (in and out). */
  presenceShare: number;
  /** Every required recorded / live session watched. */
  recordedAll: boolean;
  /** The class's evaluation answered (the assessment hook checks it; stored with the rules). */
  evaluationRequired?: boolean;
}

export const DEFAULT_RULES: CompletionRules = { presenceShare: 1, recordedAll: true, evaluationRequired: false };

export interface RuleSession {
  id: string;
  kind: SessionKind;
  title: string;
  lectureId: string | null;
}

export interface CadreEvidence {
  /** sessionId -> what the attendance document holds. */
  attendance: ReadonlyMap<string, { checkIn: boolean; checkOut: boolean }>;
  /** Lecture ids the cadre completed. */
  watched: ReadonlySet<string>;
  /** From the assessment hook: null/undefined = the class has none. */
  quiz?: boolean | null;
  evaluation?: boolean | null;
}

export type MissingPart = 'presence' | 'recorded' | 'quiz' | 'evaluation';

export interface CadreCheck {
  met: boolean;
  missing: MissingPart[];
  presence: { required: number; needed: number; attended: number; partial: string[]; absent: string[] };
  recorded: { required: number; watched: number; unwatched: string[] };
  quiz: 'none' | 'met' | 'missing';
  evaluation: 'none' | 'met' | 'missing';
}

const PRESENCE: readonly SessionKind[] = ['in-person', 'site-visit', 'caravan'];
const SCREEN: readonly SessionKind[] = ['recorded', 'live'];

export const isPresence = (kind: string) => PRESENCE.includes(kind as SessionKind);
export const isScreen = (kind: string) => SCREEN.includes(kind as SessionKind);

/** How many of `n` presence sessions a share asks for (rounded up; never more than n). */
export function presenceNeeded(share: number, n: number): number {
  const s = Math.min(1, Math.max(0, share));
  return Math.max(0, Math.min(n, Math.ceil(s * n - 1e-9)));
}

const assessed = (v: boolean | null | undefined): 'none' | 'met' | 'missing' => (v === null || v === undefined ? 'none' : v ? 'met' : 'missing');

/** One cadre against the class's required sessions and rules. */
export function checkCadre(rules: CompletionRules, sessions: readonly RuleSession[], e: CadreEvidence): CadreCheck {
  const presence = sessions.filter((s) => isPresence(s.kind));
  const screen = sessions.filter((s) => isScreen(s.kind));
  let attended = 0;
  const partial: string[] = [];
  const absent: string[] = [];
  for (const s of presence) {
    const a = e.attendance.get(s.id);
    if (a?.checkIn && a.checkOut) attended++;
    else if (a?.checkIn || a?.checkOut) partial.push(s.title);
    else absent.push(s.title);
  }
  const needed = presenceNeeded(rules.presenceShare, presence.length);
  const unwatched = screen.filter((s) => !s.lectureId || !e.watched.has(s.lectureId)).map((s) => s.title);
  const quiz = assessed(e.quiz);
  const evaluation = assessed(e.evaluation);
  const missing: MissingPart[] = [];
  if (attended < needed) missing.push('presence');
  if (rules.recordedAll && unwatched.length) missing.push('recorded');
  if (quiz === 'missing') missing.push('quiz');
  if (evaluation === 'missing') missing.push('evaluation');
  return {
    met: missing.length === 0,
    missing,
    presence: { required: presence.length, needed, attended, partial, absent },
    recorded: { required: screen.length, watched: screen.length - unwatched.length, unwatched },
    quiz,
    evaluation,
  };
}

/** 证书编号: `2026-培训-012-0007` (class year, the class's number in its year, the cadre's number in the class). */
export function certificateSerial(year: number, classNo: number, seq: number): string {
  return `${year}-培训-${String(classNo).padStart(3, '0')}-${String(seq).padStart(4, '0')}`;
}
