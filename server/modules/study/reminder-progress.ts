/**
 * How far an admin's 学时提醒 run has got, for the page to show while its request is open: a
 * county's thousands of notices take seconds. The page names the run with a key of its own
 * making (POST /api/study/reminders/run?progressKey=…) and reads GET /api/study/reminders/progress
 * meanwhile. Kept in memory for a few minutes under the admin's id and the key, so one admin
 * never reads another's run; a restart forgets it (the run itself is idempotent: once a month
 * per cadre).
 */
import { LRUCache } from 'lru-cache';

export interface ReminderProgress {
  /** Cadres behind handled so far (a notice written, or one already there). */
  done: number;
  /** Cadres behind in the run's scope; null until they are counted. */
  total: number | null;
  finished: boolean;
}

const KEEP_MS = 10 * 60_000;

export class ReminderProgressBoard {
  readonly #runs = new LRUCache<string, ReminderProgress>({ max: 500, ttl: KEEP_MS });

  /** A run starts: its progress is readable at once (total unknown until counted). */
  begin(userId: string, key: string): (done: number, total: number) => void {
    const id = `${userId}:${key}`;
    this.#runs.set(id, { done: 0, total: null, finished: false });
    return (done, total) => this.#runs.set(id, { done, total, finished: false });
  }

  end(userId: string, key: string): void {
    const id = `${userId}:${key}`;
    const p = this.#runs.get(id);
    this.#runs.set(id, { done: p?.done ?? 0, total: p?.total ?? 0, finished: true });
  }

  get(userId: string, key: string): ReminderProgress | undefined {
    return this.#runs.get(`${userId}:${key}`);
  }
}
