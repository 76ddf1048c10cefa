/**
 * The kiosk's queue of check-ins made while its link was down or black-holed (离线签到), kept in
 * localStorage so it survives a restart. Each carries an idempotency key (the server keeps the
 * outcome under `station:key`, so a batch sent twice counts once), the station's estimate of
 * server time (`at`) and its own clock reading (`clock`): with the clock reading at sending, the
 * server measures the check-in's age and credits it from when it was made (offlineCheckinAt).
 */
export interface QueuedCheckin {
  key: string;
  username: string;
  /** Server time as the station estimated it (its clock plus the last measured offset). */
  at: number;
  /** The station's own clock (Date.now()) at the check-in. */
  clock?: number;
  sessionId: string;
}

/** A key unique to this check-in, at most 80 characters (the server's limit). */
export function checkinKey(sessionId: string, clock: number): string {
  return `${sessionId}:${clock.toString(36)}:${Math.random().toString(36).slice(2, 10)}`;
}

export class CheckinQueue {
  constructor(private readonly storageKey: string) {}

  list(): QueuedCheckin[] {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.storageKey) ?? '[]') as unknown;
      return Array.isArray(parsed) ? (parsed as QueuedCheckin[]) : [];
    } catch {
      return [];
    }
  }

  /** Adds one; answers the number waiting. */
  add(c: QueuedCheckin): number {
    return this.#save([...this.list(), c]);
  }

  /** Forgets those the server has answered (accepted or refused for good); answers the number waiting. */
  remove(keys: ReadonlySet<string>): number {
    return this.#save(this.list().filter((c) => !keys.has(c.key)));
  }

  #save(queue: QueuedCheckin[]): number {
    localStorage.setItem(this.storageKey, JSON.stringify(queue));
    return queue.length;
  }
}
