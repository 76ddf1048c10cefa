/**
 * Health of a viewer's WebRTC path in a live lecture, and which picture to show: the real-time
 * WebRTC one or the live HLS output (普通直播, a few seconds behind). Pure: the live room feeds
 * one sample a second (inbound counters of its receive transport, transport and socket state),
 * this decides; no I/O, no timers.
 *
 * Rules:
 * - Progress is a rise of the decoded video frames or of the received bytes since the previous
 *   sample of the same WebRTC attempt. A new attempt (transport and consumers set up again)
 *   starts its counters from zero, so its first sample is only a baseline.
 * - Nothing is judged while nothing is expected (the room is not live, or the lecturer sends
 *   nothing unpaused): a paused camera is not a stall, and not a proof of flow either.
 * - Leaving WebRTC is quick: no progress for `stallMs` while media is expected, the transport
 *   failed (or the attempt threw), or the signalling socket dropped. A first attempt gets
 *   `startMs` to show its first frames.
 * - Coming back is slow (hysteresis): progress without a gap over `gapMs` for `recoverMs`,
 *   and progress in the sample that switches ('recovering' meanwhile). One bad second sends it back to 'fallback'.
 * - In 'fallback' WebRTC is retried in the background: an attempt that shows no progress for
 *   `attemptMs` is due for a new one after a backoff (`backoffMs`, doubling up to its cap). A
 *   path that stalled may also just resume (the media servers woke up): that counts as well.
 */

export type PathState = 'connecting' | 'webrtc' | 'fallback' | 'recovering';

export interface PathSample {
  /** ms (Date.now()). */
  at: number;
  /** The WebRTC set-up this sample belongs to; a new number resets the counters. */
  attempt: number;
  /** The room is live and another peer sends unpaused media this page should receive. */
  expected: boolean;
  /** Sum of framesDecoded over the inbound video streams. */
  frames: number;
  /** Sum of bytesReceived over the inbound streams. */
  bytes: number;
  /** The receive transport failed, or setting the attempt up threw. */
  failed: boolean;
  /** The signalling socket is connected. */
  signalling: boolean;
}

export interface PathHealth {
  state: PathState;
  attempt: number;
  attemptAt: number;
  frames: number;
  bytes: number;
  lastProgressAt: number;
  /** Since when progress has been continuous; null when it is not flowing. */
  flowingSince: number | null;
  /** Failed background attempts in a row (drives the backoff). */
  failures: number;
  /** When the next background attempt is due; null when none is scheduled. */
  retryAt: number | null;
}

export const PATH_TIMING = {
  stallMs: 3_500,
  startMs: 8_000,
  recoverMs: 4_000,
  gapMs: 2_500,
  attemptMs: 8_000,
  backoffMs: { base: 1_000, max: 8_000 },
};
export type PathTiming = typeof PATH_TIMING;

export function initialHealth(at: number, attempt = 0): PathHealth {
  return { state: 'connecting', attempt, attemptAt: at, frames: 0, bytes: 0, lastProgressAt: at, flowingSince: null, failures: 0, retryAt: null };
}

/** Wait before background attempt number `failures + 1`. */
export function retryDelay(failures: number, timing: PathTiming = PATH_TIMING): number {
  return Math.min(timing.backoffMs.base * 2 ** Math.max(0, failures), timing.backoffMs.max);
}

/** Which picture a state shows. */
export function shownPath(state: PathState): 'webrtc' | 'hls' {
  return state === 'fallback' || state === 'recovering' ? 'hls' : 'webrtc';
}

/** A background WebRTC attempt should start now. */
export function retryDue(h: PathHealth, at: number): boolean {
  return h.retryAt !== null && at >= h.retryAt;
}

export function nextHealth(h: PathHealth, s: PathSample, timing: PathTiming = PATH_TIMING): PathHealth {
  const fresh = s.attempt !== h.attempt;
  const progress = !fresh && (s.frames > h.frames || s.bytes > h.bytes);
  const n: PathHealth = { ...h, attempt: s.attempt, frames: s.frames, bytes: s.bytes };
  if (fresh) {
    n.attemptAt = s.at;
    n.retryAt = null;
    n.flowingSince = null;
    n.lastProgressAt = s.at;
  }
  if (progress) {
    n.flowingSince = h.flowingSince !== null && s.at - h.lastProgressAt <= timing.gapMs ? h.flowingSince : s.at;
    n.lastProgressAt = s.at;
  } else {
    // Flow is only ever proven by progress; nothing expected proves nothing.
    if (!s.expected || s.at - n.lastProgressAt > timing.gapMs) n.flowingSince = null;
    // Nothing to judge: the clock of a stall starts when media is expected again.
    if (!s.expected) n.lastProgressAt = s.at;
  }
  const broken = s.failed || !s.signalling;
  const stalled = s.expected && s.at - n.lastProgressAt >= timing.stallMs;

  switch (h.state) {
    case 'connecting': {
      if (progress) return { ...n, state: 'webrtc', failures: 0 };
      const late = s.expected && s.at - n.attemptAt >= timing.startMs;
      return broken || late ? fallBack(n) : n;
    }
    case 'webrtc':
      return broken || stalled ? fallBack(n) : n;
    case 'fallback':
    case 'recovering': {
      if (broken || n.flowingSince === null) return scheduleRetry({ ...n, state: 'fallback' }, s, timing);
      // The switch itself needs frames in this very sample: never back to WebRTC on a dry second.
      if (progress && s.at - n.flowingSince >= timing.recoverMs) return { ...n, state: 'webrtc', failures: 0, retryAt: null };
      return { ...n, state: 'recovering' };
    }
  }
}

/** To the live HLS. The attempt in place may still come back by itself (scheduleRetry waits). */
function fallBack(n: PathHealth): PathHealth {
  return { ...n, state: 'fallback', flowingSince: null, retryAt: null };
}

function scheduleRetry(n: PathHealth, s: PathSample, timing: PathTiming): PathHealth {
  // While the socket is down its reconnection sets everything up again: nothing to schedule.
  if (!s.signalling || n.retryAt !== null) return n;
  const idleSince = Math.max(n.attemptAt, n.lastProgressAt);
  if (!s.failed && s.at - idleSince < timing.attemptMs) return n;
  return { ...n, retryAt: s.at + retryDelay(n.failures, timing), failures: n.failures + 1 };
}
