/**
 * Carries out recovery.ts's decisions for one lecture player and keeps what they need between
 * errors: the network-retry countdown the notice shows (growing delays; a segment or playlist
 * arriving ends it and starts the delays over) and the media recoveries of the last few seconds.
 * Rebuilding a source belongs to the PlayerController: a due retry, a token to renew and a final
 * failure go back to it through `RecoveryActions`.
 */
import type HlsType from 'hls.js';
import type { ErrorData } from 'hls.js';
import type { PlayerFailure } from './player.svelte.ts';
import { decideRecovery, errorCodeFromBody, retryDelaySec } from './recovery.ts';

export interface RetryState {
  /** Seconds until the next attempt; 0 while it runs. */
  secondsLeft: number;
  attempt: number;
}

export interface RecoveryActions {
  /** Named in the log line of a final failure. */
  lectureId: string;
  /** The countdown ran out: try the network again now. */
  retry(): void;
  /** The playback token ran out: ask for a new one. */
  renew(): void;
  fail(failure: PlayerFailure): void;
}

const MEDIA_RECOVERY_WINDOW_MS = 5000;

export class PlaybackRecovery {
  /** The pending network retry, null when there is none. */
  retry = $state<RetryState | null>(null);

  readonly #actions: RecoveryActions;
  #retryTimer: ReturnType<typeof setInterval> | undefined;
  #retryAttempt = 0;
  #mediaRecoveries = 0;
  #lastMediaRecovery = 0;
  #closed = false;

  constructor(actions: RecoveryActions) {
    this.#actions = actions;
  }

  /** A countdown to the next attempt is running. */
  get counting(): boolean {
    return this.#retryTimer !== undefined;
  }

  onHlsError(hls: HlsType, data: ErrorData): void {
    const status = data.response?.code;
    const details = data.networkDetails as XMLHttpRequest | Response | null | undefined;
    const body = details && 'response' in details && typeof details.response !== 'function' ? (details as XMLHttpRequest).response : undefined;
    const now = Date.now();
    if (now - this.#lastMediaRecovery > MEDIA_RECOVERY_WINDOW_MS) this.#mediaRecoveries = 0;
    const action = decideRecovery(
      { type: data.type, details: data.details, fatal: data.fatal, status, code: status ? errorCodeFromBody(body) : undefined },
      { mediaRecoveries: this.#mediaRecoveries },
    );
    switch (action) {
      case 'ignore':
        return;
      case 'renew':
        this.#actions.renew();
        return;
      case 'retry-network':
        this.scheduleRetry();
        return;
      case 'recover-media':
      case 'swap-and-recover':
        this.#mediaRecoveries += 1;
        this.#lastMediaRecovery = now;
        if (action === 'swap-and-recover') hls.swapAudioCodec();
        hls.recoverMediaError();
        return;
      case 'fatal':
        console.warn('player | playback failed [lectureId:%s type:%s details:%s status:%s]', this.#actions.lectureId, data.type, data.details, status);
        this.#actions.fail({ reason: status === 403 ? 'forbidden' : data.type === 'networkError' ? 'network' : 'media' });
    }
  }

  /** Counts down to the next network attempt, unless a countdown runs already. */
  scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    const attempt = this.#retryAttempt++;
    let left = retryDelaySec(attempt);
    this.retry = { secondsLeft: left, attempt };
    this.#retryTimer = setInterval(() => {
      left -= 1;
      if (left > 0) {
        this.retry = { secondsLeft: left, attempt };
        return;
      }
      this.stopCountdown();
      this.#actions.retry();
    }, 1000);
  }

  stopCountdown(): void {
    clearInterval(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Media arrived: the outage is over, and the next one starts again from the shortest delay. */
  recovered(): void {
    if (!this.retry) return;
    this.stopCountdown();
    this.retry = null;
    this.#retryAttempt = 0;
  }

  /** No retry pending any more (the player failed for good). */
  clear(): void {
    this.stopCountdown();
    this.retry = null;
  }

  close(): void {
    this.#closed = true;
    this.stopCountdown();
  }
}
