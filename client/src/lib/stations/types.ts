/** What the county-scale station endpoints answer (server/modules/stations/list-schemas.ts). */
import type { Station, StationType, TimetableItem } from '../kiosk/types.ts';

export type StationState = 'online' | 'offline' | 'playing';

export interface Township {
  id: string;
  name: string;
  count: number;
}

export interface StationQuery {
  q: string;
  township: string;
  type: StationType | '';
  state: StationState | '';
  page: number;
  pageSize: 25 | 50;
}

export interface StationPage<T = Station> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  counts: { all: number; online: number; offline: number; playing: number };
  townships: Township[];
}

export type DashboardItem = Station & { flags?: string[]; current?: TimetableItem };
export type Dashboard = StationPage<DashboardItem> & { summary: { total: number; online: number; playing: number; offlineDuringSession: number } };

export interface BriefStation {
  id: string;
  name: string;
  type: StationType;
  unitName: string;
  townshipId: string;
  disabled: boolean;
}

export interface ConflictDetail {
  sessionId: string;
  stationId: string;
  stationName: string;
  title: string;
  startAt: string;
  endAt: string;
}

export interface SchedulePreview {
  stations: number;
  conflicts: ConflictDetail[];
  conflictStations: number;
}

export interface BookingWarning {
  session: TimetableItem;
  stations: number;
}
