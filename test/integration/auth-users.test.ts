/** Accounts, login, lock-out and sessions against the real FerretDB. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthService } from '../../server/modules/auth/auth.service';
import { build, login, type TestApp } from '../helpers/build';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';

let t: TestApp;
let admin: string;
let unitId: string;
let otherCommitteeUnitId: string;

beforeAll(async () => {
  // Many logins from one address in a minute: the per-address limit is tested in server-lifecycle.
  t = await build({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '60', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  unitId = String(seeded.unitIds.get('苏公坨村党支部'));
  otherCommitteeUnitId = String(seeded.unitIds.get('兴隆社区党委'));
  expect(unitId).toMatch(/^[0-9a-f]{24}$/);
  expect(otherCommitteeUnitId).toMatch(/^[0-9a-f]{24}$/);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
});
afterAll(() => t?.close());

const post = (url: string, payload: object, cookie?: string, remoteAddress?: string) =>
  t.app.inject({ method: 'POST', url, payload, headers: cookie ? { cookie } : {}, ...(remoteAddress ? { remoteAddress } : {}) });

/** Creates a cadre of `unitId` as the org admin; a setup step, so it must succeed. */
async function createCadre(username: string, displayName: string, password = 'xuexi2026'): Promise<{ id: string }> {
  const res = await post('/api/users', { username, displayName, password, role: 'cadre', orgUnitId: unitId }, admin);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('users in the store', () => {
  it('creates a cadre and reads it back without its password hash', async () => {
    const res = await post('/api/users', { username: 'liming', displayName: '李明', password: 'xuexi2026', role: 'cadre', rank: 'township', orgUnitId: unitId }, admin);
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ username: 'liming', displayName: '李明', role: 'cadre', rank: 'township', orgUnitId: unitId });
    expect(JSON.stringify(created)).not.toMatch(/passwordHash|scrypt/);
    const got = await t.app.inject({ url: `/api/users/${created.id}`, headers: { cookie: admin } });
    expect(got.statusCode).toBe(200);
    expect(got.json().displayName).toBe('李明');
    const stored = await t.app.store.models.User.findById(created.id).lean();
    expect(stored!.passwordHash).toMatch(/^scrypt\$/);
  });

  it('refuses a second account with the same username, case-insensitively, and keeps the first', async () => {
    const first = await post('/api/users', { username: 'wangfang', displayName: '王芳', password: 'xuexi2026', role: 'cadre', orgUnitId: unitId }, admin);
    expect(first.statusCode).toBe(201);
    const dup = await post('/api/users', { username: 'WangFang', displayName: '另一个王芳', password: 'xuexi2027', role: 'cadre', orgUnitId: unitId }, admin);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatchObject({ code: 'USERNAME_TAKEN', message: '用户名已被使用' });
    expect(dup.json().error.messageEn).toMatch(/already taken/);
    const rows = await t.app.store.models.User.find({ username: 'wangfang' }).lean();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.displayName).toBe('王芳');
  });

  it('rejects bad input with a code and both languages, storing nothing', async () => {
    const before = await t.app.store.models.User.countDocuments();
    const res = await post('/api/users', { username: 'x', displayName: '', password: 'short', role: 'emperor' }, admin);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_ERROR');
    expect(res.json().error.message).toMatch(/请求数据不正确/);
    expect(await t.app.store.models.User.countDocuments()).toBe(before);
  });

  it('lets a unit admin manage cadres of its own committee only', async () => {
    const ua = await login(t.app, 'unitadmin', DEMO_PASSWORD);
    const ok = await post('/api/users', { username: 'zhaolei', displayName: '赵磊', password: 'xuexi2026', role: 'cadre', orgUnitId: unitId }, ua);
    expect(ok.statusCode).toBe(201);
    const elsewhere = await post('/api/users', { username: 'sunli', displayName: '孙丽', password: 'xuexi2026', role: 'cadre', orgUnitId: otherCommitteeUnitId }, ua);
    expect(elsewhere.statusCode).toBe(403);
    const adminRole = await post('/api/users', { username: 'boss2', displayName: '管理员', password: 'xuexi2026', role: 'orgAdmin', orgUnitId: unitId }, ua);
    expect(adminRole.statusCode).toBe(403);
    const list = await t.app.inject({ url: '/api/users?pageSize=200', headers: { cookie: ua } });
    expect(list.statusCode).toBe(200);
    const names = list.json().items.map((u: { username: string }) => u.username);
    expect(names).toContain('zhaolei');
    expect(names).not.toContain('orgadmin');
  });

  it('forbids cadres from administering accounts', async () => {
    const cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
    const res = await t.app.inject({ url: '/api/users', headers: { cookie: cadre } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });
});

