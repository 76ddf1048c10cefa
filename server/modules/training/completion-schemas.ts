/**
 * Request and response schemas of completion (结业), certificates, nominations and the sign-in
 * sheet under /api/training (the client mirrors them in client/src/lib/training/types.ts).
 */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';
import { enrolmentStates, nominationStates } from './training.model';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
const Reason = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
export const ClassUserParams = Type.Object({ id: Id, userId: Id });
/** Loose on purpose: any altered code is "not found", not a validation error. */
export const CertCodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 80 }) });

export const Rules = Type.Object({ presenceShare: Type.Number({ minimum: 0, maximum: 1 }), recordedAll: Type.Boolean(), evaluationRequired: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

const Assessed = StringEnum(['none', 'met', 'missing'] as const);
const Missing = StringEnum(['presence', 'recorded', 'quiz', 'evaluation'] as const);
export const CheckView = Type.Object({
  met: Type.Boolean(),
  missing: Type.Array(Missing),
  presence: Type.Object({ required: Type.Integer(), needed: Type.Integer(), attended: Type.Integer(), partial: Type.Array(Type.String()), absent: Type.Array(Type.String()) }),
  recorded: Type.Object({ required: Type.Integer(), watched: Type.Integer(), unwatched: Type.Array(Type.String()) }),
  quiz: Assessed,
  evaluation: Assessed,
});

export const CompletionCheck = Type.Object({
  rules: Rules,
  completionOpen: Type.Boolean(),
  sessions: Type.Object({ presence: Type.Integer(), screen: Type.Integer() }),
  items: Type.Array(
    Type.Object({
      userId: Type.String(),
      displayName: Type.String(),
      username: Type.String(),
      unit: Type.String(),
      state: StringEnum(enrolmentStates),
      check: CheckView,
      override: Type.Optional(Type.Object({ reason: Type.String(), missing: Type.Array(Type.String()) })),
      certificate: Type.Optional(Type.Object({ serial: Type.String(), valid: Type.Boolean() })),
    }),
  ),
});

export const CompleteBody = Type.Object(
  {
    userIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 5000 })),
    /** Complete the named cadres whatever the rules say, for this reason (recorded). */
    override: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const CompleteReply = Type.Object({ completed: Type.Integer(), credited: Type.Integer(), hours: Type.Number(), certificates: Type.Integer(), skipped: Type.Array(Type.Object({ userId: Type.String(), missing: Type.Array(Type.String()) })) });

const ClassRef = Type.Object({ id: Type.String(), name: Type.String(), cohort: Type.Integer(), organiser: Type.String(), startDay: Type.String(), endDay: Type.String(), category: Type.String(), channel: Type.String() });
export const CertificateView = Type.Object({
  serial: Type.String(),
  valid: Type.Boolean(),
  revokedAt: Type.Optional(Type.String()),
  revokeReason: Type.Optional(Type.String()),
  issuedOn: Type.String(),
  hours: Type.Number(),
  cadre: Type.Object({ displayName: Type.String(), unit: Type.String() }),
  class: ClassRef,
  verification: Type.Object({ code: Type.String(), url: Type.String() }),
  qr: Type.String(),
});
export const CertificateCheck = Type.Object({
  serial: Type.String(),
  valid: Type.Boolean(),
  revokedAt: Type.Optional(Type.String()),
  issuedOn: Type.String(),
  hours: Type.Number(),
  cadre: Type.Object({ displayName: Type.String(), unit: Type.String() }),
  class: ClassRef,
  checkedOn: Type.String(),
});
export const RevokeBody = Type.Object({ reason: Reason }, { additionalProperties: false });

const Cell = Type.Object({ in: Type.Union([Type.String(), Type.Null()]), out: Type.Union([Type.String(), Type.Null()]) });
export const SignInSheetView = Type.Object({
  class: Type.Object({ id: Type.String(), name: Type.String(), cohort: Type.Integer(), startDay: Type.String(), endDay: Type.String(), venue: Type.String(), organiser: Type.String() }),
  sessions: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), kind: Type.String(), day: Type.String(), time: Type.String(), place: Type.String(), required: Type.Boolean() })),
  rows: Type.Array(Type.Object({ userId: Type.String(), displayName: Type.String(), username: Type.String(), unit: Type.String(), state: Type.String(), cells: Type.Array(Cell) })),
  counts: Type.Array(Type.Object({ checkedIn: Type.Integer(), complete: Type.Integer() })),
  timeZone: Type.String(),
});

export const ClassReport = Type.Object({
  roster: Type.Integer(),
  sessions: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), kind: Type.String(), day: Type.String(), checkedIn: Type.Integer(), complete: Type.Integer() })),
  completion: Type.Object({ met: Type.Integer(), completed: Type.Integer(), overridden: Type.Integer(), certificates: Type.Integer(), revoked: Type.Integer() }),
  missing: Type.Object({ presence: Type.Integer(), recorded: Type.Integer(), quiz: Type.Integer(), evaluation: Type.Integer() }),
  units: Type.Array(Type.Object({ unit: Type.String(), roster: Type.Integer(), met: Type.Integer(), completed: Type.Integer() })),
});

// ---- nominations (推荐调训) ----
const UnitQuota = Type.Object({ unitId: Id, quota: Type.Integer({ minimum: 1, maximum: 5000 }) }, { additionalProperties: false });
export const NominationSettingsBody = Type.Object(
  { open: Type.Boolean(), overallQuota: Type.Integer({ minimum: 0, maximum: 5000 }), unitQuotas: Type.Array(UnitQuota, { maxItems: 200 }) },
  { additionalProperties: false },
);
const NomState = StringEnum(nominationStates);
const NominationRow = Type.Object({ userId: Type.String(), displayName: Type.String(), username: Type.String(), unit: Type.String(), state: NomState, reason: Type.String(), at: Type.String() });
const Quotas = Type.Object({
  open: Type.Boolean(),
  overall: Type.Optional(Type.Object({ quota: Type.Integer(), left: Type.Integer() })),
  units: Type.Array(Type.Object({ unitId: Type.String(), unit: Type.String(), quota: Type.Integer(), left: Type.Integer() })),
});
export const ClassNominations = Type.Object({
  manageable: Type.Boolean(),
  settings: Type.Object({ open: Type.Boolean(), overallQuota: Type.Integer(), unitQuotas: Type.Array(Type.Object({ unitId: Type.String(), quota: Type.Integer() })) }),
  quotas: Quotas,
  items: Type.Array(NominationRow),
});
export const OpenNominations = Type.Object({
  year: Type.Integer(),
  items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), cohort: Type.Integer(), startDay: Type.String(), endDay: Type.String(), venue: Type.String(), creditHours: Type.Number(), quotas: Quotas, items: Type.Array(NominationRow) })),
});
export const NominateBody = Type.Object({ userIds: Type.Array(Id, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false });
export const NominationDecisionBody = Type.Object({ action: StringEnum(['confirm', 'refuse'] as const), reason: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });
export const NominationStateReply = Type.Object({ state: NomState });
