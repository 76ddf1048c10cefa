/**
 * TypeBox schemas of /api/reports (requests validated, answers serialised by them). The client
 * imports the `Static` types with `import type` (client/src/lib/reports/), so both sides read one
 * contract.
 */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../schemas';
import { GradeCounts, YearlyResult } from '../assessment/schemas';

export const UnitParams = Type.Object({ unitId: Type.String({ pattern: '^[0-9a-fA-F]{24}$' }) });

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "a county day, 'YYYY-MM-DD'" });
export const RangeQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100, description: 'a whole county year (when from/to are not given)' })),
});
export const SheetQuery = Type.Object({
  ...RangeQuery.properties,
  sheet: StringEnum(['members', 'subunits', 'lectures'] as const, { default: 'members' }),
});

const Rank = StringEnum(['township', 'county'] as const);

export const MemberRow = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  rank: Rank,
  unitId: Type.String(),
  unitName: Type.String(),
  subUnitId: Type.String(),
  requiredHours: Type.Number(),
  earned: Type.Number(),
  requiredEarned: Type.Number(),
  electiveEarned: Type.Number(),
  completed: Type.Integer(),
  percent: Type.Number(),
  behind: Type.Boolean(),
  /** The yearly result (实效测评结果) of the range's last county year. */
  result: YearlyResult,
});

export const Totals = Type.Object({
  members: Type.Integer(),
  behind: Type.Integer(),
  met: Type.Integer(),
  requiredHours: Type.Number(),
  earned: Type.Number(),
  requiredEarned: Type.Number(),
  electiveEarned: Type.Number(),
  completed: Type.Integer(),
  metPercent: Type.Number(),
});

export const SubUnitRow = Type.Object({
  unitId: Type.String(),
  name: Type.String(),
  members: Type.Integer(),
  behind: Type.Integer(),
  met: Type.Integer(),
  earned: Type.Number(),
  requiredHours: Type.Number(),
  averageHours: Type.Number(),
  metPercent: Type.Number(),
  /** Cadres per grade of the yearly result. */
  grades: GradeCounts,
});

export const LectureRow = Type.Object({
  lectureId: Type.String(),
  title: Type.String(),
  learners: Type.Integer(),
  completions: Type.Integer(),
  hours: Type.Number(),
});

export const UnitReport = Type.Object({
  unit: Type.Object({ id: Type.String(), name: Type.String() }),
  range: Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String() }),
  generatedAt: Type.String(),
  members: Type.Array(MemberRow),
  totals: Totals,
  subUnits: Type.Array(SubUnitRow),
  lectures: Type.Array(LectureRow),
  /** The yearly result's county year, whether it has its own rule, and the cadres per grade. */
  assessment: Type.Object({ year: Type.Integer(), custom: Type.Boolean(), grades: GradeCounts }),
});

export const RemindResult = Type.Object({
  behind: Type.Integer({ description: 'cadres below the requirement in the range' }),
  reminded: Type.Integer({ description: 'of them, reminded now (not already today)' }),
  noticeId: Type.String(),
});

export type UnitReportView = Static<typeof UnitReport>;
export type MemberRowView = Static<typeof MemberRow>;
export type SubUnitRowView = Static<typeof SubUnitRow>;
export type LectureRowView = Static<typeof LectureRow>;
export type TotalsView = Static<typeof Totals>;
export type RemindResultView = Static<typeof RemindResult>;
