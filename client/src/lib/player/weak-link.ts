/**
 * Weak village links (弱网): when the player should leave video for the ladder's audio-only rung
 * and when it may come back. Pure, so every rule has a unit test; link-monitor.svelte.ts feeds it.
 *
 * The link is measured from the segments hls.js loads (the same stats its ABR reads), in two
 * parts kept apart: the transfer rate once bytes flow, and the wait for the first byte. A 300
 * kbit/s link with 400 ms latency moves a 4 s 360p segment (~950 kbit/s declared) in ~13 s:
 * what a segment of `segmentSec` can carry in real time is rate × (segmentSec − latency) /
 * segmentSec (`usableBps`). The estimate survives hls.js instances (a new one starts from a
 * default guess), so the audio rung's small segments keep measuring the same link.
 *
 * Rules, with a wide band between them so the player does not flap:
 * - weak: the usable bandwidth is below the lowest video rung's declared bitrate (once the
 *   measure is reliable: two segments, or three seconds of transfer), or the picture stalled
 *   twice within a minute, or one stall has lasted STALL_LONG_MS, while the link is not strong.
 * - strong: usable ≥ STRONG_RATIO × the lowest rung and no stall for a minute.
 * - Weak on video: switch to audio by itself only when the viewer left quality on 自动 and has
 *   not asked for video back on this page; otherwise suggest it (one button).
 * - Audio that the player chose: back to video after MIN_AUDIO_MS (doubled for every automatic
 *   return that failed: weak again within FAILED_RETURN_MS) once the link has been strong for
 *   STRONG_HOLD_MS; after MAX_AUTO_RETURNS failed returns it only says the link looks better.
 * - Audio the viewer chose (仅音频 · 省流量) is never left by itself.
 */

export const WEAK_RATIO = 1;
export const STRONG_RATIO = 1.5;
export const RELIABLE_SAMPLES = 2;
export const RELIABLE_TRANSFER_MS = 3000;
export const STALL_WINDOW_MS = 60_000;
export const STALLS_WEAK = 2;
export const STALL_LONG_MS = 10_000;
export const MIN_AUDIO_MS = 60_000;
export const STRONG_HOLD_MS = 20_000;
export const FAILED_RETURN_MS = 120_000;
export const MAX_AUTO_RETURNS = 2;
/** Weight of a new segment in the running estimate. */
const EWMA_WEIGHT = 0.4;

export interface SegmentSample {
  bytes: number;
  /** Request sent → first byte (ms). */
  firstByteMs: number;
  /** First byte → last byte (ms). */
  transferMs: number;
  /** Media seconds in the segment. */
  segmentSec: number;
}

export interface LinkEstimate {
  /** Transfer rate once bytes flow (bits/s). */
  rateBps: number;
  latencyMs: number;
  segmentSec: number;
  samples: number;
  transferMs: number;
}

export const NO_ESTIMATE: LinkEstimate = { rateBps: 0, latencyMs: 0, segmentSec: 4, samples: 0, transferMs: 0 };

/** The estimate with one more segment (tiny or instant loads, e.g. from cache, are ignored). */
export function addSample(estimate: LinkEstimate, sample: SegmentSample): LinkEstimate {
  if (!(sample.bytes >= 4096) || !(sample.transferMs > 0) || !(sample.segmentSec > 0)) return estimate;
  const rate = Math.min(1e9, (sample.bytes * 8 * 1000) / sample.transferMs);
  const latency = Math.max(0, sample.firstByteMs);
  const first = estimate.samples === 0;
  const mix = (old: number, value: number) => (first ? value : old + EWMA_WEIGHT * (value - old));
  return {
    rateBps: mix(estimate.rateBps, rate),
    latencyMs: mix(estimate.latencyMs, latency),
    segmentSec: mix(estimate.segmentSec, sample.segmentSec),
    samples: estimate.samples + 1,
    transferMs: estimate.transferMs + sample.transferMs,
  };
}

/** What the link carries in real time in segments of `segmentSec` (bits/s), 0 when unknown. */
export function usableBps(estimate: LinkEstimate): number {
  if (estimate.samples === 0) return 0;
  const seg = Math.max(1, estimate.segmentSec);
  return Math.max(0, (estimate.rateBps * (seg - Math.min(seg, estimate.latencyMs / 1000))) / seg);
}

export function isReliable(estimate: LinkEstimate): boolean {
  return estimate.samples >= RELIABLE_SAMPLES || estimate.transferMs >= RELIABLE_TRANSFER_MS;
}

/** A rebuffering while the viewer wanted playback: from `start` to `end` (null: still waiting). */
export interface Stall {
  start: number;
  end: number | null;
}

export type LinkVerdict = 'unknown' | 'weak' | 'fair' | 'strong';

export interface LinkObservation {
  now: number;
  estimate: LinkEstimate;
  /** Declared bitrate of the lowest video rung (bits/s); 0 when there is no video rung. */
  lowestVideoBps: number;
  stalls: readonly Stall[];
}