describe('login', () => {
  it('logs in with the right password and answers me with the unit name', async () => {
    const res = await post('/api/auth/login', { username: 'cadre', password: DEMO_PASSWORD });
    expect(res.statusCode).toBe(200);
    const sid = res.cookies.find((c) => c.name === 'sid')!;
    expect(sid.httpOnly).toBe(true);
    expect(sid.sameSite).toBe('Lax');
    const me = await t.app.inject({ url: '/api/auth/me', headers: { cookie: `sid=${sid.value}` } });
    expect(me.json().user).toMatchObject({ username: 'cadre', role: 'cadre', orgUnitName: '苏公坨村党支部' });
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    const wrong = await post('/api/auth/login', { username: 'lecturer', password: 'nope' });
    const unknown = await post('/api/auth/login', { username: 'nobody', password: 'nope' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
    expect(wrong.cookies.find((c) => c.name === 'sid')).toBeUndefined();
  });

  it('makes a source wait after too many wrong passwords, even with the right one, but not another source', async () => {
    await createCadre('locked1', '锁定测试');
    const from = '10.1.0.1';
    expect((await post('/api/auth/login', { username: 'locked1', password: 'bad1' }, undefined, from)).statusCode).toBe(401);
    expect((await post('/api/auth/login', { username: 'locked1', password: 'bad2' }, undefined, from)).statusCode).toBe(401);
    const third = await post('/api/auth/login', { username: 'locked1', password: 'bad3' }, undefined, from);
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe('RATE_LIMITED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    const right = await post('/api/auth/login', { username: 'locked1', password: 'xuexi2026' }, undefined, from);
    expect(right.statusCode).toBe(429);
    expect((await post('/api/auth/login', { username: 'locked1', password: 'xuexi2026' }, undefined, '10.1.0.2')).statusCode).toBe(200);
  });

  it('counts failures without writing to the account, and a success clears its source', async () => {
    await createCadre('resets1', '重置测试');
    const from = '10.2.0.1';
    const updates = vi.spyOn(t.app.store.models.User, 'updateOne');
    const findUpdates = vi.spyOn(t.app.store.models.User, 'findOneAndUpdate');
    try {
      expect((await post('/api/auth/login', { username: 'resets1', password: 'bad1' }, undefined, from)).statusCode).toBe(401);
      expect((await post('/api/auth/login', { username: 'resets1', password: 'bad2' }, undefined, from)).statusCode).toBe(401);
      expect((await post('/api/auth/login', { username: 'resets1', password: 'xuexi2026' }, undefined, from)).statusCode).toBe(200);
      expect(updates).not.toHaveBeenCalled();
      expect(findUpdates).not.toHaveBeenCalled();
    } finally {
      updates.mockRestore();
      findUpdates.mockRestore();
    }
    // Cleared: two more wrong passwords from there are still answered 401, not a wait.
    expect((await post('/api/auth/login', { username: 'resets1', password: 'bad3' }, undefined, from)).statusCode).toBe(401);
    expect((await post('/api/auth/login', { username: 'resets1', password: 'bad4' }, undefined, from)).statusCode).toBe(401);
  });

  it('finds users by the id learnt for their name, and by name when the store says otherwise', async () => {
    const auth = new AuthService(t.app.store.models, t.app.config.auth);
    await auth.warmUsernames();
    const created = await createCadre('hint1', '提示测试');
    // Created after the warm-up: looked up by name, then by id.
    const findOne = vi.spyOn(t.app.store.models.User, 'findOne');
    // findById() goes through findOne({ _id }) too: count the lookups by name.
    const byName = { calls: () => findOne.mock.calls.filter((c) => c[0] && 'username' in c[0]).length };
    try {
      expect((await auth.login('hint1', 'xuexi2026', {})).user.username).toBe('hint1');
      expect(byName.calls()).toBe(1);
      expect((await auth.login('Hint1 ', 'xuexi2026', {})).user.username).toBe('hint1');
      expect(byName.calls()).toBe(1);
      // Renamed in the store behind the service's back: the old name no longer logs in, the new one does.
      await t.app.store.models.User.updateOne({ _id: created.id }, { $set: { username: 'hint2' } });
      await expect(auth.login('hint1', 'xuexi2026', {})).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect((await auth.login('hint2', 'xuexi2026', {})).user.username).toBe('hint2');
    } finally {
      findOne.mockRestore();
    }
  });

  it('expires a session after its TTL, even one trusted from memory, and deletes it', async () => {
    let now = Date.now();
    const auth = new AuthService(t.app.store.models, { ...t.app.config.auth, sessionTtlSeconds: 60 }, () => new Date(now));
    const { token } = await auth.login('lecturer', DEMO_PASSWORD, {});
    expect((await auth.resolve(token))?.username).toBe('lecturer');
    now += 61_000;
    expect(await auth.resolve(token)).toBeNull();
    expect(await t.app.store.models.Session.countDocuments({ expiresAt: { $lte: new Date(now) } })).toBe(0);
  });

  it('ends the session on logout', async () => {
    const cookie = await login(t.app, 'station', DEMO_PASSWORD);
    expect((await post('/api/auth/logout', {}, cookie)).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('lets a cadre change its own password and log in with the new one', async () => {
    await createCadre('chenjing', '陈静');
    const cookie = await login(t.app, 'chenjing', 'xuexi2026');
    const weak = await post('/api/auth/password', { currentPassword: 'xuexi2026', newPassword: 'abc' }, cookie);
    expect(weak.json().error.code).toBe('WEAK_PASSWORD');
    const wrong = await post('/api/auth/password', { currentPassword: 'guess1234', newPassword: 'xinmima2026' }, cookie);
    expect(wrong.statusCode).toBe(401);
    expect((await post('/api/auth/password', { currentPassword: 'xuexi2026', newPassword: 'xinmima2026' }, cookie)).statusCode).toBe(204);
    expect((await post('/api/auth/login', { username: 'chenjing', password: 'xuexi2026' })).statusCode).toBe(401);
    expect((await post('/api/auth/login', { username: 'chenjing', password: 'xinmima2026' })).statusCode).toBe(200);
  });

  it('looks a session up once for concurrent requests, refreshes it behind the answer, and lets a logout win', async () => {
    const { models } = t.app.store;
    let now = Date.now();
    const auth = new AuthService(models, { ...t.app.config.auth, sessionTtlSeconds: 3600 }, () => new Date(now));
    const { token } = await auth.login('cadre', DEMO_PASSWORD, {});
    const lookups = vi.spyOn(models.Session, 'findById');
    try {
      const users = await Promise.all(Array.from({ length: 50 }, () => auth.resolve(token)));
      expect(users.every((u) => u?.username === 'cadre')).toBe(true);
      expect(lookups).toHaveBeenCalledTimes(1);
      // Past its freshness the entry still answers, and one refresh runs behind it.
      now += 35_000;
      expect((await Promise.all(Array.from({ length: 20 }, () => auth.resolve(token)))).every((u) => u?.username === 'cadre')).toBe(true);
      await vi.waitFor(() => expect(lookups).toHaveBeenCalledTimes(2));
      // Much older: the answer waits for the store; a logout while that lookup runs is not undone by it.
      now += 70_000;
      const pending = auth.resolve(token);
      await auth.logout(token);
      await pending;
      expect(await auth.resolve(token)).toBeNull();
    } finally {
      lookups.mockRestore();
    }
  });

  it('trusts a resolved session from memory for SESSION_CACHE_SECONDS', async () => {
    const { models } = t.app.store;
    let now = Date.now();
    const auth = new AuthService(models, { ...t.app.config.auth, sessionTtlSeconds: 3600, sessionCacheSeconds: 600 }, () => new Date(now));
    const { token } = await auth.login('cadre', DEMO_PASSWORD, {});
    const lookups = vi.spyOn(models.Session, 'findById');
    try {
      expect((await auth.resolve(token))?.username).toBe('cadre');
      now += 300_000; // well past the default 30 s, within 600 s
      expect((await auth.resolve(token))?.username).toBe('cadre');
      await sleep(50);
      expect(lookups).toHaveBeenCalledTimes(1);
      now += 310_000; // past 600 s (less the jitter): answered, re-read behind the answer
      expect((await auth.resolve(token))?.username).toBe('cadre');
      await vi.waitFor(() => expect(lookups).toHaveBeenCalledTimes(2));
    } finally {
      lookups.mockRestore();
    }
  });

  it('sweeps expired sessions from the store', async () => {
    let now = Date.now();
    const auth = new AuthService(t.app.store.models, { ...t.app.config.auth, sessionTtlSeconds: 60 }, () => new Date(now));
    await auth.login('cadre', DEMO_PASSWORD, {});
    now += 61_000;
    expect(await auth.sweepExpired()).toBeGreaterThan(0);
    expect(await t.app.store.models.Session.countDocuments({ expiresAt: { $lte: new Date(now) } })).toBe(0);
  });
});

describe('organisation tree', () => {
  it('returns the county with its committees and refuses a unit under a unit', async () => {
    const tree = await t.app.inject({ url: '/api/org/tree', headers: { cookie: admin } });
    const [county] = tree.json().roots;
    expect(county.name).toBe('通榆县');
    expect(county.children.filter((c: { kind: string }) => c.kind === 'committee')).toHaveLength(3);
    const bad = await post('/api/org/units', { name: '某小组', kind: 'committee', parentId: unitId }, admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_PARENT');
  });
});
