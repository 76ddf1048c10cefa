/**
 * The county dashboard's client side (全县教育培训统计, 学时达标情况, 年度干部教育培训统计): the
 * API paths, the calls, and the pure formatting the pages share (hours, shares, the change on
 * last year, page paths with `?year=&node=`). The server scopes a unit admin to their units; the
 * client only passes `node` along. Long answers (the annual report) get a longer deadline.
 */
import { api, withQuery } from '../api/client.ts';
import type { AnnualReport, Compliance, Dashboard, RebuildResult, RemindResult, YearFigures } from './types.ts';

export const DASHBOARD_PATH = '/admin/county';
export const COMPLIANCE_PATH = '/admin/county/compliance';
export const ANNUAL_REPORT_PATH = '/admin/county/annual-report';

/** Reads that add up a whole county may take a while on a cold server. */
const SLOW_MS = 30_000;

export interface Scope {
  year: number;
  node?: string | null;
}

const q = (s: Scope, extra: Record<string, string | number | undefined> = {}) => ({ year: s.year, node: s.node ?? undefined, ...extra });

export const countyApi = {
  dashboardUrl: (s: Scope) => withQuery('/api/county/dashboard', q(s)),
  complianceUrl: (s: Scope, page = 1, pageSize = 50) => withQuery('/api/county/compliance', q(s, { page, pageSize })),
  annualReportUrl: (year: number) => withQuery('/api/county/annual-report', { year }),
  annualXlsxUrl: (year: number) => withQuery('/api/county/annual-report.xlsx', { year }),

  dashboard: (s: Scope, signal?: AbortSignal) => api.get<Dashboard>(countyApi.dashboardUrl(s), { signal, timeoutMs: SLOW_MS }),
  compliance: (s: Scope, page: number, pageSize: number, signal?: AbortSignal) => api.get<Compliance>(countyApi.complianceUrl(s, page, pageSize), { signal, timeoutMs: SLOW_MS }),
  /** Starts a reminder (a queued job); `node`: the node the compliance answer was for. */
  remind: (year: number, node: string) => api.post<RemindResult>('/api/county/compliance/remind', { year, node }),
  reminder: (id: string) => api.get<RemindResult>(`/api/county/compliance/remind/${encodeURIComponent(id)}`),
  annualReport: (year: number, signal?: AbortSignal) => api.get<AnnualReport>(countyApi.annualReportUrl(year), { signal, timeoutMs: SLOW_MS }),
  rebuild: (year: number) => api.post<RebuildResult>('/api/county/rebuild', { years: [year] }, { timeoutMs: 120_000 }),
};

/** A page path keeping the year (left out when it is the county's current one) and the node. */
export function pagePath(base: string, s: Scope, countyYear: number): string {
  return withQuery(base, { year: s.year === countyYear ? undefined : s.year, node: s.node ?? undefined });
}

/** `?year=` when it is a plausible year, else the county's current year. */
export function yearFromQuery(value: string | null, countyYear: number): number {
  const y = value && /^\d{4}$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(y) && y >= 2000 && y <= countyYear + 1 ? y : countyYear;
}

/** The years offered in the pickers: this county year and the five before it. */
export const yearChoices = (countyYear: number, count = 6) => Array.from({ length: count }, (_, i) => countyYear - i);

/** Hours with at most one decimal (学时 are kept to a tenth). */
export const roundHours = (h: number) => Math.round(h * 10) / 10;

/** A share 0..1 as a whole percentage (0..100). */
export const percent = (share: number) => Math.round(Math.max(0, Math.min(1, share)) * 1000) / 10;

/** The change on last year, as a signed percentage, or null when last year had none. */
export function changeOnLastYear(now: number, prev: number): number | null {
  if (!prev) return null;
  return Math.round(((now - prev) / prev) * 1000) / 10;
}

/** Nothing counted in the year (an empty state rather than a page of zeros). */
export const isEmptyYear = (t: YearFigures) => t.personTimes === 0 && t.hours === 0;

/** The colour class of a share on track: ok ≥ 90 %, warn ≥ 60 %, else bad. */
export function shareLevel(share: number): 'ok' | 'warn' | 'bad' {
  return share >= 0.9 ? 'ok' : share >= 0.6 ? 'warn' : 'bad';
}

/** A label cut to fit a chart's axis. */
export const shortLabel = (s: string, max = 10) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The pages of a list of `total` rows. */
export const pageCount = (total: number, pageSize: number) => Math.max(1, Math.ceil(total / Math.max(1, pageSize)));

/**
 * Starts a reminder and follows it until it ends (the server reminds a county's thousands as a
 * queued job): `report` hears every view on the way; a failed reminder rejects with its reason.
 * A poll that fails (a weak link) is tried again at the next tick, the reminder carrying on meanwhile.
 */
export async function remindAndFollow(year: number, node: string, report: (r: RemindResult) => void, everyMs = 1000): Promise<RemindResult> {
  let r = await countyApi.remind(year, node);
  report(r);
  let misses = 0;
  while (r.state === 'queued' || r.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    try {
      r = await countyApi.reminder(r.id);
      misses = 0;
      report(r);
    } catch (error) {
      if (++misses >= 10) throw error;
    }
  }
  if (r.state === 'failed') throw new Error(r.failure ?? 'failed');
  return r;
}
