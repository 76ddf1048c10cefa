/**
 * A login that tells nothing: real and unknown names answer alike in code, message and time;
 * wrong passwords make their own source wait, not the account's owner elsewhere; an org admin
 * sees and lifts the waits. Against the real store, through HTTP (`inject` with remoteAddress).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let unitId: string;

beforeAll(async () => {
  // Many logins from one address per minute: the per-address limit is tested in server-lifecycle.
  t = await build({ LOGIN_MAX_FAILURES: '3', LOGIN_DELAY_SECONDS: '30', LOGIN_LOCK_SECONDS: '600', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  unitId = String(seeded.unitIds.get('苏公坨村党支部'));
  expect(unitId).toMatch(/^[0-9a-f]{24}$/);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
});
afterAll(() => t?.close());

const tryLogin = (username: string, password: string, remoteAddress: string) =>
  t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};

describe('a login that tells nothing', () => {
  it('takes the same time to refuse a real account as an unknown one (medians of 20 within 20%)', async () => {
    const timed = async (username: string, from: string) => {
      const started = performance.now();
      const res = await tryLogin(username, 'wrong-password-1', from);
      expect(res.statusCode).toBe(401);
      return performance.now() - started;
    };
    // Warm-up: the first failures set the floor every later one is held to.
    for (let i = 0; i < 3; i++) {
      await timed('lecturer', `10.8.${i}.1`);
      await timed('no-such-person', `10.8.${i}.2`);
    }
    const real: number[] = [];
    const unknown: number[] = [];
    // Interleaved, each from its own address, so neither kind meets a wait or a busier moment.
    for (let i = 0; i < 20; i++) {
      real.push(await timed('lecturer', `10.9.${i}.1`));
      unknown.push(await timed('no-such-person', `10.9.${i}.2`));
    }
    const [a, b] = [median(real), median(unknown)];
    expect(Math.abs(a - b) / Math.max(a, b), `real ${a.toFixed(1)} ms, unknown ${b.toFixed(1)} ms`).toBeLessThan(0.2);
  });

  it('answers a waiting source the same for a real and an unknown account: 429 with Retry-After', async () => {
    const answers = [];
    for (const username of ['unitadmin', 'ghost-admin']) {
      for (let i = 0; i < 3; i++) await tryLogin(username, `guess-${i}`, '10.7.0.1');
      answers.push(await tryLogin(username, 'guess-again', '10.7.0.1'));
    }
    const [real, unknown] = answers as [(typeof answers)[0], (typeof answers)[0]];
    for (const res of [real, unknown]) {
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.json().error.code).toBe('RATE_LIMITED');
    }
    const shape = (body: string) => body.replace(/\d+/g, 'N');
    expect(shape(real.body)).toBe(shape(unknown.body));
  });

  it('does not let a stranger’s 20 wrong passwords from one address stop the owner at another', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await tryLogin('orgadmin', `not-it-${i}`, '198.51.100.7')).statusCode);
    expect(statuses.slice(0, 2)).toEqual([401, 401]);
    expect(statuses.slice(2).every((s) => s === 429)).toBe(true);
    // The stranger waits even with the right password; the owner at the office does not.
    expect((await tryLogin('orgadmin', DEMO_PASSWORD, '198.51.100.7')).statusCode).toBe(429);
    expect((await tryLogin('orgadmin', DEMO_PASSWORD, '192.0.2.10')).statusCode).toBe(200);
  });

  it('tells a disabled account only to the holder of its password', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: 'tingyong1', displayName: '停用测试', password: 'xuexi2026', role: 'cadre', orgUnitId: unitId } });
    expect(created.statusCode, created.body).toBe(201);
    const disabled = await t.app.store.models.User.updateOne({ username: 'tingyong1' }, { $set: { disabled: true } });
    expect(disabled.modifiedCount).toBe(1);
    const wrong = await tryLogin('tingyong1', 'wrong-password-1', '10.6.0.1');
    const unknown = await tryLogin('tingyong2', 'wrong-password-1', '10.6.0.1');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    const right = await tryLogin('tingyong1', 'xuexi2026', '10.6.0.1');
    expect(right.statusCode).toBe(403);
    expect(right.json().error.code).toBe('ACCOUNT_DISABLED');
  });
});

describe('login locks for the org admin', () => {
  it('lists a waiting source and lifts it, after which that source is heard again', async () => {
    for (let i = 0; i < 3; i++) expect((await tryLogin('cadre', `bad-${i}`, '203.0.113.5')).statusCode).toBeGreaterThanOrEqual(401);
    expect((await tryLogin('cadre', DEMO_PASSWORD, '203.0.113.5')).statusCode).toBe(429);
    const list = await t.app.inject({ url: '/api/auth/locks', headers: { cookie: admin } });
    expect(list.statusCode).toBe(200);
    const lock = list.json().items.find((l: { kind: string; username: string; ip?: string }) => l.kind === 'source' && l.username === 'cadre' && l.ip === '203.0.113.5');
    expect(lock).toMatchObject({ failures: 3 });
    expect(Date.parse(lock.blockedUntil)).toBeGreaterThan(Date.now());
    const lifted = await t.app.inject({ method: 'DELETE', url: `/api/auth/locks/${encodeURIComponent(lock.key)}`, headers: { cookie: admin } });
    expect(lifted.statusCode).toBe(204);
    expect((await tryLogin('cadre', DEMO_PASSWORD, '203.0.113.5')).statusCode).toBe(200);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/auth/locks/${encodeURIComponent(lock.key)}`, headers: { cookie: admin } });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('NOT_FOUND');
  });

  it('shows and lifts locks only for the org admin', async () => {
    const cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
    const unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
    for (const cookie of [cadre, unitAdmin]) {
      const list = await t.app.inject({ url: '/api/auth/locks', headers: { cookie } });
      expect(list.statusCode).toBe(403);
      expect(list.json().error.code).toBe('FORBIDDEN');
      expect((await t.app.inject({ method: 'DELETE', url: '/api/auth/locks/x', headers: { cookie } })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ url: '/api/auth/locks' })).statusCode).toBe(401);
  });
});
