/**
 * Watch-time heartbeats (学时心跳): what the player tells the server while a lecture plays, and
 * when. The server credits the span between two consecutive beats of a playback only when the
 * first of them said "playing and visible", the closing one is not a seek, and the media advanced
 * no faster than wall time allows; so the client's job is to close every span at the right
 * moment with an honest position:
 *
 * - `play`, `pause`, `end`, `hide`, `show` and `seek` go out at once (they open or close a span);
 * - while playing, a `tick` every `heartbeatSec` (the server's number, default 15); ticks are sent
 *   `beatsPerRequest` at a time (the server's number: 4 makes a request a minute), any other beat
 *   takes the ticks waiting with it (study-session.svelte.ts);
 * - a seek while playing first closes the span at the position before the jump (a `tick` there),
 *   then reports the jump (`seek`, which earns nothing), so the part watched before it counts;
 * - a rate change while playing closes the span too, so each span has one rate;
 * - leaving the page sends `unload` by `navigator.sendBeacon`, else a keepalive fetch (see
 *   beat-channel.ts), even when nothing was played: it gives back the counting place the playback
 *   took when opened.
 *
 * `clientAt` is this PC's clock when the beat is made (a beat sent hours later, after an outage,
 * still says when it happened); it may be wrong, and the server estimates each playback's clock
 * offset itself, so nothing on the client corrects it.
 *
 * Sequence numbers start at 1 for each playback and are never reused: the server drops any beat
 * whose seq it has seen, so a retried or duplicated batch never earns twice. No I/O here.
 */

export type BeatEvent = 'tick' | 'play' | 'pause' | 'seek' | 'end' | 'hide' | 'show' | 'unload';

export interface Beat {
  playbackId: string;
  /** 1, 2, 3… per playback, never reused. */
  seq: number;
  /** Media position, seconds. */
  position: number;
  /** playbackRate */
  rate: number;
  playing: boolean;
  /** document.visibilityState === 'visible' */
  visible: boolean;
  event: BeatEvent;
  /** Date.now() when the beat was made. */
  clientAt: number;
}

/** What the player shows at one moment. */
export interface MediaSnapshot {
  position: number;
  rate: number;
  /** Not paused and not ended. */
  playing: boolean;
  visible: boolean;
}

/** Media and page events the player feeds in (the DOM's names, roughly). */
export type MediaEvent =
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'ended'; duration?: number }
  | { type: 'seeking' }
  | { type: 'ratechange' }
  | { type: 'visibility' }
  | { type: 'unload' };

export const DEFAULT_HEARTBEAT_SEC = 15;
/** A seek closes the running span with a tick only when the position moved this much since the last beat. */
const MIN_SPAN_ADVANCE_SEC = 0.25;

/** Seconds between ticks: the server's value, kept within 1..300 (default 15). */
export function heartbeatIntervalSec(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.min(300, value) : DEFAULT_HEARTBEAT_SEC;
}

/** Ticks sent together: the server's value, kept within 1..8 (1 when an older server does not say). */
export function beatsPerRequestOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.min(8, Math.floor(value)) : 1;
}

