/**
 * A class timetable mixing every kind of session, in Chromium against the real portal: the demo
 * cadre (on a phone) finds the class in 我的培训班, watches its recorded part to the end (the
 * watched share shows) and checks in at its in-person session by opening the rotating code's link
 * shown on the class manager's page; the manager records a travelling-classroom session (干教大篷车)
 * with the network cut (`context.setOffline(true)`), even reopening the page offline, and the
 * scans are uploaded once the network is back, exactly once. Screenshots in test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TIMEOUT = 20_000;

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;
let lectureId = '';
let classId = '';
let inPersonId = '';
let caravanId = '';
const cadres: { id: string; username: string }[] = [];

async function apiLogin(username: string): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

async function post(cookie: string, path: string, body: object): Promise<any> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-class-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: 8, width: 640, height: 360 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5' });
  browser = await launchBrowser();
  lectureId = await publishClip(server.url, await apiLogin('lecturer'), clip, { title: '乡村振兴战略专题讲座(录播)', summary: '培训班录播部分', topic: '乡村振兴', category: 'service', creditHours: 0.5, required: false });
  const { calendar } = server.app;
  const today = calendar.day(Date.now());
  const admin = await apiLogin('orgadmin');
  const unit = await server.app.store.models.OrgUnit.findOne({ name: '苏公坨村党支部' }).lean();
  // Begun yesterday: a session that began 10 minutes ago is yesterday's in the county's first minutes of a day.
  classId = (await post(admin, '/api/training/classes', { name: '乡村振兴专题培训班', cohort: 3, category: '专题培训', channel: 'caravan', organiser: '县委组织部', startDay: calendar.addDays(today, -1), endDay: calendar.addDays(today, 2), venue: '县委党校', capacity: 40, unitIds: [String(unit!._id)], creditHours: 16 })).id;
  const demo = await server.app.store.models.User.findOne({ username: 'cadre' }).lean();
  cadres.push({ id: String(demo!._id), username: 'cadre' });
  for (const [username, displayName] of [['liming', '李明'], ['wangfang', '王芳']] as const) {
    const u = await post(admin, '/api/users', { username, displayName, password: 'Xuexi2026x', role: 'cadre', rank: 'township', orgUnitId: String(unit!._id) });
    cadres.push({ id: u.id, username });
  }
  await post(admin, `/api/training/classes/${classId}/assignments`, { userIds: cadres.map((c) => c.id) });
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  await post(admin, `/api/training-sessions/classes/${classId}`, { kind: 'recorded', title: '', lectureId, dueDay: calendar.addDays(today, 1) });
  inPersonId = (await post(admin, `/api/training-sessions/classes/${classId}`, { kind: 'in-person', title: '开班式与专题辅导', startAt: iso(now - 10 * 60_000), endAt: iso(now + 80 * 60_000), venue: '县委党校 201' })).id;
  caravanId = (await post(admin, `/api/training-sessions/classes/${classId}`, { kind: 'caravan', title: '大篷车进村:产业振兴现场课', startAt: iso(now - 5 * 60_000), endAt: iso(now + 120 * 60_000), place: '苏公坨村村委会' })).id;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  return context;
}

async function logIn(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

describe('a class timetable with every kind of session', () => {
  it('the cadre sees the class, watches its recorded part and checks in by opening the rotating code', async () => {
    const phone = await newContext({ width: 390, height: 844 });
    const cadre = await phone.newPage();
    await logIn(cadre, 'cadre');
    await cadre.goto(`${server.url}/training`);
    const cls = cadre.locator(`[data-testid="my-timetable-class"][data-class-id="${classId}"]`);
    await cls.waitFor();
    expect(await cls.getByTestId('my-session').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['in-person', 'caravan', 'recorded']);
    const recorded = cls.locator('[data-testid="my-session"][data-kind="recorded"]');
    await expect(recorded.getByTestId('my-session-watched').getAttribute('data-percent')).resolves.toBe('0');

    // Watch the recorded part to its end.
    await recorded.getByRole('link').click();
    await cadre.waitForURL((url) => url.pathname === `/lectures/${lectureId}`);
    await cadre.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
    await cadre.evaluate(() => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!;
      video.muted = true;
      void video.play();
    });
    await cadre.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.ended, undefined, { timeout: 30_000 });
    await cadre.locator('[data-testid="study-progress"][data-completed="true"]').waitFor({ timeout: 20_000 });
    await cadre.goto(`${server.url}/training`);
    await expect.poll(async () => cadre.locator(`[data-class-id="${classId}"] [data-kind="recorded"] [data-testid="my-session-watched"]`).getAttribute('data-percent'), { timeout: TIMEOUT }).toBe('100');
    await cls.scrollIntoViewIfNeeded();
    await screenshot(cadre, 'training-attendance-cadre-timetable');

    // The manager shows the code; the cadre opens its link.
    const desk = await newContext({ width: 1280, height: 900 });
    const manager = await desk.newPage();
    await logIn(manager, 'orgadmin');
    await manager.goto(`${server.url}/class-manager/${inPersonId}`);
    const qr = manager.getByTestId('manager-qr');
    await qr.waitFor();
    await manager.getByTestId('manager-projector').click();
    await screenshot(manager, 'training-attendance-projector-qr');
    const link = await qr.getAttribute('data-url');
    expect(link).toMatch(/^\/class-checkin\?t=/);
    await cadre.goto(`${server.url}${link}`);
    await cadre.locator('[data-testid="class-checkin-done"][data-direction="in"][data-state="in"]').waitFor();
    await screenshot(cadre, 'training-attendance-cadre-checked-in');
    await manager.getByTestId('manager-projector').click();
    await manager.reload();
    await manager.locator('[data-testid="manager-row"][data-user="cadre"][data-state="in"]').waitFor();
    const rec = await server.app.store.models.TrainingAttendance.findById(`${inPersonId}:${cadres[0]!.id}`).lean();
    expect(rec).toMatchObject({ checkInVia: 'qr' });
    await desk.close();
    await phone.close();
  });

  it('the org admin adds a site visit (现场教学) to the class’s timetable from 培训班管理', async () => {
    const desk = await newContext({ width: 1280, height: 900 });
    const page = await desk.newPage();
    await logIn(page, 'orgadmin');
    await page.goto(`${server.url}/admin/training`);
    const card = page.locator('[data-testid="class-card"][data-class-name="乡村振兴专题培训班"]');
    await card.getByTestId('class-timetable-toggle').click();
    const editor = card.getByTestId('timetable-editor');
    await expect.poll(() => editor.getByTestId('timetable-row').count(), { timeout: TIMEOUT }).toBe(3);
    await editor.getByTestId('timetable-add').click();
    await editor.getByTestId('timetable-kind').selectOption('site-visit');
    await editor.getByTestId('timetable-title').fill('现场教学:墨宝园产业园');
    const { calendar } = server.app;
    const tomorrow = calendar.addDays(calendar.day(Date.now()), 1);
    // The county's wall clock, whatever zone the browser is in.
    await editor.getByTestId('timetable-start').fill(`${tomorrow}T14:00`);
    await editor.getByTestId('timetable-end').fill(`${tomorrow}T17:00`);
    await editor.getByTestId('timetable-place').fill('墨宝园产业园');
    await editor.getByTestId('timetable-save').click();
    await editor.locator('[data-testid="timetable-row"][data-kind="site-visit"]').waitFor();
    const visit = (await server.app.store.models.TrainingSession.findOne({ kind: 'site-visit' }).lean())!;
    expect([visit.startAt!.getTime(), visit.endAt!.getTime()]).toEqual([calendar.dayAt(tomorrow, 14), calendar.dayAt(tomorrow, 17)]);
    await expect(editor.locator('[data-testid="timetable-row"][data-kind="site-visit"]').innerText()).resolves.toContain('14:00–17:00');
    expect(await editor.getByTestId('timetable-row').count()).toBe(4);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'training-attendance-timetable-editor');
    await desk.close();
  });

  it('the manager records a travelling-classroom session offline and uploads it once back online', async () => {
    const phone = await newContext({ width: 390, height: 844 });
    const page = await phone.newPage();
    const uploads: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/api/training-sessions/${caravanId}/offline`)) uploads.push(r.postData() ?? '');
    });
    await logIn(page, 'orgadmin');
    await page.goto(`${server.url}/class-manager/${caravanId}`);
    await page.locator('[data-testid="manager-row"]').first().waitFor();
    // The page is kept for offline use once its service worker runs.
    await page.waitForFunction(async () => !!(await navigator.serviceWorker.ready).active, undefined, { timeout: TIMEOUT });
    await page.waitForFunction(async () => (await caches.has('class-manager-shell-v1')) && !!(await (await caches.open('class-manager-shell-v1')).match('/api/auth/me')), undefined, { timeout: TIMEOUT });

    await phone.setOffline(true);
    await page.locator('[data-testid="class-manager-page"][data-online="false"]').waitFor();
    await page.getByTestId('manager-scan-input').fill(cadres[0]!.username);
    await page.getByTestId('manager-scan-submit').click();
    await page.locator(`[data-testid="manager-row"][data-user="${cadres[1]!.username}"]`).getByTestId('manager-mark-in').click();
    await page.locator('[data-testid="class-manager-page"][data-pending="2"]').waitFor();
    // Reopened with no network (the phone was locked, the tab reloaded): the shell, the roster and the queue are kept.
    await page.reload();
    await page.locator('[data-testid="class-manager-page"][data-pending="2"]').waitFor();
    await page.locator(`[data-testid="manager-row"][data-user="${cadres[2]!.username}"]`).getByTestId('manager-mark-in').click();
    await page.locator('[data-testid="class-manager-page"][data-pending="3"]').waitFor();
    await screenshot(page, 'training-attendance-manager-offline');
    expect(await server.app.store.models.TrainingAttendance.countDocuments({ sessionId: caravanId })).toBe(0);
    expect(uploads).toEqual([]);

    await phone.setOffline(false);
    await page.locator('[data-testid="class-manager-page"][data-pending="0"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('manager-uploaded').waitFor();
    for (const c of cadres) await page.locator(`[data-testid="manager-row"][data-user="${c.username}"][data-state="in"]`).waitFor();
    await screenshot(page, 'training-attendance-manager-uploaded');
    const records = await server.app.store.models.TrainingAttendance.find({ sessionId: caravanId }).lean();
    expect(records.map((r) => r.checkInVia)).toEqual(['offline', 'offline', 'offline']);
    expect(await server.app.store.models.TrainingSyncKey.countDocuments({ _id: { $regex: `^${caravanId}:` } })).toBe(3);
    // Reopened online: nothing is sent again.
    await page.reload();
    await page.locator('[data-testid="manager-row"]').first().waitFor();
    expect(await server.app.store.models.TrainingSyncKey.countDocuments({ _id: { $regex: `^${caravanId}:` } })).toBe(3);
    expect(uploads.length).toBe(1);
    await phone.close();
  });
});
