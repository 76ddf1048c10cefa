/**
 * What the admin pages see of a station: the registry row with its live figures (online, now
 * playing, learners present), and the rows the registry and monitor search over (station-query.ts),
 * with each station's township (乡镇) from the cached unit tree.
 */
import type { UserDoc } from '../users/user.model';
import type { Stations } from './plugin';
import { townshipOf, type StationRow } from './station-query';
import type { StationEntry } from './stations.service';

export async function stationView(stations: Stations, s: StationEntry) {
  const live = stations.attendance.liveOf(s.id);
  return {
    id: s.id,
    name: s.name,
    type: s.type,
    unitId: s.unitId,
    unitName: await stations.registry.unitName(s.unitId),
    address: s.address,
    contact: s.contact,
    disabled: s.disabled,
    paired: Boolean(s.credentialHash),
    pairedAt: s.pairedAt ? new Date(s.pairedAt).toISOString() : undefined,
    lastSeenAt: s.lastSeenAt ? new Date(s.lastSeenAt).toISOString() : undefined,
    online: stations.registry.isOnline(s),
    nowPlaying: live.nowPlaying,
    present: live.present,
  };
}

export type StationView = Awaited<ReturnType<typeof stationView>>;

export const briefView = async (stations: Stations, s: StationEntry) => ({ id: s.id, name: s.name, type: s.type, unitName: await stations.registry.unitName(s.unitId) });

/** Every station the actor may see as a searchable row (the view plus its township and monitor flag). */
export async function stationRows(stations: Stations, actor: UserDoc, now = Date.now()): Promise<(StationRow & { view: StationView; current?: ReturnType<Stations['timetable']['view']> })[]> {
  const { registry, attendance, timetable } = stations;
  const units = await registry.units();
  const out = [];
  for (const s of await registry.visibleTo(actor)) {
    const view = await stationView(stations, s);
    const current = attendance.liveOf(s.id, now).current;
    const running = Boolean(current && current.startAt <= now && now <= current.endAt);
    out.push({
      id: s.id,
      name: s.name,
      type: s.type,
      unitName: view.unitName,
      address: s.address,
      townshipId: townshipOf(s.unitId, units.get(s.unitId)?.ancestors),
      online: view.online,
      playing: Boolean(view.nowPlaying),
      flagged: running && !s.disabled && !view.online,
      view,
      ...(current ? { current: timetable.view(current) } : {}),
    });
  }
  return out;
}

/** The townships the rows fall in, with their names and station counts (for the filter select). */
export async function townships(stations: Stations, rows: readonly Pick<StationRow, 'townshipId'>[]) {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.townshipId) counts.set(r.townshipId, (counts.get(r.townshipId) ?? 0) + 1);
  const out = [];
  for (const [id, count] of counts) out.push({ id, name: await stations.registry.unitName(id), count });
  return out.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
}
