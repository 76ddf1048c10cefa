/**
 * Delivery evidence from bytes (学时 are earned only for media that reached the viewer). The media
 * routes tell the study engine what a response carried, once it has ended; pure, no I/O.
 *
 * - Where a segment lies. Recorded lectures: `seg_K` of any rendition covers [K·s, (K+1)·s) of
 *   the lecture (s = the ladder's segment length; the last one ends at the lecture's duration).
 *   Live lectures are recorded in parts (`live/<lecture>/<stamp>/part-N/seg_K.ts`), each counting
 *   K from 0; `live.parts` keeps where each part's folder starts on the live timeline (the offset
 *   the player adds to its own time), so `seg_K` of a part covers offset + [K·s, (K+1)·s).
 * - What a response carried: bytes [start, start + n) of a segment file of `size` bytes, mapped
 *   proportionally onto the segment's media time (MPEG-TS at a steady bitrate is close to
 *   linear): a 1-byte Range carries ~nothing, half the file about half the time. n counts only
 *   bytes the server wrote out (send-stored.ts): a HEAD carries nothing, an aborted download
 *   what got out before it stopped.
 * - What the engine is told: a whole segment of a recorded lecture by its index
 *   (`recordDelivery`), anything else as media seconds (`recordDeliveredSpan`); live lectures
 *   always in seconds on the live timeline, since part-local indexes repeat.
 */

/** The lecture fields that place a segment on its timeline. */
export interface TimedLecture {
  kind?: string | null;
  durationSec?: number | null;
  media?: { segmentSec?: number | null } | null;
  live?: { parts?: readonly { prefix?: string | null; offsetSec?: number | null }[] | null } | null;
}

/** A segment's media time; `index` when the engine may take it as a whole segment (recorded lectures). */
export interface SegmentSpan {
  index?: number;
  fromSec: number;
  toSec: number;
}

/** What a response body carried of a file: bytes [start, start + bytes) of `size`. */
export interface Carried {
  start: number;
  bytes: number;
  size: number;
}

export type Delivered = { segment: number } | { fromSec: number; toSec: number };

const SEGMENT = /^(?:(.*)\/)?seg_(\d{1,7})\.(?:ts|m4s|aac)$/;
const DEFAULT_SEGMENT_SEC = 4;

/** True for a storage key (or relative path) that names an HLS media segment. */
export function isSegmentKey(key: string): boolean {
  return SEGMENT.test(key);
}

/** The media time a segment's storage key covers, or null when the key is not a segment. */
export function segmentSpan(key: string, lecture: TimedLecture): SegmentSpan | null {
  const m = SEGMENT.exec(key);
  if (!m) return null;
  const k = Number(m[2]);
  const s = lecture.media?.segmentSec || DEFAULT_SEGMENT_SEC;
  if (lecture.kind === 'live') {
    const dir = m[1] ?? '';
    // A part missing from live.parts (recorded before they were kept) started at the timeline's zero.
    const offset = lecture.live?.parts?.find((p) => p.prefix === dir)?.offsetSec ?? 0;
    return { fromSec: offset + k * s, toSec: offset + (k + 1) * s };
  }
  const from = k * s;
  const duration = lecture.durationSec ?? 0;
  return { index: k, fromSec: from, toSec: duration > from ? Math.min(from + s, duration) : from + s };
}

/** The part of a segment's media time that `carried` bytes stand for; null when they stand for none. */
export function delivered(seg: SegmentSpan, carried: Carried): Delivered | null {
  const { size } = carried;
  if (!(size > 0) || !(carried.bytes > 0)) return null;
  const a = Math.min(Math.max(carried.start, 0), size);
  const b = Math.min(a + carried.bytes, size);
  if (b <= a) return null;
  if (a === 0 && b === size && seg.index !== undefined) return { segment: seg.index };
  const d = seg.toSec - seg.fromSec;
  return { fromSec: seg.fromSec + (d * a) / size, toSec: seg.fromSec + (d * b) / size };
}
