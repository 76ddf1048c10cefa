/**
 * The lecture player's engine: asks for a playback (a signed, expiring view of the HLS ladder),
 * drives hls.js on a <video>, and keeps what the controls show as reactive state.
 *
 * - Quality: 自动 (hls.js ABR) or a fixed level (`nextLevel`: switches at the next segment, no
 *   stall); 仅音频 loads the ladder's audio-only playlist on its own (levels.ts says why).
 * - Failures follow recovery.ts (carried out by playback-recovery.svelte.ts): a network outage
 *   shows a countdown and retries `startLoad()` with growing delays (at once when the browser says
 *   it is back online); an expired token (403 PLAYBACK_EXPIRED) gets a new playback and the source
 *   is rebuilt at the same position.
 * - Playback starts where the user stopped (the server's `resumeAt`, else the position this
 *   browser saved every few seconds through a ResumeStore) when resume.ts says it is worth it.
 * - Watch time (学时) is reported by StudySession (lib/study/), which follows `playback`.
 *
 * hls.js is loaded on demand (its own chunk). Where hls.js cannot run but the browser plays HLS
 * itself (Safari on iOS), the master playlist goes straight into the <video>.
 */
import type HlsType from 'hls.js';
import { debugHookEnabled } from '../debug.ts';
import type { FragLoadedData, LevelParsed } from 'hls.js';
import { HLS_CONFIG, segmentSample } from './hls-config.ts';
import { ApiError, api, type ApiClient } from '../api/client.ts';
import type { Playback } from '../api/types.ts';
import { AUDIO_VALUE, findAudioOnlyVariant, levelLabel, lowestVideoBitrate, qualityOptions, rebaseUrl, type ParsedVariantLike, type QualityOption } from './levels.ts';
import { PlaybackRecovery, type RetryState } from './playback-recovery.svelte.ts';
import { LocalResumeStore, RESUME_SAVE_INTERVAL_MS, pickResumePosition, positionToSave, resumeFrom, type ResumeStore } from './resume.ts';
import { parseThumbnailVtt, type ThumbnailCue } from './thumbnails.ts';
import type { SegmentSample } from './weak-link.ts';

export type PlayerStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What went wrong for good: an API error (shown by its code) or one of the player's own. */
export type PlayerFailure = { error: unknown } | { reason: 'media' | 'network' | 'unsupported' | 'forbidden' };

export type { RetryState };

type HlsClass = typeof HlsType;

const MIN_RENEW_INTERVAL_MS = 10_000;

declare global {
  interface Window {
    __player?: { hls: HlsType | null; video: HTMLVideoElement; controller: PlayerController };
  }
}


export class PlayerController {
  status = $state<PlayerStatus>('idle');
  playback = $state<Playback | null>(null);
  options = $state<QualityOption[]>([{ value: 'auto', kind: 'auto' }]);
  /** The menu's value: 'auto', a level index, or 'audio'. */
  quality = $state('auto');
  /** The level playing now (hls.js index), -1 before the first segment. */
  activeLevel = $state(-1);
  activeLabel = $state('');
  audioOnly = $state(false);
  failure = $state<PlayerFailure | null>(null);
  thumbnails = $state<ThumbnailCue[]>([]);
  /** Where playback resumed (seconds), 0 when it started from the beginning. */
  resumedFrom = $state(0);
  /** The ladder's audio-only rung can be played on its own (仅音频). */
  audioAvailable = $state(false);
  /** Declared bitrate of the lowest video rung (bits/s), 0 until the master is parsed. */
  lowestVideoBps = $state(0);
  /**
   * Seconds made so far while the lecture's rung is still being made (an EVENT playlist that
   * grows: issue 20's first rung first); null for a finished lecture.
   */
  madeSec = $state<number | null>(null);

