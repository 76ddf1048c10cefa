/**
 * Searching 206 stations (终端站点) at county scale: pure, over rows the registry keeps in memory.
 * - Search: a substring of the name, the unit, the address, or the start of the id (站点编号).
 * - Filters: township (乡镇: the unit just under the county the station's unit belongs to — a
 *   party committee of a town or township), station type, and state: online (last contact within
 *   STATION_ONLINE_SECONDS), offline (disabled stations count as offline), playing (a session is
 *   playing now; a playing station is also online).
 * - Counts by state are taken after the other filters but before the state filter, so the state
 *   tabs say what each would show.
 * - Sorted by name (zh-CN), or trouble first (offline during a session) for the monitor; then
 *   paged (page from 1; a page past the end answers the last page).
 */
import type { StationType } from './station-rules';

export const stationStates = ['online', 'offline', 'playing'] as const;
export type StationState = (typeof stationStates)[number];

export interface StationRow {
  id: string;
  name: string;
  type: StationType;
  unitName: string;
  address: string;
  townshipId: string | null;
  online: boolean;
  playing: boolean;
  /** Offline while a session is on (the monitor shows these first). */
  flagged?: boolean;
}

export interface StationQuery {
  q?: string;
  township?: string;
  type?: StationType;
  state?: StationState;
  page?: number;
  /** Absent: every match on one page. */
  pageSize?: number;
  troubleFirst?: boolean;
}

export interface StationPage<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  counts: Record<StationState | 'all', number>;
}

/** The township of a unit: the unit just under the county on its path (itself when it is one, or the county). */
export function townshipOf(unitId: string, ancestors: readonly string[] | undefined): string | null {
  if (!ancestors) return null;
  const path = [...ancestors, unitId];
  return path[1] ?? path[0] ?? null;
}

export const inState = (r: Pick<StationRow, 'online' | 'playing'>, state: StationState) => (state === 'playing' ? r.playing : state === 'online' ? r.online : !r.online);

export function matchesText(r: Pick<StationRow, 'id' | 'name' | 'unitName' | 'address'>, q: string): boolean {
  const needle = q.trim().toLowerCase();
  if (!needle) return true;
  return r.name.toLowerCase().includes(needle) || r.unitName.toLowerCase().includes(needle) || r.address.toLowerCase().includes(needle) || r.id.startsWith(needle);
}

export function queryStations<T extends StationRow>(rows: readonly T[], q: StationQuery): StationPage<T> {
  const pre = rows.filter((r) => (!q.type || r.type === q.type) && (!q.township || r.townshipId === q.township) && (!q.q || matchesText(r, q.q)));
  const counts = { all: pre.length, online: 0, offline: 0, playing: 0 };
  for (const r of pre) for (const s of stationStates) if (inState(r, s)) counts[s]++;
  const hits = q.state ? pre.filter((r) => inState(r, q.state!)) : pre;
  hits.sort((a, b) => (q.troubleFirst ? Number(Boolean(b.flagged)) - Number(Boolean(a.flagged)) : 0) || a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id));
  const pageSize = q.pageSize && q.pageSize > 0 ? q.pageSize : Math.max(1, hits.length);
  const pages = Math.max(1, Math.ceil(hits.length / pageSize));
  const page = Math.min(Math.max(1, q.page ?? 1), pages);
  return { items: hits.slice((page - 1) * pageSize, page * pageSize), total: hits.length, page, pageSize, pages, counts };
}
