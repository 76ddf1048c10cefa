/**
 * What a heartbeat earns. A playback session sends beats with a sequence number, the media
 * position, the rate, whether it is playing and visible, and the PC's clock reading. The server's
 * clock and the bytes it sent are the only evidence, so:
 *
 * - The PC's clock is never trusted for *when*, only for *how long between two beats*. A session's
 *   spans are laid end to end on the server's timeline from when it opened (its chain), each as
 *   long as the PC says, never past the server's receipt: a session's spans never add up to more
 *   than the server time that passed, however fast the PC's clock runs. What a fast clock claims
 *   beyond that is cut (`clippedMs`) and flagged `clock-fast` once it is more than a lossy link
 *   explains. A constant offset either way (a village PC two hours off) costs nothing and is not
 *   flagged; offline batches land in the gap the server saw, never before the session opened.
 * - The engine then asks the cadre's clock (cadre-clock.ts) for that much server time at or after
 *   the chain's position and before the receipt, not credited to any other session, device,
 *   station or live room of the same cadre: a cadre earns each second of real time once.
 * - For group credit the span is also placed where it really was (`wallFrom`/`wallTo`): the
 *   session's clock offset is estimated as the smallest (receipt - clientAt) seen, so a beat is
 *   never placed after its receipt; learners' presence (server times) is matched against that.
 * - A span earns media only when: the beat is new (seq above the last), the session is the
 *   cadre's counting place, it was playing and visible, no attention check is overdue, it is not
 *   a seek, the rate is at most `maxRate`, the span is not a long gap, the jump is one the span's
 *   time explains (at most maxRate x span + tolerance), on required lectures it does not start
 *   beyond the watched frontier, and the media was delivered to this session (bytes sent).
 * - Media advance is bounded per session, not per beat: in total at most maxRate x the server
 *   time spent playing, plus one tolerance. Beats every 200 ms or +8.9 s every 3 s get no more;
 *   what exceeds is cut and flagged `too-fast` with the seconds refused.
 * - The wall time credited is at most the span's placed time, pro rata to the media credited.
 * Pure functions: the engine applies the results.
 */
import { clip, intersect, type Interval } from './intervals';

export interface WatchPolicy {
  /** Highest playback rate that still counts. */
  maxRate: number;
  /** Seconds of slack: on a span's jump, and once on the session's media budget. */
  toleranceSec: number;
  /** Required lectures: refuse credit for spans beyond the watched frontier (seconds of slack). */
  frontierSlackSec: number;
  /** Fraction of the duration that completes a lecture. */
  completionThreshold: number;
  /** A counting session with no beat for this long gives up its place. */
  staleSessionSec: number;
  /** A span longer than this (seconds between two beats) is not credited (a lost connection, a sleeping laptop). */
  maxSpanSec: number;
  /** Clock time cut from a session before it is flagged as a clock running fast: at least this many seconds ... */
  fastClockMinSec: number;
  /** ... and this fraction of the session's server time. */
  fastClockFraction: number;
}

export const defaultWatchPolicy: WatchPolicy = {
  maxRate: 2,
  toleranceSec: 3,
  frontierSlackSec: 5,
  completionThreshold: 0.9,
  staleSessionSec: 45,
  maxSpanSec: 120,
  fastClockMinSec: 30,
  fastClockFraction: 0.05,
};

/**
 * How long a silent page keeps its counting place: a playing page sends its ticks every
 * heartbeatSec x beatsPerRequest, and a retry on a weak link takes up to half a minute more.
 */
export function staleSessionSecFor(heartbeatSec: number, beatsPerRequest: number): number {
  return Math.max(defaultWatchPolicy.staleSessionSec, heartbeatSec * beatsPerRequest + 30);
}

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
  /** Estimated offset of the PC's clock: the smallest (server receipt - clientAt) seen, ms. */
  offsetMs: number | null;
  /** Server time (ms) where the session's last placed span ended. */
  lastEnd: number;
  /** Server ms placed while playing (the media budget's base). */
  playMs: number;
  /** Media seconds accepted as advance so far. */
  advanceSec: number;
  /** Client-clock ms that could not be placed before the server's receipt (a clock running fast). */
  clippedMs: number;
  /** The session was already flagged for a fast clock. */
  fastFlagged?: boolean;
}

