/**
 * The org admin's calls for the external-training import and the year report of training, with
 * the shapes the server answers (server/modules/training/import-routes.ts).
 */
import { api } from '../api/client.ts';
import type { ExternalImportView, ImportRowError } from '../../../../server/modules/training/external-import-schemas.ts';
import type { TrainingYearReportView } from '../../../../server/modules/training/training-report-schemas.ts';

export type { ExternalImportView, ImportRowError, TrainingYearReportView };
export { fileToBase64 } from '../admin/users/users-api.ts';

export const trainingImportApi = {
  templateUrl: '/api/training/external-imports/template',
  check: (fileName: string, contentBase64: string) => api.post<ExternalImportView>('/api/training/external-imports', { fileName, contentBase64 }),
  get: (id: string, signal?: AbortSignal) => api.get<ExternalImportView>(`/api/training/external-imports/${id}`, signal),
  confirm: (id: string) => api.post<ExternalImportView>(`/api/training/external-imports/${id}/confirm`, {}),
  /** The county's current year when `year` is null. */
  report: (year: number | null, fresh = false) => api.get<TrainingYearReportView>(`/api/training/report?${new URLSearchParams({ ...(year === null ? {} : { year: String(year) }), ...(fresh ? { fresh: 'true' } : {}) })}`, { timeoutMs: 60_000 }),
  reportXlsxUrl: (year: number) => `/api/training/report.xlsx?year=${year}`,
};
