/**
 * The class manager's offline attendance (离线签到) for one session, kept in localStorage so it
 * survives a closed tab or a restarted phone: the roster as last read (to find cadres by ID
 * without a network), the measured offset to the server's clock, and the scans not yet uploaded.
 * Each scan carries a key unique to it (the server stores its outcome under the key, so a batch
 * sent twice counts once), the phone's estimate of server time and its own clock reading: with
 * the clock at sending, the server measures each scan's age and credits it from when it was made
 * as far as it can corroborate (the stations' rule, offlineCheckinAt).
 */
import type { SessionRoster } from './session-types.ts';

export interface QueuedScan {
  key: string;
  userId: string;
  direction: 'in' | 'out';
  /** Server time as the phone estimated it. */
  at: number;
  /** The phone's own clock at the scan. */
  clock: number;
}

export interface SyncAnswer {
  results: { key: string; ok: boolean; code?: string; repeated?: boolean }[];
  accepted: number;
  serverNow: number;
}

const read = <T>(key: string, fallback: T): T => {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
};

export class ScanQueue {
  constructor(readonly sessionId: string) {}

  #key = (what: string) => `class-manager:${what}:${this.sessionId}`;

  roster(): SessionRoster | null {
    return read<SessionRoster | null>(this.#key('roster'), null);
  }

  keepRoster(r: SessionRoster, clockAtAnswer = Date.now()): void {
    localStorage.setItem(this.#key('roster'), JSON.stringify(r));
    localStorage.setItem(this.#key('offset'), String(r.serverNow - clockAtAnswer));
  }

  /** The phone's estimate of the server's time now. */
  serverNow(clock = Date.now()): number {
    return clock + Number(localStorage.getItem(this.#key('offset')) ?? 0);
  }

  list(): QueuedScan[] {
    const q = read<unknown>(this.#key('queue'), []);
    return Array.isArray(q) ? (q as QueuedScan[]) : [];
  }

  add(userId: string, direction: 'in' | 'out', clock = Date.now()): QueuedScan {
    const scan = { key: `${this.sessionId.slice(-8)}:${clock.toString(36)}:${Math.random().toString(36).slice(2, 10)}`, userId, direction, at: this.serverNow(clock), clock };
    localStorage.setItem(this.#key('queue'), JSON.stringify([...this.list(), scan]));
    return scan;
  }

  /** Forgets the scans the server answered (accepted, repeated or refused for good). */
  remove(keys: ReadonlySet<string>): number {
    const rest = this.list().filter((s) => !keys.has(s.key));
    localStorage.setItem(this.#key('queue'), JSON.stringify(rest));
    return rest.length;
  }
}

/** The roster row a scanned or typed text names: a user id (alone or in a link) or a username. */
export function findPerson<T extends { userId: string; username: string; displayName: string }>(rows: readonly T[], text: string): T | undefined {
  const s = text.trim();
  if (!s) return undefined;
  const id = /[0-9a-f]{24}/i.exec(s)?.[0]?.toLowerCase();
  return (id && rows.find((r) => r.userId === id)) || rows.find((r) => r.username === s) || rows.find((r) => r.displayName === s);
}
