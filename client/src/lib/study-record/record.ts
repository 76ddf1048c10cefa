/**
 * The study record's client side (学习档案): the server's contract (import type, one source), the
 * paths of its pages and API, and small pure helpers the pages share.
 */
import type { ExportViewBody, StudyRecordBody, VerificationBody } from '../../../../server/modules/study-record/schemas.ts';

export type StudyRecord = StudyRecordBody;
export type Verification = VerificationBody;
export type RecordExport = ExportViewBody;
export type Channel = StudyRecord['figures']['channels'][number]['channel'];

export const recordPath = (userId: string, year: number) => `/study-record/${encodeURIComponent(userId)}/${year}`;
export const recordApi = (userId: string, year: number) => `/api/study-record/${encodeURIComponent(userId)}/${year}`;
export const verifyApi = (code: string) => `/api/study-record/verify/${encodeURIComponent(code)}`;
export const exportsPath = (unitId?: string, year?: number) => {
  const q = new URLSearchParams();
  if (unitId) q.set('unit', unitId);
  if (year) q.set('year', String(year));
  const s = q.toString();
  return `/admin/unit/records${s ? `?${s}` : ''}`;
};

/** Hours as printed: one decimal, always (3.0, 1.5). */
export const hoursText = (h: number) => (Math.round(h * 10) / 10).toFixed(1);

/** Share of an export done, 0..100 (0 while the count is unknown). */
export function exportPercent(e: Pick<RecordExport, 'done' | 'total' | 'state'>): number {
  if (e.state === 'done') return 100;
  if (!e.total) return 0;
  return Math.min(100, Math.floor((e.done / e.total) * 100));
}

/** Whether the screen should keep polling this export. */
export const exportActive = (e: Pick<RecordExport, 'state'>) => e.state === 'queued' || e.state === 'running';

/** A year from the path, or null when it is not a county year the server accepts. */
export function parseRecordYear(text: string | undefined): number | null {
  if (!text || !/^\d{4}$/.test(text)) return null;
  const y = Number(text);
  return y >= 2000 && y <= 2100 ? y : null;
}
