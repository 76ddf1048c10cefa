/**
 * Training classes (培训班) and external training hours (外出培训) on the real store: the org admin
 * owns classes, a unit admin sees those open to their units and edits none, a cadre sees only
 * classes open to their unit; assignment and application (approval, waiting list, withdrawal by
 * a county-time deadline) hold the capacity even under 50 concurrent applications for 10 places;
 * completion credits the ledger once however often it is marked; external hours are decided by
 * the cadre's own unit admin and credited once; bad input is a 4xx naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { CountyCalendar } from '../../server/calendar';
import { withdrawalOpen } from '../../server/modules/training/training-rules';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { demoClasses, seedDemoTraining } from '../../server/seed/demo-training';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres as makeCadresIn } from '../helpers/cadres';

let t: TestApp;
let orgAdmin: string;
let unitAdmin: string;
let otherAdmin: string;
let unit: (name: string) => string;
const cadres: { id: string; cookie: string }[] = [];
let kaitong: { id: string; cookie: string };

const call = async (method: string, url: string, cookie: string, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return { status: res.statusCode, body: res.body ? (res.json() as any) : undefined };
};

const today = () => t.app.calendar.day(Date.now());
const day = (n: number) => t.app.calendar.addDays(today(), n);

const makeCadres = (prefix: string, n: number, unitName: string) => makeCadresIn(t.app, { prefix, n, unitId: unit(unitName) });

function classBody(over: Record<string, unknown> = {}) {
  return { name: '乡村振兴专题培训班', cohort: 1, category: '专题培训', channel: 'county', organiser: '县委组织部', startDay: day(10), endDay: day(12), venue: '县委党校', capacity: 30, unitIds: [unit('苏公坨乡党委')], creditHours: 16, ...over };
}

async function createClass(over: Record<string, unknown> = {}) {
  const r = await call('POST', '/api/training/classes', orgAdmin, classBody(over));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

const roster = async (id: string) => (await call('GET', `/api/training/classes/${id}/roster`, orgAdmin)).body.items as { userId: string; state: string; waitlistPosition?: number }[];
const mineOf = async (cookie: string, id: string) => ((await call('GET', '/api/training/mine', cookie)).body.items as any[]).find((c) => c.id === id);

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  unit = (name) => String(seeded.unitIds.get(name)!);
  orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  const other = await call('POST', '/api/users', orgAdmin, { username: 'kaitong-admin', displayName: '开通镇管理员', password: 'Kaitong2026x', role: 'unitAdmin', orgUnitId: unit('开通镇党委') });
  expect(other.status).toBe(201);
  otherAdmin = await login(t.app, 'kaitong-admin', 'Kaitong2026x');
  cadres.push(...(await makeCadres('sgt', 4, '苏公坨村党支部')));
  kaitong = (await makeCadres('kt', 1, '开通镇人民政府'))[0]!;
}, 60_000);
afterAll(() => t?.close());

describe('classes and access', () => {
  it('lets the org admin create, edit and delete a class, and a unit admin only read it', async () => {
    const id = await createClass();
    const seen = await call('GET', '/api/training/classes', unitAdmin);
    expect(seen.body.items.find((c: any) => c.id === id)).toMatchObject({ editable: false, manageable: false, units: [{ name: '苏公坨乡党委' }], placesLeft: 30 });
    expect((await call('GET', '/api/training/classes', otherAdmin)).body.items.some((c: any) => c.id === id)).toBe(false);
    expect((await call('GET', `/api/training/classes/${id}`, otherAdmin)).status).toBe(404);
    expect((await call('PUT', `/api/training/classes/${id}`, unitAdmin, classBody({ capacity: 5 }))).status).toBe(403);
    expect((await call('POST', '/api/training/classes', unitAdmin, classBody())).status).toBe(403);
    const edited = await call('PUT', `/api/training/classes/${id}`, orgAdmin, classBody({ capacity: 40, venue: '墨宝园培训基地' }));
    expect(edited.body).toMatchObject({ capacity: 40, venue: '墨宝园培训基地', withdrawBy: day(9) });
    expect((await call('DELETE', `/api/training/classes/${id}`, orgAdmin)).status).toBe(204);
    expect((await call('GET', `/api/training/classes/${id}`, orgAdmin)).status).toBe(404);
  });

  it('hides a class not open to a cadre’s unit and refuses their application', async () => {
    const id = await createClass({ unitIds: [unit('开通镇党委')], name: '应急处置演练班' });
    expect(await mineOf(cadres[0]!.cookie, id)).toBeUndefined();
    expect((await call('POST', `/api/training/classes/${id}/application`, cadres[0]!.cookie)).status).toBe(404);
    expect(await mineOf(kaitong.cookie, id)).toMatchObject({ canApply: true, placesLeft: 30 });
    // A cadre cannot reach the admins' routes at all.
    expect((await call('GET', '/api/training/classes', cadres[0]!.cookie)).status).toBe(403);
  });

  it('refuses bad input with a 4xx naming the field, never a 5xx', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ endDay: day(5) }, 'TRAINING_BAD_DATES', 'endDay'],
      [{ withdrawBy: day(20) }, 'TRAINING_BAD_WITHDRAW_BY', 'withdrawBy'],
      [{ unitIds: [new Types.ObjectId().toString()] }, 'TRAINING_UNKNOWN_UNIT', 'unitIds'],
      [{ managerIds: [cadres[0]!.id] }, 'TRAINING_BAD_MANAGER', 'managerIds'],
      [{ capacity: 0 }, 'VALIDATION_ERROR', 'capacity'],
      [{ category: '不存在' }, 'VALIDATION_ERROR', 'category'],
      [{ startDay: '2026-02-30' }, 'VALIDATION_ERROR', 'startDay'],
      [{ creditHours: -1 }, 'VALIDATION_ERROR', 'creditHours'],
    ];
    for (const [over, code, field] of cases) {
      const r = await call('POST', '/api/training/classes', orgAdmin, classBody(over));
      // Schema errors name `body.<field>`, the module's own errors the field alone.
      expect([r.status, r.body.error.code, String(r.body.error.details?.field).replace(/^body\./, '')], JSON.stringify(over)).toEqual([400, code, field]);
    }
    const claim = await call('POST', '/api/training/external', cadres[0]!.cookie, { title: '', organiser: '清华大学', startDay: day(-3), endDay: day(-1), hoursClaimed: 8 });
    expect([claim.status, claim.body.error.details?.field]).toEqual([400, 'body.title']);
  });
});

describe('enrolment', () => {
  it('assigns cadres (调训), tells them in the bell, and refuses more than the places left', async () => {
    const id = await createClass({ capacity: 2, applications: false });
    const r = await call('POST', `/api/training/classes/${id}/assignments`, orgAdmin, { userIds: [cadres[0]!.id, cadres[1]!.id] });
    expect(r.body).toEqual({ assigned: 2, already: 0 });
    expect(await mineOf(cadres[0]!.cookie, id)).toMatchObject({ enrolment: { state: 'enrolled', via: 'assigned' }, canWithdraw: false, canApply: false });
    const bell = (await call('GET', '/api/notices', cadres[0]!.cookie)).body.items;
    expect(bell.find((n: any) => n.id === `training-enrolled-${id}`)).toMatchObject({ kind: 'training', link: '/training' });
    const full = await call('POST', `/api/training/classes/${id}/assignments`, orgAdmin, { userIds: [cadres[2]!.id] });
    expect([full.status, full.body.error.code]).toEqual([409, 'TRAINING_CLASS_FULL']);
    // An assigned cadre does not withdraw alone; the unit admin (not a manager) cannot assign.
    expect((await call('DELETE', `/api/training/classes/${id}/application`, cadres[0]!.cookie)).body.error.code).toBe('TRAINING_ASSIGNED');
    expect((await call('POST', `/api/training/classes/${id}/assignments`, unitAdmin, { userIds: [cadres[2]!.id] })).body.error.code).toBe('TRAINING_NOT_MANAGER');
    const notCadre = await call('POST', `/api/training/classes/${id}/assignments`, orgAdmin, { userIds: [new Types.ObjectId().toString()] });
    expect([notCadre.status, notCadre.body.error.details?.field]).toEqual([400, 'userIds']);
  });

  it('lets a unit admin given the class approve and refuse applications, a reason required', async () => {
    const managerId = String((await t.app.store.models.User.findOne({ username: 'unitadmin' }).lean())!._id);
    const id = await createClass({ approval: true, managerIds: [managerId], capacity: 1 });
    for (const c of cadres.slice(0, 3)) expect((await call('POST', `/api/training/classes/${id}/application`, c.cookie)).body).toEqual({ state: 'pending' });
    expect((await call('POST', `/api/training/classes/${id}/application`, cadres[0]!.cookie)).body.error.code).toBe('TRAINING_ALREADY_ENROLLED');
    const decide = (userId: string, action: string, reason?: string) => call('POST', `/api/training/classes/${id}/enrolments/${userId}/decision`, unitAdmin, { action, reason });
    expect((await decide(cadres[0]!.id, 'approve')).body).toEqual({ state: 'enrolled' });
    expect((await decide(cadres[1]!.id, 'approve')).body).toEqual({ state: 'waitlisted' });
    const noReason = await decide(cadres[2]!.id, 'refuse');
    expect([noReason.status, noReason.body.error.details?.field]).toEqual([400, 'reason']);
    expect((await decide(cadres[2]!.id, 'refuse', '本期名额已满,请报下一期')).body).toEqual({ state: 'refused' });
    expect(await mineOf(cadres[2]!.cookie, id)).toMatchObject({ enrolment: { state: 'refused', reason: '本期名额已满,请报下一期' } });
    expect((await call('POST', `/api/training/classes/${id}/enrolments/${cadres[1]!.id}/decision`, otherAdmin, { action: 'approve' })).status).toBe(404);
  });

  it('keeps a waiting list and seats the first waiting cadre when a place frees', async () => {
    const id = await createClass({ capacity: 1 });
    expect((await call('POST', `/api/training/classes/${id}/application`, cadres[0]!.cookie)).body.state).toBe('enrolled');
    expect((await call('POST', `/api/training/classes/${id}/application`, cadres[1]!.cookie)).body.state).toBe('waitlisted');
    expect((await call('POST', `/api/training/classes/${id}/application`, cadres[2]!.cookie)).body.state).toBe('waitlisted');
    expect((await roster(id)).map((r) => [r.userId, r.state, r.waitlistPosition])).toEqual([
      [cadres[0]!.id, 'enrolled', undefined],
      [cadres[1]!.id, 'waitlisted', 1],
      [cadres[2]!.id, 'waitlisted', 2],
    ]);
    expect((await call('DELETE', `/api/training/classes/${id}/application`, cadres[0]!.cookie)).body.state).toBe('withdrawn');
    expect((await roster(id)).map((r) => r.state)).toEqual(['withdrawn', 'enrolled', 'waitlisted']);
    expect(await mineOf(cadres[1]!.cookie, id)).toMatchObject({ enrolment: { state: 'enrolled' }, placesLeft: 0 });
    // Raising the capacity seats the next one.
    await call('PUT', `/api/training/classes/${id}`, orgAdmin, classBody({ capacity: 2 }));
    expect((await roster(id)).map((r) => r.state)).toEqual(['withdrawn', 'enrolled', 'enrolled']);
    const below = await call('PUT', `/api/training/classes/${id}`, orgAdmin, classBody({ capacity: 1 }));
    expect([below.status, below.body.error.code, below.body.error.details?.field]).toEqual([409, 'TRAINING_CAPACITY_BELOW_ENROLLED', 'capacity']);
  });

  it('enrols exactly 10 of 50 concurrent applications for 10 places', async () => {
    const many = await makeCadres('rush', 50, '苏公坨乡人民政府');
    const id = await createClass({ capacity: 10 });
    const replies = await Promise.all(many.map((c) => call('POST', `/api/training/classes/${id}/application`, c.cookie)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(replies.filter((r) => r.body.state === 'enrolled')).toHaveLength(10);
    const rows = await roster(id);
    expect(rows.filter((r) => r.state === 'enrolled')).toHaveLength(10);
    expect(rows.filter((r) => r.state === 'waitlisted')).toHaveLength(40);
    expect(new Set(rows.map((r) => r.userId)).size).toBe(50);
    // The store agrees with the roster held in memory.
    expect(await t.app.store.models.TrainingEnrolment.countDocuments({ classId: new Types.ObjectId(id), state: 'enrolled' })).toBe(10);
    expect(await t.app.store.models.TrainingEnrolment.countDocuments({ classId: new Types.ObjectId(id) })).toBe(50);
    // The same cadre applying 5 times at once holds one enrolment.
    const twice = await createClass({ capacity: 10 });
    const again = await Promise.all(Array.from({ length: 5 }, () => call('POST', `/api/training/classes/${twice}/application`, many[0]!.cookie)));
    expect(again.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await roster(twice)).toHaveLength(1);
  }, 60_000);

  it('closes withdrawal at the end of the deadline day in the county’s zone', async () => {
    const closed = await createClass({ startDay: day(2), endDay: day(3), withdrawBy: day(-1) });
    const open = await createClass({ startDay: day(2), endDay: day(3), withdrawBy: today() });
    for (const id of [closed, open]) expect((await call('POST', `/api/training/classes/${id}/application`, cadres[3]!.cookie)).body.state).toBe('enrolled');
    const late = await call('DELETE', `/api/training/classes/${closed}/application`, cadres[3]!.cookie);
    expect([late.status, late.body.error.code]).toEqual([409, 'TRAINING_WITHDRAW_CLOSED']);
    expect((await call('DELETE', `/api/training/classes/${open}/application`, cadres[3]!.cookie)).status).toBe(200);
    // 23:30 in Beijing on the deadline is still open; 00:30 the next day (still that date in UTC) is not.
    const beijing = new CountyCalendar('Asia/Shanghai');
    expect(withdrawalOpen(beijing, '2026-03-10', Date.parse('2026-03-10T15:30:00Z'))).toBe(true);
    expect(withdrawalOpen(beijing, '2026-03-10', Date.parse('2026-03-10T16:30:00Z'))).toBe(false);
    // Applications close when the class starts.
    const started = await createClass({ startDay: today(), endDay: day(1), withdrawBy: today() });
    expect((await call('POST', `/api/training/classes/${started}/application`, cadres[3]!.cookie)).body.error.code).toBe('TRAINING_APPLICATIONS_CLOSED');
  });
});

describe('completion', () => {
  it('credits the class’s hours to the ledger once, shown under 培训班 in the study record', async () => {
    const id = await createClass({ startDay: day(-2), endDay: today(), withdrawBy: day(-3), creditHours: 12, applications: false });
    const future = await createClass({ creditHours: 12 });
    expect((await call('POST', `/api/training/classes/${future}/completion`, orgAdmin, {})).body.error.code).toBe('TRAINING_NOT_ENDED');
    await call('POST', `/api/training/classes/${id}/assignments`, orgAdmin, { userIds: [cadres[0]!.id, cadres[1]!.id] });
    const first = await call('POST', `/api/training/classes/${id}/completion`, orgAdmin, {});
    expect(first.body).toMatchObject({ completed: 2, credited: 2, hours: 12, certificates: 2, skipped: [] });
    const twice = await Promise.all([call('POST', `/api/training/classes/${id}/completion`, orgAdmin, {}), call('POST', `/api/training/classes/${id}/completion`, orgAdmin, { userIds: [cadres[0]!.id] })]);
    expect(twice.map((r) => r.body.credited)).toEqual([0, 0]);
    const year = t.app.calendar.year(Date.now());
    const entries = await t.app.store.models.Ledger.find({ userId: new Types.ObjectId(cadres[0]!.id), source: 'training' }).lean();
    expect(entries.map((e) => [e._id, e.hours])).toEqual([[`${cadres[0]!.id}:${id}:${year}`, 12]]);
    const record = await call('GET', `/api/study-record/${cadres[0]!.id}/${year}`, cadres[0]!.cookie);
    expect(record.body.figures.channels.find((c: any) => c.channel === 'training')).toMatchObject({ hours: 12, lectures: 1 });
    expect(record.body.figures.earned.total).toBe(12);
    expect((await call('DELETE', `/api/training/classes/${id}`, orgAdmin)).body.error.code).toBe('TRAINING_HAS_COMPLETIONS');
    expect(await mineOf(cadres[0]!.cookie, id)).toMatchObject({ enrolment: { state: 'completed', hours: 12 } });
  });
});

describe('external training hours', () => {
  it('lets the cadre’s unit admin approve with fewer hours, once, and scopes the list to their units', async () => {
    const claim = await call('POST', '/api/training/external', cadres[2]!.cookie, { title: '乡村振兴专题研修班', organiser: '清华大学', startDay: day(-5), endDay: day(-1), hoursClaimed: 20, note: '远程教学站' });
    expect(claim.status).toBe(201);
    expect((await call('POST', '/api/training/external', cadres[2]!.cookie, { title: '未结束', organiser: '省委组织部', startDay: today(), endDay: day(2), hoursClaimed: 8 })).body.error.details.field).toBe('endDay');
    expect((await call('GET', '/api/training/external-review', otherAdmin)).body.items.some((c: any) => c.id === claim.body.id)).toBe(false);
    expect((await call('POST', `/api/training/external-review/${claim.body.id}`, otherAdmin, { decision: 'approve', hoursAllowed: 10 })).status).toBe(404);
    const list = await call('GET', '/api/training/external-review?state=pending', unitAdmin);
    expect(list.body.items.find((c: any) => c.id === claim.body.id)).toMatchObject({ cadre: { id: cadres[2]!.id, unit: '苏公坨村党支部' }, hoursClaimed: 20 });
    const tooMany = await call('POST', `/api/training/external-review/${claim.body.id}`, unitAdmin, { decision: 'approve', hoursAllowed: 25 });
    expect([tooMany.status, tooMany.body.error.details?.field]).toEqual([400, 'hoursAllowed']);
    const ok = await call('POST', `/api/training/external-review/${claim.body.id}`, unitAdmin, { decision: 'approve', hoursAllowed: 16 });
    expect(ok.body).toMatchObject({ state: 'approved', hoursAllowed: 16 });
    const again = await call('POST', `/api/training/external-review/${claim.body.id}`, orgAdmin, { decision: 'approve', hoursAllowed: 16 });
    expect(again.body.error.code).toBe('TRAINING_CLAIM_DECIDED');
    const year = t.app.calendar.year(t.app.calendar.dayAt(day(-1), 12));
    const ledger = await t.app.store.models.Ledger.find({ userId: new Types.ObjectId(cadres[2]!.id), source: 'external' }).lean();
    expect(ledger.map((e) => e.hours)).toEqual([16]);
    const record = await call('GET', `/api/study-record/${cadres[2]!.id}/${year}`, cadres[2]!.cookie);
    expect(record.body.figures.channels.find((c: any) => c.channel === 'training').hours).toBe(16);
    expect((await call('GET', '/api/training/external', cadres[2]!.cookie)).body.items[0]).toMatchObject({ state: 'approved', hoursAllowed: 16 });
  });

  it('keeps an attached certificate for the cadre and their unit admin only, and refuses one that is not a scan', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('certificate bytes')]);
    const body = { title: '公共管理高级研修班', organiser: '南洋理工大学', startDay: day(-9), endDay: day(-2), hoursClaimed: 40 };
    const claim = await call('POST', '/api/training/external', cadres[1]!.cookie, { ...body, certificate: { name: '结业证书.png', data: png.toString('base64') } });
    expect(claim.status).toBe(201);
    expect(claim.body.certificate).toEqual({ name: '结业证书.png', type: 'image/png' });
    const url = `/api/training/external/${claim.body.id}/certificate`;
    for (const cookie of [cadres[1]!.cookie, unitAdmin, orgAdmin]) {
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie } });
      expect([res.statusCode, res.headers['content-type'], res.rawPayload.equals(png)]).toEqual([200, 'image/png', true]);
    }
    for (const cookie of [cadres[0]!.cookie, otherAdmin]) expect((await call('GET', url, cookie)).status).toBe(404);
    const text = await call('POST', '/api/training/external', cadres[1]!.cookie, { ...body, certificate: { name: 'a.png', data: Buffer.from('<html>not a scan</html>').toString('base64') } });
    expect([text.status, text.body.error.code, text.body.error.details?.field]).toEqual([400, 'TRAINING_CERTIFICATE_TYPE', 'certificate']);
    // Taking back a pending record removes its file.
    expect((await call('DELETE', `/api/training/external/${claim.body.id}`, cadres[1]!.cookie)).status).toBe(204);
    expect(await t.app.storage.exists(`training/certificates/${claim.body.id}`)).toBe(false);
  });

  it('refuses with a reason and credits nothing', async () => {
    const claim = await call('POST', '/api/training/external', cadres[3]!.cookie, { title: '考察学习', organiser: '华西村', startDay: day(-2), endDay: day(-2), hoursClaimed: 6 });
    const noReason = await call('POST', `/api/training/external-review/${claim.body.id}`, unitAdmin, { decision: 'refuse' });
    expect([noReason.status, noReason.body.error.details?.field]).toEqual([400, 'reason']);
    const refused = await call('POST', `/api/training/external-review/${claim.body.id}`, unitAdmin, { decision: 'refuse', reason: '缺少结业证明' });
    expect(refused.body).toMatchObject({ state: 'refused', reason: '缺少结业证明' });
    expect(await t.app.store.models.Ledger.countDocuments({ userId: new Types.ObjectId(cadres[3]!.id), source: 'external' })).toBe(0);
    const bell = (await call('GET', '/api/notices', cadres[3]!.cookie)).body.items;
    expect(bell.find((n: any) => n.id === `training-external-${claim.body.id}`).body).toContain('缺少结业证明');
  });
});

describe('demo data', () => {
  it('seeds the article’s classes once, the next 党史 cohort open to the demo cadre', async () => {
    const started = Date.now();
    expect(await seedDemoTraining(t.app.store.models, t.app.calendar)).toMatchObject({ classes: 84 });
    // Part of the start-up with demo data: seconds, not minutes (5.7 s seen on a loaded CI machine).
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await seedDemoTraining(t.app.store.models, t.app.calendar)).toMatchObject({ classes: 0 });
    expect(demoClasses.reduce((s, c) => s + c.personTimes, 0)).toBe(2891 + 1885 + 230 + 1200 + 6400);
    const rows = await t.app.store.models.TrainingClass.find({ name: '党史党性教育专题培训班' }).lean();
    expect(rows.map((r) => r.cohort).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const next = rows.find((r) => r.cohort === 9)!;
    const cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
    const mine = ((await call('GET', `/api/training/mine?year=${next.year}`, cadre)).body.items as any[]).find((c) => c.id === String(next._id));
    expect(mine).toMatchObject({ canApply: true, channel: 'county', category: '专题培训' });
    for (const r of rows.filter((x) => x.cohort < 9)) expect(r.endDay < today()).toBe(true);
  });
});
