/**
 * 提醒未达标干部 for a county's thousands (issue 19's leftover): the button starts a queued job
 * and answers at once; the job reminds 600 cadres behind, a few boxes at a time, writing its
 * progress as it goes; a second press while it runs reminds nobody twice; every cadre's bell
 * holds exactly one reminder of the day. Real store (FerretDB), real job queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres, type TestCadre } from '../helpers/cadres';

let t: TestApp;
let admin: string;
let unitId: string;
let cadres: TestCadre[];
const N = 600;

async function call(method: 'GET' | 'POST', url: string, cookie: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, json: () => res.json() as any };
}

beforeAll(async () => {
  t = await build({ JOB_POLL_MS: '200' });
  const seeded = await seedDemo(t.app.store.models);
  unitId = String(seeded.unitIds.get('开通镇人民政府')!);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  cadres = await makeCadres(t.app, { prefix: 'rj', n: N, unitId, cookies: false });
  await t.app.county.people.load();
}, 240_000);

afterAll(async () => {
  await t?.close();
});

describe('reminding thousands behind', () => {
  it('starts at once, shows progress, reminds each cadre once even when pressed twice', async () => {
    const year = t.app.calendar.year(Date.now());
    const t0 = Date.now();
    const started = await call('POST', '/api/county/compliance/remind', admin, { year, node: unitId });
    const answeredMs = Date.now() - t0;
    expect(started.status, JSON.stringify(started.json())).toBe(202);
    expect(started.json()).toMatchObject({ state: 'queued', total: N, done: 0, sent: 0 });
    expect(answeredMs).toBeLessThan(5_000);
    const id = started.json().id as string;

    // Pressed again while the first runs: a second reminder, which finds nobody left to remind
    // once the first has written their boxes (each box under its own lock, the notice id per day).
    const views: any[] = [];
    let second: string | null = null;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const v = (await call('GET', `/api/county/compliance/remind/${id}`, admin)).json();
      views.push(v);
      if (!second && v.state === 'running' && v.done > 0) second = (await call('POST', '/api/county/compliance/remind', admin, { year, node: unitId })).json().id;
      if (v.state === 'done' || v.state === 'failed') break;
      if (Date.now() > deadline) throw new Error(`not done in 180 s: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const last = views.at(-1);
    const tookMs = Date.now() - t0;
    expect(last.state).toBe('done');
    expect(last.done).toBe(N);
    // Seen part way, never going back.
    expect(views.some((v) => v.state === 'running' && v.done > 0 && v.done < N), JSON.stringify(views.map((v) => [v.state, v.done]))).toBe(true);
    const dones = views.map((v) => v.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));

    expect(second).not.toBeNull();
    let other: any;
    for (const until = Date.now() + 120_000; ; ) {
      other = (await call('GET', `/api/county/compliance/remind/${second}`, admin)).json();
      if (other.state === 'done' || other.state === 'failed' || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(other).toMatchObject({ state: 'done', total: N, done: N });
    expect(last.sent + other.sent).toBe(N);

    // Every bell has the day's reminder once.
    const boxes = await t.app.store.models.NoticeBox.find({ _id: { $in: cadres.map((c) => c.id) } }).lean();
    expect(boxes).toHaveLength(N);
    const reminders = boxes.map((b: any) => b.items.filter((n: any) => n.kind === 'county-reminder').length);
    expect(reminders.every((n: number) => n === 1)).toBe(true);
    console.log(`county-remind | ${N} behind: answered in ${answeredMs} ms, all reminded in ${tookMs} ms (first ${last.sent}, second ${other.sent}), ${views.length} polls`);
  }, 300_000);

  it('学时提醒 of the admin console writes the same thousands a few boxes at a time, each once', async () => {
    const t0 = Date.now();
    const run = await call('POST', `/api/study/reminders/run?unitId=${unitId}`, admin);
    const ms = Date.now() - t0;
    expect(run.status, JSON.stringify(run.json())).toBe(200);
    expect(run.json()).toMatchObject({ behind: N, reminded: N });
    const again = await call('POST', `/api/study/reminders/run?unitId=${unitId}`, admin);
    expect(again.json()).toMatchObject({ behind: N, reminded: 0 });
    const boxes = await t.app.store.models.NoticeBox.find({ _id: { $in: cadres.map((c) => c.id) } }).lean();
    expect(boxes.map((b: any) => b.items.filter((n: any) => n.kind === 'credit-reminder').length).every((n: number) => n === 1)).toBe(true);
    console.log(`study reminders | ${N} behind reminded in one request of ${ms} ms`);
  }, 300_000);
});
