/**
 * What a heartbeat earns. A playback session sends beats with a sequence number, the media
 * position, the rate, and whether it is playing and visible. The span between two consecutive
 * beats is credited only when all of these hold (per-lecture policy, sane defaults):
 * - the beat is new (seq above the last one: duplicates and replays earn nothing);
 * - the session is the user's counting session (one at a time);
 * - the player was playing and visible during the span (state at the span's start, and the
 *   closing beat is not a seek);
 * - the media advanced no faster than wall time x maxRate + tolerance (client clock deltas, never
 *   more in total than server time since the session opened: late offline batches still count);
 * - on a required lecture, the span does not start beyond the watched frontier (no skipping);
 * - no attention check of the session is overdue (lectures that enable them: a prompt at a random
 *   moment that must be answered in time, otherwise counting pauses until it is);
 * - the media for the span was actually delivered to this session (served HLS segments, or SFU
 *   bytes for live): only the delivered part is credited.
 * The wall time credited is at most the span's wall time, so 2x playback covers the lecture but
 * earns time at the real rate.
 */
import { clip, intersect, type Interval } from './intervals';

export interface WatchPolicy {
  /** Highest playback rate that still counts. */
  maxRate: number;
  /** Seconds of slack on each span (timer jitter, buffering). */
  toleranceSec: number;
  /** Required lectures: refuse credit for spans beyond the watched frontier (seconds of slack). */
  frontierSlackSec: number;
  /** Fraction of the duration that completes a lecture. */
  completionThreshold: number;
  /** A counting session with no beat for this long gives up its place. */
  staleSessionSec: number;
  /** A span longer than this (seconds of wall time) is not credited (a lost connection, a sleeping laptop). */
  maxSpanSec: number;
}

export const defaultWatchPolicy: WatchPolicy = {
  maxRate: 2,
  toleranceSec: 3,
  frontierSlackSec: 5,
  completionThreshold: 0.9,
  staleSessionSec: 45,
  maxSpanSec: 120,
};

export type BeatEvent = 'tick' | 'play' | 'pause' | 'seek' | 'end' | 'hide' | 'show' | 'unload';

export interface Beat {
  seq: number;
  position: number;
  rate: number;
  playing: boolean;
  visible: boolean;
  event: BeatEvent;
  clientAt: number;
}

export interface SessionState {
  lastSeq: number;
  lastPosition: number;
  lastClientAt: number | null;
  playing: boolean;
  visible: boolean;
  /** Server time the session was opened (ms). */
  openedAt: number;
  /** Sum of client-clock spans accepted so far (ms), bounded by server time since openedAt. */
  clientElapsedMs: number;
}

export type Flag = 'duplicate' | 'out-of-order' | 'too-fast' | 'clock-ahead' | 'beyond-frontier' | 'not-delivered' | 'not-counting' | 'hidden' | 'rate-too-high' | 'long-gap' | 'attention-missed';

export interface Decision {
  duplicate: boolean;
  /** Media interval credited (already intersected with delivery), or null. */
  credit: Interval | null;
  creditIntervals: Interval[];
  /** Wall seconds credited with it. */
  wallSec: number;
  next: SessionState;
  flags: Flag[];
}

export interface DecideContext {
  nowMs: number;
  policy: WatchPolicy;
  durationSec: number;
  required: boolean;
  /** Watched frontier of this user for this lecture before the beat. */
  frontier: number;
  /** Media time ranges delivered to this session. */
  delivered: readonly Interval[];
  counting: boolean;
  /** Live lectures: positions are on the live timeline and there is no frontier rule. */
  live?: boolean;
  /** An attention check is overdue (or was answered late and this span is the one it covered). */
  attentionPaused?: boolean;
}

export function openSession(nowMs: number): SessionState {
  return { lastSeq: 0, lastPosition: 0, lastClientAt: null, playing: false, visible: true, openedAt: nowMs, clientElapsedMs: 0 };
}

export function decide(state: SessionState, beat: Beat, ctx: DecideContext): Decision {
  const { policy } = ctx;
  if (beat.seq <= state.lastSeq) {
    return { duplicate: true, credit: null, creditIntervals: [], wallSec: 0, next: state, flags: ['duplicate'] };
  }
  const flags: Flag[] = [];
  const clientAt = Math.min(beat.clientAt, ctx.nowMs + 5_000);
  if (beat.clientAt > ctx.nowMs + 5_000) flags.push('clock-ahead');
  let spanMs = state.lastClientAt === null ? 0 : clientAt - state.lastClientAt;
  if (spanMs < 0) {
    flags.push('out-of-order');
    spanMs = 0;
  }
  // The client's clock can be wrong or forged: its spans may never add up to more than the
  // server's own time since the session opened (plus the tolerance).
  const serverBudgetMs = ctx.nowMs - state.openedAt + policy.toleranceSec * 1000 - state.clientElapsedMs;
  spanMs = Math.max(0, Math.min(spanMs, serverBudgetMs));
  const spanSec = spanMs / 1000;

  const next: SessionState = {
    ...state,
    lastSeq: beat.seq,
    lastPosition: beat.position,
    lastClientAt: clientAt,
    playing: beat.playing && beat.event !== 'end' && beat.event !== 'unload' && beat.event !== 'pause',
    visible: beat.visible,
    clientElapsedMs: state.clientElapsedMs + spanMs,
  };
  const none = (...f: Flag[]): Decision => ({ duplicate: false, credit: null, creditIntervals: [], wallSec: 0, next, flags: [...flags, ...f] });

  if (state.lastClientAt === null) return none();
  if (!ctx.counting) return none('not-counting');
  if (!state.playing) return none();
  if (!state.visible) return none('hidden');
  if (ctx.attentionPaused) return none('attention-missed');
  if (beat.event === 'seek') return none();
  if (beat.rate > policy.maxRate + 1e-9) return none('rate-too-high');
  if (spanSec > policy.maxSpanSec) return none('long-gap');
  const from = state.lastPosition;
  const to = beat.position;
  const advance = to - from;
  if (advance <= 0) return none();
  if (advance > spanSec * policy.maxRate + policy.toleranceSec) return none('too-fast');
  if (ctx.required && !ctx.live && from > ctx.frontier + policy.frontierSlackSec) return none('beyond-frontier');
  const span = clip([[from, to]], 0, ctx.durationSec > 0 ? ctx.durationSec : Number.POSITIVE_INFINITY);
  const credited = intersect(span, ctx.delivered);
  if (!credited.length) return none('not-delivered');
  const creditedLen = credited.reduce((s, [a, b]) => s + (b - a), 0);
  if (creditedLen < advance - 1e-6) flags.push('not-delivered');
  // Wall time earned: the real time spent, pro rata to the part of the span that is credited.
  const wallSec = spanSec * (creditedLen / advance);
  return { duplicate: false, credit: credited[0]!, creditIntervals: credited, wallSec, next, flags };
}
