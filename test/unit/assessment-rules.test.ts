/** The yearly result's pure rules (server/modules/assessment/assessment-rules.ts): scores, marks, grades. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRule, DEFAULT_RULE, gradeCounts, gradeRank, gradeYear, type AssessmentRule, type CadreYear } from '../../server/modules/assessment/assessment-rules';

const year = (o: Partial<CadreYear>): CadreYear => ({ earned: 0, required: 90, quizzesPassed: 0, quizzesTaken: 0, classesCompleted: 0, ...o });

describe('the default rule', () => {
  it('grades hours met alone 合格, with three quizzes and a class 优秀, hours short 不合格 whatever else', () => {
    expect(gradeYear(DEFAULT_RULE, year({ earned: 90 }))).toMatchObject({ score: 60, grade: 'pass', unmet: [] });
    expect(gradeYear(DEFAULT_RULE, year({ earned: 95, quizzesPassed: 3, quizzesTaken: 4, classesCompleted: 1 }))).toEqual({
      score: 100,
      grade: 'excellent',
      unmet: [],
      hours: { earned: 95, required: 90, points: 60 },
      quizzes: { passed: 3, taken: 4, target: 3, points: 25 },
      classes: { completed: 1, target: 1, points: 15 },
    });
    expect(gradeYear(DEFAULT_RULE, year({ earned: 89.9, quizzesPassed: 9, classesCompleted: 3 }))).toMatchObject({ grade: 'fail', unmet: ['hours'], score: 99.9 });
    // One quiz of three: a third of its weight.
    expect(gradeYear(DEFAULT_RULE, year({ earned: 90, quizzesPassed: 1 })).score).toBe(68.3);
  });

  it('counts a requirement of 0 hours as met and never scores above 100', () => {
    expect(gradeYear(DEFAULT_RULE, year({ required: 0 }))).toMatchObject({ score: 60, grade: 'pass' });
    expect(gradeYear(DEFAULT_RULE, year({ earned: 500, quizzesPassed: 50, classesCompleted: 9 })).score).toBe(100);
  });
});

describe('a rule of the organisation department', () => {
  const rule: AssessmentRule = { ...DEFAULT_RULE, hoursWeight: 40, quizWeight: 40, classWeight: 20, quizTarget: 2, hoursMust: false, minQuizzes: 1, minClasses: 0, excellentScore: 85, passScore: 50 };

  it('applies its weights, targets and pass marks', () => {
    expect(gradeYear(rule, year({ earned: 45, quizzesPassed: 1 }))).toMatchObject({ score: 40, grade: 'fail', unmet: [] });
    expect(gradeYear(rule, year({ earned: 90, classesCompleted: 1 }))).toMatchObject({ score: 60, grade: 'fail', unmet: ['quizzes'] });
    expect(gradeYear(rule, year({ earned: 90, quizzesPassed: 1 }))).toMatchObject({ score: 60, grade: 'pass' });
    expect(gradeYear(rule, year({ earned: 90, quizzesPassed: 2 }))).toMatchObject({ score: 80, grade: 'pass' });
    expect(gradeYear(rule, year({ earned: 90, quizzesPassed: 2, classesCompleted: 1 }))).toMatchObject({ score: 100, grade: 'excellent' });
  });

  it('is refused when its weights do not add up to 100 or its pass mark is above the excellent one', () => {
    expect(checkRule(DEFAULT_RULE)).toBeNull();
    expect(checkRule({ ...DEFAULT_RULE, quizWeight: 30 })).toMatchObject({ field: 'weights' });
    expect(checkRule({ ...DEFAULT_RULE, passScore: 95 })).toMatchObject({ field: 'passScore' });
  });

  it('counts cadres per grade', () => {
    expect(gradeCounts([{ grade: 'pass' }, { grade: 'fail' }, { grade: 'pass' }])).toEqual({ excellent: 0, pass: 2, fail: 1 });
  });
});

const ruleArb = fc
  .record({
    a: fc.integer({ min: 0, max: 100 }),
    b: fc.integer({ min: 0, max: 100 }),
    quizTarget: fc.integer({ min: 1, max: 10 }),
    classTarget: fc.integer({ min: 1, max: 5 }),
    hoursMust: fc.boolean(),
    minQuizzes: fc.integer({ min: 0, max: 5 }),
    minClasses: fc.integer({ min: 0, max: 3 }),
    pass: fc.integer({ min: 0, max: 100 }),
    gap: fc.integer({ min: 0, max: 100 }),
  })
  .map(({ a, b, pass, gap, ...r }): AssessmentRule => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return { ...r, hoursWeight: lo, quizWeight: hi - lo, classWeight: 100 - hi, passScore: pass, excellentScore: Math.min(100, pass + gap) };
  });
const yearArb = fc.record({
  earned: fc.integer({ min: 0, max: 2000 }).map((x) => x / 10),
  required: fc.integer({ min: 0, max: 150 }),
  quizzesPassed: fc.integer({ min: 0, max: 12 }),
  quizzesTaken: fc.integer({ min: 0, max: 12 }),
  classesCompleted: fc.integer({ min: 0, max: 6 }),
});
const moreArb = fc.record({ hours: fc.integer({ min: 0, max: 500 }).map((x) => x / 10), quizzes: fc.integer({ min: 0, max: 5 }), classes: fc.integer({ min: 0, max: 3 }) });

describe('properties', () => {
  it('more hours, quizzes or classes never lower the score or the grade', () => {
    fc.assert(
      fc.property(ruleArb, yearArb, moreArb, (rule, y, more) => {
        expect(checkRule(rule)).toBeNull();
        const before = gradeYear(rule, y);
        const after = gradeYear(rule, { ...y, earned: y.earned + more.hours, quizzesPassed: y.quizzesPassed + more.quizzes, quizzesTaken: y.quizzesTaken + more.quizzes, classesCompleted: y.classesCompleted + more.classes });
        expect(after.score).toBeGreaterThanOrEqual(before.score);
        expect(gradeRank(after.grade)).toBeGreaterThanOrEqual(gradeRank(before.grade));
        expect(after.score).toBeLessThanOrEqual(100);
        expect(after.score).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('the points of the parts add up to the score', () => {
    fc.assert(
      fc.property(ruleArb, yearArb, (rule, y) => {
        const r = gradeYear(rule, y);
        expect(Math.abs(r.hours.points + r.quizzes.points + r.classes.points - r.score)).toBeLessThan(0.11);
      }),
    );
  });
});
