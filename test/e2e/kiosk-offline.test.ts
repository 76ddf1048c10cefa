/**
 * The unattended station kiosk when its link fails, in Chromium against the real portal. Station
 * A reaches the portal through a proxy that can black-hole the link (connections open, nothing
 * answers); station B is cut off (refused) before its first-ever session.
 * (a) A pairs by a link with ?code= (which leaves the address), shows the QR as its session
 *     starts; in a black hole it shows 离线 within the request deadline and keeps playing, and an
 *     operator check-in is queued at once;
 * (b) a reload while black-holed shows the kiosk and the cached session within 5 s with the
 *     pending check-in count; when the link returns the check-in is credited from when it was
 *     made, once;
 * (c) B's first-ever session starts offline on time (the player chunk was cached at pairing) and
 *     plays to the end.
 * Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { startLinkProxy } from '../helpers/link-proxy';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { startServer } from '../helpers/server';

const CLIP_SEC = 50;
/** The kiosk's request deadline (kiosk.svelte.ts REQUEST_MS) and poll (POLL_MS). */
const REQUEST_MS = 5_000;
const POLL_MS = 5_000;
let server: Awaited<ReturnType<typeof startServer>>;
let link: Awaited<ReturnType<typeof startLinkProxy>>;
let linkB: Awaited<ReturnType<typeof startLinkProxy>>;
let browser: Browser;
let dir: string;
let admin: string;
let lectureId = '';
const stationIds: string[] = [];
const contexts: BrowserContext[] = [];

const api = (method: string, path: string, body?: unknown) => apiCall(server.url, method, path, admin, body);
const videoTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="kiosk-video"]')?.currentTime ?? 0);

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-kiosk-offline-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: CLIP_SEC, width: 320, height: 180 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5' });
  [link, linkB] = [await startLinkProxy(server.url), await startLinkProxy(server.url)];
  browser = await launchBrowser();
  lectureId = await publishClip(server.url, await apiLogin(server.url, 'lecturer', 'tongyu2026'), clip, { title: '乡村振兴政策解读', creditHours: 1, topic: '乡村振兴' });
  admin = await apiLogin(server.url, 'orgadmin', 'tongyu2026');
  const unitId = String((await server.app.store.models.OrgUnit.findOne({ name: '苏公坨村党支部' }).lean())!._id);
  for (const name of ['苏公坨村终端站点', '向海乡农户站']) stationIds.push((await api('POST', '/api/stations', { name, type: 'village', unitId })).id);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await link?.close();
  await linkB?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

