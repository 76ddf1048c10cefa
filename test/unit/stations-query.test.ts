/** Searching, filtering and paging the county's stations (station-query.ts), and whose bookings a lecture change marks (booking-status.ts). */
import { describe, expect, it } from 'vitest';
import { bookingChanges, heldSpan, type Booking } from '../../server/modules/stations/booking-status';
import { queryStations, townshipOf, type StationRow } from '../../server/modules/stations/station-query';
import type { StationType } from '../../server/modules/stations/station-rules';

const types: StationType[] = ['agency', 'community', 'township', 'village', 'household'];
const rows: StationRow[] = Array.from({ length: 60 }, (_, i) => ({
  id: (i + 1).toString(16).padStart(24, 'a'),
  name: `站点${String(i).padStart(2, '0')}${i % 2 ? '东升村' : '新立村'}`,
  type: types[i % 5]!,
  unitName: i < 30 ? '苏公坨村党支部' : '开通镇人民政府',
  address: '',
  townshipId: i < 30 ? 'su' : 'kt',
  online: i % 3 === 0,
  playing: i % 6 === 0,
  flagged: i === 59,
}));

describe('queryStations', () => {
  it('pages sorted by name, and a page past the end answers the last one', () => {
    const p1 = queryStations(rows, { pageSize: 25 });
    expect(p1).toMatchObject({ total: 60, page: 1, pages: 3 });
    expect(p1.items.map((r) => r.name)).toEqual(rows.slice(0, 25).map((r) => r.name));
    const p9 = queryStations(rows, { pageSize: 25, page: 9 });
    expect(p9.page).toBe(3);
    expect(p9.items).toHaveLength(10);
    expect(queryStations(rows, {}).items).toHaveLength(60);
    expect(queryStations([], { pageSize: 25 })).toMatchObject({ total: 0, page: 1, pages: 1, items: [] });
  });

  it('searches names and units, and the start of an id', () => {
    expect(queryStations(rows, { q: '东升' }).total).toBe(30);
    expect(queryStations(rows, { q: '开通镇' }).total).toBe(30);
    expect(queryStations(rows, { q: rows[3]!.id.slice(0, 24) }).items.map((r) => r.id)).toEqual([rows[3]!.id]);
    expect(queryStations(rows, { q: '  ' }).total).toBe(60);
  });

  it('filters by township, type and state, counting states before the state filter', () => {
    const r = queryStations(rows, { township: 'su', type: 'agency', state: 'online' });
    const base = rows.filter((x) => x.townshipId === 'su' && x.type === 'agency');
    expect(r.counts).toEqual({ all: base.length, online: base.filter((x) => x.online).length, offline: base.filter((x) => !x.online).length, playing: base.filter((x) => x.playing).length });
    expect(r.items.every((x) => x.online && x.townshipId === 'su' && x.type === 'agency')).toBe(true);
    expect(queryStations(rows, { state: 'playing' }).items.every((x) => x.playing)).toBe(true);
    expect(queryStations(rows, { state: 'offline' }).total).toBe(40);
  });

  it('puts trouble first for the monitor', () => {
    expect(queryStations(rows, { troubleFirst: true, pageSize: 5 }).items[0]!.id).toBe(rows[59]!.id);
  });
});

describe('townshipOf', () => {
  it('is the unit just under the county on the path', () => {
    expect(townshipOf('village', ['county', 'committee'])).toBe('committee');
    expect(townshipOf('committee', ['county'])).toBe('committee');
    expect(townshipOf('county', [])).toBe('county');
    expect(townshipOf('x', undefined)).toBeNull();
  });
});

describe('bookingChanges', () => {
  const now = 1_000_000_000;
  const b = (id: string, startAt: number, endAt: number, extra: Partial<Booking> = {}): Booking => ({ id, startAt, endAt, status: 'scheduled', ...extra });

  it('cancels the bookings not over of a withdrawn lecture, and restores them when it is published again', () => {
    const list = [b('past', now - 7200_000, now - 3600_000), b('on', now - 600_000, now + 600_000), b('next', now + 3600_000, now + 7200_000)];
    const changes = bookingChanges(list, { state: 'withdrawn', kind: 'recorded' }, now);
    expect(changes).toEqual([
      { id: 'on', status: 'cancelled', statusReason: 'withdrawn', statusAt: now },
      { id: 'next', status: 'cancelled', statusReason: 'withdrawn', statusAt: now },
    ]);
    const cancelled = list.map((x) => ({ ...x, ...changes.find((c) => c.id === x.id) }));
    expect(bookingChanges(cancelled, { state: 'published', kind: 'recorded' }, now).map((c) => [c.id, c.status])).toEqual([['on', 'scheduled'], ['next', 'scheduled']]);
  });

  it('marks ended the bookings a live lecture ended before (not those it ended within a minute of)', () => {
    const endedAt = now;
    const list = [b('on', now - 600_000, now + 3000_000), b('later', now + 86_400_000, now + 90_000_000), b('almost', now - 5400_000, now + 30_000)];
    const changes = bookingChanges(list, { state: 'published', kind: 'live', liveState: 'ended', endedAt }, now);
    expect(changes.map((c) => c.id)).toEqual(['on', 'later']);
    expect(changes[0]).toEqual({ id: 'on', status: 'ended', statusReason: 'live-ended', statusAt: endedAt });
    expect(bookingChanges(list, { state: 'published', kind: 'live', liveState: 'live' }, now)).toEqual([]);
  });

  it('holds stations until a booking ended, and not at all when cancelled', () => {
    expect(heldSpan(b('x', 0, 100, { status: 'cancelled' }))).toBeNull();
    expect(heldSpan(b('x', 0, 100, { status: 'ended', statusAt: 40 }))).toMatchObject({ startAt: 0, endAt: 40 });
    expect(heldSpan(b('x', 50, 100, { status: 'ended', statusAt: 40 }))).toBeNull();
    expect(heldSpan(b('x', 0, 100))).toMatchObject({ endAt: 100 });
  });
});
