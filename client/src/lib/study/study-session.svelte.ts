/**
 * Verified watch time for one lecture page (学时记录): turns the <video>'s events and the page's
 * visibility into heartbeats (beats.ts), puts them in the outbox and sends them (beat-channel.ts),
 * and keeps what the server answers about this playback as reactive state for the player:
 * whether this page is the one earning 学时 (`counting`) and, when not, the server's `reason`
 * (credits.ts `notCountingText` words it), how much of the lecture is covered and whether it is
 * completed.
 *
 * A renewed playback (expired token) gets its own sequence; the old one is closed with `unload`.
 * Leaving the page sends `unload` by sendBeacon or a keepalive fetch (beat-channel.ts), so the
 * server frees the counting place at once; leaving the lecture inside the app (the player is
 * destroyed) sends it with an ordinary request. Beats are stamped (`clientAt`) when made.
 *
 * Ticks wait in the outbox (stored, so a closed page's go out with the next one) until
 * `beatsPerRequest` of them are there; any other beat (play, pause, seek, hide, end, unload) goes
 * at once and takes them along. The server thus hears from a playing page every
 * heartbeatSec x beatsPerRequest (`confirmEverySec`), and keeps its counting place that long.
 */
import { api, type ApiClient } from '../api/client.ts';
import type { MyStudy, Playback } from '../api/types.ts';
import { HeartbeatScheduler, beatsPerRequestOf, heartbeatIntervalSec, type Beat, type MediaEvent, type MediaSnapshot } from './beats.ts';
import { beatChannel, sendOnLeave, type LeaveDeps } from './beat-channel.ts';
import type { HeartbeatAnswer, OutboxSender, SessionView } from './sender.ts';

const TICK_CHECK_MS = 1000;
/** How long a new playback waits for the outbox to drain before it opens anyway. */
const SETTLE_MAX_MS = 2000;

export interface StudySessionOptions {
  lectureId: string;
  userId: string;
  /** The lecture's 学时 (what completing it earns at most). */
  creditHours: number;
  sender?: OutboxSender;
  api?: ApiClient;
  /**
   * The media position to report, when it is not the <video>'s own time: a live lecture
   * reports its place on the live timeline (WebRTC has no timeline; HLS parts start at an offset).
   */
  position?: () => number;
  /** Sequence floor for the playback's beats (see HeartbeatScheduler). */
  startSeq?: number;
  /** How the last beats leave a closing page (tests); the browser's sendBeacon and fetch by default. */
  leave?: LeaveDeps;
}

export class StudySession {
  /** This page earns 学时 (the server's word; true until it says otherwise). */
  counting = $state(true);
  /** Why not, when not counting: 'other-session', 'at-station', 'unknown-session' or a newer word. */
  reason = $state<string | undefined>(undefined);
  /** 0..1 */
  progress = $state(0);
  completed = $state(false);
  /** Hours credited for this lecture, once known. */
  earnedHours = $state<number | null>(null);
  /** Completed, but the hours wait for a passed end test: no hours to show yet. */
  creditHeld = $state(false);
  /** The server has answered at least once (playback or heartbeat). */
  known = $state(false);
  /**
   * A pending attention check (随机签到): answer it before `deadline` (ms, this page's clock) or
   * counting pauses until it is answered.
   */
  attention = $state<{ id: string; deadline: number; overdue: boolean } | null>(null);
  /** Seconds between two requests of a playing page: the server confirms progress at most that often. */
  confirmEverySec = $state(heartbeatIntervalSec(undefined));

  readonly lectureId: string;
  readonly creditHours: number;
  readonly #sender: OutboxSender;
  readonly #api: ApiClient;
  readonly #position: (() => number) | undefined;
  readonly #startSeq: number | undefined;
  readonly #leaveDeps: LeaveDeps | undefined;
  #scheduler: HeartbeatScheduler | null = null;
  #beatsPerRequest = 1;
  /** Ticks put in the outbox since this page last sent. */
  #heldTicks = 0;
  #video: HTMLVideoElement | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: () => void;
  #detach: (() => void) | null = null;
  #lookedUpEarned = false;
  #destroyed = false;