/** A fresh station browser paired by the link an admin would open (…/kiosk?code=…). */
async function pairedKiosk(origin: string, stationId: string): Promise<{ context: BrowserContext; page: Page }> {
  const { code } = await api('POST', `/api/stations/${stationId}/pairing`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${origin}/kiosk?code=${code}`);
  await page.locator('[data-testid="kiosk"][data-status="ready"]').waitFor();
  // Paired: the used code leaves the address, so a reload does not post it again.
  await page.waitForURL((url) => url.pathname === '/kiosk' && !url.searchParams.has('code'));
  // The service worker controls the page and has kept everything the kiosk can need.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });
  await expect.poll(() => page.evaluate(async () => (await (await caches.open('kiosk-shell-v1')).keys()).some((r) => /\/assets\/hls-/.test(r.url))), { timeout: 20_000 }).toBe(true);
  return { context, page };
}

const schedule = async (stationId: string, startAt: number) => (await api('POST', '/api/timetable', { lectureId, startAt: new Date(startAt).toISOString(), stationIds: [stationId] })).session.id as string;

describe('kiosk offline', () => {
  it('keeps going through a black hole and a restart in it, queues check-ins, and starts a first session offline', async () => {
    const [a, b] = await Promise.all([pairedKiosk(link.url, stationIds[0]!), pairedKiosk(linkB.url, stationIds[1]!)]);
    const startA = Date.now() + 12_000;
    const startB = Date.now() + 24_000;
    const [sessionA, sessionB] = [await schedule(stationIds[0]!, startA), await schedule(stationIds[1]!, startB)];
    for (const k of [a, b]) await expect.poll(() => k.page.getByTestId('kiosk-cache').getAttribute('data-done'), { timeout: 30_000 }).toBe('1');
    // B's portal refuses it before its first-ever session (it has never played anything).
    linkB.set('refuse');

    // A starts its session, and its QR shows with it.
    await a.page.locator(`[data-testid="kiosk-player"][data-session="${sessionA}"]`).waitFor({ timeout: 30_000 });
    const playerAt = Date.now();
    await a.page.getByTestId('kiosk-qr-link').waitFor({ timeout: 5_000 });
    expect(Date.now() - playerAt).toBeLessThan(4_000);
    await expect.poll(() => videoTime(a.page), { timeout: 15_000 }).toBeGreaterThan(1);
    await expect.poll(() => a.page.getByTestId('kiosk-online').textContent()).toBe('在线');

    // (a) The link is black-holed: 离线 within a poll and the request deadline; it keeps playing.
    link.set('blackhole');
    const holeAt = Date.now();
    await expect.poll(() => a.page.getByTestId('kiosk-online').textContent(), { timeout: POLL_MS + REQUEST_MS + 3_000 }).toBe('离线');
    console.log(`kiosk-offline e2e | 离线 after ${Date.now() - holeAt} ms of black hole`);
    const t0 = await videoTime(a.page);
    // An operator check-in is queued at once, with the moment it was made.
    const madeAt = Date.now();
    await a.page.getByTestId('kiosk-operator-id').fill('cadre');
    await a.page.getByTestId('kiosk-operator-submit').click();
    await expect.poll(() => a.page.getByTestId('kiosk-operator-message').textContent(), { timeout: 1_500 }).toContain('已暂存');
    await expect.poll(() => videoTime(a.page), { timeout: 10_000 }).toBeGreaterThan(t0 + 2);
    await screenshot(a.page, 'kiosk-offline-blackhole');

    // (c) B's first-ever session started on time although it is offline.
    await b.page.locator(`[data-testid="kiosk-player"][data-session="${sessionB}"]`).waitFor({ timeout: Math.max(0, startB - Date.now()) + 5_000 });
    await expect.poll(() => videoTime(b.page), { timeout: 10_000 }).toBeGreaterThan(0.5);
    expect(Math.abs((await videoTime(b.page)) - (Date.now() - startB) / 1000)).toBeLessThan(6);
    await expect.poll(() => b.page.getByTestId('kiosk-online').textContent()).toBe('离线');
    await screenshot(b.page, 'kiosk-offline-first-session');
    // How far B's player gets, sampled in the page (the player leaves the screen when the session ends).
    await b.page.evaluate(() => {
      const w = window as unknown as { maxPlayed: number };
      w.maxPlayed = 0;
      setInterval(() => (w.maxPlayed = Math.max(w.maxPlayed, document.querySelector<HTMLVideoElement>('[data-testid="kiosk-video"]')?.currentTime ?? 0)), 250);
    });

    // (b) A restarts in the black hole: the kiosk, its session and the pending check-in within 5 s.
    const reloadAt = Date.now();
    await a.page.reload({ waitUntil: 'commit' });
    await a.page.locator(`[data-testid="kiosk-player"][data-session="${sessionA}"]`).waitFor({ timeout: 5_000 });
    await a.page.getByTestId('kiosk-queued').waitFor({ timeout: 5_000 - (Date.now() - reloadAt) });
    expect(Date.now() - reloadAt).toBeLessThan(5_000);
    console.log(`kiosk-offline e2e | restarted in the black hole: session and pending count after ${Date.now() - reloadAt} ms`);
    expect(await a.page.getByTestId('kiosk-queued').getAttribute('data-count')).toBe('1');
    expect(await a.page.getByTestId('kiosk-online').textContent()).toBe('离线');
    await expect.poll(() => videoTime(a.page), { timeout: 10_000 }).toBeGreaterThan(0);
    await screenshot(a.page, 'kiosk-offline-restarted');

    // The link returns: 在线 again, the check-in is sent and credited from when it was made, once.
    link.set('pass');
    await expect.poll(() => a.page.getByTestId('kiosk-online').textContent(), { timeout: POLL_MS + REQUEST_MS }).toBe('在线');
    await a.page.getByTestId('kiosk-queued').waitFor({ state: 'detached', timeout: 15_000 });
    const roster = await api('GET', `/api/stations/${stationIds[0]}/roster?sessionId=${sessionA}`);
    const rows = roster.learners as { name: string; checkedInAt: string }[];
    expect(rows).toHaveLength(1);
    expect(Math.abs(Date.parse(String(rows[0]!.checkedInAt)) - madeAt)).toBeLessThan(3_000);
    await screenshot(a.page, 'kiosk-offline-back');

    // (c) B, offline all along, plays its first-ever session to the end.
    const played = () => b.page.evaluate(() => (window as unknown as { maxPlayed: number }).maxPlayed);
    await expect.poll(played, { timeout: Math.max(0, startB + CLIP_SEC * 1000 - Date.now()) + 15_000 }).toBeGreaterThan(CLIP_SEC - 1.5);
    expect(await b.page.getByTestId('kiosk-online').textContent()).toBe('离线');
  }, 150_000);
});
