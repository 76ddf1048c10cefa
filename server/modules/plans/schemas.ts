/** Request and response schemas of /api/plans (the client mirrors them in client/src/lib/plans/types.ts). */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';
import { planKinds } from './plan.model';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
export const Year = Type.Integer({ minimum: 2000, maximum: 2100 });
const Rank = StringEnum(['township', 'county'] as const);
const Day = Type.String({ format: 'date', description: 'a county day, YYYY-MM-DD: due by its end in TIME_ZONE' });

export const PlanBody = Type.Object(
  {
    kind: Type.Optional(StringEnum(planKinds)),
    title: Type.Optional(Type.String({ maxLength: 80 })),
    lectureIds: Type.Array(Id, { minItems: 1, maxItems: 50 }),
    unitIds: Type.Optional(Type.Array(Id, { maxItems: 200 })),
    ranks: Type.Optional(Type.Array(Rank, { maxItems: 2 })),
    /** The plan year (default: the county's current year). */
    year: Type.Optional(Year),
    dueDay: Day,
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const PlanView = Type.Object({
  id: Type.String(),
  kind: StringEnum(planKinds),
  title: Type.String(),
  lectures: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), durationSec: Type.Number(), creditHours: Type.Number(), available: Type.Boolean() })),
  units: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  ranks: Type.Array(Rank),
  year: Type.Integer(),
  dueDay: Type.String(),
  dueAt: Type.String(),
  pastDue: Type.Boolean(),
  note: Type.String(),
  editable: Type.Boolean(),
  counts: Type.Object({ assigned: Type.Integer(), completed: Type.Integer() }),
  createdAt: Type.String(),
});

export const PlanItem = Type.Object({
  key: Type.String(),
  lectureId: Type.Optional(Type.String()),
  topic: Type.Optional(Type.String()),
  title: Type.String(),
  category: Type.Optional(Type.String()),
  kind: Type.String(),
  durationSec: Type.Number(),
  creditHours: Type.Number(),
  sources: Type.Array(StringEnum(['assigned', 'required', 'selected'] as const)),
  selectionId: Type.Optional(Type.String()),
  assignmentIds: Type.Array(Type.String()),
  note: Type.String(),
  dueDay: Type.Optional(Type.String()),
  dueAt: Type.Optional(Type.String()),
  daysLeft: Type.Optional(Type.Integer()),
  overdue: Type.Boolean(),
  late: Type.Boolean(),
  progress: Type.Number(),
  completed: Type.Boolean(),
  completedAt: Type.Optional(Type.String()),
  lastWatchedAt: Type.Optional(Type.String()),
});

export const MyPlan = Type.Object({
  year: Type.Integer(),
  today: Type.String(),
  items: Type.Array(PlanItem),
  totals: Type.Object({ all: Type.Integer(), completed: Type.Integer(), overdue: Type.Integer(), dueSoon: Type.Integer() }),
  finishedLectureIds: Type.Array(Type.String()),
});