  constructor(options: StudySessionOptions) {
    this.lectureId = options.lectureId;
    this.creditHours = options.creditHours;
    this.#sender = options.sender ?? beatChannel(options.userId);
    this.#api = options.api ?? api;
    this.#position = options.position;
    this.#startSeq = options.startSeq;
    this.#leaveDeps = options.leave;
    this.#unsubscribe = this.#sender.subscribe(this.#onAnswer);
  }

  get playbackId(): string | null {
    return this.#scheduler?.playbackId ?? null;
  }


  /**
   * Resolves once beats left by an earlier page are sent (at most SETTLE_MAX_MS): the player
   * waits for it before opening its playback, so an `unload` that gives the counting place back
   * reaches the server first.
   */
  settle(): Promise<void> {
    return Promise.race([this.#sender.flush(), new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MAX_MS))]);
  }

  /** A playback was opened (first, or renewed after its token expired). */
  setPlayback(playback: Playback): void {
    if (this.#destroyed || this.#scheduler?.playbackId === playback.playbackId) return;
    const old = this.#scheduler;
    if (old) this.#emit(old.event({ type: 'unload' }, this.#snapshot(), Date.now()));
    this.#scheduler = new HeartbeatScheduler(playback.playbackId, { heartbeatSec: playback.heartbeatSec, startSeq: this.#startSeq });
    this.#beatsPerRequest = beatsPerRequestOf(playback.beatsPerRequest);
    this.confirmEverySec = heartbeatIntervalSec(playback.heartbeatSec) * this.#beatsPerRequest;
    this.#sender.holdsUpTo(this.confirmEverySec * 1000);
    if (typeof playback.counting === 'boolean') {
      this.counting = playback.counting;
      this.reason = playback.counting ? undefined : (playback.reason ?? 'other-session');
    }
    if (typeof playback.progress === 'number') this.progress = clamp01(playback.progress);
    if (typeof playback.completed === 'boolean') this.#setCompleted(playback.completed);
    this.known = true;
    const video = this.#video;
    if (video && !video.paused && !video.ended) this.#feed({ type: 'play' });
  }

  /** Listens to the player's <video> and the page; returns the detach function. */
  attach(video: HTMLVideoElement): () => void {
    this.#detach?.();
    this.#video = video;
    const on = <K extends keyof HTMLMediaElementEventMap>(type: K, fn: () => void) => {
      video.addEventListener(type, fn);
      return () => video.removeEventListener(type, fn);
    };
    const onVisibility = () => this.#feed({ type: 'visibility' });
    const onPageHide = () => this.#leave('beacon');
    const offs = [
      on('play', () => this.#feed({ type: 'play' })),
      on('pause', () => this.#feed({ type: 'pause' })),
      on('ended', () => this.#feed({ type: 'ended', duration: video.duration })),
      on('seeking', () => this.#feed({ type: 'seeking' })),
      on('ratechange', () => this.#feed({ type: 'ratechange' })),
      on('timeupdate', () => {
        if (!video.seeking) this.#scheduler?.observe(this.#position ? this.#position() : video.currentTime);
      }),
    ];
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('pagehide', onPageHide);
    this.#timer = setInterval(() => this.#tick(), TICK_CHECK_MS);
    this.#detach = () => {
      offs.forEach((off) => off());
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pagehide', onPageHide);
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
    return () => {
      this.#detach?.();
      this.#detach = null;
    };
  }

  /** The player goes away inside the app: close the span and stop listening. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#leave('send');
    this.#destroyed = true;
    this.#detach?.();
    this.#detach = null;
    this.#unsubscribe();
    this.#video = null;
  }

  #leave(how: 'send' | 'beacon'): void {
    const scheduler = this.#scheduler;
    if (!scheduler || this.#destroyed) return;
    const beats = scheduler.event({ type: 'unload' }, this.#snapshot(), Date.now());
    if (how === 'send') {
      this.#emit(beats);
      return;
    }
    // Into the outbox first: if neither way out works, the next page sends it.
    this.#sender.hold(beats);
    if (!sendOnLeave(this.#sender, scheduler.playbackId, this.#leaveDeps)) void this.#sender.flush();
  }

  #snapshot(): MediaSnapshot {
    const video = this.#video;
    const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
    if (!video) return { position: 0, rate: 1, playing: false, visible };
    const position = this.#position ? this.#position() : video.currentTime || 0;
    return { position, rate: video.playbackRate || 1, playing: !video.paused && !video.ended, visible };
  }

  #feed(event: MediaEvent): void {
    const scheduler = this.#scheduler;
    if (!scheduler || this.#destroyed) return;
    this.#emit(scheduler.event(event, this.#snapshot(), Date.now()));
  }

  #tick(): void {
    const scheduler = this.#scheduler;
    if (!scheduler || this.#destroyed) return;
    const ticks = scheduler.due(this.#snapshot(), Date.now());
    if (ticks.length === 0) return;
    this.#heldTicks += ticks.length;
    if (this.#heldTicks >= this.#beatsPerRequest) this.#emit(ticks);
    else this.#sender.hold(ticks);
  }

  /** Sends `beats` with every tick waiting. */
  #emit(beats: Beat[]): void {
    if (beats.length === 0) return;
    this.#heldTicks = 0;
    void this.#sender.enqueue(beats);
  }

  #onAnswer = (answer: HeartbeatAnswer): void => {
    const id = this.#scheduler?.playbackId;
    if (!id || this.#destroyed) return;
    const view: SessionView | undefined = answer.sessions?.[id];
    if (!view) {
      // All of this playback's beats refused because the server does not know it (or not as ours).
      const lost = answer.rejected?.some((r) => r.playbackId === id && r.code === 'PLAYBACK_NOT_FOUND');
      if (lost) this.#notCounting('unknown-session');
      return;
    }
    this.known = true;
    if (view.counting) {
      this.counting = true;
      this.reason = undefined;
    } else this.#notCounting(view.reason ?? 'other-session');
    if (typeof view.progress === 'number') this.progress = Math.max(this.progress, clamp01(view.progress));
    if (typeof view.creditHours === 'number') this.earnedHours = view.creditHours;
    this.#setCompleted(view.completed === true || this.completed);
    const check = view.attention;
    if (!check) this.attention = null;
    else if (this.attention?.id !== check.id || this.attention.overdue !== check.overdue) {
      this.attention = { id: check.id, deadline: Date.now() + check.expiresInSec * 1000, overdue: check.overdue };
    }
  };

  /** Answers the pending attention check (on time: counting goes on; late: it resumes). */
  async answerAttention(): Promise<void> {
    const check = this.attention;
    const playbackId = this.playbackId;
    if (!check || !playbackId) return;
    this.attention = null;
    try {
      await this.#api.post('/api/study/attention', { playbackId, checkId: check.id });
    } catch {
      // Shown again by the next heartbeat answer if the server did not take it.
    }
  }

  #notCounting(reason: string): void {
    this.counting = false;
    this.reason = reason;
    this.known = true;
  }

  #setCompleted(completed: boolean): void {
    this.completed = completed;
    if (completed) this.progress = Math.max(this.progress, 1);
    if (completed && this.earnedHours === null && !this.#lookedUpEarned) {
      this.#lookedUpEarned = true;
      void this.#lookUpEarned();
    }
  }

  /** Completed earlier (or the answer that completed it was missed): read the hours from 我的学习. */
  async #lookUpEarned(): Promise<void> {
    try {
      // No year: the server answers for the county's current year, not this browser clock's.
      const me = await this.#api.get<MyStudy>('/api/study/me');
      const row = me.lectures?.find((l) => l.lectureId === this.lectureId);
      if (!row || this.earnedHours !== null || this.#destroyed) return;
      if (row.creditHeld) this.creditHeld = true;
      else this.earnedHours = row.earnedHours;
    } catch {
      // the indicator then says 已完成 without the hours
    }
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
