/** Request and response schemas of class timetables and attendance (/api/training-sessions). */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';
import { sessionKinds } from './session.model';

export const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "a county day 'YYYY-MM-DD'" });
const Instant = Type.String({ format: 'date-time', maxLength: 40 });
export const Direction = StringEnum(['in', 'out'] as const);
const AttendanceStateT = StringEnum(['absent', 'in', 'out', 'complete'] as const);

export const SessionBody = Type.Object(
  {
    kind: StringEnum(sessionKinds),
    title: Type.String({ maxLength: 120 }),
    lectureId: Type.Optional(Id),
    dueDay: Type.Optional(Day),
    startAt: Type.Optional(Instant),
    endAt: Type.Optional(Instant),
    venue: Type.Optional(Type.String({ maxLength: 120 })),
    place: Type.Optional(Type.String({ maxLength: 120 })),
    lecturer: Type.Optional(Type.String({ maxLength: 60 })),
    required: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const SessionView = Type.Object({
  id: Type.String(),
  classId: Type.String(),
  kind: StringEnum(sessionKinds),
  title: Type.String(),
  lectureId: Type.Optional(Type.String()),
  lectureTitle: Type.Optional(Type.String()),
  dueDay: Type.Optional(Type.String()),
  startAt: Type.Optional(Type.String()),
  endAt: Type.Optional(Type.String()),
  venue: Type.String(),
  place: Type.String(),
  lecturer: Type.String(),
  required: Type.Boolean(),
});

export const Timetable = Type.Object({ classId: Type.String(), className: Type.String(), startDay: Type.String(), endDay: Type.String(), manageable: Type.Boolean(), items: Type.Array(SessionView) });

const Attendance = Type.Object({ state: AttendanceStateT, checkInAt: Type.Optional(Type.String()), checkOutAt: Type.Optional(Type.String()) });

export const MyTimetable = Type.Object({
  items: Type.Array(
    Type.Object({
      classId: Type.String(),
      className: Type.String(),
      startDay: Type.String(),
      endDay: Type.String(),
      venue: Type.String(),
      items: Type.Array(
        Type.Object({
          ...SessionView.properties,
          watched: Type.Optional(Type.Object({ coveredSec: Type.Number(), durationSec: Type.Number(), percent: Type.Number(), completed: Type.Boolean() })),
          attendance: Type.Optional(Attendance),
        }),
      ),
    }),
  ),
});

export const CodeView = Type.Object({ token: Type.String(), url: Type.String(), qrSvg: Type.String(), direction: Direction, expiresInSec: Type.Integer(), serverNow: Type.Number() });

export const CheckinBody = Type.Object({ token: Type.String({ minLength: 10, maxLength: 120 }) }, { additionalProperties: false });
export const CheckinReply = Type.Object({ sessionId: Type.String(), title: Type.String(), direction: Direction, already: Type.Boolean(), ...Attendance.properties });

export const SessionRoster = Type.Object({
  session: Type.Object({ id: Type.String(), classId: Type.String(), className: Type.String(), kind: StringEnum(sessionKinds), title: Type.String(), startAt: Type.String(), endAt: Type.String(), venue: Type.String(), place: Type.String() }),
  items: Type.Array(Type.Object({ userId: Type.String(), username: Type.String(), displayName: Type.String(), ...Attendance.properties })),
  counts: Type.Object({ roster: Type.Integer(), in: Type.Integer(), out: Type.Integer() }),
  serverNow: Type.Number(),
});

export const MarkBody = Type.Object({ userIds: Type.Array(Id, { minItems: 1, maxItems: 500 }), direction: Direction }, { additionalProperties: false });

const Clock = Type.Number({ minimum: 0, maximum: 1e13 });
export const SyncBody = Type.Object(
  {
    scans: Type.Array(
      Type.Object(
        {
          key: Type.String({ minLength: 6, maxLength: 80, pattern: '^[A-Za-z0-9:._-]+$' }),
          userId: Type.String({ maxLength: 24 }),
          direction: Direction,
          at: Clock,
          clock: Type.Optional(Clock),
        },
        { additionalProperties: false },
      ),
      { maxItems: 2000 },
    ),
    /** The phone's own clock when it sent the batch: with each scan's `clock`, its age. */
    sentClock: Type.Optional(Clock),
  },
  { additionalProperties: false },
);

export const SyncReply = Type.Object({
  results: Type.Array(Type.Object({ key: Type.String(), ok: Type.Boolean(), code: Type.Optional(Type.String()), at: Type.Optional(Type.String()), repeated: Type.Optional(Type.Boolean()) })),
  accepted: Type.Integer(),
  serverNow: Type.Number(),
});