/** How a beat leaves the page: at once with fetch, or with sendBeacon because the page is going away. */
export function deliveryFor(event: BeatEvent): 'send' | 'beacon' {
  return event === 'unload' ? 'beacon' : 'send';
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * One playback's beat sequence. Feed it media events (`event`) and call `due` about once a second;
 * both return the beats to put in the outbox, in order.
 */
export class HeartbeatScheduler {
  readonly playbackId: string;
  readonly intervalMs: number;
  #seq = 0;
  #lastBeatAt = Number.NEGATIVE_INFINITY;
  #lastBeatPosition = 0;
  #playing = false;
  #visible = true;
  #rate = 1;
  /** Last position seen by `observe` (timeupdate), i.e. where the viewer was before a seek. */
  #observed = 0;
  #ended = false;

  /**
   * `startSeq`: the sequence continues above it. A playback that outlives its page (a kiosk
   * restarted mid-session keeps its station playback) starts above the beats of the page before.
   */
  constructor(playbackId: string, options: { heartbeatSec?: number; startSeq?: number } = {}) {
    this.playbackId = playbackId;
    this.intervalMs = heartbeatIntervalSec(options.heartbeatSec) * 1000;
    this.#seq = Math.max(0, Math.floor(options.startSeq ?? 0));
  }

  /** Beats made so far (the last seq). */
  get seq(): number {
    return this.#seq;
  }

  /** Whether the server was told the media is playing (the span now open earns). */
  get playing(): boolean {
    return this.#playing;
  }

  /** Whether any beat went out: before the first play there is nothing to close or report. */
  get started(): boolean {
    return this.#seq > 0;
  }

  /** Records the position shown now (call on timeupdate), so a later seek knows where it came from. */
  observe(position: number): void {
    if (Number.isFinite(position)) this.#observed = position;
  }

  event(event: MediaEvent, snap: MediaSnapshot, now: number): Beat[] {
    if (this.#ended && event.type !== 'play') return [];
    switch (event.type) {
      case 'play':
        if (this.#playing) return [];
        this.#ended = false;
        return [this.#beat('play', { ...snap, playing: true }, now)];
      case 'pause':
        if (!this.#playing) return [];
        return [this.#beat('pause', { ...snap, playing: false }, now)];
      case 'ended': {
        if (!this.started) return [];
        const position = event.duration !== undefined && Number.isFinite(event.duration) && event.duration > 0 ? Math.max(snap.position, event.duration) : snap.position;
        const beat = this.#beat('end', { ...snap, position, playing: false }, now);
        this.#ended = true;
        return [beat];
      }
      case 'seeking': {
        if (!this.started) {
          this.#observed = snap.position;
          return [];
        }
        const out: Beat[] = [];
        const from = this.#observed;
        if (this.#playing && from - this.#lastBeatPosition >= MIN_SPAN_ADVANCE_SEC) {
          out.push(this.#beat('tick', { ...snap, position: from, rate: this.#rate, playing: true }, now));
        }
        out.push(this.#beat('seek', snap, now));
        this.#observed = snap.position;
        return out;
      }
      case 'ratechange':
        if (!this.#playing || snap.rate === this.#rate) {
          this.#rate = snap.rate;
          return [];
        }
        return [this.#beat('tick', snap, now)];
      case 'visibility':
        if (!this.started || snap.visible === this.#visible) {
          this.#visible = snap.visible;
          return [];
        }
        return [this.#beat(snap.visible ? 'show' : 'hide', snap, now)];
      case 'unload':
        // Also before any play: opening a playback took the user's counting place, and leaving
        // must give it back at once (a reload would otherwise not count for a while).
        this.#ended = true;
        return [this.#beat('unload', { ...snap, playing: false }, now)];
    }
  }

  /** A tick when one is due: playing, and `heartbeatSec` since the last beat. */
  due(snap: MediaSnapshot, now: number): Beat[] {
    if (!this.#playing || this.#ended || now - this.#lastBeatAt < this.intervalMs) return [];
    return [this.#beat('tick', { ...snap, playing: true }, now)];
  }

  /** Milliseconds until the next tick is due (Infinity when none will be). */
  msUntilDue(now: number): number {
    if (!this.#playing || this.#ended) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.#lastBeatAt + this.intervalMs - now);
  }

  #beat(event: BeatEvent, snap: MediaSnapshot, now: number): Beat {
    this.#seq += 1;
    this.#lastBeatAt = now;
    this.#lastBeatPosition = snap.position;
    this.#playing = snap.playing;
    this.#visible = snap.visible;
    this.#rate = snap.rate;
    if (event !== 'seek') this.#observed = snap.position;
    return {
      playbackId: this.playbackId,
      seq: this.#seq,
      position: round3(Math.max(0, snap.position)),
      rate: snap.rate,
      playing: snap.playing,
      visible: snap.visible,
      event,
      clientAt: now,
    };
  }
}
