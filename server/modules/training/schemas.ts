/** Request and response schemas of /api/training (the client mirrors them in client/src/lib/training/types.ts). */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';
import { lectureCategories } from '../catalog/lecture.model';
import { claimStates, classCategories, classChannels, enrolmentStates, enrolmentVias } from './training.model';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
export const Year = Type.Integer({ minimum: 2000, maximum: 2100 });
const Rank = StringEnum(['township', 'county'] as const);
const Day = Type.String({ format: 'date', description: 'a county day, YYYY-MM-DD (TIME_ZONE)' });
const Text = (maxLength: number, minLength = 0) => Type.String({ maxLength, minLength });

export const ClassBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' }),
    cohort: Type.Optional(Type.Integer({ minimum: 1, maximum: 99 })),
    category: StringEnum(classCategories),
    channel: StringEnum(classChannels),
    organiser: Type.Optional(Text(80)),
    startDay: Day,
    endDay: Day,
    venue: Type.Optional(Text(120)),
    capacity: Type.Integer({ minimum: 1, maximum: 5000 }),
    unitIds: Type.Optional(Type.Array(Id, { maxItems: 200 })),
    ranks: Type.Optional(Type.Array(Rank, { maxItems: 2 })),
    creditHours: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
    required: Type.Optional(Type.Boolean()),
    contentCategory: Type.Optional(StringEnum(lectureCategories)),
    managerIds: Type.Optional(Type.Array(Id, { maxItems: 20 })),
    applications: Type.Optional(Type.Boolean()),
    approval: Type.Optional(Type.Boolean()),
    withdrawBy: Type.Optional(Day),
    note: Type.Optional(Text(500)),
  },
  { additionalProperties: false },
);

const ClassFacts = {
  id: Type.String(),
  name: Type.String(),
  cohort: Type.Integer(),
  category: StringEnum(classCategories),
  channel: StringEnum(classChannels),
  organiser: Type.String(),
  startDay: Type.String(),
  endDay: Type.String(),
  venue: Type.String(),
  capacity: Type.Integer(),
  units: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  ranks: Type.Array(Type.String()),
  creditHours: Type.Number(),
  required: Type.Boolean(),
  contentCategory: StringEnum(lectureCategories),
  applications: Type.Boolean(),
  approval: Type.Boolean(),
  withdrawBy: Type.String(),
  note: Type.String(),
  year: Type.Integer(),
  completedAt: Type.Optional(Type.String()),
  placesLeft: Type.Integer(),
};

export const ClassView = Type.Object({
  ...ClassFacts,
  managers: Type.Array(Type.Object({ id: Type.String(), displayName: Type.String() })),
  counts: Type.Object({ enrolled: Type.Integer(), waitlisted: Type.Integer(), pending: Type.Integer(), completed: Type.Integer() }),
  editable: Type.Boolean(),
  manageable: Type.Boolean(),
  /** Open to units' nominations (推荐调训, nomination.service.ts). */
  nominationOpen: Type.Optional(Type.Boolean()),
});

const State = StringEnum(enrolmentStates);
const Via = StringEnum(enrolmentVias);

export const MyClass = Type.Object({
  ...ClassFacts,
  enrolment: Type.Optional(Type.Object({ state: State, via: Via, reason: Type.String(), hours: Type.Number() })),
  canApply: Type.Boolean(),
  canWithdraw: Type.Boolean(),
});

export const Roster = Type.Object({
  manageable: Type.Boolean(),
  items: Type.Array(
    Type.Object({
      userId: Type.String(),
      displayName: Type.String(),
      username: Type.String(),
      unit: Type.String(),
      state: State,
      via: Via,
      at: Type.String(),
      reason: Type.String(),
      hours: Type.Number(),
      waitlistPosition: Type.Optional(Type.Integer()),
    }),
  ),
});

export const AssignBody = Type.Object({ userIds: Type.Array(Id, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false });
export const DecisionBody = Type.Object({ action: StringEnum(['approve', 'refuse', 'remove'] as const), reason: Type.Optional(Text(200)) }, { additionalProperties: false });
export const StateReply = Type.Object({ state: State });

export const ClaimBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' }),
    organiser: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' }),
    startDay: Day,
    endDay: Day,
    hoursClaimed: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
    note: Type.Optional(Text(500)),
    /** A scan or photo of the certificate (JPG, PNG or PDF, at most 4 MB), base64. */
    certificate: Type.Optional(Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }), data: Type.String({ minLength: 1, maxLength: 5_600_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const ClaimView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  organiser: Type.String(),
  startDay: Type.String(),
  endDay: Type.String(),
  hoursClaimed: Type.Number(),
  note: Type.String(),
  state: StringEnum(claimStates),
  hoursAllowed: Type.Number(),
  reason: Type.String(),
  year: Type.Integer(),
  certificate: Type.Optional(Type.Object({ name: Type.String(), type: Type.String() })),
  decidedAt: Type.Optional(Type.String()),
  createdAt: Type.String(),
});

export const ReviewView = Type.Object({ ...ClaimView.properties, cadre: Type.Object({ id: Type.String(), displayName: Type.String(), username: Type.String(), unit: Type.String() }) });

export const ClaimDecisionBody = Type.Object(
  { decision: StringEnum(['approve', 'refuse'] as const), hoursAllowed: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 500 })), reason: Type.Optional(Text(200)) },
  { additionalProperties: false },
);
