/**
 * One wall clock per cadre (每名干部一个时钟). A cadre earns at most the real time that passes,
 * across all their playback sessions, devices, live rooms and station presences: every credited
 * span is placed on the server's timeline (heartbeat-policy.ts) and offered here, and only the
 * part of it not already credited to the cadre is granted. The rest is refused with the seconds
 * it would have earned (flag `parallel-sessions`).
 *
 * The credited server-time intervals of a cadre are kept for `retentionMs` (a week): an offline
 * batch or a late station upload older than that is refused (`too-old`), since what it overlaps
 * may no longer be known. Intervals are [from, to) ms, sorted and disjoint (intervals.ts).
 *
 * Durability is the engine's: a grant is logged with the credit it came with (`c` entries carry
 * their wall pieces) and a checkpoint's snapshot holds each changed clock (`u` entries); a grant
 * whose log commit failed is taken back (`release`). A clock idle past the retention is dropped.
 * In-memory, synchronous: callers in one process never interleave inside `grant()`.
 */
import { addInterval, covered, intersect, isNormalized, normalize, type Interval } from './intervals';

export const DEFAULT_CLOCK_RETENTION_MS = 7 * 24 * 3600_000;

/** Parts of `a` not in `b` (both normalized). */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  // A clock's intervals are normalized already: read them in place rather than copy them per beat.
  const bs = isNormalized(b) ? b : normalize(b);
  for (const [a0, a1] of isNormalized(a) ? a : normalize(a)) {
    let lo = a0;
    for (const [b0, b1] of bs) {
      if (b1 <= lo) continue;
      if (b0 >= a1) break;
      if (b0 > lo) out.push([lo, b0]);
      lo = Math.max(lo, b1);
      if (lo >= a1) break;
    }
    if (lo < a1) out.push([lo, a1]);
  }
  return out;
}

export interface Grant {
  /** Server-time pieces granted (not credited to the cadre before). */
  granted: Interval[];
  /** Ms of the offer already credited elsewhere. */
  refusedMs: number;
  /** Ms of the offer older than the retention. */
  tooOldMs: number;
}

export class CadreClock {
  private readonly clocks = new Map<string, { iv: Interval[]; changedAt: number; dirty: boolean }>();

  constructor(
    private readonly now: () => number,
    readonly retentionMs = DEFAULT_CLOCK_RETENTION_MS,
  ) {}

  has(userId: string): boolean {
    return this.clocks.has(userId);
  }

  /** Installs a clock read from the store or a snapshot (merged with what is in memory). */
  load(userId: string, flat: Interval[]) {
    const c = this.clocks.get(userId);
    const iv = normalize([...(c?.iv ?? []), ...flat]);
    this.clocks.set(userId, { iv, changedAt: c?.changedAt ?? this.now(), dirty: c?.dirty ?? false });
  }

  /** Credited intervals of a cadre (a copy). */
  intervals(userId: string): Interval[] {
    return (this.clocks.get(userId)?.iv ?? []).slice();
  }

  /** Offers wall pieces: grants and records the part not credited yet. */
  grant(userId: string, offer: readonly Interval[]): Grant {
    const floor = this.now() - this.retentionMs;
    const wanted = normalize(offer);
    // Bounded below by the earliest offer: normalize() drops an interval with an infinite end.
    const tooOld = wanted.length && wanted[0]![0] < floor ? intersect(wanted, [[wanted[0]![0], floor]]) : [];
    const fresh = subtract(wanted, tooOld);
    const c = this.clocks.get(userId);
    const granted = c ? subtract(fresh, c.iv) : fresh;
    if (granted.length) this.add(userId, granted);
    return { granted, refusedMs: covered(fresh) - covered(granted), tooOldMs: covered(tooOld) };
  }

  /**
   * Grants up to `lengthMs` of server time in [from, until) not credited to the cadre yet, the
   * earliest first (a session's span goes where its chain stands, past what other sessions hold).
   */
  grantFirstFit(userId: string, from: number, lengthMs: number, until: number): Grant {
    const floor = this.now() - this.retentionMs;
    const lo = Math.max(from, floor);
    const tooOldMs = Math.max(0, Math.min(lengthMs, floor - from));
    const want = lengthMs - tooOldMs;
    if (!(want > 0) || !(until > lo)) return { granted: [], refusedMs: Math.max(0, want), tooOldMs };
    const free = subtract([[lo, until]], this.clocks.get(userId)?.iv ?? []);
    const granted: Interval[] = [];
    let left = want;
    for (const [a, b] of free) {
      if (left <= 0) break;
      const take = Math.min(b - a, left);
      granted.push([a, a + take]);
      left -= take;
    }
    if (granted.length) this.add(userId, granted);
    return { granted, refusedMs: left, tooOldMs };
  }

  /**
   * Adds pieces without asking (replay of the log: they were granted before). A clock lives as
   * long as its cadre studies, so it is changed in place rather than replaced on every beat (a
   * replaced record outlives the young generation and becomes old-generation garbage); pieces
   * that continue the clock (the usual case) are appended without sorting it again.
   */
  add(userId: string, pieces: readonly Interval[]) {
    if (!pieces.length) return;
    const c = this.clocks.get(userId);
    if (!c) {
      this.clocks.set(userId, { iv: normalize(pieces), changedAt: this.now(), dirty: true });
      return;
    }
    let iv = c.iv;
    for (const p of pieces) iv = addInterval(iv, p);
    c.iv = iv;
    c.changedAt = this.now();
    c.dirty = true;
  }

  /** Takes back pieces granted by a grant() whose log commit failed. */
  release(userId: string, pieces: readonly Interval[]) {
    const c = this.clocks.get(userId);
    if (!c || !pieces.length) return;
    c.iv = subtract(c.iv, pieces);
    c.dirty = true;
  }

  /** Clocks changed since the last snapshot, pruned to the retention; clears their mark. */
  takeDirty(): { userId: string; iv: Interval[] }[] {
    const floor = this.now() - this.retentionMs;
    const out: { userId: string; iv: Interval[] }[] = [];
    for (const [userId, c] of this.clocks) {
      if (!c.dirty) continue;
      c.iv = c.iv.filter(([, b]) => b > floor);
      c.dirty = false;
      out.push({ userId, iv: c.iv });
    }
    return out;
  }

  /** Marks clocks dirty again (their snapshot failed). */
  markDirty(userIds: Iterable<string>) {
    for (const id of userIds) {
      const c = this.clocks.get(id);
      if (c) c.dirty = true;
    }
  }

  /** Clocks whose newest credit is older than `idleMs`: returned for writing back, not removed. */
  idle(idleMs: number): { userId: string; iv: Interval[] }[] {
    const limit = this.now() - idleMs;
    const out: { userId: string; iv: Interval[] }[] = [];
    for (const [userId, c] of this.clocks) if (c.changedAt < limit) out.push({ userId, iv: c.iv });
    return out;
  }

  /** Forgets a clock (written back, or past the retention). */
  drop(userId: string) {
    this.clocks.delete(userId);
  }

  /** When the newest credit of a clock was granted (undefined when not in memory). */
  changedAt(userId: string): number | undefined {
    return this.clocks.get(userId)?.changedAt;
  }

  get size() {
    return this.clocks.size;
  }
}
