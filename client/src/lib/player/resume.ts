/**
 * Resuming a lecture where the viewer left it (断点续播). The server's study record says where
 * the user stopped last time on any device (the playback's `resumeAt`); a position kept in this
 * browser (localStorage, one key per lecture, behind the small ResumeStore interface) is the
 * fallback for when the server has none (an older server, or beats still waiting offline).
 *
 * Rules: a position in the first 5 s is not worth resuming (start from the beginning), and one
 * in the last 5 % (or last 10 s) means the lecture was finished, so it starts over too and the
 * saved position is cleared.
 */
export const RESUME_MIN_SEC = 5;
export const RESUME_END_FRACTION = 0.95;
export const RESUME_END_SEC = 10;
/** How often the position is written while playing. */
export const RESUME_SAVE_INTERVAL_MS = 5000;

export interface ResumeStore {
  load(lectureId: string): Promise<number | null>;
  save(lectureId: string, seconds: number): Promise<void>;
  clear(lectureId: string): Promise<void>;
}

function nearEnd(position: number, duration: number): boolean {
  return duration > 0 && (position >= duration * RESUME_END_FRACTION || position >= duration - RESUME_END_SEC);
}

/** Where to start: the saved position when it is worth resuming, else 0. */
export function resumeFrom(saved: number | null | undefined, duration: number): number {
  if (saved === null || saved === undefined || !Number.isFinite(saved) || saved < RESUME_MIN_SEC) return 0;
  if (duration > 0 && (saved > duration || nearEnd(saved, duration))) return 0;
  return saved;
}

/** The position to resume from before the rules above: the server's when it has one, else the local one. */
export function pickResumePosition(server: number | null | undefined, local: number | null | undefined): number | null {
  if (typeof server === 'number' && Number.isFinite(server) && server > 0) return server;
  return typeof local === 'number' && Number.isFinite(local) ? local : null;
}

/** What to store for the current position: seconds to keep, or null to forget it. */
export function positionToSave(current: number, duration: number): number | null {
  if (!Number.isFinite(current) || current < RESUME_MIN_SEC) return null;
  if (nearEnd(current, duration)) return null;
  return Math.floor(current);
}

export const resumeKey = (lectureId: string) => `lecture-position:${lectureId}`;

/** localStorage, one key per lecture: `{ "t": seconds, "at": epoch ms }`. */
export class LocalResumeStore implements ResumeStore {
  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined = globalThis.localStorage) {}

  async load(lectureId: string): Promise<number | null> {
    try {
      const raw = this.storage?.getItem(resumeKey(lectureId));
      if (!raw) return null;
      const value = (JSON.parse(raw) as { t?: unknown }).t;
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  }

  async save(lectureId: string, seconds: number): Promise<void> {
    try {
      this.storage?.setItem(resumeKey(lectureId), JSON.stringify({ t: seconds, at: Date.now() }));
    } catch {
      // storage full or disabled: resuming is a convenience
    }
  }

  async clear(lectureId: string): Promise<void> {
    try {
      this.storage?.removeItem(resumeKey(lectureId));
    } catch {
      // as above
    }
  }
}
