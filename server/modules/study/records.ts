/**
 * The study engine's in-memory records: playback sessions (one per opened player, kiosk or live
 * viewer), progress (one per cadre and piece of content) and the cached facts of a lecture.
 * A "playback session" is never a login session nor a timetable slot.
 */
import type { FlagHit, SessionState } from './heartbeat-policy';
import type { Interval } from './intervals';

export type FlagKind = FlagHit['kind'] | 'parallel-sessions' | 'too-old' | 'at-station';

export interface AttentionState {
  /** The pending check, if any. */
  pending?: { id: string; issuedAt: number; expiresAt: number };
  /** Server time of the next check. */
  nextAt?: number;
  /** A late answer: the next credited span is dropped. */
  skipNext?: boolean;
}

export interface PlaybackSession {
  id: string;
  /** The cadre, or the station for a station's playback (`station`). */
  userId: string;
  lectureId: string;
  kind: string;
  state: SessionState;
  /** Whole segments delivered (indexes of the lecture's segment length). */
  delivered: Set<number>;
  /** Media intervals delivered in part (a range request) or on a timeline (live). */
  deliveredSpans: Interval[];
  /** How many of `delivered` / `deliveredSpans` the store holds. */
  deliveredWritten?: number;
  /** Delivered coverage as of `delivered.size` + `deliveredSpans.length`. */
  coverage?: { key: string; iv: Interval[] };
  /** Flags not yet written: count and seconds refused. */
  flags: Partial<Record<FlagKind, { count: number; sec: number }>>;
  lastServerAt: number;
  ended: boolean;
  dirty: boolean;
  attention?: AttentionState;
  /** A terminal station's playback (group credit); `userId` is then the station id. */
  station?: boolean;
}

export interface Progress {
  /** `${userId}:${contentId}` */
  id: string;
  userId: string;
  /** The piece of content credited: a live lecture and its replay share one (the live lecture's id). */
  lectureId: string;
  intervals: Interval[];
  /** Media credited more than once (重看): the parts of `intervals` watched again. Statistics only, never credit. */
  again: Interval[];
  wallSec: number;
  durationSec: number;
  lastPosition: number;
  lastWatchedAt: number;
  completedAt: number | null;
  dirty: boolean;
  /** Where the newest coverage came from: decides the ledger entry's `source`. */
  source?: 'individual' | 'station' | 'live';
}

export interface LectureInfo {
  id: string;
  /** The content credited: the live lecture for its replay, else the lecture itself. */
  contentId: string;
  title: string;
  durationSec: number;
  segmentSec: number;
  required: boolean;
  creditHours: number;
  category: string;
  topic: string;
  kind: string;
  attentionChecks: boolean;
  loadedAt: number;
}

export function addFlag(s: PlaybackSession, kind: FlagKind, sec: number) {
  const f = (s.flags[kind] ??= { count: 0, sec: 0 });
  f.count++;
  f.sec += Math.max(0, sec);
}

/** Flags worth an admin's time: each is an attempt, never a symptom of a bad link or a wrong clock. */
export const REVIEWED_FLAGS: readonly FlagKind[] = ['too-fast', 'not-delivered', 'parallel-sessions', 'clock-fast', 'rate-too-high', 'attention-missed', 'too-old'];
