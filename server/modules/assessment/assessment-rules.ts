/**
 * The yearly result of a cadre (实效测评结果), with no I/O. The organisation department sets one
 * rule per county year (a year without one uses DEFAULT_RULE); a cadre's result for the year is
 * graded from three parts, each counted in the county's calendar:
 * - hours (学时): the hours the ledger credited in the year against the rank's yearly requirement
 *   (the unit report's and the study record's requirement);
 * - quizzes (测验): the lectures whose end test (结课测试) the cadre passed in the year, against a
 *   target number (taken = lectures whose test they handed in at least once);
 * - classes (培训班): the training classes the cadre completed (结业) in the year, against a target.
 *
 * Score: each part earns its weight times its share of the target, capped at 1 (a requirement of
 * 0 hours counts as met); the weights add up to 100, so the score runs 0..100 (one decimal).
 * Grade: 优秀 (excellent) from `excellentScore`, 合格 (pass) from `passScore`, else 不合格 (fail);
 * but a cadre who misses a pass mark (hours below the requirement when `hoursMust`, fewer quizzes
 * than `minQuizzes`, fewer classes than `minClasses`) is 不合格 whatever the score. Every part
 * only grows with what was done, and so does the grade: more of anything never lowers it
 * (test/unit/assessment-rules.test.ts holds this as a property).
 */
export const GRADES = ['excellent', 'pass', 'fail'] as const;
export type Grade = (typeof GRADES)[number];
export const PARTS = ['hours', 'quizzes', 'classes'] as const;
export type Part = (typeof PARTS)[number];

export interface AssessmentRule {
  hoursWeight: number;
  quizWeight: number;
  classWeight: number;
  /** Passed quizzes (distinct lectures) that earn the whole quiz weight. */
  quizTarget: number;
  /** Completed classes that earn the whole class weight. */
  classTarget: number;
  /** 合格 needs the yearly hours met. */
  hoursMust: boolean;
  /** 合格 needs at least this many passed quizzes / completed classes (0: no such mark). */
  minQuizzes: number;
  minClasses: number;
  excellentScore: number;
  passScore: number;
}

/** Hours first (the county's 学时 requirement), a few quizzes and one class for full marks. */
export const DEFAULT_RULE: AssessmentRule = {
  hoursWeight: 60,
  quizWeight: 25,
  classWeight: 15,
  quizTarget: 3,
  classTarget: 1,
  hoursMust: true,
  minQuizzes: 0,
  minClasses: 0,
  excellentScore: 90,
  passScore: 60,
};

export interface CadreYear {
  /** Hours credited in the year. */
  earned: number;
  /** The rank's yearly requirement. */
  required: number;
  quizzesPassed: number;
  quizzesTaken: number;
  classesCompleted: number;
}

export interface YearlyResult {
  score: number;
  grade: Grade;
  /** Pass marks missed (each makes the grade 不合格). */
  unmet: Part[];
  hours: { earned: number; required: number; points: number };
  quizzes: { passed: number; taken: number; target: number; points: number };
  classes: { completed: number; target: number; points: number };
}

export type RuleProblem = { field: keyof AssessmentRule | 'weights'; zh: string; en: string };

const round1 = (x: number) => Math.round(x * 10) / 10;
const share = (done: number, target: number) => (target <= 0 ? 1 : Math.min(1, Math.max(0, done) / target));

/** What is wrong with a rule beyond its schema's ranges, or null. */
export function checkRule(r: AssessmentRule): RuleProblem | null {
  const sum = r.hoursWeight + r.quizWeight + r.classWeight;
  if (Math.abs(sum - 100) > 1e-9) return { field: 'weights', zh: `三项权重之和须为 100(现为 ${sum})`, en: `The three weights must add up to 100 (they add up to ${sum})` };
  if (r.passScore > r.excellentScore) return { field: 'passScore', zh: `合格分数线 (${r.passScore}) 不能高于优秀分数线 (${r.excellentScore})`, en: `The pass mark (${r.passScore}) cannot be above the excellent mark (${r.excellentScore})` };
  return null;
}

/** A cadre's result for the year under `rule`. */
export function gradeYear(rule: AssessmentRule, y: CadreYear): YearlyResult {
  const hoursShare = y.required <= 0 ? 1 : share(y.earned, y.required);
  const hours = round1(rule.hoursWeight * hoursShare);
  const quizzes = round1(rule.quizWeight * share(y.quizzesPassed, rule.quizTarget));
  const classes = round1(rule.classWeight * share(y.classesCompleted, rule.classTarget));
  const score = Math.min(100, round1(hours + quizzes + classes));
  const unmet: Part[] = [];
  if (rule.hoursMust && y.earned < y.required) unmet.push('hours');
  if (y.quizzesPassed < rule.minQuizzes) unmet.push('quizzes');
  if (y.classesCompleted < rule.minClasses) unmet.push('classes');
  const grade: Grade = unmet.length ? 'fail' : score >= rule.excellentScore ? 'excellent' : score >= rule.passScore ? 'pass' : 'fail';
  return {
    score,
    grade,
    unmet,
    hours: { earned: round1(y.earned), required: round1(y.required), points: hours },
    quizzes: { passed: y.quizzesPassed, taken: Math.max(y.quizzesTaken, y.quizzesPassed), target: rule.quizTarget, points: quizzes },
    classes: { completed: y.classesCompleted, target: rule.classTarget, points: classes },
  };
}

export type GradeCounts = Record<Grade, number>;

export function gradeCounts(results: Iterable<{ grade: Grade }>): GradeCounts {
  const out: GradeCounts = { excellent: 0, pass: 0, fail: 0 };
  for (const r of results) out[r.grade] += 1;
  return out;
}

/** Grade order for comparisons (higher is better). */
export const gradeRank = (g: Grade) => (g === 'excellent' ? 2 : g === 'pass' ? 1 : 0);

export const GRADE_ZH: Record<Grade, string> = { excellent: '优秀', pass: '合格', fail: '不合格' };
