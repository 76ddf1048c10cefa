/**
 * What becomes of the bookings (课表预约) of a lecture when the lecture changes; pure, unit-tested.
 * - Withdrawn (下架): every booking not over yet is cancelled (its stations do not wait for it).
 *   Published again: the bookings cancelled for that reason and not over come back.
 * - A live lecture ended (直播结束) more than END_GRACE_MS before a booking's end: the booking is
 *   marked ended at that moment (also one that had not started), so kiosks stop waiting for it.
 * - A cancelled booking holds no station (no conflict); an ended one only until it ended.
 */
export type BookingStatus = 'scheduled' | 'cancelled' | 'ended';
export type BookingReason = 'withdrawn' | 'live-ended';

export interface Booking {
  id: string;
  startAt: number;
  endAt: number;
  status: BookingStatus;
  statusReason?: BookingReason;
  statusAt?: number;
}

export interface LectureFacts {
  state: string;
  kind: string;
  liveState?: string;
  endedAt?: number;
}

export interface BookingChange {
  id: string;
  status: BookingStatus;
  statusReason?: BookingReason;
  statusAt?: number;
}

/** A live lecture that ends this close to the booked end has not ended early. */
export const END_GRACE_MS = 60_000;

export function bookingChanges(bookings: readonly Booking[], l: LectureFacts, now: number): BookingChange[] {
  const out: BookingChange[] = [];
  for (const b of bookings) {
    if (l.state === 'withdrawn') {
      if (b.status === 'scheduled' && b.endAt > now) out.push({ id: b.id, status: 'cancelled', statusReason: 'withdrawn', statusAt: now });
      continue;
    }
    if (b.status === 'cancelled' && b.statusReason === 'withdrawn' && l.state === 'published' && b.endAt > now) {
      out.push({ id: b.id, status: 'scheduled' });
      continue;
    }
    if (l.kind === 'live' && l.liveState === 'ended' && l.endedAt !== undefined && b.status === 'scheduled' && b.endAt > l.endedAt + END_GRACE_MS) {
      out.push({ id: b.id, status: 'ended', statusReason: 'live-ended', statusAt: l.endedAt });
    }
  }
  return out;
}

/** The span a booking holds its stations: none when cancelled, up to its end when ended early. */
export function heldSpan<T extends Booking>(b: T): T | null {
  if (b.status === 'cancelled') return null;
  if (b.status === 'ended' && b.statusAt !== undefined) return b.statusAt <= b.startAt ? null : { ...b, endAt: Math.min(b.endAt, b.statusAt) };
  return b;
}
