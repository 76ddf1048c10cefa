/** TypeBox schemas of the stations API (requests are validated, answers serialised by them). */
import { Type } from 'typebox';
import { BeatSchema } from '../study/schemas';
import { StringEnum } from '../../schemas';
import { stationTypes } from './station-rules';
import { statsGroups } from './stats.service';

export const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
export const StationTypeSchema = StringEnum(stationTypes);
const Iso = Type.String({ description: 'ISO 8601 date-time' });

export const Contact = Type.Object({ name: Type.Optional(Type.String({ maxLength: 40 })), phone: Type.Optional(Type.String({ maxLength: 40 })) });

export const Station = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: StationTypeSchema,
  unitId: Type.String(),
  unitName: Type.String(),
  address: Type.String(),
  contact: Type.Object({ name: Type.String(), phone: Type.String() }),
  disabled: Type.Boolean(),
  paired: Type.Boolean(),
  pairedAt: Type.Optional(Iso),
  lastSeenAt: Type.Optional(Iso),
  online: Type.Boolean(),
  nowPlaying: Type.Optional(Type.Object({ sessionId: Type.String(), lectureId: Type.String(), title: Type.String() })),
  present: Type.Integer(),
});

export const StationCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 80 }),
  type: StationTypeSchema,
  unitId: Id,
  address: Type.Optional(Type.String({ maxLength: 200 })),
  contact: Type.Optional(Contact),
});

export const StationPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    type: Type.Optional(StationTypeSchema),
    unitId: Type.Optional(Id),
    address: Type.Optional(Type.String({ maxLength: 200 })),
    contact: Type.Optional(Contact),
    disabled: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1 },
);

export const Pairing = Type.Object({ code: Type.String(), expiresAt: Iso, pairUrl: Type.String(), qrSvg: Type.String() });
export const StationBrief = Type.Object({ id: Type.String(), name: Type.String(), type: StationTypeSchema, unitName: Type.String() });

export const Conflict = Type.Object({ sessionId: Type.String(), stationId: Type.String(), title: Type.String() });
/** The fields every view of a session has (timetable.brief()). */
const sessionBrief = {
  id: Type.String(),
  lectureId: Type.String(),
  title: Type.String(),
  lecturer: Type.String(),
  /** `class`: a session of a training class the cadre is on (a cadre's 学习台历 only). */
  kind: StringEnum(['live', 'replay', 'class'] as const),
  startAt: Iso,
  endAt: Iso,
  durationSec: Type.Number(),
  /** scheduled; cancelled (the lecture was withdrawn); ended (the live lecture ended before the booked end). */
  status: StringEnum(['scheduled', 'cancelled', 'ended'] as const),
  statusReason: Type.Optional(StringEnum(['withdrawn', 'live-ended'] as const)),
  statusAt: Type.Optional(Iso),
};
export const SessionItem = Type.Object({
  ...sessionBrief,
  stationIds: Type.Array(Type.String()),
  stationNames: Type.Array(Type.String()),
  conflicts: Type.Array(Conflict),
});

export const DashboardItem = Type.Intersect([
  Station,
  Type.Object({ flags: Type.Array(StringEnum(['offline-during-session'] as const)), current: Type.Optional(SessionItem) }),
]);

export const KioskSession = Type.Object({
  ...sessionBrief,
  live: Type.Optional(Type.Object({ state: Type.String() })),
  masterUrl: Type.Optional(Type.String({ description: 'stable media URL of a replay (authorised by the station cookie), for prefetching' })),
});

export const KioskState = Type.Object({
  station: StationBrief,
  serverNow: Type.Number(),
  sessions: Type.Array(KioskSession),
  current: Type.Optional(Type.String()),
  present: Type.Array(Type.Object({ userId: Type.String(), name: Type.String(), since: Iso })),
  heartbeatSec: Type.Integer(),
  rescanMinutes: Type.Integer({ description: 'a QR scan evidences presence this long (STATION_PRESENCE_RESCAN_MINUTES)' }),
});

export const KioskPlayback = Type.Object({
  playbackId: Type.String(),
  sessionId: Type.String(),
  lectureId: Type.String(),
  live: Type.Boolean(),
  heartbeatSec: Type.Integer(),
  serverNow: Type.Number(),
  startAt: Iso,
  endAt: Iso,
  state: Type.Optional(Type.String()),
  masterUrl: Type.Optional(Type.String()),
  posterUrl: Type.Optional(Type.String()),
  thumbnailsUrl: Type.Optional(Type.String()),
  subtitles: Type.Optional(Type.Array(Type.Object({ lang: Type.String(), label: Type.String(), url: Type.String() }))),
  durationSec: Type.Optional(Type.Number()),
  expiresAt: Type.Optional(Iso),
  counting: Type.Optional(Type.Boolean()),
  reason: Type.Optional(Type.String()),
  resumeAt: Type.Optional(Type.Number()),
  offsetSec: Type.Optional(Type.Number()),
  required: Type.Optional(Type.Boolean()),
  progress: Type.Optional(Type.Number()),
  completed: Type.Optional(Type.Boolean()),
});

export const Beat = Type.Object({
  ...BeatSchema.properties,
  /** A playback the kiosk began while offline names its session (sync only). */
  sessionId: Type.Optional(Id),
});

