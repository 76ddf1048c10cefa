/**
 * A live lecture whose media server stalls mid-session, in Chromium with a fake camera, against
 * the real portal, mediasoup workers and ffmpeg. Two workers, and at most two consumers per
 * router: the lecturer's router (with the recorder that makes the live HLS) stays on one worker,
 * the receive transports of a cadre's page and of a station's kiosk go to a router on the other.
 * That worker is stopped (SIGSTOP, "the media servers stall while the portal answers"): both
 * fall back to the live HLS within 10 s and say so, the HLS plays, WebRTC is retried in the
 * background, and after the worker resumes (SIGCONT) both return to WebRTC by themselves; the
 * cadre's 学时 kept following the picture on screen.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let lectureId = '';
let stopped: number | null = null;
let stationId = '';
let pairingCode = '';
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await buildClient();
  server = await startServer({ TRANSCODE_PRESET: 'ultrafast', HEARTBEAT_SECONDS: '5', MEDIASOUP_NUM_WORKERS: '2', MEDIASOUP_MAX_CONSUMERS_PER_ROUTER: '3' });
  browser = await launchBrowser({ fakeMedia: true });
  const lecturer = await apiLogin(server.url, 'lecturer', 'tongyu2026');
  const created = await apiCall(server.url, 'POST', '/api/lectures', lecturer, { title: '基层治理能力提升直播课', category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1, topic: '基层治理' });
  lectureId = created.id;
  await apiCall(server.url, 'POST', `/api/lectures/${lectureId}/publish`, lecturer);
  // A station with the lecture on its timetable now, and a pairing code for its kiosk.
  const admin = await apiLogin(server.url, 'orgadmin');
  const unitId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId);
  stationId = (await apiCall(server.url, 'POST', '/api/stations', admin, { name: '苏公坨村远程教育站', type: 'village', unitId, address: '通榆县', contact: { name: '站长', phone: '0436-1234567' } })).id;
  await apiCall(server.url, 'POST', '/api/timetable', admin, { lectureId, startAt: new Date(Date.now() - 30_000).toISOString(), stationIds: [stationId], durationSec: 3600 });
  pairingCode = (await apiCall(server.url, 'POST', `/api/stations/${stationId}/pairing`, admin)).code;
}, 120_000);

afterAll(async () => {
  if (stopped) process.kill(stopped, 'SIGCONT');
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function open(username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  contexts.push(context);
  context.setDefaultTimeout(20_000);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill('tongyu2026');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.goto(`${server.url}/live/${lectureId}`);
  return page;
}

async function openKiosk(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
  contexts.push(context);
  context.setDefaultTimeout(20_000);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  const page = await context.newPage();
  await page.goto(`${server.url}/kiosk?code=${pairingCode}`);
  return page;
}

const frames = (page: Page) => page.evaluate(async () => (await window.__live!.videoStats()).reduce((m, s) => Math.max(m, s.framesDecoded), 0));
const path = (page: Page) => page.getByTestId('live-page').getAttribute('data-path');
const kioskPath = (page: Page) => page.getByTestId('kiosk-live').getAttribute('data-path');
const hlsTime = (page: Page, testId: string) => page.getByTestId(testId).evaluate((v: HTMLVideoElement) => v.currentTime);
/** Where the live HLS player is on the live timeline (its part's offset + the player's time). */
const hlsPlace = (page: Page) =>
  page.evaluate(() => {
    const hls = window.__live!.live.hls;
    const video = document.querySelector<HTMLVideoElement>('[data-testid="live-hls-video"]');
    if (!hls || !video) throw new Error('no live HLS player on the page');
    return hls.offsetSec + video.currentTime;
  });