export type Flag =
  | 'duplicate'
  | 'out-of-order'
  | 'too-fast'
  | 'clock-fast'
  | 'beyond-frontier'
  | 'not-delivered'
  | 'not-counting'
  | 'hidden'
  | 'rate-too-high'
  | 'long-gap'
  | 'attention-missed';

/** A flag with the seconds it refused (media or wall seconds, as the flag says). */
export interface FlagHit {
  kind: Flag;
  sec: number;
}

/** One span placed on the server's timeline, with the media it covers. */
export interface PlacedSpan {
  /** Where the span really was (server ms, from the session's clock offset): for learners' presence. */
  wallFrom: number;
  wallTo: number;
  /** The session's chain: the span's length laid after the previous one (server ms). */
  chainFrom: number;
  chainMs: number;
  mediaFrom: number;
  mediaTo: number;
  /** Credited media intervals (within the budget, delivered). */
  intervals: Interval[];
  /** Wall seconds the media earns (before the cadre's clock). */
  wallSec: number;
}

export interface Decision {
  duplicate: boolean;
  /** The span to offer to the cadre's clock, or null. */
  span: PlacedSpan | null;
  next: SessionState;
  flags: FlagHit[];
}

export interface DecideContext {
  /** Server receipt time of the beat (ms). */
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
  /**
   * The newest clientAt of the batch this beat came in: all of a batch is received at once, so
   * its newest beat bounds the offset for every beat in it (an offline batch lands just before
   * its receipt, not squeezed against it).
   */
  batchNewestClientAt?: number;
}

export function openSession(nowMs: number): SessionState {
  return { lastSeq: 0, lastPosition: 0, lastClientAt: null, playing: false, visible: true, openedAt: nowMs, offsetMs: null, lastEnd: nowMs, playMs: 0, advanceSec: 0, clippedMs: 0 };
}

const covered = (list: readonly Interval[]) => list.reduce((s, [a, b]) => s + (b - a), 0);