export const BeatsAnswer = Type.Object({
  acks: Type.Array(Type.Object({ playbackId: Type.String(), seq: Type.Integer() })),
  sessions: Type.Record(
    Type.String(),
    Type.Object({
      counting: Type.Boolean(),
      reason: Type.Optional(Type.String()),
      progress: Type.Number(),
      coveredSec: Type.Number(),
      completed: Type.Boolean(),
      present: Type.Integer(),
      credited: Type.Integer({ description: 'learners credited by this batch' }),
    }),
  ),
});

export const CheckinCode = Type.Object({ token: Type.String(), url: Type.String(), qrUrl: Type.String(), qrSvg: Type.String(), expiresInSec: Type.Integer(), sessionId: Type.String(), title: Type.String() });

const SyncOutcome = Type.Object({ key: Type.String(), ok: Type.Boolean(), code: Type.Optional(Type.String()) });
const Key = Type.String({ minLength: 1, maxLength: 80 });
const Ms = Type.Number({ minimum: 0, maximum: 1e13, description: 'ms since the epoch' });
export const SyncBody = Type.Object({
  beats: Type.Array(Beat, { maxItems: 5000 }),
  checkins: Type.Optional(
    Type.Array(Type.Object({
        key: Key,
        username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        userId: Type.Optional(Id),
        at: Ms,
        sessionId: Id,
        clock: Type.Optional(Type.Number({ minimum: 0, maximum: 1e13, description: "the station's own clock at the check-in (ms)" })),
      }), { maxItems: 2000 }),
  ),
  checkouts: Type.Optional(Type.Array(Type.Object({ key: Key, userId: Id, at: Ms }), { maxItems: 2000 })),
  /** The station's own clock when it sent the batch: with each check-in's `clock`, its age. */
  sentClock: Type.Optional(Type.Number({ minimum: 0, maximum: 1e13, description: "the station's own clock at sending (ms)" })),
});
export const SyncAnswer = Type.Object({
  acks: BeatsAnswer.properties.acks,
  sessions: BeatsAnswer.properties.sessions,
  checkins: Type.Array(SyncOutcome),
  checkouts: Type.Array(SyncOutcome),
});

export const CheckinAction = StringEnum(['checkin', 'checkout'] as const, { description: 'checkin (签到, or a re-scan when already in) or checkout (签退)' });

export const CheckinAnswer = Type.Object({
  ok: Type.Literal(true),
  action: StringEnum(['checkin', 'rescan', 'checkout'] as const),
  station: Type.Object({ id: Type.String(), name: Type.String() }),
  session: Type.Object({ id: Type.String(), title: Type.String() }),
  movedFrom: Type.Optional(Type.Object({ id: Type.String(), name: Type.String() })),
  /** Which evidence counts: this scan until `until`; re-scan every `rescanMinutes`, or 签退 when leaving, or the operator's roster confirmation. */
  evidence: Type.Object({
    rescanMinutes: Type.Integer(),
    until: Iso,
    evidencedSec: Type.Integer({ description: 'presence evidenced so far in this session' }),
    network: StringEnum(['station', 'other', 'unknown'] as const, { description: 'other: not the station’s network (flagged for review, not refused)' }),
  }),
});

export const Roster = Type.Object({
  session: Type.Object({ id: Type.String(), title: Type.String(), startAt: Iso, endAt: Iso }),
  closesAt: Iso,
  learners: Type.Array(
    Type.Object({
      userId: Type.String(),
      name: Type.String(),
      checkedInAt: Iso,
      checkedOutAt: Type.Optional(Iso),
      present: Type.Boolean(),
      lastScanAt: Type.Optional(Iso),
      claimedSec: Type.Integer(),
      evidencedSec: Type.Integer(),
      confirmedAt: Type.Optional(Iso),
    }),
  ),
});

export const RosterConfirm = Type.Object({ sessionId: Id, userIds: Type.Array(Id, { maxItems: 2000 }) });
export const RosterConfirmed = Type.Object({
  session: Type.Object({ id: Type.String(), title: Type.String() }),
  confirmed: Type.Array(
    Type.Object({
      userId: Type.String(),
      name: Type.String(),
      newSec: Type.Integer({ description: 'seconds newly evidenced over what the station played' }),
      coveredSec: Type.Optional(Type.Number()),
      progress: Type.Optional(Type.Number()),
      completed: Type.Optional(Type.Boolean()),
      creditHours: Type.Optional(Type.Number()),
    }),
  ),
  unknown: Type.Array(Type.String({ description: 'ids not checked in to this session' })),
});

export const Range = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  stationId: Type.Optional(Id),
});

export const ScheduleBody = Type.Object({
  lectureId: Id,
  startAt: Type.String({ format: 'date-time' }),
  stationIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
  stationType: Type.Optional(StationTypeSchema),
  unitId: Type.Optional(Id),
  durationSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 12 * 3600 })),
  rejectConflicts: Type.Optional(Type.Boolean()),
  skipConflicts: Type.Optional(Type.Boolean({ description: 'leave out the stations already booked at an overlapping time' })),
});

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
export const StatsQuery = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day), groupBy: Type.Optional(StringEnum(statsGroups, { default: 'station' })) });
export const StatsAnswer = Type.Object({
  from: Type.String(),
  to: Type.String(),
  groupBy: Type.String(),
  rows: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), sessions: Type.Integer(), stations: Type.Integer(), personTimes: Type.Integer(), learnerHours: Type.Number() })),
  totals: Type.Object({ sessions: Type.Integer(), stations: Type.Integer(), personTimes: Type.Integer(), learnerHours: Type.Number() }),
});
