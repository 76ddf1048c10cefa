/** What the station endpoints answer (server/modules/stations, docs/stations.md). */
export type StationType = 'agency' | 'community' | 'township' | 'village' | 'household';
export const STATION_TYPES: readonly StationType[] = ['agency', 'community', 'township', 'village', 'household'];

export interface StationInfo {
  id: string;
  name: string;
  type: StationType;
  unitName?: string;
}

export interface KioskSession {
  id: string;
  lectureId: string;
  title: string;
  lecturer?: string;
  kind: 'live' | 'replay';
  startAt: string;
  endAt: string;
  durationSec: number;
  live?: { state: 'scheduled' | 'live' | 'ended' };
  /** Replays: the station's own (unchanging) media URL of the master playlist. */
  masterUrl?: string;
  /** cancelled: the lecture was withdrawn; ended: the live lecture ended early (at statusAt). */
  status?: BookingStatus;
  statusAt?: string;
}

export type BookingStatus = 'scheduled' | 'cancelled' | 'ended';

export interface PresentLearner {
  userId: string;
  name: string;
  since: string | number;
}

export interface KioskState {
  station: StationInfo;
  serverNow: number;
  sessions: KioskSession[];
  current?: string;
  present?: PresentLearner[];
  /** A QR scan evidences presence this long (STATION_PRESENCE_RESCAN_MINUTES). */
  rescanMinutes?: number;
}

/** POST /api/checkin: which evidence counts after this scan. */
export interface CheckinAnswer {
  ok: true;
  action: 'checkin' | 'rescan' | 'checkout';
  station: { id: string; name: string };
  session: { id: string; title: string };
  movedFrom?: { id: string; name: string };
  evidence: { rescanMinutes: number; until: string; evidencedSec: number; network: 'station' | 'other' | 'unknown' };
}

/** GET /api/kiosk/roster (or /api/stations/:id/roster): who checked in, for the roster confirmation (确认名单). */
export interface Roster {
  session: { id: string; title: string; startAt: string; endAt: string };
  closesAt: string;
  learners: { userId: string; name: string; checkedInAt: string; checkedOutAt?: string; present: boolean; lastScanAt?: string; claimedSec: number; evidencedSec: number; confirmedAt?: string }[];
}

export interface RosterConfirmed {
  session: { id: string; title: string };
  confirmed: { userId: string; name: string; newSec: number; coveredSec?: number; progress?: number; completed?: boolean; creditHours?: number }[];
  unknown: string[];
}

export interface CheckinCode {
  token: string;
  url: string;
  qrSvg: string;
  expiresInSec: number;
  sessionId: string;
  /** The absolute URL the QR encodes. */
  qrUrl?: string;
  title?: string;
}

export interface StationPlayback {
  playbackId: string;
  masterUrl?: string;
  heartbeatSec?: number;
  durationSec?: number;
  offsetSec?: number;
  live?: boolean;
  lectureId?: string;
  counting?: boolean;
}

export interface Station {
  id: string;
  name: string;
  type: StationType;
  unitId: string;
  unitName?: string;
  address?: string;
  contact?: { name?: string; phone?: string };
  disabled: boolean;
  paired: boolean;
  pairedAt?: string;
  lastSeenAt?: string;
  online: boolean;
  nowPlaying?: { sessionId: string; lectureId: string; title: string };
  present: number;
  flags?: string[];
}

export interface TimetableItem {
  id: string;
  lectureId: string;
  title: string;
  /** `class`: a session of the cadre's training class (their 学习台历 only). */
  kind: 'live' | 'replay' | 'class';
  startAt: string;
  endAt: string;
  stationIds: string[];
  stationNames: string[];
  conflicts: { sessionId: string; stationId: string; title?: string }[];
  status?: BookingStatus;
  statusReason?: 'withdrawn' | 'live-ended';
  statusAt?: string;
}

export interface StatsRow {
  key: string;
  label: string;
  sessions: number;
  personTimes: number;
  learnerHours: number;
}
