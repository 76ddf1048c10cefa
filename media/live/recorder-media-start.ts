// When a recording's media begins, as ffmpeg writes it: at its first sound, or at its picture's
// first frame when that comes first. Measured (ffmpeg 5.1, RTP in, HLS out):
// - With sound, the file starts at the first audio packet; a picture whose first keyframe comes
//   later is held on its first frame until then (a 4 s late keyframe: the part was 10.9 s long
//   for 11.0 s of recording). Placed at the keyframe, such a part ran 4 s past the lecture's end.
// - Without sound, the file starts at the picture's first frame: the SFU's first keyframe of each
//   of its videos (a composition begins once both have one), which can be seconds after the
//   consumers were resumed on a busy machine or with a sender slow to answer the request.
// Seen on mediasoup's consumer `trace` events: `rtp` (the first audio packet sent to ffmpeg) and
// `keyframe`; each consumer's tracing is turned off after its first event.
import type { Consumer } from 'mediasoup/lib/types';

export class MediaStartWatch {
  readonly #keyframes = new Map<Consumer, number>();
  readonly #video: readonly Consumer[];
  readonly #audio: readonly Consumer[];
  #at: number | null = null;
  readonly #waiters = new Set<(at: number | null) => void>();

  constructor(legs: { video: readonly Consumer[]; audio: readonly Consumer[] }) {
    this.#video = legs.video;
    this.#audio = legs.audio;
  }

  /** Call before the consumers are resumed, so that their first packets are seen. */
  async arm(): Promise<void> {
    const watch = async (consumer: Consumer, type: 'rtp' | 'keyframe', seen: () => void) => {
      const onTrace = (trace: { type: string }) => {
        if (trace.type !== type) return;
        consumer.off('trace', onTrace);
        consumer.enableTraceEvent([]).catch(() => undefined);
        seen();
      };
      consumer.on('trace', onTrace);
      await consumer.enableTraceEvent([type]).catch(() => undefined);
    };
    await Promise.all([
      ...this.#audio.map((consumer) => watch(consumer, 'rtp', () => this.#settle(Date.now()))),
      ...this.#video.map((consumer) =>
        watch(consumer, 'keyframe', () => {
          this.#keyframes.set(consumer, Date.now());
          if (this.#keyframes.size === this.#video.length) this.#settle(Math.max(...this.#keyframes.values()));
        }),
      ),
    ]);
  }

  /** ms epoch at which the recorded media begins; `null` when nothing came within `timeoutMs`. */
  when(timeoutMs: number): Promise<number | null> {
    if (this.#at !== null || this.#video.length + this.#audio.length === 0) return Promise.resolve(this.#at);
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

  /** The recording ended: whoever still waits learns that no start is coming. */
  cancel(): void {
    for (const waiter of [...this.#waiters]) waiter(this.#at);
  }

  /** The first to come is the start: later events (the picture after the sound) change nothing. */
  #settle(at: number): void {
    if (this.#at !== null) return;
    this.#at = at;
    for (const waiter of [...this.#waiters]) waiter(at);
  }
}
