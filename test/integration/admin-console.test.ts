/**
 * The admin console's API on the real store: every admin-only route falls under a screen of the
 * console; a year-end reminder in the bell shows the hours earned after it was sent; reminders
 * sent by a unit admin reach only their units and the log shows each admin their own; a policy
 * that contradicts itself is refused with the field named; the xAPI export counts and downloads a
 * range of county days.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { reminderText } from '../../server/modules/study/reminders';
import { screenOfApi } from '../../client/src/lib/admin/console/screens';
import { build, login, type TestApp } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { fetchAllSegments, publishClip } from '../helpers/lectures';
import { setTimeout as sleep } from 'node:timers/promises';

let t: TestApp;
let url: string;
let dir: string;
let admin: string;
let unitAdmin: string;
let cadre: string;
let cadreId: string;
let cadreUnit: string;

const call = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as any };
};

beforeAll(async () => {
  dir = await makeMediaTmpDir('admin-console-');
  t = await build({ TRANSCODE_PRESET: 'superfast', STUDY_CHECKPOINT_MS: '200' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  const me = (await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!;
  cadreId = String(me._id);
  cadreUnit = String(me.orgUnitId);
}, 120_000);
afterAll(async () => {
  await t?.close();
  if (dir) await removeDir(dir);
});

describe('admin console', () => {
  it('has a screen for every route only admins may call', () => {
    const adminOnly = [...t.app.accessRules]
      .filter(([, access]) => access.some((a) => a.startsWith('unitAdmin') || a === 'orgAdmin') && !access.some((a) => ['any-user', 'cadre', 'lecturer', 'lecturer:own', 'station', 'kiosk', 'public', 'signed'].includes(a)))
      .map(([route]) => route);
    expect(adminOnly.length).toBeGreaterThan(10);
    const orphans = adminOnly.filter((route) => !screenOfApi(route.split(' ')[1]!.replace(/\?.*$/, '')));
    expect(orphans).toEqual([]);
  });

  it('shows the hours earned after a year-end reminder was sent, in the bell', async () => {
    const sent = await call('POST', `/api/study/reminders/run?unitId=${cadreUnit}`, admin);
    expect(sent.status).toBe(200);
    expect(sent.body.reminded).toBeGreaterThanOrEqual(1);
    const year = t.app.calendar.year(Date.now());
    const earned0 = (await call('GET', '/api/study/me', cadre)).body.earned.total as number;
    const before = (await call('GET', '/api/notices', cadre)).body.items.find((n: any) => n.kind === 'credit-reminder');
    expect(before.body).toBe(reminderText(year, earned0, 90, false).body);

    // Earn 2 hours for real: a published 4 s lecture, its segments fetched, played through.
    const clip = await makeClip(dir, { seconds: 4, width: 320, height: 240 });
    const lectureId = await publishClip(url, await login(t.app, 'lecturer', DEMO_PASSWORD), clip, { title: '提醒后的学习', creditHours: 2 });
    const pb = await call('POST', `/api/lectures/${lectureId}/playback`, cadre);
    expect(await fetchAllSegments(url, pb.body.masterUrl)).toBeGreaterThanOrEqual(1);
    const beat = (seq: number, position: number, event = 'tick', playing = true) => ({ playbackId: pb.body.playbackId, seq, position, rate: 1, playing, visible: true, event, clientAt: Date.now() });
    await call('POST', '/api/study/heartbeats', cadre, { beats: [beat(1, 0, 'play')] });
    // Credit is earned only by server time that passes (docs/crediting-rules.md): no event to await.
    await sleep(4200);
    const end = await call('POST', '/api/study/heartbeats', cadre, { beats: [beat(2, 4, 'end', false)] });
    expect(end.body.sessions[pb.body.playbackId]).toMatchObject({ completed: true, creditHours: 2 });

    const after = (await call('GET', '/api/notices', cadre)).body.items.find((n: any) => n.id === before.id);
    const earned1 = Math.round((earned0 + 2) * 10) / 10;
    expect((await call('GET', '/api/study/me', cadre)).body.earned.total).toBe(earned1);
    expect(after.body).toBe(reminderText(year, earned1, 90, false).body);
    expect(after.body).not.toBe(before.body);
    expect(after.body).toContain(`已获 ${earned1} 学时`);
    expect(after.bodyEn).toContain(`earned ${earned1} of the 90`);
    // Pressing again this month reminds nobody twice.
    expect((await call('POST', `/api/study/reminders/run?unitId=${cadreUnit}`, admin)).body.reminded).toBe(0);
  }, 120_000);

  it("lets a unit admin remind only their units' cadres and shows each admin their own runs", async () => {
    const { OrgUnit, User } = t.app.store.models;
    const other = (await OrgUnit.findOne({ name: '开通镇党委' }).lean())!;
    expect((await call('POST', `/api/study/reminders/run?unitId=${String(other._id)}`, unitAdmin)).status).toBe(403);
    expect((await call('GET', `/api/study/reminders/preview?unitId=${String(other._id)}`, unitAdmin)).status).toBe(403);
    expect((await call('POST', '/api/study/reminders/run', cadre)).status).toBe(403);

    const preview = await call('GET', '/api/study/reminders/preview', unitAdmin);
    expect(preview.status).toBe(200);
    const own = await t.app.store.models.OrgUnit.find({ $or: [{ _id: (await User.findOne({ username: 'unitadmin' }).lean())!.orgUnitId }, { ancestors: (await User.findOne({ username: 'unitadmin' }).lean())!.orgUnitId }] }).lean();
    const ownIds = new Set(own.map((u) => String(u._id)));
    expect(preview.body.recipients.length).toBeGreaterThan(0);
    expect(preview.body.recipients.every((r: any) => ownIds.has(r.unitId))).toBe(true);

    const run = await call('POST', '/api/study/reminders/run', unitAdmin);
    expect(run.status).toBe(200);
    expect(run.body.runId).toMatch(/^[0-9a-f]{24}$/);
    const mine = (await call('GET', '/api/study/reminders', unitAdmin)).body.items;
    expect(mine[0]).toMatchObject({ id: run.body.runId, automatic: false, byName: expect.any(String), behind: preview.body.recipients.length });

    const kaitong = await call('POST', '/api/users', admin, { username: 'kaitongadmin2', displayName: '孙书记', password: DEMO_PASSWORD, role: 'unitAdmin', orgUnitId: String(other._id) });
    expect(kaitong.status).toBe(201);
    const theirs = (await call('GET', '/api/study/reminders', await login(t.app, 'kaitongadmin2', DEMO_PASSWORD))).body.items;
    expect(theirs.map((r: any) => r.id)).not.toContain(run.body.runId);
    const all = (await call('GET', '/api/study/reminders', admin)).body.items;
    expect(all.map((r: any) => r.id)).toContain(run.body.runId);
  });

  it('refuses a credit policy that contradicts itself and keeps the stored one', async () => {
    const before = (await call('GET', '/api/study/policies', admin)).body.items.find((p: any) => p.rank === 'township');
    const bad = await call('PUT', '/api/study/policies/township', admin, { yearlyHours: 50, windowYears: 1, windowHours: 50, requiredMinHours: 60, maxPerTopicHours: null, dailyCapHours: 8 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'POLICY_INCONSISTENT', details: { field: 'requiredMinHours' } });
    expect(bad.body.error.message).toContain('必修最低学时');
    expect((await call('GET', '/api/study/policies', admin)).body.items.find((p: any) => p.rank === 'township')).toEqual(before);
  });

  it('counts and downloads the xAPI statements of a range of county days', async () => {
    const { Xapi } = t.app.store.models;
    const cal = t.app.calendar;
    // 2026-03-01 23:30 in the county is still 1 March; 16:30Z on 1 March is already 2 March there.
    await Xapi.create({ _id: 'x-1', ledgerId: 'l1', json: JSON.stringify({ id: 'x-1' }), stored: new Date(cal.instant(2026, 3, 1, 23, 30)) });
    await Xapi.create({ _id: 'x-2', ledgerId: 'l2', json: JSON.stringify({ id: 'x-2' }), stored: new Date('2026-03-01T16:30:00Z') });
    const day1 = await call('GET', '/api/study/xapi/count?from=2026-03-01&to=2026-03-01', admin);
    expect(day1.body).toEqual({ count: 1 });
    const both = await call('GET', '/api/study/xapi?from=2026-03-01&to=2026-03-02', admin);
    expect(both.body.map((s: any) => s.id).sort()).toEqual(['x-1', 'x-2']);
    expect(both.headers.get('content-disposition')).toContain('xapi-statements-2026-03-01-2026-03-02.json');
    const reversed = await call('GET', '/api/study/xapi/count?from=2026-03-05&to=2026-03-01', admin);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.code).toBe('RANGE_INVALID');
    expect((await call('GET', '/api/study/xapi/count?from=2026-3-1', admin)).status).toBe(400);
    expect((await call('GET', '/api/study/xapi/count', unitAdmin)).status).toBe(403);
  });
});
