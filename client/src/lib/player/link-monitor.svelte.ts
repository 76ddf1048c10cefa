/**
 * Watches the link under one lecture player (弱网) and acts on weak-link.ts's decisions: measures
 * every segment hls.js loads, remembers stalls (the picture waiting while the viewer wants it to
 * play), and once a second asks `decide()` whether to switch to the audio-only rung, back to
 * video, or to suggest either. The quality menu goes through here too, so a viewer's own choice
 * is known (仅音频 chosen by hand is never left by itself; asking for video back turns the
 * automatic switch off for this page). What it shows: `waiting`/`ahead` for the buffering text,
 * `state.mode`, `suggestion` and the measured `usableKbps` for the notices.
 */
import { AUDIO_VALUE } from './levels.ts';
import type { PlayerController } from './player.svelte.ts';
import {
  INITIAL_STATE,
  NO_ESTIMATE,
  addSample,
  bufferedAhead,
  chooseAudio,
  chooseVideo,
  decide,
  pruneStalls,
  usableBps,
  type LinkEstimate,
  type LinkVerdict,
  type Stall,
  type WeakLinkState,
} from './weak-link.ts';

const TICK_MS = 1000;

export class LinkMonitor {
  estimate = $state<LinkEstimate>(NO_ESTIMATE);
  verdict = $state<LinkVerdict>('unknown');
  state = $state<WeakLinkState>(INITIAL_STATE);
  /** A switch the player suggests but does not make by itself; null when none. */
  suggestion = $state<'audio' | 'video' | null>(null);
  /** The viewer closed the suggestion (until the verdict changes). */
  dismissed = $state(false);
  /** The viewer wants playback and the media is waiting for data. */
  waiting = $state(false);
  /** Seconds buffered ahead of the playhead. */
  ahead = $state(0);
  /** How long the current wait has lasted (s). */
  waitingSec = $state(0);
  /** The last picture before audio only (a JPEG data URL), kept on screen; null when none. */
  frame = $state<string | null>(null);

  readonly #controller: PlayerController;
  #video: HTMLVideoElement | null = null;
  #stalls: Stall[] = [];
  #now: () => number;

  constructor(controller: PlayerController, now: () => number = Date.now) {
    this.#controller = controller;
    this.#now = now;
  }

  /** Usable bandwidth in kbit/s (0 before the first segment). */
  get usableKbps(): number {
    return Math.round(usableBps(this.estimate) / 1000);
  }

  get neededKbps(): number {
    return Math.round(this.#controller.lowestVideoBps / 1000);
  }

  attach(video: HTMLVideoElement): () => void {
    this.#video = video;
    const offSegment = this.#controller.onSegment((sample) => (this.estimate = addSample(this.estimate, sample)));
    const startStall = () => {
      if (video.paused || this.#stalls.some((s) => s.end === null)) return;
      this.#stalls.push({ start: this.#now(), end: null });
      this.waiting = true;
      this.waitingSec = 0;
    };
    const endStall = () => {
      const open = this.#stalls.find((s) => s.end === null);
      if (open) open.end = this.#now();
      this.waiting = false;
    };
    const onProgress = () => this.#measureAhead();
    const events: [keyof HTMLMediaElementEventMap, () => void][] = [
      ['waiting', startStall],
      ['playing', endStall],
      ['pause', endStall],
      ['emptied', endStall],
      ['progress', onProgress],
      ['timeupdate', onProgress],
    ];
    for (const [type, fn] of events) video.addEventListener(type, fn);
    const timer = setInterval(() => this.#tick(), TICK_MS);
    return () => {
      offSegment();
      clearInterval(timer);
      for (const [type, fn] of events) video.removeEventListener(type, fn);
      this.#video = null;
    };
  }

  /** The quality menu: 'auto', a level index or 'audio' (a viewer's own choice). */
  setQuality(value: string): void {
    if (value === AUDIO_VALUE) this.state = chooseAudio(this.state, this.#now());
    else this.state = chooseVideo(this.state);
    this.#switched(value === AUDIO_VALUE);
    this.#controller.setQuality(value);
  }

  /** 恢复视频 */
  restoreVideo(): void {
    this.setQuality('auto');
  }

  /** 仅音频（省流量）from the suggestion. */
  chooseAudio(): void {
    this.setQuality(AUDIO_VALUE);
  }

  dismiss(): void {
    this.dismissed = true;
  }

  #measureAhead(): void {
    const video = this.#video;
    if (!video) return;
    const ranges: { start: number; end: number }[] = [];
    for (let i = 0; i < video.buffered.length; i++) ranges.push({ start: video.buffered.start(i), end: video.buffered.end(i) });
    this.ahead = bufferedAhead(ranges, video.currentTime);
  }

  /** A new source: its loading is not the link's fault, so earlier stalls are forgotten. */
  #switched(toAudio: boolean): void {
    if (toAudio && !this.#controller.audioOnly) this.frame = this.#captureFrame() ?? this.frame;
    if (!toAudio) this.frame = null;
    this.#stalls = [];
    this.waiting = false;
    this.suggestion = null;
    this.dismissed = false;
  }

  /** The picture on screen now (the slide the lecturer is on), before the video goes away. */
  #captureFrame(): string | null {
    const video = this.#video;
    if (!video || video.readyState < 2 || !video.videoWidth) return null;
    try {
      const canvas = document.createElement('canvas');
      const scale = Math.min(1, 1280 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
      return canvas.toDataURL('image/jpeg', 0.85);
    } catch {
      return null; // a tainted or detached frame: the poster or thumbnails stand in
    }
  }

  #tick(): void {
    const controller = this.#controller;
    const now = this.#now();
    this.#stalls = pruneStalls(this.#stalls, now);
    const open = this.#stalls.find((s) => s.end === null);
    this.waitingSec = open ? Math.floor((now - open.start) / 1000) : 0;
    this.#measureAhead();
    if (controller.status !== 'ready') return;
    const decision = decide(
      this.state,
      { now, estimate: this.estimate, lowestVideoBps: controller.lowestVideoBps, stalls: this.#stalls },
      { hasAudio: controller.audioAvailable, autoQuality: controller.quality === 'auto' },
    );
    if (decision.verdict !== this.verdict) this.dismissed = false;
    this.verdict = decision.verdict;
    this.state = decision.state;
    const suggestion = decision.action === 'suggest-audio' ? 'audio' : decision.action === 'suggest-video' ? 'video' : null;
    if (decision.action === 'to-audio' || decision.action === 'to-video') {
      console.info('player | link %s, switching %s [usableKbps:%d neededKbps:%d]', decision.verdict, decision.action, this.usableKbps, this.neededKbps);
      this.#switched(decision.action === 'to-audio');
      controller.setQuality(decision.action === 'to-audio' ? AUDIO_VALUE : 'auto');
    } else {
      this.suggestion = suggestion;
    }
  }
}
