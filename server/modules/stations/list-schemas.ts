/** TypeBox schemas of searching the registry and monitor, and of scheduling by groups (previews, warnings). */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';
import { stationStates } from './station-query';
import { DashboardItem, Id, ScheduleBody, SessionItem, Station, StationTypeSchema } from './schemas';

export const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 80, description: 'a part of the name, unit or address, or the start of the station id' })),
  township: Type.Optional(Id),
  type: Type.Optional(StationTypeSchema),
  state: Type.Optional(StringEnum(stationStates)),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'absent: every match' })),
});

const Township = Type.Object({ id: Type.String(), name: Type.String(), count: Type.Integer() });
const Counts = Type.Object({ all: Type.Integer(), online: Type.Integer(), offline: Type.Integer(), playing: Type.Integer() });
const paging = {
  total: Type.Integer({ description: 'matches of the query' }),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  pages: Type.Integer(),
  counts: Counts,
  townships: Type.Array(Township),
};

export const StationList = Type.Object({ items: Type.Array(Station), ...paging });
export const DashboardList = Type.Object({
  items: Type.Array(DashboardItem),
  ...paging,
  summary: Type.Object({ total: Type.Integer(), online: Type.Integer(), playing: Type.Integer(), offlineDuringSession: Type.Integer() }),
});

/** Every station in scope, small, for choosing stations to schedule at. */
export const BriefList = Type.Object({
  items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), type: StationTypeSchema, unitName: Type.String(), townshipId: Type.String(), disabled: Type.Boolean() })),
  townships: Type.Array(Township),
});

export const PreviewBody = Type.Omit(ScheduleBody, ['rejectConflicts', 'skipConflicts']);
export const ConflictDetail = Type.Object({
  sessionId: Type.String(),
  stationId: Type.String(),
  stationName: Type.String(),
  title: Type.String(),
  startAt: Type.String(),
  endAt: Type.String(),
});
export const Preview = Type.Object({
  stations: Type.Integer({ description: 'stations the selection names' }),
  conflicts: Type.Array(ConflictDetail),
  conflictStations: Type.Integer({ description: 'stations with at least one conflict' }),
});

export const Warning = Type.Object({
  session: SessionItem,
  stations: Type.Integer(),
});
export const WarningList = Type.Object({ items: Type.Array(Warning) });
