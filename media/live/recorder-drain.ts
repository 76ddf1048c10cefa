// Whether a recording's ffmpeg is still writing, read from its `-progress pipe:1` output.
//
// A recorder being stopped first stops its media (its consumers paused) and then waits until
// ffmpeg's output stands still before it sends SIGINT: on a busy machine ffmpeg runs seconds
// behind real time, and what it had received but not yet encoded would be lost on SIGINT (it
// stops reading at once). Measured on the share-switch test at load 8: ~2.4 s of a part lost.
// No I/O here.

/** The -progress keys that move while ffmpeg encodes and writes (video frames, output time, bytes). */
const MOVING_KEYS = new Set(['frame', 'out_time_us', 'total_size']);

export class OutputWatch {
  #partial = '';
  readonly #last = new Map<string, string>();
  #movedAt: number;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#movedAt = now();
  }

  /** When the output last moved (ms epoch; the watch's creation before any). */
  get movedAt(): number {
    return this.#movedAt;
  }

  /** Reads a chunk of ffmpeg's -progress output (key=value lines, possibly cut anywhere). */
  push(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq).trim();
      if (!MOVING_KEYS.has(key)) continue;
      const value = line.slice(eq + 1).trim();
      if (this.#last.get(key) !== value) {
        this.#last.set(key, value);
        this.#movedAt = this.#now();
      }
    }
  }

  /**
   * Resolves true once the output has not moved for `stillMs` (counted from the call at the
   * earliest), false after `maxMs` or when `aborted()`.
   */
  async still(stillMs: number, maxMs: number, aborted: () => boolean, pollMs = 50): Promise<boolean> {
    const from = this.#now();
    const deadline = from + maxMs;
    for (;;) {
      const now = this.#now();
      if (aborted()) return false;
      if (now - Math.max(this.#movedAt, from) >= stillMs) return true;
      if (now >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