export function verdictOf(obs: LinkObservation): LinkVerdict {
  if (!(obs.lowestVideoBps > 0)) return 'unknown';
  const recent = obs.stalls.filter((s) => (s.end ?? obs.now) >= obs.now - STALL_WINDOW_MS);
  const ongoing = obs.stalls.find((s) => s.end === null);
  const reliable = isReliable(obs.estimate);
  const usable = usableBps(obs.estimate);
  const strong = reliable && usable >= obs.lowestVideoBps * STRONG_RATIO;
  if (strong && recent.length === 0) return 'strong';
  if (reliable && usable < obs.lowestVideoBps * WEAK_RATIO) return 'weak';
  if (!strong && (recent.length >= STALLS_WEAK || (ongoing && obs.now - ongoing.start >= STALL_LONG_MS))) return 'weak';
  return reliable ? 'fair' : 'unknown';
}

/** video; audio the player chose (auto); audio the viewer chose (manual). */
export type LinkMode = 'video' | 'audio-auto' | 'audio-manual';

export interface WeakLinkState {
  mode: LinkMode;
  /** The player may switch to audio by itself (false once the viewer asked for video back). */
  autoSwitch: boolean;
  /** Entered the current audio mode at (ms). */
  audioSince: number | null;
  /** The link has been strong since (ms). */
  strongSince: number | null;
  /** Automatic returns to video that ended weak again. */
  failedReturns: number;
  lastAutoReturnAt: number | null;
}

export const INITIAL_STATE: WeakLinkState = { mode: 'video', autoSwitch: true, audioSince: null, strongSince: null, failedReturns: 0, lastAutoReturnAt: null };

export interface LinkContext {
  /** The ladder has an audio-only rung the player can load. */
  hasAudio: boolean;
  /** Quality is 自动 (a viewer-picked level is not overridden). */
  autoQuality: boolean;
}

/** What the player should do now: switch, or show a suggestion (none when nothing). */
export type LinkAction = 'none' | 'to-audio' | 'to-video' | 'suggest-audio' | 'suggest-video';

export interface LinkDecision {
  state: WeakLinkState;
  verdict: LinkVerdict;
  action: LinkAction;
}

export function minAudioMs(failedReturns: number): number {
  return MIN_AUDIO_MS * 2 ** Math.max(0, failedReturns);
}

export function decide(state: WeakLinkState, obs: LinkObservation, ctx: LinkContext): LinkDecision {
  const verdict = verdictOf(obs);
  const strongSince = verdict === 'strong' ? (state.strongSince ?? obs.now) : null;
  const next: WeakLinkState = { ...state, strongSince };
  if (state.mode === 'video') {
    if (verdict !== 'weak' || !ctx.hasAudio) return { state: next, verdict, action: 'none' };
    if (!state.autoSwitch || !ctx.autoQuality) return { state: next, verdict, action: 'suggest-audio' };
    const failedReturn = state.lastAutoReturnAt !== null && obs.now - state.lastAutoReturnAt <= FAILED_RETURN_MS;
    return {
      state: { ...next, mode: 'audio-auto', audioSince: obs.now, failedReturns: state.failedReturns + (failedReturn ? 1 : 0), lastAutoReturnAt: null },
      verdict,
      action: 'to-audio',
    };
  }
  if (state.mode === 'audio-manual' || verdict !== 'strong') return { state: next, verdict, action: 'none' };
  const dwelt = state.audioSince !== null && obs.now - state.audioSince >= minAudioMs(state.failedReturns);
  const held = strongSince !== null && obs.now - strongSince >= STRONG_HOLD_MS;
  if (!dwelt || !held) return { state: next, verdict, action: 'none' };
  if (state.failedReturns >= MAX_AUTO_RETURNS) return { state: next, verdict, action: 'suggest-video' };
  return { state: { ...next, mode: 'video', audioSince: null, lastAutoReturnAt: obs.now }, verdict, action: 'to-video' };
}

/** The viewer picked 仅音频 (省流量) in the menu or the suggestion. */
export function chooseAudio(state: WeakLinkState, now: number): WeakLinkState {
  return { ...state, mode: 'audio-manual', audioSince: now, lastAutoReturnAt: null };
}

/** The viewer asked for video (恢复视频, or a level in the menu): no automatic switch on this page. */
export function chooseVideo(state: WeakLinkState): WeakLinkState {
  return { ...state, mode: 'video', audioSince: null, autoSwitch: false, lastAutoReturnAt: null };
}

/** Seconds buffered ahead of `position` in the media's buffered ranges. */
export function bufferedAhead(ranges: readonly { start: number; end: number }[], position: number): number {
  const range = ranges.find((r) => r.start <= position + 0.3 && r.end > position);
  return range ? Math.max(0, range.end - position) : 0;
}

/** Stalls still worth remembering (the window of the rules). */
export function pruneStalls(stalls: readonly Stall[], now: number): Stall[] {
  return stalls.filter((s) => s.end === null || s.end >= now - STALL_WINDOW_MS);
}
