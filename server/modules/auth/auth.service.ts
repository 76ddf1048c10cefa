/**
 * Login, sessions and lock-out. Rules: a login tells nothing about which usernames exist — an
 * unknown name is checked against a dummy scrypt hash, fails with the same code and message, and
 * is held as long as a real one (failure-floor.ts); a disabled account says so only to the holder
 * of its password. Wrong passwords are counted per account and source (login-throttle.ts), in
 * memory, never on the account, so a failure costs the store nothing more than a success.
 * Sessions expire SESSION_TTL_SECONDS after their last renewal (renewed when less than half the
 * TTL is left); expiry is enforced on lookup, not by the store.
 */
import { LRUCache } from 'lru-cache';
import { createHash, randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import type { AppConfig } from '../../../config';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { storeLock } from '../../store/keyed-lock';
import type { UserDoc } from '../users/user.model';
import { FailureFloor } from './failure-floor';
import { LoginThrottle } from './login-throttle';
import { hashPassword, isStrongEnough, verifyPassword } from './password';

// The store keys sessions by the token's hash; every API request needs it (2 % of a heartbeat's
// CPU), so the hashes of tokens in use are remembered.
const tokenIds = new LRUCache<string, string>({ max: 20_000 });
const tokenId = (token: string) => {
  let id = tokenIds.get(token);
  if (id === undefined) tokenIds.set(token, (id = createHash('sha256').update(token).digest('hex')));
  return id;
};

// A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
let dummyHash: Promise<string> | undefined;

export const oneTimePasswordExpired = () =>
  new AppError(401, 'ONE_TIME_PASSWORD_EXPIRED', '初始密码已过期,请联系管理员重新发放', 'This one-time password has expired; ask your administrator for a new one');

/** A try refused before its password was checked; the same for every name (Retry-After: `seconds`). */
export const loginThrottled = (seconds: number) =>
  new AppError(429, 'RATE_LIMITED', `登录失败次数过多,请 ${seconds} 秒后再试`, `Too many failed logins; try again in ${seconds} s`, { retryAfter: seconds });

export class AuthService {
  // Heartbeats arrive every 15 s from every viewer: resolving each one from the store would cost
  // two reads per request. Logout, password changes and disabling drop entries at once.
  private readonly cache = new Map<string, { user: UserDoc; expiresAt: number; freshUntil: number }>();
  private readonly loading = new Map<string, Promise<UserDoc | null>>();
  /** Bumped by logouts and user changes, so a lookup that was already running does not cache stale facts. */
  private epoch = 0;
  /**
   * Username -> user id, learnt at start and from logins. On FerretDB a read by `_id` costs the
   * store ~26 ms at 11,000 users, a read by username ~270 ms (bench in docs/store-on-ferretdb.md):
   * a county-wide login at 9:00 would queue minutes behind the store. A hint only: the user read
   * by id must still carry the name, else the name is looked up.
   */
  private readonly ids = new Map<string, Types.ObjectId>();
  readonly throttle: LoginThrottle;
  private readonly floor = new FailureFloor();

  constructor(
    private readonly models: Models,
    private readonly cfg: AppConfig['auth'],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.throttle = new LoginThrottle(cfg, () => this.now().getTime());
    // Made now, so the first unknown name does not cost a second scrypt.
    dummyHash ??= hashPassword('not-a-real-password-1');
  }

  /** Learns every username in one read (at start, off the request path). */
  async warmUsernames() {
    const rows = await this.models.User.find({}, { username: 1 }).lean<{ _id: Types.ObjectId; username: string }[]>();
    for (const r of rows) if (!this.ids.has(r.username)) this.ids.set(r.username, r._id);
  }

  private async findByUsername(username: string): Promise<UserDoc | null> {
    const { User } = this.models;
    const id = this.ids.get(username);
    if (id) {
      const user = await User.findById(id).lean<UserDoc>();
      if (user?.username === username) return user;
      this.ids.delete(username);
    }
    const user = await User.findOne({ username }).lean<UserDoc>();
    if (user) {
      if (this.ids.size >= 1_000_000) this.ids.clear();
      this.ids.set(username, user._id);
    }
    return user;
  }

  /**
   * How long a resolved session is trusted from memory before the store is read again
   * (SESSION_CACHE_SECONDS). Logouts, password changes and user changes made through the portal
   * apply at once; the re-read catches changes made behind its back. Each re-read costs two
   * `_id` reads, which FerretDB answers by a scan: with thousands of viewers, lengthen it.
   */
  private get cacheMs() {
    return this.cfg.sessionCacheSeconds * 1000;
  }

  async login(username: string, password: string, meta: { ip?: string; userAgent?: string }) {
    const startedAt = performance.now();
    const name = username.trim().toLowerCase();
    const source = meta.ip ?? 'unknown';
    // Refused before any read or hash: the answer cannot depend on the name being real.
    const wait = this.throttle.check(name, source);
    if (wait) throw loginThrottled(wait);
    const user = await this.findByUsername(name);
    const dummy = await (dummyHash ??= hashPassword('not-a-real-password-1'));
    const ok = await verifyPassword(password, user?.passwordHash ?? dummy);
    if (!user || !ok) {
      const waitNow = this.throttle.fail(name, source);
      await this.floor.hold(startedAt);
      throw waitNow ? loginThrottled(waitNow) : errors.invalidCredentials();
    }
    if (user.disabled) throw errors.accountDisabled();
    // A handed-out password not changed in time: told only to the holder of it, like a disabled account.
    if (user.mustChangePassword && user.passwordExpiresAt && user.passwordExpiresAt <= this.now()) throw oneTimePasswordExpired();
    this.throttle.succeed(name, source);
    const now = this.now();
    const token = randomBytes(32).toString('base64url');
    await this.models.Session.create({
      _id: tokenId(token),
      userId: user._id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.cfg.sessionTtlSeconds * 1000),
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300),
    });
    return { token, user };
  }

  /**
   * The session's user, or null when the token is unknown, expired, or the user is disabled.
   * Lookups of one token are shared (every beat of a viewer arrives while the first lookup is
   * on its way), and an entry past its freshness is still answered from memory once, for up to
   * another SESSION_CACHE_SECONDS, while one refresh runs in the background: so thousands of viewers whose
   * entries age together do not all wait on the store at the same moment. Freshness is jittered
   * for the same reason.
   */
  async resolve(token: string): Promise<UserDoc | null> {
    const id = tokenId(token);
    const now = this.now().getTime();
    const hit = this.cache.get(id);
    if (hit && hit.expiresAt > now && now < hit.freshUntil + this.cacheMs) {
      if (now >= hit.freshUntil) void this.lookup(id).catch(() => {});
      return hit.user;
    }
    return this.lookup(id);
  }

  private lookup(id: string): Promise<UserDoc | null> {
    let pending = this.loading.get(id);
    if (!pending) {
      const epoch = this.epoch;
      pending = this.load(id, epoch).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string, epoch: number): Promise<UserDoc | null> {
    const { Session, User } = this.models;
    const now = this.now();
    const session = await Session.findById(id).lean();
    if (!session) return this.forget(id);
    if (session.expiresAt <= now) {
      await Session.deleteOne({ _id: session._id });
      return this.forget(id);
    }
    const user = await User.findById(session.userId).lean<UserDoc>();
    if (!user || user.disabled) return this.forget(id);
    const ttlMs = this.cfg.sessionTtlSeconds * 1000;
    let expiresAt = session.expiresAt.getTime();
    if (expiresAt - now.getTime() < ttlMs / 2) {
      expiresAt = now.getTime() + ttlMs;
      await Session.updateOne({ _id: session._id }, { $set: { expiresAt: new Date(expiresAt) } });
    }
    // A logout or a change to the user while this lookup ran wins: do not cache what it read.
    if (epoch !== this.epoch) return user;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(id, { user, expiresAt, freshUntil: now.getTime() + this.cacheMs * (0.8 + 0.2 * Math.random()) });
    return user;
  }

  private forget(id: string): null {
    this.cache.delete(id);
    return null;
  }

  async logout(token: string): Promise<void> {
    const id = tokenId(token);
    this.epoch++;
    this.cache.delete(id);
    await this.models.Session.deleteOne({ _id: id });
    // A lookup that began before the delete may have cached the session meanwhile.
    this.epoch++;
    this.cache.delete(id);
  }

  /** Drops cached sessions of a user (disabled, password changed, role or unit changed). */
  forgetUser(userId: string) {
    this.epoch++;
    for (const [id, entry] of this.cache) if (String(entry.user._id) === userId) this.cache.delete(id);
  }

  async changePassword(userId: Types.ObjectId, current: string, next: string, keepToken?: string) {
    const { User, Session } = this.models;
    const user = await User.findById(userId).lean<UserDoc>();
    if (!user || !(await verifyPassword(current, user.passwordHash))) throw errors.invalidCredentials();
    if (!isStrongEnough(next)) throw errors.weakPassword();
    if (next === current) throw new AppError(400, 'PASSWORD_UNCHANGED', '新密码不能与当前密码相同', 'The new password must differ from the current one');
    const passwordHash = await hashPassword(next);
    // Under the user's key: an admin's edit (a disable) racing this write would otherwise be lost.
    // The user's own password now: the one-time password and its deadline are gone.
    await storeLock(this.models).run(`user:${String(userId)}`, () =>
      User.updateOne({ _id: userId }, { $set: { passwordHash, passwordChangedAt: this.now(), mustChangePassword: false }, $unset: { passwordExpiresAt: 1 } }),
    );
    // Other devices must log in again with the new password.
    const keep = keepToken ? tokenId(keepToken) : undefined;
    await Session.deleteMany(keep ? { userId, _id: { $ne: keep } } : { userId });
    this.forgetUser(String(userId));
  }

  /** Deletes expired sessions; the store has no TTL index to do it. */
  async sweepExpired(): Promise<number> {
    const res = await this.models.Session.deleteMany({ expiresAt: { $lte: this.now() } });
    return res.deletedCount ?? 0;
  }
}
