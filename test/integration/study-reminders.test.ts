/**
 * Reminders before the year ends (学时提醒) and notices, on the real store: the sweep finds the
 * cadres below the yearly requirement, reminds each once a month from October (once more from
 * 15 December), pushes the notice to an open page over socket.io, and the user reads it.
 */
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { ReminderService, reminderId } from '../../server/modules/study/reminders';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let url: string;
let cookie: string;
let cadreId: string;
let doneId: string;

beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  cookie = await login(t.app, 'cadre', DEMO_PASSWORD);
  const { User, Summary } = t.app.store.models;
  cadreId = String((await User.findOne({ username: 'cadre' }).lean())!._id);
  const unit = (await User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  // One cadre who has already met the requirement this year (90 h for township level).
  const done = await User.create({ username: 'wancheng', displayName: '已完成', passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: unit });
  doneId = String(done._id);
  await Summary.create({ _id: `${doneId}:2026`, userId: done._id, year: 2026, total: 96 });
  await Summary.create({ _id: `${cadreId}:2026`, userId: cadreId, year: 2026, total: 31.5 });
});
afterAll(() => t?.close());

describe('reminders', () => {
  it('names one reminder per county month from October, and a final one from 15 December', () => {
    const cal = t.app.calendar;
    expect(reminderId(cal.instant(2026, 9, 30, 23, 59), cal)).toBeNull();
    expect(reminderId(cal.instant(2026, 10, 1), cal)).toBe('credit-2026-10');
    expect(reminderId(cal.instant(2026, 11, 27), cal)).toBe('credit-2026-11');
    expect(reminderId(cal.instant(2026, 12, 14, 23, 59), cal)).toBe('credit-2026-12');
    expect(reminderId(cal.instant(2026, 12, 15), cal)).toBe('credit-2026-final');
  });

  it('counts months and days in the county zone, not the host clock (UTC here)', () => {
    const cal = t.app.calendar;
    // 16:30Z is already the next day in Asia/Shanghai.
    expect(reminderId(Date.parse('2026-09-30T16:30:00Z'), cal)).toBe('credit-2026-10');
    expect(reminderId(Date.parse('2026-12-14T16:30:00Z'), cal)).toBe('credit-2026-final');
    expect(reminderId(Date.parse('2026-12-31T16:30:00Z'), cal)).toBeNull(); // 1 January 2027
  });

  it('reminds those behind once, pushes it to their open page, and they read it', async () => {
    // 00:30 on 1 November in the county, still 31 October on this UTC host.
    let now = new Date('2026-10-31T16:30:00Z');
    const reminders = new ReminderService(t.app.store.models, t.app.study, t.app.notices, t.app.calendar, () => now);
    const socket = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    await new Promise<void>((res, rej) => {
      socket.on('connect', () => res());
      socket.on('connect_error', rej);
    });
    const pushed = new Promise<any>((res) => socket.on('notice', res));

    const first = await reminders.run();
    const cadres = await t.app.store.models.User.countDocuments({ role: 'cadre' });
    expect(first).toMatchObject({ checked: cadres, noticeId: 'credit-2026-11' });
    expect(first.behind).toBe(cadres - 1); // all but the one with 96 h
    expect(first.reminded).toBe(first.behind);
    const notice = await pushed;
    expect(notice).toMatchObject({ id: 'credit-2026-11', kind: 'credit-reminder', read: false, link: '/study' });
    expect(notice.body).toContain('31.5');
    expect(notice.body).toContain('58.5');
    socket.close();

    // Again the same month (a restart, an admin pressing the button): nobody twice.
    expect((await reminders.run()).reminded).toBe(0);
    expect((await t.app.notices.list(doneId)).items).toHaveLength(0);

    const mine = await fetch(`${url}/api/notices`, { headers: { cookie } }).then((r) => r.json() as any);
    expect(mine.unread).toBe(1);
    expect(mine.items).toHaveLength(1);
    const read = await fetch(`${url}/api/notices/read`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({}) }).then((r) => r.json() as any);
    expect(read).toEqual({ unread: 0 });

    // 15 December (00:30 county time, 14 December in UTC): the last reminder of the year comes on top.
    now = new Date('2026-12-14T16:30:00Z');
    expect((await reminders.run()).reminded).toBe(first.behind);
    const later = await fetch(`${url}/api/notices`, { headers: { cookie } }).then((r) => r.json() as any);
    expect(later.items.map((n: any) => n.id)).toEqual(['credit-2026-final', 'credit-2026-11']);
    expect(later.unread).toBe(1);

    // 1 January in the county (still 31 December in UTC): a new year, no reminder yet.
    now = new Date('2026-12-31T16:30:00Z');
    expect(await reminders.run()).toMatchObject({ noticeId: null, reminded: 0 });
  });

  it('lets admins, not cadres, run the sweep, and validates read requests', async () => {
    expect((await fetch(`${url}/api/study/reminders/run`, { method: 'POST', headers: { cookie } })).status).toBe(403);
    const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    const res = await fetch(`${url}/api/study/reminders/run`, { method: 'POST', headers: { cookie: admin } });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('checked');
    const bad = await fetch(`${url}/api/notices/read`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ ids: Array(101).fill('x') }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('VALIDATION_ERROR');
  });

  it('reports a run\'s progress under the page\'s key, to the admin who ran it alone', async () => {
    const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    const key = 'a1b2c3d4e5f6a7b8';
    const res = await fetch(`${url}/api/study/reminders/run?progressKey=${key}`, { method: 'POST', headers: { cookie: admin } });
    expect(res.status).toBe(200);
    const run = (await res.json()) as { behind: number };
    const read = (who: string, k = key) => fetch(`${url}/api/study/reminders/progress?key=${k}`, { headers: { cookie: who } });
    const mine = await read(admin);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toEqual({ done: run.behind, total: run.behind, finished: true });
    // Another admin with the same key, an unknown key, a malformed one, a cadre.
    const other = await read(await login(t.app, 'unitadmin', DEMO_PASSWORD));
    expect(other.status).toBe(404);
    expect(((await other.json()) as any).error.code).toBe('NOT_FOUND');
    expect((await read(admin, 'ffffffffffffffff')).status).toBe(404);
    const bad = await read(admin, 'x y');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('VALIDATION_ERROR');
    expect((await read(cookie)).status).toBe(403);
    expect((await fetch(`${url}/api/study/reminders/run?progressKey=short`, { method: 'POST', headers: { cookie: admin } })).status).toBe(400);
  });

  it('tells its progress as the notices are written, ending at all of those behind', async () => {
    const { User } = t.app.store.models;
    const unit = (await User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
    // Enough cadres behind for several reports (one every 250 ms at most, and the last).
    await User.insertMany(Array.from({ length: 40 }, (_, i) => ({ username: `jindu${i}`, displayName: `进度${i}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: unit })));
    const reminders = new ReminderService(t.app.store.models, t.app.study, t.app.notices, t.app.calendar, () => new Date('2026-11-15T04:00:00Z'));
    const told: [number, number][] = [];
    const admin = (await User.findOne({ username: 'orgadmin' }).lean())!;
    const r = await reminders.run({ by: { id: admin._id, name: '王组织' }, onProgress: (done, total) => told.push([done, total]) });
    expect(r.behind).toBeGreaterThanOrEqual(40);
    expect(told[0]).toEqual([0, r.behind]);
    expect(told.at(-1)).toEqual([r.behind, r.behind]);
    for (let i = 1; i < told.length; i++) expect(told[i]![0]).toBeGreaterThanOrEqual(told[i - 1]![0]);
  });
});
