/** The admin console's users API: search, scope of unit admins, roles, disabling, one-time passwords. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { build, login, type TestApp } from '../helpers/build';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';

let t: TestApp;
let admin: string;
let unitAdmin: string;
const unit: Record<string, string> = {};

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, cookie?: string, payload?: object) =>
  t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  for (const [name, id] of seeded.unitIds) unit[name] = String(id);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD); // 苏公坨乡党委
});
afterAll(() => t?.close());

async function create(body: object, cookie = admin) {
  const res = await call('POST', '/api/users', cookie, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; oneTimePassword?: string; mustChangePassword: boolean };
}

describe('searching users', () => {
  it('filters by name, unit subtree, rank and disabled, paged, with unit names', async () => {
    await create({ username: 'sou1', displayName: '搜索甲', role: 'cadre', rank: 'county', orgUnitId: unit['苏公坨村党支部'], phone: '13900000001' });
    const b = await create({ username: 'sou2', displayName: '搜索乙', role: 'cadre', orgUnitId: unit['兴隆社区党委'] });
    await call('PATCH', `/api/users/${b.id}`, admin, { disabled: true });
    const byName = (await call('GET', '/api/users?search=%E6%90%9C%E7%B4%A2', admin)).json();
    expect(byName.items.map((u: { username: string }) => u.username).sort()).toEqual(['sou1', 'sou2']);
    expect(byName.items.find((u: { username: string }) => u.username === 'sou1')).toMatchObject({ orgUnitName: '苏公坨村党支部', rank: 'county', phone: '13900000001' });
    const bySubtree = (await call('GET', `/api/users?search=sou&orgUnitId=${unit['苏公坨乡党委']}`, admin)).json();
    expect(bySubtree.items.map((u: { username: string }) => u.username)).toEqual(['sou1']);
    expect((await call('GET', '/api/users?search=sou&rank=county', admin)).json().total).toBe(1);
    expect((await call('GET', '/api/users?search=sou&disabled=true', admin)).json().items.map((u: { username: string }) => u.username)).toEqual(['sou2']);
    expect((await call('GET', '/api/users?search=139000', admin)).json().total).toBe(1);
    const paged = (await call('GET', '/api/users?pageSize=2&page=2', admin)).json();
    expect(paged.items).toHaveLength(2);
    expect(paged.total).toBeGreaterThan(4);
  });
});

describe("a unit admin's scope", () => {
  it('cannot see or edit users outside its subtree, nor list them', async () => {
    const outside = await create({ username: 'waibu1', displayName: '外部干部', role: 'cadre', orgUnitId: unit['开通镇人民政府'] });
    expect((await call('GET', `/api/users/${outside.id}`, unitAdmin)).statusCode).toBe(403);
    expect((await call('PATCH', `/api/users/${outside.id}`, unitAdmin, { rank: 'county' })).statusCode).toBe(403);
    expect((await call('POST', `/api/users/${outside.id}/reset-password`, unitAdmin)).statusCode).toBe(403);
    const list = (await call('GET', '/api/users?pageSize=200', unitAdmin)).json();
    expect(list.items.map((u: { username: string }) => u.username)).not.toContain('waibu1');
    expect(list.items.every((u: { orgUnitName: string }) => ['苏公坨乡党委', '苏公坨乡人民政府', '苏公坨村党支部'].includes(u.orgUnitName))).toBe(true);
    expect((await call('GET', '/api/users/000000000000000000000000', unitAdmin)).statusCode).toBe(404);
  });

  it('cannot move a cadre out of its subtree nor promote one to org admin, but may name an admin of a unit below', async () => {
    const mine = await create({ username: 'neibu1', displayName: '内部干部', role: 'cadre', orgUnitId: unit['苏公坨村党支部'] }, unitAdmin);
    expect(mine.oneTimePassword).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(mine.mustChangePassword).toBe(true);
    expect((await call('PATCH', `/api/users/${mine.id}`, unitAdmin, { orgUnitId: unit['开通镇人民政府'] })).statusCode).toBe(403);
    expect((await call('PATCH', `/api/users/${mine.id}`, unitAdmin, { role: 'orgAdmin' })).statusCode).toBe(403);
    expect((await call('PATCH', `/api/users/${mine.id}`, unitAdmin, { role: 'lecturer' })).statusCode).toBe(403);
    const moved = await call('PATCH', `/api/users/${mine.id}`, unitAdmin, { orgUnitId: unit['苏公坨乡人民政府'], rank: 'county' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ orgUnitName: '苏公坨乡人民政府', rank: 'county' });
    const promoted = await call('PATCH', `/api/users/${mine.id}`, unitAdmin, { role: 'unitAdmin' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().rank).toBeUndefined();
    // A unit admin of the committee itself would be the actor's peer: refused.
    expect((await call('POST', '/api/users', unitAdmin, { username: 'peer1', displayName: '同级', role: 'unitAdmin', orgUnitId: unit['苏公坨乡党委'] })).statusCode).toBe(403);
    const me = (await call('GET', '/api/auth/me', unitAdmin)).json().user;
    expect((await call('PATCH', `/api/users/${me.id}`, unitAdmin, { rank: 'county' })).statusCode).toBe(403);
  });

  it('lets the org admin change roles but not its own', async () => {
    const u = await create({ username: 'juese1', displayName: '角色', role: 'cadre', orgUnitId: unit['县委党校'] });
    const res = await call('PATCH', `/api/users/${u.id}`, admin, { role: 'lecturer' });
    expect(res.statusCode).toBe(200);
    expect(res.json().role).toBe('lecturer');
    const me = (await call('GET', '/api/auth/me', admin)).json().user;
    const own = await call('PATCH', `/api/users/${me.id}`, admin, { role: 'cadre' });
    expect(own.statusCode).toBe(400);
    expect(own.json().error.code).toBe('CANNOT_CHANGE_OWN_ROLE');
  });
});

describe('disabling and one-time passwords', () => {
  it('disabling ends the sessions of the account at once', async () => {
    await create({ username: 'tingyong2', displayName: '停用', role: 'cadre', orgUnitId: unit['苏公坨村党支部'], password: 'xuexi2026' });
    const cadre = await login(t.app, 'tingyong2', 'xuexi2026');
    expect((await call('GET', '/api/lectures', cadre)).statusCode).toBe(200);
    const id = (await call('GET', '/api/auth/me', cadre)).json().user.id;
    expect((await call('PATCH', `/api/users/${id}`, unitAdmin, { disabled: true })).statusCode).toBe(200);
    expect((await call('GET', '/api/lectures', cadre)).statusCode).toBe(401);
    expect(await t.app.store.models.Session.countDocuments({ userId: id })).toBe(0);
    expect((await call('PATCH', `/api/users/${id}`, unitAdmin, { disabled: false })).json().disabled).toBe(false);
    expect((await call('POST', '/api/auth/login', undefined, { username: 'tingyong2', password: 'xuexi2026' })).statusCode).toBe(200);
  });

  it('a reset password replaces the old one, works until changed, and allows nothing else before the change', async () => {
    const u = await create({ username: 'chongzhi1', displayName: '重置', role: 'cadre', orgUnitId: unit['苏公坨村党支部'], password: 'xuexi2026' });
    const before = await login(t.app, 'chongzhi1', 'xuexi2026');
    const reset = await call('POST', `/api/users/${u.id}/reset-password`, unitAdmin);
    expect(reset.statusCode).toBe(200);
    const otp = reset.json().oneTimePassword as string;
    expect(reset.json().user.mustChangePassword).toBe(true);
    expect(JSON.stringify(await t.app.store.models.User.findById(u.id).lean())).not.toContain(otp);
    // The old password and the old session are gone.
    expect((await call('GET', '/api/auth/me', before)).statusCode).toBe(401);
    expect((await call('POST', '/api/auth/login', undefined, { username: 'chongzhi1', password: 'xuexi2026' })).json().error.code).toBe('INVALID_CREDENTIALS');

    const loggedIn = await call('POST', '/api/auth/login', undefined, { username: 'chongzhi1', password: otp });
    expect(loggedIn.statusCode).toBe(200);
    expect(loggedIn.json().user.mustChangePassword).toBe(true);
    const cookie = `sid=${loggedIn.cookies.find((c) => c.name === 'sid')!.value}`;
    const refused = await call('GET', '/api/lectures', cookie);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'PASSWORD_CHANGE_REQUIRED' });
    expect((await call('GET', '/api/study/me/summary', cookie)).json().error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    // Nor does a socket (live rooms, notices) open before the change.
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const refusedSocket = await new Promise<Error>((resolve, reject) => {
      const s = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
      s.on('connect', () => (s.close(), reject(new Error('the socket connected'))));
      s.on('connect_error', (e) => (s.close(), resolve(e)));
    });
    expect(refusedSocket.message).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await call('GET', '/api/auth/me', cookie)).statusCode).toBe(200);
    const same = await call('POST', '/api/auth/password', cookie, { currentPassword: otp, newPassword: otp });
    expect(same.statusCode).toBe(400);
    expect((await call('POST', '/api/auth/password', cookie, { currentPassword: otp, newPassword: 'Wode2027mima' })).statusCode).toBe(204);
    expect((await call('GET', '/api/lectures', cookie)).statusCode).toBe(200);
    expect((await call('GET', '/api/auth/me', cookie)).json().user.mustChangePassword).toBe(false);
    // Once changed, the one-time password never works again.
    expect((await call('POST', '/api/auth/login', undefined, { username: 'chongzhi1', password: otp })).statusCode).toBe(401);
    expect((await call('POST', '/api/auth/login', undefined, { username: 'chongzhi1', password: 'Wode2027mima' })).statusCode).toBe(200);
  });

  it('refuses an expired one-time password only to its holder', async () => {
    const u = await create({ username: 'guoqi1', displayName: '过期', role: 'cadre', orgUnitId: unit['苏公坨村党支部'] });
    await t.app.store.models.User.updateOne({ _id: u.id }, { $set: { passwordExpiresAt: new Date(Date.now() - 1000) } });
    const res = await call('POST', '/api/auth/login', undefined, { username: 'guoqi1', password: u.oneTimePassword });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('ONE_TIME_PASSWORD_EXPIRED');
    expect((await call('POST', '/api/auth/login', undefined, { username: 'guoqi1', password: 'wrong-pass-1' })).json().error.code).toBe('INVALID_CREDENTIALS');
  });
});
