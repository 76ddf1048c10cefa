/**
 * 空中课堂 in Chromium against the real portal: an admin registers a village station, creates a
 * pairing code and schedules a replay there; the station's browser pairs with the code once, shows
 * the countdown, fetches the replay ahead into its cache and starts it by itself at its time. A
 * cadre's phone (a phone-sized second context) reads the rotating QR link, logs in and checks in.
 * The station then loses its network for a while (and restarts, as after a power cut, while
 * still offline: it resumes from its cache) and gets it back: the heartbeats it buffered are
 * sent and credited once, and the cadre earns the time they were present. Playing, the kiosk
 * fits 1280×720, 1366×768 and 1920×1080 with nothing cut off. Screenshots go to
 * test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin as login } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const CLIP_SEC = 45;
const LEAD_SEC = 25;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;
let admin: string;
let lectureId = '';
let stationId = '';
let sessionId = '';
let startAt = 0;
const contexts: BrowserContext[] = [];

const apiLogin = (username: string, password = PASSWORD) => login(server.url, username, password);
const api = (method: string, path: string, cookie: string, body?: unknown) => apiCall(server.url, method, path, cookie, body);

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-air-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: CLIP_SEC, width: 480, height: 270 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5' });
  browser = await launchBrowser();
  lectureId = await publishClip(server.url, await apiLogin('lecturer'), clip, { title: '空中课堂：乡村振兴政策解读', creditHours: 1, topic: '乡村振兴' });
  admin = await apiLogin('orgadmin');
  const unitId = String((await server.app.store.models.OrgUnit.findOne({ name: '苏公坨村党支部' }).lean())!._id);
  stationId = (await api('POST', '/api/stations', admin, { name: '苏公坨村远程教育终端站点', type: 'village', unitId, address: '苏公坨村村委会', contact: { name: '王站长', phone: '0436-0000000' } })).id;
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function newContext(options: { width: number; height: number; mobile?: boolean }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: options.width, height: options.height }, isMobile: options.mobile, hasTouch: options.mobile, locale: 'zh-CN' });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  return context;
}

const videoTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="kiosk-video"]')?.currentTime ?? 0);

describe('air classroom', () => {
  it('pairs a station that plays its scheduled replay by itself, checks a phone in, and credits the buffered heartbeats once', async () => {
    // The station's browser pairs once with the code the admin created.
    const pairing = await api('POST', `/api/stations/${stationId}/pairing`, admin);
    const kioskContext = await newContext({ width: 1280, height: 720 });
    const kiosk = await kioskContext.newPage();
    await kiosk.goto(`${server.url}/kiosk`);
    await kiosk.getByTestId('kiosk-pair').waitFor();
    await kiosk.getByTestId('kiosk-pair-code').fill(pairing.code);
    await kiosk.getByTestId('kiosk-pair-submit').click();
    await kiosk.locator('[data-testid="kiosk"][data-status="ready"]').waitFor();

    // The admin schedules the replay to start shortly; the kiosk counts down and caches it.
    startAt = Date.now() + LEAD_SEC * 1000;
    const scheduled = await api('POST', '/api/timetable', admin, { lectureId, startAt: new Date(startAt).toISOString(), stationIds: [stationId] });
    sessionId = scheduled.session.id;
    await kiosk.locator(`[data-testid="kiosk-countdown"][data-session="${sessionId}"]`).waitFor({ timeout: 30_000 });
    const cache = kiosk.getByTestId('kiosk-cache');
    await expect.poll(() => cache.getAttribute('data-done'), { timeout: 30_000 }).toBe('1');
    await screenshot(kiosk, 'air-kiosk-countdown');

    // At its time the replay starts by itself (nobody touches the kiosk).
    await kiosk.locator(`[data-testid="kiosk-player"][data-session="${sessionId}"]`).waitFor({ timeout: LEAD_SEC * 1000 + 15_000 });
    await expect.poll(() => videoTime(kiosk), { timeout: 20_000 }).toBeGreaterThan(1);

    // A cadre's phone reads the QR's link, logs in and checks in.
    const link = await kiosk.getByTestId('kiosk-qr-link').getAttribute('href');
    expect(link).toMatch(/^\/checkin\?t=/);
    const phone = await (await newContext({ width: 390, height: 844, mobile: true })).newPage();
    await phone.goto(server.url + link!);
    await phone.waitForURL((url) => url.pathname === '/login');
    await phone.getByTestId('login-username').fill('cadre');
    await phone.getByTestId('login-password').fill(PASSWORD);
    await phone.getByTestId('login-submit').click();
    await phone.getByTestId('checkin-done').waitFor();
    const checkedInAt = Date.now();
    await screenshot(phone, 'air-phone-checkin');
    await expect.poll(() => kiosk.getByTestId('kiosk-present').getAttribute('data-count'), { timeout: 20_000 }).toBe('1');
    await screenshot(kiosk, 'air-kiosk-playing');
    // Playing with the QR and the list beside it, the kiosk still fits a 16:9 screen: nothing cut off.
    for (const [width, height] of [[1366, 768], [1920, 1080], [1280, 720]] as const) {
      await kiosk.setViewportSize({ width, height });
      const size = await kiosk.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth }));
      expect(size.h, `kiosk at ${width}×${height}`).toBeLessThanOrEqual(height);
      expect(size.w, `kiosk at ${width}×${height}`).toBeLessThanOrEqual(width);
    }

    // The station goes offline for a while: it keeps playing (from its cache), its heartbeats wait.
    const cadreId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    const coveredBefore = (await server.app.study.progressOf(cadreId, lectureId)).coveredSec;
    await kioskContext.setOffline(true);
    await expect.poll(() => kiosk.getByTestId('kiosk-online').textContent(), { timeout: 20_000 }).toBe('离线');
    const t0 = await videoTime(kiosk);
    await kiosk.waitForTimeout(8000);
    expect(await videoTime(kiosk)).toBeGreaterThan(t0 + 5);
    const pending = await kiosk.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('study-outbox:station:')).reduce((n, k) => n + (JSON.parse(localStorage.getItem(k) ?? '[]') as unknown[]).length, 0));
    expect(pending).toBeGreaterThan(0);
    // A power cut while offline: the page comes back from the service worker's cache, with the
    // timetable it kept, and resumes the replay where the timetable says it should be now.
    await kiosk.reload();
    await kiosk.locator(`[data-testid="kiosk-player"][data-session="${sessionId}"]`).waitFor({ timeout: 20_000 });
    await expect.poll(() => videoTime(kiosk), { timeout: 20_000 }).toBeGreaterThan(0);
    const expected = (Date.now() - startAt) / 1000;
    expect(Math.abs((await videoTime(kiosk)) - expected)).toBeLessThan(6);
    await screenshot(kiosk, 'air-kiosk-restarted-offline');
    await kioskContext.setOffline(false);

    // Back online: the buffered beats are credited, once; the cadre earns the time present.
    await expect
      .poll(() => kiosk.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('study-outbox:station:')).reduce((n, k) => n + (JSON.parse(localStorage.getItem(k) ?? '[]') as unknown[]).length, 0)), { timeout: 30_000 })
      .toBe(0);
    await kiosk.locator(`[data-testid="kiosk"][data-current=""]`).waitFor({ timeout: CLIP_SEC * 1000 + 20_000 });
    await server.app.study.checkpoint();
    const presentSec = Math.min(CLIP_SEC, (startAt + CLIP_SEC * 1000 - checkedInAt) / 1000);
    const mine = await server.app.study.progressOf(cadreId, lectureId);
    const covered = mine.coveredSec;
    console.log('air e2e | cadre intervals', JSON.stringify(mine.intervals), 'present from', (checkedInAt - startAt) / 1000, 's; station', JSON.stringify((await server.app.study.progressOf(stationId, lectureId)).intervals));
    expect(covered).toBeGreaterThan(coveredBefore + 5);
    expect(covered).toBeGreaterThan(presentSec - 8);
    expect(covered).toBeLessThanOrEqual(presentSec + 6);
    // The station's monitoring row shows it online with its last contact.
    const dash = await api('GET', '/api/stations/dashboard', admin);
    expect(dash.items.find((s: any) => s.id === stationId)).toMatchObject({ online: true, paired: true });
    await screenshot(kiosk, 'air-kiosk-after');
  }, 240_000);
});