export function decide(state: SessionState, beat: Beat, ctx: DecideContext): Decision {
  const { policy } = ctx;
  if (beat.seq <= state.lastSeq) return { duplicate: true, span: null, next: state, flags: [] };
  const flags: FlagHit[] = [];
  const offsetMs = Math.min(state.offsetMs ?? Number.POSITIVE_INFINITY, ctx.nowMs - Math.max(beat.clientAt, ctx.batchNewestClientAt ?? beat.clientAt));

  // Lay the span since the previous beat on the session's chain, never past the receipt, and
  // estimate where it really was.
  const chainFrom = Math.max(state.lastEnd, state.openedAt);
  let deltaMs = 0;
  if (state.lastClientAt !== null) {
    deltaMs = beat.clientAt - state.lastClientAt;
    if (deltaMs < 0) {
      flags.push({ kind: 'out-of-order', sec: 0 });
      deltaMs = 0;
    }
  }
  const spanMs = Math.max(0, Math.min(deltaMs, ctx.nowMs - chainFrom));
  const clipped = deltaMs - spanMs;
  const spanSec = spanMs / 1000;
  const at = beat.clientAt + offsetMs; // never later than the receipt
  const wallTo = Math.min(ctx.nowMs, Math.max(state.openedAt, at));
  const wallFrom = Math.max(state.openedAt, wallTo - spanMs);
  const wasPlaying = state.lastClientAt !== null && state.playing && state.visible;

  const next: SessionState = {
    ...state,
    lastSeq: beat.seq,
    lastPosition: beat.position,
    lastClientAt: Math.max(beat.clientAt, state.lastClientAt ?? beat.clientAt),
    playing: beat.playing && beat.event !== 'end' && beat.event !== 'unload' && beat.event !== 'pause',
    visible: beat.visible,
    offsetMs,
    lastEnd: chainFrom + spanMs,
    playMs: state.playMs + (wasPlaying ? spanMs : 0),
    clippedMs: state.clippedMs + Math.max(0, clipped),
  };
  // A clock that runs fast: more cut than a lossy link explains.
  const elapsed = Math.max(0, ctx.nowMs - state.openedAt);
  if (!next.fastFlagged && next.clippedMs > Math.max(policy.fastClockMinSec * 1000, policy.fastClockFraction * elapsed)) {
    next.fastFlagged = true;
    flags.push({ kind: 'clock-fast', sec: next.clippedMs / 1000 });
  }
  const none = (kind?: Flag, sec = 0): Decision => ({ duplicate: false, span: null, next, flags: kind ? [...flags, { kind, sec }] : flags });

  if (state.lastClientAt === null) return none();
  if (!state.playing) return none();
  const advance = beat.position - state.lastPosition;
  const claimed = Math.max(0, Math.min(advance, spanSec * policy.maxRate + policy.toleranceSec));
  if (!ctx.counting) return none('not-counting', spanSec);
  if (!state.visible) return none('hidden', spanSec);
  if (ctx.attentionPaused) return none('attention-missed', spanSec);
  if (beat.event === 'seek') return none();
  if (beat.rate > policy.maxRate + 1e-9) return none('rate-too-high', claimed);
  if (deltaMs / 1000 > policy.maxSpanSec) return none('long-gap');
  if (advance <= 0 || spanMs <= 0) return none();
  // A jump the span's time cannot explain is a seek sent as a tick: nothing of it was watched.
  if (advance > spanSec * policy.maxRate + policy.toleranceSec) return none('too-fast', advance);
  if (ctx.required && !ctx.live && state.lastPosition > ctx.frontier + policy.frontierSlackSec) return none('beyond-frontier', advance);
  // The session's media budget: maxRate x its server time spent playing, plus one tolerance.
  const budget = policy.maxRate * (next.playMs / 1000) + policy.toleranceSec - state.advanceSec;
  const allowed = Math.max(0, Math.min(advance, budget));
  if (allowed < advance - 1e-6) flags.push({ kind: 'too-fast', sec: advance - allowed });
  next.advanceSec = state.advanceSec + allowed;
  if (allowed <= 0) return none();
  const from = state.lastPosition;
  const span = clip([[from, from + allowed]], 0, ctx.durationSec > 0 ? ctx.durationSec : Number.POSITIVE_INFINITY);
  const credited = intersect(span, ctx.delivered);
  const creditedLen = covered(credited);
  if (creditedLen < covered(span) - 1e-6) flags.push({ kind: 'not-delivered', sec: covered(span) - creditedLen });
  if (!credited.length) return none();
  // Wall time earned: the span's placed time, pro rata to the part of the jump that is credited.
  const wallSec = spanSec * Math.min(1, creditedLen / advance);
  return { duplicate: false, span: { wallFrom, wallTo, chainFrom, chainMs: spanMs, mediaFrom: from, mediaTo: beat.position, intervals: credited, wallSec }, next, flags };
}

/**
 * The part of a span earned over some of its wall time: `pieces` (the evidenced presence of a
 * learner, or what the cadre's clock granted) within the window [from, to) that the span's media
 * is laid over — by default where the span really was — mapped linearly onto the media,
 * intersected with what was credited; wall seconds pro rata.
 */
export function shareOfWall(span: PlacedSpan, pieces: readonly Interval[], window: Interval = [span.wallFrom, span.wallTo]): { intervals: Interval[]; wallSec: number } {
  const creditedLen = covered(span.intervals);
  if (!(creditedLen > 0)) return { intervals: [], wallSec: 0 };
  const [from, to] = window;
  const wallLen = to - from;
  if (!(wallLen > 0)) return { intervals: [], wallSec: 0 };
  const rate = (span.mediaTo - span.mediaFrom) / wallLen;
  const at = (t: number) => span.mediaFrom + (t - from) * rate;
  const media = intersect(pieces, [[from, to]]).map(([a, b]) => [at(a), at(b)] as const);
  const intervals = intersect(media, span.intervals);
  const got = covered(intervals);
  if (!(got > 1e-9)) return { intervals: [], wallSec: 0 };
  return { intervals, wallSec: span.wallSec * Math.min(1, got / creditedLen) };
}
