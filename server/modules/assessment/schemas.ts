/**
 * TypeBox schemas of /api/assessment and of the yearly result the unit report and the study record
 * carry (one contract; the client imports the `Static` types with `import type`).
 */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../schemas';
import { GRADES, PARTS } from './assessment-rules';

const Weight = Type.Integer({ minimum: 0, maximum: 100 });
const Mark = Type.Integer({ minimum: 0, maximum: 100 });

export const Rule = Type.Object(
  {
    hoursWeight: Weight,
    quizWeight: Weight,
    classWeight: Weight,
    quizTarget: Type.Integer({ minimum: 1, maximum: 50, description: 'passed quizzes (lectures) for the whole quiz weight' }),
    classTarget: Type.Integer({ minimum: 1, maximum: 20, description: 'completed classes for the whole class weight' }),
    hoursMust: Type.Boolean({ description: '合格 needs the yearly hours met' }),
    minQuizzes: Type.Integer({ minimum: 0, maximum: 50 }),
    minClasses: Type.Integer({ minimum: 0, maximum: 20 }),
    excellentScore: Mark,
    passScore: Mark,
  },
  { additionalProperties: false },
);

const Year = Type.Integer({ minimum: 2000, maximum: 2100, description: 'a county year' });
export const RuleQuery = Type.Object({ year: Type.Optional(Year) });
export const RuleBody = Type.Object({ year: Year, rule: Rule }, { additionalProperties: false });
export const RuleView = Type.Object({
  year: Type.Integer(),
  rule: Rule,
  /** False: the year has no rule of its own and uses the default. */
  custom: Type.Boolean(),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});

export const Grade = StringEnum(GRADES);
export const GradeCounts = Type.Object({ excellent: Type.Integer(), pass: Type.Integer(), fail: Type.Integer() });

export const YearlyResult = Type.Object({
  score: Type.Number(),
  grade: Grade,
  unmet: Type.Array(StringEnum(PARTS)),
  hours: Type.Object({ earned: Type.Number(), required: Type.Number(), points: Type.Number() }),
  quizzes: Type.Object({ passed: Type.Integer(), taken: Type.Integer(), target: Type.Integer(), points: Type.Number() }),
  classes: Type.Object({ completed: Type.Integer(), target: Type.Integer(), points: Type.Number() }),
});

export type RuleBodyView = Static<typeof RuleBody>;
export type RuleViewBody = Static<typeof RuleView>;
export type YearlyResultView = Static<typeof YearlyResult>;
export type GradeCountsView = Static<typeof GradeCounts>;
