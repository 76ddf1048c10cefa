/**
 * The clock and the I/O around path-health.ts: once a second it reads the receive transport's
 * inbound counters (getStats) and what the room knows, feeds them to the path health and hands
 * the answer back to the room (which picture to show, when to try WebRTC again). While the path
 * is not judged (not live, the page publishes, the mode was picked by hand) it starts afresh.
 */
import type { Transport } from 'mediasoup-client/types';
import { inboundCounters } from './inbound-stats.ts';
import { initialHealth, nextHealth, retryDue, type PathHealth, type PathState } from './path-health.ts';

export interface PathProbe {
  /** The path is judged now: a viewer, the room live, the mode automatic. */
  judged(): boolean;
  /** The room's WebRTC set-up counter (a new one resets the counters). */
  attempt(): number;
  recv(): Transport | null;
  /** Another peer sends unpaused media. */
  expected(): boolean;
  /** Setting the current attempt up threw, or this device cannot do WebRTC. */
  failed(): boolean;
  signalling(): boolean;
  /** Not judged: the room shows what it shows without a fallback. */
  idle(): void;
  show(state: PathState): void;
  /** A background WebRTC attempt is due. */
  retry(): void;
}

export class PathMonitor {
  readonly #probe: PathProbe;
  #health: PathHealth = initialHealth(Date.now());
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking = false;

  constructor(probe: PathProbe) {
    this.#probe = probe;
  }

  start(intervalMs = 1_000): void {
    this.stop();
    this.#timer = setInterval(() => void this.check(), intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async check(): Promise<void> {
    const p = this.#probe;
    if (this.#checking) return;
    if (!p.judged()) {
      this.#health = initialHealth(Date.now(), p.attempt());
      p.idle();
      return;
    }
    this.#checking = true;
    try {
      const recv = p.recv();
      const attempt = p.attempt();
      let counters = { frames: 0, bytes: 0 };
      if (recv && !recv.closed) counters = inboundCounters(await recv.getStats().catch(() => ({ forEach() {} })));
      // A set-up started meanwhile: these counters belong to the old transport.
      if (attempt !== p.attempt() || !this.#timer) return;
      const at = Date.now();
      const failed = p.failed() || recv?.connectionState === 'failed';
      this.#health = nextHealth(this.#health, { at, attempt, expected: p.expected(), ...counters, failed, signalling: p.signalling() });
      p.show(this.#health.state);
      if (retryDue(this.#health, at)) p.retry();
    } finally {
      this.#checking = false;
    }
  }
}