/** Samples where the live HLS is every 250 ms into `spans`: consecutive samples that advanced no faster than real time (and a little) are a stretch played. */
function sampleShown(page: Page, spans: [number, number][]) {
  let running = true;
  const loop = (async () => {
    let prev: { at: number; place: number } | null = null;
    while (running) {
      const place = await hlsPlace(page).catch(() => null);
      const at = Date.now();
      if (place !== null && prev) {
        const advanced = place - prev.place;
        if (advanced > 0 && advanced <= ((at - prev.at) / 1000) * 1.25 + 0.25) {
          const last = spans[spans.length - 1];
          if (last && Math.abs(last[1] - prev.place) < 1e-6) last[1] = place;
          else spans.push([prev.place, place]);
        }
      }
      prev = place === null ? null : { at, place };
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { stop: async () => { running = false; await loop; } };
}
const overlap = ([a, b]: [number, number], intervals: [number, number][]) => intervals.reduce((sum, [x, y]) => sum + Math.max(0, Math.min(b, y) - Math.max(a, x)), 0);
const spansText = (spans: [number, number][]) => spans.map(([a, b]) => `${a.toFixed(2)}–${b.toFixed(2)}`).join(', ');
const setups = async (page: Page) => Number(await page.getByTestId('live-page').getAttribute('data-setups'));

describe('live lecture: WebRTC to HLS and back', () => {
  it('falls back to the live HLS within 10 s when the media server stalls, and returns to WebRTC after it resumes', async () => {
    // The lecturer publishes camera and microphone and goes live.
    const host = await open('lecturer');
    await host.locator('[data-testid="live-page"][data-role="host"]').waitFor();
    for (const toggle of ['live-camera-toggle', 'live-mic-toggle']) await host.getByTestId(toggle).click();
    await expect.poll(() => host.evaluate(() => Boolean(window.__live!.local.camera?.producerId && window.__live!.local.mic?.producerId))).toBe(true);
    await host.getByTestId('live-start').click();
    await host.locator('[data-testid="live-page"][data-state="live"]').waitFor();

    // The cadre watches over WebRTC; the header says so.
    const cadre = await open('cadre');
    await cadre.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor();
    await expect.poll(() => path(cadre), { timeout: 20_000 }).toBe('webrtc');
    await expect(cadre.getByTestId('live-path').innerText()).resolves.toBe('实时连接');
    await expect.poll(() => cadre.evaluate(() => window.__live!.live.hls?.ready === true), { timeout: 30_000 }).toBe(true);
    // So does the station's kiosk.
    const kiosk = await openKiosk();
    await expect.poll(() => kioskPath(kiosk), { timeout: 30_000 }).toBe('webrtc');
    await expect(kiosk.getByTestId('kiosk-live-path').innerText()).resolves.toBe('实时连接');

    // The cadre's router is on the other worker than the lecturer's (and the recorder's).
    const room = server.app.live.get(lectureId)!.room!;
    const [origin, ...extra] = room.routerLoads();
    const viewerRouter = extra.find((r) => r.consumers >= 4);
    expect(viewerRouter, JSON.stringify(room.routerLoads())).toBeDefined();
    expect(viewerRouter!.workerPid).not.toBe(origin!.workerPid);
    expect(extra, JSON.stringify(room.routerLoads())).toHaveLength(1);
    await screenshot(cadre, 'live-fallback-webrtc');

    // The media server stalls: within 10 s the page shows the live HLS, which plays.
    const setupsBefore = await setups(cadre);
    stopped = viewerRouter!.workerPid;
    process.kill(stopped, 'SIGSTOP');
    const stalledAt = Date.now();
    const marks: Record<string, number> = {};
    const mark = async (name: string) => (marks[name] = await cadre.evaluate(() => window.__live!.timeline()));
    await mark('stall');
    await expect.poll(() => path(cadre), { timeout: 10_000, interval: 200 }).toBe('fallback');
    const fallbackMs = Date.now() - stalledAt;
    await expect.poll(() => kioskPath(kiosk), { timeout: 10_000 - fallbackMs, interval: 200 }).toBe('fallback');
    const kioskFallbackMs = Date.now() - stalledAt;
    await mark('fallback');
    await expect(cadre.getByTestId('live-path').innerText()).resolves.toBe('网络不稳，已切换到普通直播');
    await expect.poll(() => hlsTime(cadre, 'live-hls-video'), { timeout: 20_000 }).toBeGreaterThan(0.5);
    // What the HLS picture showed of the live timeline, sampled from now on: the stretches it
    // played through. A jump (hls.js catching up with the live edge on a busy machine, or
    // reloading at the switch back) was not shown, and is rightly not credited.
    const shownSpans: [number, number][] = [];
    const sampler = sampleShown(cadre, shownSpans);
    // It plays on: a second more of picture. Measured from the lowest time seen, since on a busy
    // machine hls.js may step back a fraction of a second when it recovers from a stall.
    let lowest = await hlsTime(cadre, 'live-hls-video');
    await expect
      .poll(async () => {
        const now = await hlsTime(cadre, 'live-hls-video');
        lowest = Math.min(lowest, now);
        return now - lowest;
      }, { timeout: 20_000, interval: 250 })
      .toBeGreaterThan(1);
    await screenshot(cadre, 'live-fallback-hls');
    await expect.poll(() => hlsTime(kiosk, 'kiosk-video'), { timeout: 20_000 }).toBeGreaterThan(1);
    await expect(kiosk.getByTestId('kiosk-live-path').innerText()).resolves.toBe('网络不稳，已切换到普通直播');
    await screenshot(kiosk, 'live-fallback-kiosk-hls');

    // Meanwhile WebRTC is tried again in the background.
    await expect.poll(() => setups(cadre), { timeout: 20_000 }).toBeGreaterThan(setupsBefore);
    const stalledMs = Date.now() - stalledAt;

    // The media server resumes: the page returns to WebRTC by itself, frames flowing.
    await sampler.stop();
    await mark('resume');
    process.kill(stopped, 'SIGCONT');
    stopped = null;
    const resumedAt = Date.now();
    await expect.poll(() => path(cadre), { timeout: 30_000, interval: 200 }).toBe('webrtc');
    const recoveredMs = Date.now() - resumedAt;
    await cadre.locator('video[data-source="camera"]').waitFor();
    const first = await frames(cadre);
    await expect.poll(() => frames(cadre), { timeout: 10_000 }).toBeGreaterThan(first + 10);
    await expect(cadre.getByTestId('live-hls-video').count()).resolves.toBe(0);
    await expect(cadre.getByTestId('live-path').innerText()).resolves.toBe('实时连接');
    await screenshot(cadre, 'live-fallback-recovered');
    await mark('recovered');
    await expect.poll(() => kioskPath(kiosk), { timeout: 30_000, interval: 200 }).toBe('webrtc');
    await expect.poll(() => frames(kiosk), { timeout: 10_000 }).toBeGreaterThan(10);
    await screenshot(kiosk, 'live-fallback-kiosk-recovered');

    // 学时 followed the picture on screen: what the HLS showed (its place on the live timeline,
    // seconds behind the room: more on a busy machine) is covered, and the timeline again after
    // the return to WebRTC.
    const userId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    const intervals = async () => (await server.app.study.progressOf(userId, lectureId)).intervals as [number, number][];
    const coveredAt = async (t: number) => (await intervals()).some(([a, b]) => a <= t && t <= b);
    // A playing page sends its ticks four to a request (STUDY_BEATS_PER_REQUEST): here one request
    // each 20 s, so the credit after the return comes within that and a retry.
    await expect.poll(() => coveredAt(marks.recovered! + 2), { timeout: 45_000, interval: 500 }).toBe(true);
    // Most of what the HLS showed was credited (a busy machine may stall the player for a moment,
    // and a stalled second is rightly not credited; ~95 % on a quiet one).
    const shown = shownSpans.reduce((sum, [a, b]) => sum + (b - a), 0);
    const creditedIntervals = await intervals();
    const credited = shownSpans.reduce((sum, span) => sum + overlap(span, creditedIntervals), 0);
    const playbacks = (await server.app.store.models.Playback.find({ userId, lectureId }).lean()).map((p) => ({ kind: p.kind, openedAt: p.openedAt, lastPosition: p.lastPosition, flags: p.flags, delivered: p.delivered.length, deliveredSpans: p.deliveredSpans }));
    const why = `HLS showed ${spansText(shownSpans)}, covered ${JSON.stringify(await intervals())}, marks ${JSON.stringify(marks)}, playbacks ${JSON.stringify(playbacks)}`;
    expect(shown, why).toBeGreaterThan(1);
    expect(credited, why).toBeGreaterThanOrEqual(0.5 * shown);
    const covered = (await server.app.study.progressOf(userId, lectureId)).coveredSec;
    console.log(`live-fallback e2e | worker stalled ${stalledMs} ms: HLS after ${fallbackMs} ms (kiosk ${kioskFallbackMs} ms); WebRTC again ${recoveredMs} ms after it resumed; ${covered} s covered ${JSON.stringify(await intervals())} on the timeline, marks ${JSON.stringify(marks)}, HLS showed ${spansText(shownSpans)}`);
  }, 90_000);
});
