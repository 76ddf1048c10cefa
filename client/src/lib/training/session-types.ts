/** What /api/training-sessions answers (server/modules/training/session-schemas.ts), for the pages. */
export const SESSION_KINDS = ['recorded', 'live', 'in-person', 'site-visit', 'caravan'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];
export const PRESENCE_KINDS: readonly SessionKind[] = ['in-person', 'site-visit', 'caravan'];
export type AttendanceState = 'absent' | 'in' | 'out' | 'complete';

export interface SessionView {
  id: string;
  classId: string;
  kind: SessionKind;
  title: string;
  lectureId?: string;
  lectureTitle?: string;
  dueDay?: string;
  startAt?: string;
  endAt?: string;
  venue: string;
  place: string;
  lecturer: string;
  required: boolean;
}

export interface Timetable {
  classId: string;
  className: string;
  startDay: string;
  endDay: string;
  manageable: boolean;
  items: SessionView[];
}

export interface Attendance {
  state: AttendanceState;
  checkInAt?: string;
  checkOutAt?: string;
}

export interface MySession extends SessionView {
  watched?: { coveredSec: number; durationSec: number; percent: number; completed: boolean };
  attendance?: Attendance;
}

export interface MyClassTimetable {
  classId: string;
  className: string;
  startDay: string;
  endDay: string;
  venue: string;
  items: MySession[];
}

export interface RosterRow extends Attendance {
  userId: string;
  username: string;
  displayName: string;
}

export interface SessionRoster {
  session: { id: string; classId: string; className: string; kind: SessionKind; title: string; startAt: string; endAt: string; venue: string; place: string };
  items: RosterRow[];
  counts: { roster: number; in: number; out: number };
  serverNow: number;
}

export interface CheckinCode {
  token: string;
  url: string;
  qrSvg: string;
  direction: 'in' | 'out';
  expiresInSec: number;
  serverNow: number;
}
