/**
 * TypeBox schemas of /api/county (issue 19 contract, /tmp/county-contract.md → docs): requests
 * validated, answers serialised by them. The client imports the `Static` types with `import type`.
 */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../schemas';
import { channels } from './tally';

const Year = Type.Integer({ minimum: 1900, maximum: 2999, description: 'a county year (2000 to next year; otherwise 400 BAD_YEAR)' });
const NodeId = Type.String({ pattern: '^([0-9a-fA-F]{24}|county)$', description: 'an org unit id (county: the county root when none exists)' });

export const DashboardQuery = Type.Object({ year: Year, node: Type.Optional(NodeId) });
export const ComplianceQuery = Type.Object({
  year: Year,
  node: Type.Optional(NodeId),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
export const RemindBody = Type.Object({ year: Year, node: NodeId }, { additionalProperties: false });
export const YearQuery = Type.Object({ year: Year });
export const RebuildBody = Type.Object({ years: Type.Optional(Type.Array(Year, { maxItems: 20 })) }, { additionalProperties: false });

const ChannelKey = StringEnum(channels);
const Kind = StringEnum(['county', 'committee', 'unit'] as const);
const Rank = StringEnum(['township', 'county'] as const);
const PT = { personTimes: Type.Integer(), hours: Type.Number() };
const ByChannel = Type.Record(Type.String(), Type.Object(PT));

const NodeView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Kind,
  path: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), kind: Kind })),
});

const Totals = Type.Object({ ...PT, prevPersonTimes: Type.Integer(), prevHours: Type.Number() });
const ChannelRow = Type.Object({ channel: ChannelKey, ...PT, prevPersonTimes: Type.Integer(), prevHours: Type.Number() });
const MonthRow = Type.Object({ month: Type.Integer({ minimum: 1, maximum: 12 }), ...PT, prevPersonTimes: Type.Integer(), prevHours: Type.Number(), byChannel: ByChannel });
const Topics = Type.Object({ chosen: Type.Integer(), personTimes: Type.Integer(), top: Type.Array(Type.Object({ topic: Type.String(), ...PT })) });
const Share = Type.Number({ minimum: 0, maximum: 1 });

export const Dashboard = Type.Object({
  year: Type.Integer(),
  node: NodeView,
  cadres: Type.Integer(),
  totals: Totals,
  channels: Type.Array(ChannelRow),
  months: Type.Array(MonthRow),
  topics: Topics,
  compliance: Type.Object({ cadres: Type.Integer(), onTrack: Type.Integer(), share: Share }),
  children: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), kind: Kind, cadres: Type.Integer(), ...PT, onTrack: Type.Integer(), share: Share })),
  members: Type.Optional(
    Type.Array(Type.Object({ userId: Type.String(), name: Type.String(), rank: Rank, hours: Type.Number(), required: Type.Number(), expectedByNow: Type.Number(), onTrack: Type.Boolean() })),
  ),
});

export const Compliance = Type.Object({
  year: Type.Integer(),
  node: NodeView,
  rule: Type.Array(Type.Object({ rank: Rank, yearlyHours: Type.Number(), windowYears: Type.Integer(), windowHours: Type.Number() })),
  units: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), cadres: Type.Integer(), onTrack: Type.Integer(), share: Share })),
  behind: Type.Object({
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
    items: Type.Array(
      Type.Object({
        userId: Type.String(),
        name: Type.String(),
        unitId: Type.String(),
        unitName: Type.String(),
        rank: Rank,
        hours: Type.Number(),
        expectedByNow: Type.Number(),
        required: Type.Number(),
        windowEarned: Type.Optional(Type.Number()),
        windowRequired: Type.Optional(Type.Number()),
      }),
    ),
  }),
});

export const RemindResult = Type.Object({
  id: Type.String(),
  year: Type.Integer(),
  node: Type.String(),
  nodeName: Type.String(),
  state: StringEnum(['queued', 'running', 'done', 'failed'] as const),
  total: Type.Integer({ description: 'cadres behind under the node' }),
  done: Type.Integer({ description: 'of them looked at so far' }),
  sent: Type.Integer({ description: 'reminded by this reminder (not already that county day)' }),
  failure: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export const ReminderParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) }, { additionalProperties: false });

export const AnnualReport = Type.Object({
  year: Type.Integer(),
  generatedAt: Type.String(),
  totals: Totals,
  channels: Type.Array(ChannelRow),
  committees: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), cadres: Type.Integer(), ...PT, onTrack: Type.Integer(), share: Share, byChannel: ByChannel })),
  categories: Type.Array(Type.Object({ category: Type.String(), ...PT })),
  topics: Topics,
  airClassroom: Type.Object({ stations: Type.Integer(), sessions: Type.Optional(Type.Integer()) }),
});

export const RebuildResult = Type.Object({
  years: Type.Array(Type.Integer()),
  tallies: Type.Integer(),
  differences: Type.Array(Type.Object({ key: Type.String(), field: Type.String(), stored: Type.Number(), computed: Type.Number() })),
});

export type DashboardView = Static<typeof Dashboard>;
export type ComplianceView = Static<typeof Compliance>;
export type AnnualReportView = Static<typeof AnnualReport>;
export type RebuildResultView = Static<typeof RebuildResult>;
export type RemindResultView = Static<typeof RemindResult>;
