/**
 * The yearly result (实效测评结果) on the client: the server's contract (import type, one source),
 * the API path of the rule, and pure helpers: the rule form's draft and its checks (the server's
 * own: integer ranges, weights adding up to 100, pass mark not above excellent), grade order and
 * the counts per grade for a chart.
 */
import type { GradeCountsView, RuleViewBody, YearlyResultView } from '../../../../server/modules/assessment/schemas.ts';

export type RuleView = RuleViewBody;
export type AssessmentRule = RuleView['rule'];
export type YearlyResult = YearlyResultView;
export type GradeCounts = GradeCountsView;
export type Grade = YearlyResult['grade'];
export const GRADES: readonly Grade[] = ['excellent', 'pass', 'fail'];

export const ruleApi = (year: number) => `/api/assessment/rule?year=${year}`;
export const RULE_PUT = '/api/assessment/rule';

export const NUMBER_FIELDS = ['hoursWeight', 'quizWeight', 'classWeight', 'quizTarget', 'classTarget', 'minQuizzes', 'minClasses', 'excellentScore', 'passScore'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];
export const FIELD_RANGE: Record<NumberField, { min: number; max: number }> = {
  hoursWeight: { min: 0, max: 100 },
  quizWeight: { min: 0, max: 100 },
  classWeight: { min: 0, max: 100 },
  quizTarget: { min: 1, max: 50 },
  classTarget: { min: 1, max: 20 },
  minQuizzes: { min: 0, max: 50 },
  minClasses: { min: 0, max: 20 },
  excellentScore: { min: 0, max: 100 },
  passScore: { min: 0, max: 100 },
};

export type RuleDraft = Record<NumberField, string> & { hoursMust: boolean };
export type RuleProblems = Partial<Record<NumberField | 'weights', { kind: 'range'; min: number; max: number } | { kind: 'weights'; sum: number } | { kind: 'order' }>>;

export function draftOf(rule: AssessmentRule): RuleDraft {
  const d = { hoursMust: rule.hoursMust } as RuleDraft;
  for (const f of NUMBER_FIELDS) d[f] = String(rule[f]);
  return d;
}

/** The rule a draft stands for, or the problems that keep it from being saved. */
export function checkDraft(d: RuleDraft): { rule: AssessmentRule | null; problems: RuleProblems } {
  const problems: RuleProblems = {};
  const values = {} as Record<NumberField, number>;
  for (const f of NUMBER_FIELDS) {
    const text = d[f].trim();
    const n = Number(text);
    const { min, max } = FIELD_RANGE[f];
    if (!/^\d+$/.test(text) || n < min || n > max) problems[f] = { kind: 'range', min, max };
    values[f] = n;
  }
  if (!problems.hoursWeight && !problems.quizWeight && !problems.classWeight) {
    const sum = values.hoursWeight + values.quizWeight + values.classWeight;
    if (sum !== 100) problems.weights = { kind: 'weights', sum };
  }
  if (!problems.passScore && !problems.excellentScore && values.passScore > values.excellentScore) problems.passScore = { kind: 'order' };
  if (Object.keys(problems).length) return { rule: null, problems };
  return { rule: { ...values, hoursMust: d.hoursMust }, problems };
}

/** Counts per grade in GRADES order (a chart's data). */
export const gradeSeries = (c: GradeCounts): number[] => GRADES.map((g) => c[g]);

export const GRADE_COLORS: Record<Grade, string> = { excellent: '#2d6a4f', pass: '#2f5597', fail: '#c8161d' };
