/**
 * The county dashboard's answers (issue 19), as the server's schemas declare them
 * (server/modules/county/schemas.ts, `import type` only: one contract). Statistics along the
 * hierarchy 县 → 党委 → 单位 → 干部, counted from the credit ledger: a person-time (人次) is one
 * ledger entry, hours (学时) are ledger hours.
 */
import type { AnnualReportView, ComplianceView, DashboardView, RebuildResultView, RemindResultView } from '../../../../server/modules/county/schemas.ts';

/** The six channels, in the order every answer lists them. */
export const CHANNELS = ['selfStudy', 'live', 'airClassroom', 'trainingClass', 'caravan', 'external'] as const;
export type CountyChannel = (typeof CHANNELS)[number];

export type Dashboard = DashboardView;
export type Compliance = ComplianceView;
export type AnnualReport = AnnualReportView;
export type RebuildResult = RebuildResultView;
export type RemindResult = RemindResultView;

export type CountyNode = Dashboard['node'];
export type YearFigures = Dashboard['totals'];
export type ChannelRow = Dashboard['channels'][number];
export type MonthRow = Dashboard['months'][number];
export type Topics = Dashboard['topics'];
export type ChildRow = Dashboard['children'][number];
export type MemberRow = NonNullable<Dashboard['members']>[number];
export type BehindRow = Compliance['behind']['items'][number];
