/**
 * "已学 x%" between two server answers (学时 progress estimate). The server confirms progress only
 * when it answers a heartbeat request (a playing page's every minute by default: four 15-s ticks
 * a request); in between, the page adds what it saw
 * played since the last confirmation, so the figure moves with the lecture. Pure.
 *
 * The estimate must not promise what the server will not confirm:
 * - only media played while this page is counting and the picture moves, at most 1× wall time
 *   (the server bounds the media advance by wall time; it may credit more at 2×, never less at 1×);
 * - only new ground: not what this page already counted, nor the first `confirmed × duration`
 *   seconds (a linear watcher's covered part; the server's own intervals are not sent to pages);
 * - when the server has not moved for STALE_FACTOR answer intervals while the estimate ran ahead (the
 *   ground was covered before, the beats were refused), the estimate falls back to the confirmed
 *   figure and waits for the next confirmed rise;
 * - never 100%: completion is the server's word alone.
 * The page labels the figure as an estimate (约) while it is ahead of the confirmed one.
 */

export const STALE_FACTOR = 2.5;
/** A jump larger than this beyond wall time is a seek, not playback. */
const SEEK_SLACK_SEC = 1.5;
const MAX_ESTIMATE = 0.99;

export interface Span {
  start: number;
  end: number;
}

export interface EstimateState {
  /** The server's progress (0..1). */
  confirmed: number;
  /** New media seconds played since the last confirmed rise. */
  pendingSec: number;
  /** When the first of them was played (ms), null when none. */
  pendingSince: number | null;
  /** Media this page has counted (merged spans). */
  counted: Span[];
  /** The previous observation while playing, null after a pause or a seek. */
  last: { position: number; at: number } | null;
  /** False after the server did not follow: no estimate until it confirms a rise. */
  trusted: boolean;
}

export const INITIAL_ESTIMATE: EstimateState = { confirmed: 0, pendingSec: 0, pendingSince: null, counted: [], last: null, trusted: true };

export interface PlayObservation {
  position: number;
  at: number;
  /** Playing (not paused, not waiting, not seeking). */
  playing: boolean;
  /** The server said this page earns 学时. */
  counting: boolean;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** `spans` with [start, end] added, merged and sorted. */
export function addSpan(spans: readonly Span[], start: number, end: number): Span[] {
  if (!(end > start)) return [...spans];
  const out: Span[] = [];
  let cur = { start, end };
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.end < cur.start || s.start > cur.end) out.push(s);
    else cur = { start: Math.min(s.start, cur.start), end: Math.max(s.end, cur.end) };
  }
  out.push(cur);
  return out.sort((a, b) => a.start - b.start);
}

/** Seconds of [start, end] outside `spans` and outside [0, prefix]. */
export function newGround(spans: readonly Span[], prefix: number, start: number, end: number): number {
  let total = Math.max(0, end - Math.max(start, prefix));
  for (const s of addSpan(spans, 0, 0)) {
    const from = Math.max(s.start, start, prefix);
    const to = Math.min(s.end, end);
    if (to > from) total -= to - from;
  }
  return Math.max(0, total);
}

/** A server answer: a rise replaces the estimate; the same or lower figure changes nothing here. */
export function confirm(state: EstimateState, progress: number): EstimateState {
  const p = clamp01(progress);
  // The same figure again, 0 included (the player looks several times a second, and a lecture
  // starts at 0): the estimate runs on.
  if (p <= state.confirmed) return state;
  return { ...state, confirmed: Math.max(state.confirmed, p), pendingSec: 0, pendingSince: null, trusted: true };
}

/** One look at the <video> (timeupdate or a tick). */
export function observe(state: EstimateState, obs: PlayObservation, durationSec: number, confirmEverySec: number): EstimateState {
  if (!obs.playing || !obs.counting || !(durationSec > 0)) return state.last ? { ...state, last: null } : state;
  let next: EstimateState = { ...state, last: { position: obs.position, at: obs.at } };
  if (next.pendingSince !== null && obs.at - next.pendingSince > STALE_FACTOR * confirmEverySec * 1000) {
    // The server did not follow: stop running ahead until it confirms a rise.
    next = { ...next, pendingSec: 0, pendingSince: null, trusted: false };
  }
  const last = state.last;
  if (!last || !next.trusted) return next;
  const media = obs.position - last.position;
  const wall = (obs.at - last.at) / 1000;
  if (!(media > 0) || !(wall > 0) || media > wall + SEEK_SLACK_SEC) return next;
  const credit = Math.min(media, wall);
  const start = obs.position - credit;
  const fresh = newGround(next.counted, next.confirmed * durationSec, start, obs.position);
  return {
    ...next,
    counted: addSpan(next.counted, start, obs.position),
    pendingSec: next.pendingSec + fresh,
    pendingSince: fresh > 0 ? (next.pendingSince ?? obs.at) : next.pendingSince,
  };
}

/** The figure to show (0..1): the confirmed one plus what is pending, below 100%. */
export function estimated(state: EstimateState, durationSec: number): number {
  if (!state.trusted || !(durationSec > 0) || state.pendingSec <= 0) return state.confirmed;
  return Math.max(state.confirmed, Math.min(MAX_ESTIMATE, state.confirmed + state.pendingSec / durationSec));
}
