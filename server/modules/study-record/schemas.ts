/**
 * TypeBox schemas of /api/study-record (requests validated, answers serialised by them). The client
 * imports the `Static` types with `import type` (client/src/lib/study-record/), one contract.
 */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../schemas';
import { exportStates } from './study-record.model';
import { CHANNELS, CODE_PATTERN } from './record-rules';
import { Rule, YearlyResult } from '../assessment/schemas';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
const Year = Type.Integer({ minimum: 2000, maximum: 2100, description: 'a county year' });

export const RecordParams = Type.Object({ userId: Id, year: Year });
export const CodeParams = Type.Object({ code: Type.String({ pattern: CODE_PATTERN, maxLength: 80, description: 'the verification code printed on the record' }) });
export const UnitParams = Type.Object({ unitId: Id });
export const ExportParams = Type.Object({ id: Id });
export const ExportBody = Type.Object({ year: Year });

const Rank = StringEnum(['township', 'county'] as const);
const Channel = StringEnum(CHANNELS);
const Result = StringEnum(['met', 'behind'] as const);

const Earned = Type.Object({ total: Type.Number(), required: Type.Number(), elective: Type.Number() });
const ChannelHours = Type.Object({ channel: Channel, hours: Type.Number(), required: Type.Number(), elective: Type.Number(), lectures: Type.Integer() });

export const StudyRecord = Type.Object({
  year: Type.Integer(),
  timeZone: Type.String(),
  person: Type.Object({
    userId: Type.String(),
    displayName: Type.String(),
    username: Type.String(),
    rank: Rank,
    unitId: Type.Union([Type.String(), Type.Null()]),
    unitPath: Type.Array(Type.String()),
  }),
  figures: Type.Object({
    requiredHours: Type.Number(),
    earned: Earned,
    channels: Type.Array(ChannelHours),
    lectures: Type.Array(Type.Object({ lectureId: Type.String(), title: Type.String(), day: Type.String(), hours: Type.Number(), required: Type.Boolean(), channel: Channel })),
    result: Result,
  }),
  issuedOn: Type.String(),
  generatedAt: Type.String(),
  verification: Type.Object({ digest: Type.String(), code: Type.String(), url: Type.String(), qr: Type.String({ description: 'the QR code of the URL, a PNG data URL' }) }),
  /** The yearly result (实效测评结果) under the year's rule, with its parts. */
  assessment: Type.Optional(Type.Object({ rule: Rule, custom: Type.Boolean(), result: YearlyResult })),
});

export const Verification = Type.Object({
  valid: Type.Literal(true),
  /** Whether the figures on the paper are the portal's figures today. */
  matches: Type.Boolean(),
  year: Type.Integer(),
  issuedDigest: Type.String(),
  currentDigest: Type.String(),
  checkedOn: Type.String(),
  timeZone: Type.String(),
  person: Type.Object({ displayName: Type.String(), rank: Rank, unitPath: Type.Array(Type.String()) }),
  figures: Type.Object({ requiredHours: Type.Number(), earned: Earned, channels: Type.Array(ChannelHours), lectureCount: Type.Integer(), result: Result }),
  /** The yearly result (实效测评) today: shown beside the figures, not covered by the code. */
  assessment: Type.Optional(YearlyResult),
});

export const ExportView = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  unitName: Type.String(),
  year: Type.Integer(),
  state: StringEnum(exportStates),
  total: Type.Integer(),
  done: Type.Integer(),
  pages: Type.Optional(Type.Integer()),
  bytes: Type.Optional(Type.Integer()),
  failure: Type.Optional(Type.String()),
  createdAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  downloadUrl: Type.Optional(Type.String()),
});
export const ExportList = Type.Object({ items: Type.Array(ExportView) });

export type StudyRecordBody = Static<typeof StudyRecord>;
export type VerificationBody = Static<typeof Verification>;
export type ExportViewBody = Static<typeof ExportView>;
