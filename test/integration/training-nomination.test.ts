/**
 * Nominations (推荐调训) on the real store: the org admin opens a class with quotas per unit and
 * overall; unit admins nominate only their units' cadres (403 outside), within their quota even
 * when 10 nominations race; the org admin confirms (enrols against capacity) or refuses with a
 * reason, and the cadres hear of it in the bell; closing the class stops nominations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres as makeCadresIn } from '../helpers/cadres';

let t: TestApp;
let orgAdmin: string;
let unitAdmin: string;
let otherAdmin: string;
let unit: (name: string) => string;
let sgt: { id: string; cookie: string }[] = [];
let kt: { id: string; cookie: string }[] = [];

const call = async (method: string, url: string, cookie: string, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return { status: res.statusCode, body: res.body ? (res.json() as any) : undefined };
};
const today = () => t.app.calendar.day(Date.now());
const day = (n: number) => t.app.calendar.addDays(today(), n);

const makeCadres = (prefix: string, n: number, unitName: string) => makeCadresIn(t.app, { prefix, n, unitId: unit(unitName) });

async function openClass(settings: { overallQuota: number; unitQuotas: { unitId: string; quota: number }[] }, over: Record<string, unknown> = {}) {
  const r = await call('POST', '/api/training/classes', orgAdmin, { name: '年轻干部能力提升班', category: '岗位培训', channel: 'county', startDay: day(10), endDay: day(12), capacity: 30, creditHours: 16, applications: false, ...over });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const id = r.body.id as string;
  const s = await call('PUT', `/api/training/classes/${id}/nomination`, orgAdmin, { open: true, ...settings });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  return id;
}
const nominate = (cookie: string, id: string, users: { id: string }[]) => call('POST', `/api/training/classes/${id}/nominations`, cookie, { userIds: users.map((u) => u.id) });
const decide = (id: string, userId: string, action: string, reason?: string, cookie = orgAdmin) => call('POST', `/api/training/classes/${id}/nominations/${userId}/decision`, cookie, { action, reason });
const bell = async (cookie: string) => (await call('GET', '/api/notices', cookie)).body.items as any[];

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  unit = (name) => String(seeded.unitIds.get(name)!);
  orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  expect((await call('POST', '/api/users', orgAdmin, { username: 'kt-admin', displayName: '开通镇管理员', password: 'Kaitong2026x', role: 'unitAdmin', orgUnitId: unit('开通镇党委') })).status).toBe(201);
  otherAdmin = await login(t.app, 'kt-admin', 'Kaitong2026x');
  sgt = await makeCadres('sgt', 12, '苏公坨村党支部');
  kt = await makeCadres('kt', 2, '开通镇人民政府');
}, 60_000);
afterAll(() => t?.close());

describe('nominations', () => {
  it('lets unit admins nominate their own units’ cadres within their quota, 403 outside', async () => {
    const id = await openClass({ overallQuota: 3, unitQuotas: [{ unitId: unit('苏公坨乡党委'), quota: 2 }] });
    expect(await nominate(unitAdmin, id, sgt.slice(0, 2))).toMatchObject({ status: 200, body: { nominated: 2, already: 0 } });
    const over = await nominate(unitAdmin, id, [sgt[2]!]);
    expect([over.status, over.body.error.code]).toEqual([409, 'TRAINING_QUOTA_FULL']);
    const outside = await nominate(unitAdmin, id, [kt[0]!]);
    expect([outside.status, outside.body.error.code]).toEqual([403, 'TRAINING_OUT_OF_SCOPE']);
    // 开通镇 has no unit quota of this class.
    const noQuota = await nominate(otherAdmin, id, [kt[0]!]);
    expect([noQuota.status, noQuota.body.error.code]).toEqual([409, 'TRAINING_NO_QUOTA']);
    // A unit admin sees the class, their quota and their own nominations only.
    const open = (await call('GET', '/api/training/nominations', unitAdmin)).body.items.find((c: any) => c.id === id);
    expect(open.quotas).toMatchObject({ open: true, overall: { quota: 3, left: 1 }, units: [{ unit: '苏公坨乡党委', quota: 2, left: 0 }] });
    expect(open.items.map((n: any) => n.state)).toEqual(['pending', 'pending']);
    expect((await call('GET', `/api/training/classes/${id}/nominations`, otherAdmin)).body.items).toEqual([]);
    expect((await bell(sgt[0]!.cookie)).some((n) => n.id === `training-nominated-${id}`)).toBe(true);
    // Bad input is a 4xx naming the field.
    const bad = await call('PUT', `/api/training/classes/${id}/nomination`, orgAdmin, { open: true, overallQuota: -1, unitQuotas: [] });
    expect([bad.status, bad.body.error.details?.field]).toEqual([400, 'body.overallQuota']);
    expect((await call('PUT', `/api/training/classes/${id}/nomination`, unitAdmin, { open: false, overallQuota: 0, unitQuotas: [] })).status).toBe(403);
  });

  it('confirms (enrols against capacity) or refuses with a reason, telling the cadres', async () => {
    const id = await openClass({ overallQuota: 0, unitQuotas: [{ unitId: unit('苏公坨乡党委'), quota: 3 }] }, { capacity: 1 });
    await nominate(unitAdmin, id, sgt.slice(3, 6));
    expect((await decide(id, sgt[3]!.id, 'confirm', undefined, unitAdmin)).body.error.code).toBe('TRAINING_NOT_MANAGER');
    expect((await decide(id, sgt[3]!.id, 'confirm')).body).toEqual({ state: 'confirmed' });
    const roster = (await call('GET', `/api/training/classes/${id}/roster`, orgAdmin)).body.items;
    expect(roster).toEqual([expect.objectContaining({ userId: sgt[3]!.id, state: 'enrolled', via: 'assigned' })]);
    expect((await bell(sgt[3]!.cookie)).some((n) => n.id === `training-enrolled-${id}`)).toBe(true);
    const full = await decide(id, sgt[4]!.id, 'confirm');
    expect([full.status, full.body.error.code]).toEqual([409, 'TRAINING_CLASS_FULL']);
    expect((await decide(id, sgt[4]!.id, 'refuse')).body.error.code).toBe('TRAINING_REASON_REQUIRED');
    expect((await decide(id, sgt[4]!.id, 'refuse', '名额已满')).body).toEqual({ state: 'refused' });
    expect((await bell(sgt[4]!.cookie)).some((n) => n.title.includes('推荐未获确认') && n.body.includes('名额已满'))).toBe(true);
    expect((await decide(id, sgt[4]!.id, 'confirm')).body.error.code).toBe('TRAINING_BAD_STATE');
    // A refusal frees its quota place: the unit nominates someone else.
    expect((await nominate(unitAdmin, id, [sgt[6]!])).body).toEqual({ nominated: 1, already: 0 });
    // A pending nomination is taken back by its unit.
    expect((await call('DELETE', `/api/training/classes/${id}/nominations/${sgt[5]!.id}`, unitAdmin)).body).toEqual({ state: 'withdrawn' });
    // Closed: no more nominations.
    await call('PUT', `/api/training/classes/${id}/nomination`, orgAdmin, { open: false, overallQuota: 0, unitQuotas: [] });
    expect((await nominate(unitAdmin, id, [sgt[7]!])).body.error.code).toBe('TRAINING_NOMINATION_CLOSED');
  });

  it('keeps a quota of 2 when 10 nominations race', async () => {
    const id = await openClass({ overallQuota: 2, unitQuotas: [] }, { name: '并发推荐班' });
    const replies = await Promise.all(sgt.slice(0, 10).map((c) => nominate(unitAdmin, id, [c])));
    expect(replies.filter((r) => r.status === 200).length).toBe(2);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.error.code === 'TRAINING_QUOTA_FULL')).toBe(true);
    const list = (await call('GET', `/api/training/classes/${id}/nominations`, orgAdmin)).body;
    expect(list.items.length).toBe(2);
    expect(list.quotas.overall).toEqual({ quota: 2, left: 0 });
  });
});
