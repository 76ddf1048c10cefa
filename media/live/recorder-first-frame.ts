// When a recording's picture begins: the moment the SFU sent the first keyframe of each of its
// video legs to ffmpeg (mediasoup's `keyframe` trace event). ffmpeg's output starts there (a
// composition once both pictures have one), not when the consumers were resumed: that can be
// seconds earlier on a busy machine or with a sender slow to answer the keyframe request, and a
// part placed on the timeline at its resume would show its picture early and leave a gap after
// the part before it.
import type { Consumer } from 'mediasoup/lib/types';

export class FirstFrameWatch {
  readonly #seen = new Map<Consumer, number>();
  readonly #consumers: readonly Consumer[];
  #at: number | null = null;
  readonly #waiters = new Set<(at: number | null) => void>();

  constructor(videoConsumers: readonly Consumer[]) {
    this.#consumers = videoConsumers;
  }

  /** Call before the consumers are resumed, so that their first keyframe is seen. */
  async arm(): Promise<void> {
    await Promise.all(
      this.#consumers.map(async (consumer) => {
        const onTrace = (trace: { type: string }) => {
          if (trace.type !== 'keyframe' || this.#seen.has(consumer)) return;
          this.#seen.set(consumer, Date.now());
          consumer.off('trace', onTrace);
          consumer.enableTraceEvent([]).catch(() => undefined);
          if (this.#seen.size === this.#consumers.length) this.#settle(Math.max(...this.#seen.values()));
        };
        consumer.on('trace', onTrace);
        await consumer.enableTraceEvent(['keyframe']).catch(() => undefined);
      }),
    );
  }

  /** ms epoch of the picture's first frame; `null` when it did not come within `timeoutMs`. */
  when(timeoutMs: number): Promise<number | null> {
    if (this.#at !== null || this.#consumers.length === 0) return Promise.resolve(this.#at);
    return new Promise((resolve) => {
      const done = (at: number | null) => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(at);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** The recording ended: whoever still waits learns that no first frame is coming. */
  cancel(): void {
    for (const waiter of [...this.#waiters]) waiter(this.#at);
  }

  #settle(at: number): void {
    this.#at = at;
    for (const waiter of [...this.#waiters]) waiter(at);
  }
}