  readonly lectureId: string;
  readonly #api: ApiClient;
  readonly #resume: ResumeStore;
  #video: HTMLVideoElement | null = null;
  #Hls: HlsClass | null = null;
  #hls: HlsType | null = null;
  #native = false;
  #audioUrl: string | undefined;
  #audioBase = '';
  readonly #recovery: PlaybackRecovery;
  #lastRenew = 0;
  #renewing = false;
  #lastSaved = 0;
  #destroyed = false;
  readonly #segmentListeners = new Set<(sample: SegmentSample) => void>();
  readonly #beforePlayback: (() => Promise<void>) | undefined;

  constructor(lectureId: string, options: { api?: ApiClient; resume?: ResumeStore; beforePlayback?: () => Promise<void> } = {}) {
    this.lectureId = lectureId;
    this.#api = options.api ?? api;
    this.#resume = options.resume ?? new LocalResumeStore();
    this.#beforePlayback = options.beforePlayback;
    this.#recovery = new PlaybackRecovery({
      lectureId,
      retry: () => this.retryNow(),
      renew: () => void this.#renew(),
      fail: (failure) => this.#fail(failure),
    });
  }

  /** The pending network retry (its countdown), null when there is none. */
  get retry(): RetryState | null {
    return this.#recovery.retry;
  }

  get hls(): HlsType | null {
    return this.#hls;
  }

  /** Calls `fn` with the timing of every segment loaded from the network (weak-link.ts). */
  onSegment(fn: (sample: SegmentSample) => void): () => void {
    this.#segmentListeners.add(fn);
    return () => this.#segmentListeners.delete(fn);
  }

  /** Loads the playback and starts the source on `video` (paused until the viewer presses play). */
  async start(video: HTMLVideoElement): Promise<void> {
    this.#video = video;
    this.status = 'loading';
    this.failure = null;
    window.addEventListener('online', this.#onOnline);
    try {
      // Heartbeats still waiting from the page before (a reload's `unload`) go first, so the
      // counting place they give back is free when this playback asks for it.
      await this.#beforePlayback?.().catch(() => undefined);
      if (this.#destroyed) return;
      const playback = await this.#requestPlayback();
      if (this.#destroyed) return;
      const saved = pickResumePosition(playback.resumeAt, await this.#resume.load(this.lectureId));
      this.resumedFrom = resumeFrom(saved, playback.durationSec);
      void this.#loadThumbnails(playback);
      if (this.#destroyed) return;
      const { default: Hls } = await import('hls.js');
      if (this.#destroyed) return;
      this.#Hls = Hls;
      if (Hls.isSupported()) {
        this.#create(playback.masterUrl, this.resumedFrom, false);
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        this.#native = true;
        this.#loadNative(playback.masterUrl, this.resumedFrom);
      } else {
        this.#fail({ reason: 'unsupported' });
        return;
      }
      this.#expose();
    } catch (error) {
      if (!this.#destroyed) this.#fail({ error });
    }
  }

  /** Applies the quality menu's choice. */
  setQuality(value: string): void {
    const previous = this.quality;
    this.quality = value;
    const video = this.#video;
    const playback = this.playback;
    if (!video || !playback || this.#native) return;
    const wantAudio = value === AUDIO_VALUE;
    if (wantAudio && this.#audioUrl) {
      if (!this.audioOnly) {
        this.audioOnly = true;
        this.#create(this.#audioUrl, video.currentTime, !video.paused);
      }
      return;
    }
    const level = value === 'auto' ? -1 : Number(value);
    if (this.audioOnly) {
      // Back from 仅音频: rebuild on the master playlist and pick the level once it is parsed.
      this.audioOnly = false;
      this.#create(playback.masterUrl, video.currentTime, !video.paused, level);
      return;
    }
    if (!this.#hls || !Number.isInteger(level)) {
      this.quality = previous;
      return;
    }
    this.#hls.nextLevel = level;
  }

  /** Runs the pending network retry now (button, or the browser is back online). */
  retryNow = (): void => {
    const video = this.#video;
    const playback = this.playback;
    if (!video) return;
    this.#recovery.stopCountdown();
    if (this.failure) {
      // A final failure: start over from scratch (new playback, new source).
      this.failure = null;
      this.status = 'loading';
      this.#lastRenew = 0;
      if (playback) void this.#renew();
      else void this.start(video);
      return;
    }
    if (!this.retry) return;
    this.#recovery.retry = { secondsLeft: 0, attempt: this.retry.attempt };
    if (this.#native && playback) {
      this.#loadNative(this.#currentSource(playback), video.currentTime);
    } else if (this.#hls && this.#hls.levels.length > 0) {
      this.#hls.startLoad(video.currentTime);
    } else if (playback) {
      this.#create(this.#currentSource(playback), video.currentTime, !video.paused);
    }
  };

  /** Called on `timeupdate`: saves the position every few seconds. */
  onTimeUpdate(): void {
    const now = Date.now();
    if (now - this.#lastSaved >= RESUME_SAVE_INTERVAL_MS) this.savePosition();
  }

  savePosition(): void {
    const video = this.#video;
    if (!video || this.status !== 'ready') return;
    this.#lastSaved = Date.now();
    const duration = Number.isFinite(video.duration) ? video.duration : (this.playback?.durationSec ?? 0);
    const keep = positionToSave(video.currentTime, duration);
    void (keep === null ? this.#resume.clear(this.lectureId) : this.#resume.save(this.lectureId, keep));
  }

  onEnded(): void {
    void this.#resume.clear(this.lectureId);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.savePosition();
    this.#destroyed = true;
    window.removeEventListener('online', this.#onOnline);
    this.#recovery.close();
    this.#hls?.destroy();
    this.#hls = null;
    this.#segmentListeners.clear();
    if (this.#video && window.__player?.video === this.#video) delete window.__player;
  }

  async #requestPlayback(): Promise<Playback> {
    const playback = await this.#api.post<Playback>(`/api/lectures/${encodeURIComponent(this.lectureId)}/playback`);
    this.playback = playback;
    return playback;
  }

  async #loadThumbnails(playback: Playback): Promise<void> {
    if (!playback.thumbnailsUrl) {
      this.thumbnails = [];
      return;
    }
    try {
      const text = await this.#api.text(playback.thumbnailsUrl);
      this.thumbnails = parseThumbnailVtt(text, new URL(playback.thumbnailsUrl, location.href).href);
    } catch (error) {
      console.warn('player | seek thumbnails unavailable [lectureId:%s]', this.lectureId, error);
      this.thumbnails = [];
    }
  }

  #currentSource(playback: Playback): string {
    return this.audioOnly && this.#audioUrl ? this.#audioUrl : playback.masterUrl;
  }

  /** A fresh hls.js instance on the same <video>, starting at `position`. */
  #create(source: string, position: number, play: boolean, level?: number): void {
    const Hls = this.#Hls;
    const video = this.#video;
    if (!Hls || !video) return;
    this.#hls?.destroy();
    const isMaster = source === this.playback?.masterUrl;
    this.activeLevel = -1;
    this.activeLabel = '';
    // 0, not -1: a rung still being made is a growing (EVENT) playlist, where -1 means its end.
    const hls = new Hls({ ...HLS_CONFIG, startPosition: position > 0 ? position : 0 });
    this.#hls = hls;
    const current = () => this.#hls === hls && !this.#destroyed;

    hls.on(Hls.Events.MANIFEST_LOADED, (_event, data) => {
      if (!current() || !isMaster) return;
      const variants = data.levels.map((l: LevelParsed): ParsedVariantLike => ({ url: l.url, bitrate: l.bitrate, width: l.width, height: l.height, attrs: l.attrs as unknown as Record<string, string | undefined> }));
      this.#audioUrl = findAudioOnlyVariant(variants) ?? data.audioTracks.find((track) => track.url)?.url;
      this.#audioBase = source;
      this.audioAvailable = Boolean(this.#audioUrl);
      // hls.js announces MANIFEST_PARSED from inside its own MANIFEST_LOADED handler, i.e. before
      // this one runs: the menu is built there already and needs the audio entry added.
      if (hls.levels.length > 0) this.options = qualityOptions(hls.levels, Boolean(this.#audioUrl));
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (!current()) return;
      if (isMaster) {
        this.options = qualityOptions(hls.levels, Boolean(this.#audioUrl));
        this.lowestVideoBps = lowestVideoBitrate(hls.levels);
        const wanted = level ?? (this.quality === 'auto' || this.quality === AUDIO_VALUE ? -1 : Number(this.quality));
        if (Number.isInteger(wanted) && wanted >= 0 && wanted < hls.levels.length) hls.currentLevel = wanted;
        this.quality = wanted >= 0 ? String(wanted) : 'auto';
      }
      this.status = 'ready';
      if (play) void video.play().catch(() => undefined);
    });
    hls.on(Hls.Events.LEVEL_SWITCHING, (_event, data) => {
      // The level being loaded names the rung while the first segment is still on its way.
      if (current() && this.activeLevel < 0) this.activeLabel = levelLabel(data);
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      if (!current()) return;
      this.activeLevel = data.level;
      const info = hls.levels[data.level];
      this.activeLabel = info ? levelLabel(info) : '';
    });
    const recovered = () => {
      if (current()) this.#recovery.recovered();
    };
    hls.on(Hls.Events.FRAG_LOADED, (_event, data: FragLoadedData) => {
      recovered();
      const sample = current() ? segmentSample(data) : null;
      if (sample) for (const fn of this.#segmentListeners) fn(sample);
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
      recovered();
      if (current()) this.madeSec = data.details.live ? data.details.totalduration : null;
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (current()) this.#recovery.onHlsError(hls, data);
    });

    hls.attachMedia(video);
    hls.loadSource(source);
    this.#expose();
  }

  #loadNative(source: string, position: number): void {
    const video = this.#video;
    if (!video) return;
    video.src = source;
    video.addEventListener(
      'loadedmetadata',
      () => {
        if (position > 0) video.currentTime = position;
        this.status = 'ready';
        if (this.retry) this.#recovery.retry = null;
      },
      { once: true },
    );
    video.onerror = () => {
      const code = video.error?.code;
      if (code === MediaError.MEDIA_ERR_NETWORK) this.#recovery.scheduleRetry();
      else this.#fail({ reason: code === MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED ? 'unsupported' : 'media' });
    };
  }

  /** The token ran out: a new playback, and the source rebuilt where the viewer was. */
  async #renew(): Promise<void> {
    const video = this.#video;
    const old = this.playback;
    if (!video || !old || this.#renewing) return;
    const now = Date.now();
    if (now - this.#lastRenew < MIN_RENEW_INTERVAL_MS) {
      // A fresh token was refused at once: not an expiry, so do not loop.
      this.#fail({ reason: 'forbidden' });
      return;
    }
    this.#renewing = true;
    this.#lastRenew = now;
    try {
      const playback = await this.#requestPlayback();
      if (this.#destroyed) return;
      // Read after the request: the viewer may have pressed play (or kept playing from the
      // buffer) meanwhile.
      const position = video.currentTime;
      const playing = !video.paused;
      if (this.#audioUrl) {
        this.#audioUrl = rebaseUrl(this.#audioUrl, this.#audioBase, playback.masterUrl);
        this.#audioBase = playback.masterUrl;
      }
      void this.#loadThumbnails(playback);
      if (this.#native) this.#loadNative(this.#currentSource(playback), position);
      else this.#create(this.#currentSource(playback), position, playing);
    } catch (error) {
      if (!this.#destroyed) {
        if (error instanceof ApiError && error.status === 0) this.#recovery.scheduleRetry();
        else this.#fail({ error });
      }
    } finally {
      this.#renewing = false;
    }
  }

  #onOnline = (): void => {
    if (this.retry && this.#recovery.counting) this.retryNow();
  };

  #fail(failure: PlayerFailure): void {
    this.#recovery.clear();
    this.failure = failure;
    this.status = 'error';
  }

  #expose(): void {
    if (this.#video && debugHookEnabled()) window.__player = { hls: this.#hls, video: this.#video, controller: this };
  }
}
