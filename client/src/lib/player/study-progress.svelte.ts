/**
 * The player's view of "已学 x%": the server's confirmed progress (StudySession, lib/study/) with
 * progress-estimate.ts's local estimate in between heartbeat answers, and the moment a lecture
 * becomes completed on this page (for the acknowledgement). Reads the study session, never
 * changes it.
 */
import type { StudySession } from '../study/study-session.svelte.ts';
import { INITIAL_ESTIMATE, confirm, estimated, observe, type EstimateState } from './progress-estimate.ts';

const TICK_MS = 1000;

export class StudyProgressView {
  #estimate = $state<EstimateState>(INITIAL_ESTIMATE);
  /** Completed while this page watched (not already when it opened): say so once. */
  justCompleted = $state(false);

  readonly #study: StudySession;
  readonly #duration: () => number;
  #wasCompleted: boolean | null = null;

  constructor(study: StudySession, options: { duration: () => number }) {
    this.#study = study;
    this.#duration = options.duration;
  }

  /** The confirmed share (0..1). */
  get confirmed(): number {
    return this.#study.completed ? 1 : this.#study.progress;
  }

  /** What to show (0..1): the estimate while it is ahead, else the confirmed figure. */
  get shown(): number {
    if (this.#study.completed) return 1;
    return Math.max(this.#study.progress, estimated(this.#estimate, this.#duration()));
  }

  /** The shown figure is the page's estimate, ahead of what the server confirmed. */
  get estimating(): boolean {
    return !this.#study.completed && Math.floor(this.shown * 100) > Math.floor(this.#study.progress * 100);
  }

  /** Follows the study session and the <video>; returns the detach function. Call inside a component. */
  attach(video: HTMLVideoElement): () => void {
    const look = () => {
      const study = this.#study;
      this.#estimate = observe(
        confirm(this.#estimate, study.progress),
        { position: video.currentTime, at: Date.now(), playing: !video.paused && !video.ended && !video.seeking && video.readyState >= 3, counting: study.counting && study.known && !study.completed },
        this.#duration(),
        study.confirmEverySec,
      );
      if (study.known && this.#wasCompleted === null) this.#wasCompleted = study.completed;
      if (study.completed && this.#wasCompleted === false) {
        this.#wasCompleted = true;
        this.justCompleted = true;
      }
    };
    const stop = () => (this.#estimate = observe(this.#estimate, { position: video.currentTime, at: Date.now(), playing: false, counting: false }, this.#duration(), this.#study.confirmEverySec));
    video.addEventListener('timeupdate', look);
    video.addEventListener('seeking', stop);
    video.addEventListener('pause', stop);
    video.addEventListener('waiting', stop);
    const timer = setInterval(look, TICK_MS);
    return () => {
      clearInterval(timer);
      video.removeEventListener('timeupdate', look);
      video.removeEventListener('seeking', stop);
      video.removeEventListener('pause', stop);
      video.removeEventListener('waiting', stop);
    };
  }

  dismissCompleted(): void {
    this.justCompleted = false;
  }
}
