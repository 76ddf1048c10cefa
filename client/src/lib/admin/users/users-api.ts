/**
 * The admin console's calls for accounts (/api/users) and roster imports (/api/roster-imports),
 * with the shapes the server answers (server/modules/users/routes.ts, roster-import/routes.ts).
 */
import { api, withQuery } from '../../api/client.ts';
import type { CadreRank, Role, User } from '../../api/types.ts';

export interface AdminUser extends User {
  rank?: CadreRank;
  disabled?: boolean;
  mustChangePassword?: boolean;
  phone?: string;
}

export interface UserQuery {
  page: number;
  pageSize: number;
  search?: string;
  orgUnitId?: string;
  role?: Role | '';
  rank?: CadreRank | '';
  disabled?: '' | 'true' | 'false';
}

export interface UserPage {
  items: AdminUser[];
  total: number;
  page: number;
  pageSize: number;
}

export interface UserInput {
  username?: string;
  displayName?: string;
  role?: Role;
  rank?: CadreRank;
  orgUnitId?: string;
  phone?: string;
}

export interface OneTimePassword {
  user: AdminUser;
  oneTimePassword: string;
  expiresAt: string;
}

export interface OrgNode {
  id: string;
  name: string;
  kind: 'county' | 'committee' | 'unit';
  parentId: string | null;
  children: OrgNode[];
}

export interface RowError {
  row: number;
  field: string;
  code: string;
  message: string;
  messageEn: string;
  username?: string;
}

export interface RosterImport {
  id: string;
  fileName: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  totalRows: number;
  processedRows: number;
  created: number;
  skipped: number;
  errorCount: number;
  rowErrors: RowError[];
  credentials: 'none' | 'ready' | 'downloaded';
  credentialsExpireAt?: string;
  failure?: string;
  createdAt: string;
  durationMs?: number;
}

export const usersApi = {
  list: (q: UserQuery, signal?: AbortSignal) => api.get<UserPage>(withQuery('/api/users', { ...q }), signal),
  create: (body: UserInput) => api.post<AdminUser & { oneTimePassword?: string }>('/api/users', body),
  update: (id: string, body: UserInput & { disabled?: boolean }) => api.patch<AdminUser>(`/api/users/${id}`, body),
  resetPassword: (id: string) => api.post<OneTimePassword>(`/api/users/${id}/reset-password`),
  orgTree: () => api.get<{ roots: OrgNode[] }>('/api/org/tree'),
};

export const importsApi = {
  start: (fileName: string, contentBase64: string) => api.post<RosterImport>('/api/roster-imports', { fileName, contentBase64 }),
  get: (id: string, signal?: AbortSignal) => api.get<RosterImport>(`/api/roster-imports/${id}`, signal),
  templateUrl: '/api/roster-imports/template',
  credentialsUrl: (id: string) => `/api/roster-imports/${id}/credentials`,
};

/** Units as a flat list for a <select>, indented by depth, in tree order. */
export function flattenUnits(roots: OrgNode[]): { id: string; label: string; depth: number }[] {
  const out: { id: string; label: string; depth: number }[] = [];
  const walk = (n: OrgNode, depth: number) => {
    out.push({ id: n.id, label: `${'\u3000'.repeat(depth)}${n.name}`, depth });
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

/** A file's bytes as base64 (for the JSON upload the CSRF rule requires). */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
