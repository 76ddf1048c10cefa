/**
 * Login throttling (登录限速). Rules:
 * - Failures are counted per account *and* source (the name as typed, lower-cased, with the
 *   client address), whether or not the account exists: the answers never say which names are real.
 * - After `maxFailures` failures from one source, that source waits `delaySeconds` before its next
 *   try, doubling with each further failure up to `lockSeconds`. A try while waiting is refused
 *   before any password is checked and does not count. A success from the source clears its count.
 * - Failures of one account from all sources are counted too. Past `accountMaxFailures` (0: never)
 *   the account waits `lockSeconds` after its latest failure, except from sources it has logged in
 *   from before: a stranger, even with many machines, cannot lock the org admin out of the office.
 * - State lives in memory (the portal is one process): a restart forgets it, which gives an
 *   attacker at most `maxFailures` more tries per restart. Counts are forgotten a day after their
 *   last failure; the maps are bounded and drop their oldest entries first.
 */

export interface ThrottleConfig {
  maxFailures: number;
  delaySeconds: number;
  lockSeconds: number;
  accountMaxFailures: number;
}

export interface LockView {
  /** Opaque to clients: what DELETE /api/auth/locks/:key takes. */
  key: string;
  kind: 'source' | 'account';
  username: string;
  ip?: string;
  failures: number;
  /** Distinct sources that failed (accounts only; counted up to 1,000). */
  sources?: number;
  lastFailureAt: string;
  /** When the next try is accepted; null while still counting. */
  blockedUntil: string | null;
}

interface Entry {
  kind: 'source' | 'account';
  username: string;
  ip?: string;
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
  sources?: Set<string>;
}

const FORGET_MS = 24 * 3600_000;
const TRUST_MS = 90 * 24 * 3600_000;
const MAX_ENTRIES = 100_000;
const MAX_TRUSTED_USERS = 200_000;
const TRUSTED_PER_USER = 10;
const MAX_SOURCES_COUNTED = 1_000;

const sourceKey = (username: string, ip: string) => `source:${username}|${ip}`;
const accountKey = (username: string) => `account:${username}`;

/** Seconds (rounded up, at least 1) from now until `until`. */
const secondsUntil = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000));

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  /** username -> source -> last successful login (ms). */
  private readonly trusted = new Map<string, Map<string, number>>();

  constructor(
    private readonly cfg: ThrottleConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds this try must wait before it is heard, or 0. */
  check(username: string, ip: string): number {
    const now = this.now();
    const source = this.live(sourceKey(username, ip), now);
    if (source && source.blockedUntil > now) return secondsUntil(source.blockedUntil, now);
    const account = this.live(accountKey(username), now);
    if (account && account.blockedUntil > now && !this.isTrusted(username, ip, now)) return secondsUntil(account.blockedUntil, now);
    return 0;
  }

  /** Counts a failure; answers the seconds the source now waits (0: none yet). */
  fail(username: string, ip: string): number {
    const now = this.now();
    const source = this.touch(sourceKey(username, ip), { kind: 'source', username, ip }, now);
    source.failures++;
    source.lastFailureAt = now;
    const over = source.failures - this.cfg.maxFailures;
    if (over >= 0) {
      // 2^over grows past any cap quickly; clamp the exponent so it stays a finite number.
      const delayMs = Math.min(this.cfg.delaySeconds * 1000 * 2 ** Math.min(over, 40), this.cfg.lockSeconds * 1000);
      source.blockedUntil = now + delayMs;
    }
    const account = this.touch(accountKey(username), { kind: 'account', username, sources: new Set() }, now);
    account.failures++;
    account.lastFailureAt = now;
    if (account.sources!.size < MAX_SOURCES_COUNTED) account.sources!.add(ip);
    if (this.cfg.accountMaxFailures > 0 && account.failures >= this.cfg.accountMaxFailures) {
      account.blockedUntil = now + this.cfg.lockSeconds * 1000;
    }
    return source.blockedUntil > now ? secondsUntil(source.blockedUntil, now) : 0;
  }

  /** The right password from this source: its count goes, and it is trusted for the account. */
  succeed(username: string, ip: string): void {
    const now = this.now();
    this.entries.delete(sourceKey(username, ip));
    let sources = this.trusted.get(username);
    if (sources) this.trusted.delete(username);
    else sources = new Map();
    sources.delete(ip);
    sources.set(ip, now);
    while (sources.size > TRUSTED_PER_USER) sources.delete(sources.keys().next().value!);
    this.trusted.set(username, sources);
    while (this.trusted.size > MAX_TRUSTED_USERS) this.trusted.delete(this.trusted.keys().next().value!);
  }

  /** Entries still counting or waiting, the most recent failure first. */
  list(): LockView[] {
    const now = this.now();
    this.prune(now);
    return [...this.entries.entries()]
      .map(([key, e]) => ({
        key,
        kind: e.kind,
        username: e.username,
        ...(e.ip !== undefined ? { ip: e.ip } : {}),
        failures: e.failures,
        ...(e.sources ? { sources: e.sources.size } : {}),
        lastFailureAt: new Date(e.lastFailureAt).toISOString(),
        blockedUntil: e.blockedUntil > now ? new Date(e.blockedUntil).toISOString() : null,
      }))
      .sort((a, b) => b.lastFailureAt.localeCompare(a.lastFailureAt));
  }

  /** Forgets one entry (an administrator lifting a lock); false when there was none. */
  clear(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Drops counts past their day and trust past its 90 days. */
  prune(now = this.now()): void {
    for (const [key, e] of this.entries) if (now - e.lastFailureAt > FORGET_MS) this.entries.delete(key);
    for (const [user, sources] of this.trusted) {
      for (const [ip, at] of sources) if (now - at > TRUST_MS) sources.delete(ip);
      if (!sources.size) this.trusted.delete(user);
    }
  }

  private isTrusted(username: string, ip: string, now: number): boolean {
    const at = this.trusted.get(username)?.get(ip);
    return at !== undefined && now - at <= TRUST_MS;
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailureAt > FORGET_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** The entry for `key`, created if absent, moved to the newest end (eviction takes the oldest). */
  private touch(key: string, init: Omit<Entry, 'failures' | 'lastFailureAt' | 'blockedUntil'>, now: number): Entry {
    const e = this.live(key, now) ?? { ...init, failures: 0, lastFailureAt: now, blockedUntil: 0 };
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }
}
