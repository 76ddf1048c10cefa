/**
 * Delivery of xAPI statements to an LRS through the job queue, against a small LRS of our own
 * (test/helpers/mini-lrs.ts) and the real store: refusals (503) and a hung request are retried
 * with backoff, a conflict on a known id counts as delivered, a refusal of one statement is
 * `failed` and an admin's retry sends it, and a portal restart in the middle loses and
 * duplicates nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import { seedDemo, DEMO_PASSWORD } from '../../server/seed/demo';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import type { UserDoc } from '../../server/modules/users/user.model';
import { XapiService, xapiOptions } from '../../server/modules/xapi/xapi.service';
import { login, testEnv } from '../helpers/build';
import { startMiniLrs, type MiniLrs } from '../helpers/mini-lrs';
import { checkStatements } from '../helpers/xapi-profile-check';

const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 5, 2, 8, 0, 0);
let lrs: MiniLrs;
let env: Record<string, string>;
let app: App;
let n = 0;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Makes statements the way the portal does: a cadre's watch through a study engine and a sweep. */
async function watchAndState(a: App, minutes: number): Promise<number> {
  const m = a.store.models;
  let clock = T0;
  const engine = new StudyEngine(m, { ...a.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
  const xs = new XapiService(m, engine, null, { ...xapiOptions(a.config), lrs: undefined }, silent);
  const unit = (await m.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const u = (await m.User.create({ username: `lrs${++n}`, displayName: `学员${n}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: unit })).toObject() as UserDoc;
  const lecture = (await m.Lecture.create({ title: '投递测试', category: 'implementation', topic: `d${n}`, state: 'published', durationSec: 600, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } })).toObject() as unknown as LectureDoc;
  const o = await engine.open(u, lecture, {});
  for (let i = 0; i < 150; i++) engine.recordDelivery(o.playbackId, i);
  const beats: IncomingBeat[] = [];
  let seq = 1;
  // Watch in one-minute pieces with a seek of 30 s between them: a statement run each.
  for (let k = 0; k < minutes; k++) {
    const from = k * 90;
    for (let s = 0; s <= 60; s += 15) beats.push({ playbackId: o.playbackId, seq: seq++, position: from + s, rate: 1, playing: true, visible: true, event: s === 0 ? (k ? 'seek' : 'play') : 'tick', clientAt: T0 + (k * 65 + s) * 1000 });
  }
  beats.push({ playbackId: o.playbackId, seq: seq++, position: 0, rate: 1, playing: false, visible: true, event: 'end', clientAt: T0 + (minutes * 65 + 1) * 1000 });
  clock = T0 + (minutes * 65 + 10) * 1000;
  await engine.ingest(u, beats);
  await new Promise((r) => setImmediate(r));
  const made = await xs.sweep();
  await engine.close();
  return made;
}

const states = async (a: App) => {
  const rows = await a.store.models.Xapi.find({}, { state: 1 }).lean();
  return { total: rows.length, sent: rows.filter((r) => r.state === 'sent').length, failed: rows.filter((r) => r.state === 'failed').length };
};
const noDuplicates = () => [...lrs.received.values()].every((c) => c === 1);

beforeAll(async () => {
  lrs = await startMiniLrs({ auth: 'Basic dGVzdDp0ZXN0' });
  env = testEnv({ XAPI_LRS_URL: lrs.url, XAPI_LRS_AUTH: 'Basic dGVzdDp0ZXN0', JOB_RETRY_BASE_MS: '200', JOB_POLL_MS: '100', PUBLIC_URL: 'https://study.example.org' });
  app = await buildApp(loadConfig(env));
  await app.ready();
  await seedDemo(app.store.models);
  app.study.xapi!.opts.batchSize = 4;
}, 60_000);
afterAll(async () => {
  await app?.store.conn.dropDatabase().catch(() => {});
  await app?.close();
  await lrs?.close();
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

describe('delivery to an LRS', () => {
  it('retries after refusals and delivers every statement once', async () => {
    lrs.refuseNext(3, 503);
    const made = await watchAndState(app, 3);
    expect(made).toBeGreaterThanOrEqual(10);
    await app.study.xapi!.ensureJob();
    await until('all sent', async () => (await states(app)).sent === made);
    expect(lrs.requests.filter((r) => r.status === 503)).toHaveLength(3);
    expect(lrs.statements.size).toBe(made);
    expect(noDuplicates()).toBe(true);
    expect(checkStatements([...lrs.statements.values()])).toEqual([]);
    expect(await app.store.models.XapiOutbox.countDocuments({})).toBe(0);
  }, 60_000);

  it('gives up on a hung request after its timeout and sends again', async () => {
    app.study.xapi!.opts.timeoutMs = 500;
    const before = lrs.statements.size;
    lrs.hangNext(1);
    const made = await watchAndState(app, 1);
    await app.study.xapi!.ensureJob();
    await until('all sent', async () => lrs.statements.size === before + made);
    expect(lrs.requests.some((r) => r.status === 0)).toBe(true);
    expect(noDuplicates()).toBe(true);
  }, 60_000);

  it('counts a conflict on a known id as delivered, fails a refused statement, and an admin retries it', async () => {
    const m = app.store.models;
    // The delivery job of the test before has finished: the rows this test makes wait for it.
    await until('no delivery running', async () => !(await m.Job.exists({ type: 'xapi-deliver', state: { $in: ['queued', 'running'] } })));
    // The LRS already holds one of the next statements' ids (a resend after a lost answer).
    const made = await watchAndState(app, 1);
    const pending = await m.Xapi.find({ state: 'pending' }).sort({ stored: 1 }).lean();
    expect(pending).toHaveLength(made);
    const first = JSON.parse(pending[0]!.json) as Record<string, unknown>;
    lrs.statements.set(first.id as string, { ...first, timestamp: '2000-01-01T00:00:00.000Z' });
    // And one statement the LRS will refuse (its actor broken on our side, as a bug might).
    const broken = pending[1]!;
    const bad = JSON.parse(broken.json) as Record<string, unknown>;
    delete bad.actor;
    await m.Xapi.updateOne({ _id: broken._id }, { $set: { json: JSON.stringify(bad) } });
    await app.study.xapi!.ensureJob();
    await until('the outbox emptied', async () => (await m.XapiOutbox.countDocuments({})) === 0);
    const conflict = (await m.Xapi.findById(first.id).lean())!;
    expect(conflict).toMatchObject({ state: 'sent' });
    expect(conflict.lastError).toContain('409');
    expect((await m.Xapi.findById(broken._id).lean())!.state).toBe('failed');

    // The admin page's API lists it; after a fix, "retry now" sends it.
    const admin = await login(app, 'orgadmin', DEMO_PASSWORD);
    const status = await app.inject({ method: 'GET', url: '/api/study/xapi/delivery', headers: { cookie: admin } });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ configured: true, failed: 1, pending: 0 });
    expect(status.json().failures[0]).toMatchObject({ id: broken._id, error: expect.stringContaining('400') });
    const cadre = await login(app, 'cadre', DEMO_PASSWORD);
    expect((await app.inject({ method: 'POST', url: '/api/study/xapi/delivery/retry', headers: { cookie: cadre } })).statusCode).toBe(403);
    await m.Xapi.updateOne({ _id: broken._id }, { $set: { json: broken.json } });
    const retry = await app.inject({ method: 'POST', url: '/api/study/xapi/delivery/retry', headers: { cookie: admin } });
    expect(retry.json()).toEqual({ requeued: 1 });
    await until('the retried one sent', async () => (await m.Xapi.findById(broken._id).lean())!.state === 'sent');
    expect(lrs.statements.has(broken._id)).toBe(true);
    // The export still answers on its old URL.
    const exp = await app.inject({ method: 'GET', url: '/api/study/xapi', headers: { cookie: admin } });
    expect(exp.statusCode).toBe(200);
    expect(exp.json().length).toBe((await states(app)).total);
  }, 60_000);

  it('loses and duplicates nothing when the portal restarts while the LRS refuses', async () => {
    const sentBefore = lrs.statements.size;
    const refusedBefore = lrs.requests.filter((r) => r.status === 503).length;
    lrs.refuseNext(4, 503);
    const made = await watchAndState(app, 2);
    await app.study.xapi!.ensureJob();
    await until('a refusal', () => lrs.requests.filter((r) => r.status === 503).length >= refusedBefore + 1);
    expect(await app.store.models.XapiOutbox.countDocuments({})).toBeGreaterThan(0);
    // Restart: the same database and data folder, a new process state.
    await app.close();
    app = await buildApp(loadConfig(env));
    await app.ready();
    await until('all sent after the restart', async () => (await states(app)).sent + (await states(app)).failed === (await states(app)).total, 60_000);
    const s = await states(app);
    expect(s.failed).toBe(0);
    expect(lrs.statements.size).toBe(sentBefore + made);
    expect(lrs.statements.size).toBe(s.total);
    expect(noDuplicates()).toBe(true);
    for (const id of (await app.store.models.Xapi.find({}, { _id: 1 }).lean()).map((r) => r._id)) expect(lrs.statements.has(id)).toBe(true);
  }, 90_000);
});
