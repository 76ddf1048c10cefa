/**
 * A cadre whose network lets no WebRTC through (as behind a county office's firewall): in that
 * Chromium no ICE candidate of the media server ever reaches the peer connection (they are cut
 * from every remote description and addIceCandidate() drops them), so its connectivity checks
 * have nothing to try and the transport never connects, while HTTP works. (Chromium's
 * `--force-webrtc-ip-handling-policy=disable_non_proxied_udp` does not block it on loopback:
 * the connection went through over TCP.) The live page must notice by itself (no manual switch), show the live HLS
 * within its connect deadline and say so, keep playing it, and credit the cadre's 学时 on the
 * live timeline; a station's kiosk on the same network does the same. The lecturer publishes
 * from an ordinary browser (camera and microphone), against the real portal, mediasoup worker
 * and ffmpeg.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';
import { signIn } from '../helpers/ui-login';

let server: Awaited<ReturnType<typeof startServer>>;
let lecturerBrowser: Browser;
let blockedBrowser: Browser;
let lectureId = '';
let pairingCode = '';
const contexts: BrowserContext[] = [];

/** Every page of the blocked browser: the media server's ICE candidates never reach WebRTC. */
function blockIce() {
  const proto = RTCPeerConnection.prototype;
  const setRemote = proto.setRemoteDescription;
  proto.setRemoteDescription = function (this: RTCPeerConnection, desc?: RTCSessionDescriptionInit) {
    const sdp = desc?.sdp?.split('\r\n').filter((line) => !line.startsWith('a=candidate:')).join('\r\n');
    return (setRemote as (d?: RTCSessionDescriptionInit) => Promise<void>).call(this, desc ? { type: desc.type, sdp } : desc);
  } as typeof proto.setRemoteDescription;
  proto.addIceCandidate = function () {
    return Promise.resolve();
  } as typeof proto.addIceCandidate;
  (window as unknown as { __iceBlocked: boolean }).__iceBlocked = true;
}

beforeAll(async () => {
  await buildClient();
  server = await startServer({ TRANSCODE_PRESET: 'ultrafast', HEARTBEAT_SECONDS: '5' });
  lecturerBrowser = await launchBrowser({ fakeMedia: true });
  blockedBrowser = await launchBrowser({ fakeMedia: true });
  const lecturer = await apiLogin(server.url, 'lecturer', 'tongyu2026');
  const created = await apiCall(server.url, 'POST', '/api/lectures', lecturer, { title: '乡村振兴政策解读直播课', category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1, topic: '乡村振兴' });
  expect(created.id).toMatch(/^[0-9a-f]{24}$/);
  lectureId = created.id;
  await apiCall(server.url, 'POST', `/api/lectures/${lectureId}/publish`, lecturer);
  const admin = await apiLogin(server.url, 'orgadmin');
  const cadre = await server.app.store.models.User.findOne({ username: 'cadre' }).lean();
  expect(cadre).not.toBeNull();
  const stationId = (await apiCall(server.url, 'POST', '/api/stations', admin, { name: '新华村远程教育站', type: 'village', unitId: String(cadre!.orgUnitId), address: '通榆县', contact: { name: '站长', phone: '0436-7654321' } })).id;
  expect(stationId).toMatch(/^[0-9a-f]{24}$/);
  await apiCall(server.url, 'POST', '/api/timetable', admin, { lectureId, startAt: new Date(Date.now() - 30_000).toISOString(), stationIds: [stationId], durationSec: 3600 });
  pairingCode = (await apiCall(server.url, 'POST', `/api/stations/${stationId}/pairing`, admin)).code;
  expect(pairingCode).toBeTruthy();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await lecturerBrowser?.close();
  await blockedBrowser?.close();
  await server?.close();
});

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  contexts.push(context);
  context.setDefaultTimeout(20_000);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  if (browser === blockedBrowser) await context.addInitScript(blockIce);
  return context.newPage();
}

async function openLive(browser: Browser, username: string): Promise<Page> {
  const page = await newPage(browser);
  await signIn(page, server.url, username);
  await page.goto(`${server.url}/live/${lectureId}`);
  return page;
}

const path = (page: Page) => page.getByTestId('live-page').getAttribute('data-path');
const hlsTime = (page: Page, testId: string) => page.getByTestId(testId).evaluate((v: HTMLVideoElement) => v.currentTime);

describe('live lecture with WebRTC blocked on the viewer\'s network', () => {
  it('shows the live HLS by itself, says so, keeps playing it and credits the live timeline', async () => {
    const host = await openLive(lecturerBrowser, 'lecturer');
    await host.locator('[data-testid="live-page"][data-role="host"]').waitFor();
    for (const toggle of ['live-camera-toggle', 'live-mic-toggle']) await host.getByTestId(toggle).click();
    await expect.poll(() => host.evaluate(() => Boolean(window.__live!.local.camera?.producerId && window.__live!.local.mic?.producerId))).toBe(true);
    await host.getByTestId('live-start').click();
    await host.locator('[data-testid="live-page"][data-state="live"]').waitFor();

    const openedAt = Date.now();
    const cadre = await openLive(blockedBrowser, 'cadre');
    await cadre.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor();
    expect(await cadre.evaluate(() => (window as unknown as { __iceBlocked?: boolean }).__iceBlocked)).toBe(true);
    // No manual switch: the page finds WebRTC does not connect and falls back.
    await expect.poll(() => path(cadre), { timeout: 40_000, interval: 250 }).toBe('fallback');
    const fallbackMs = Date.now() - openedAt;
    await expect(cadre.getByTestId('live-path').innerText()).resolves.toBe('网络不稳，已切换到普通直播');
    await expect.poll(() => hlsTime(cadre, 'live-hls-video'), { timeout: 30_000 }).toBeGreaterThan(0.5);
    const playing = await hlsTime(cadre, 'live-hls-video');
    await expect.poll(() => hlsTime(cadre, 'live-hls-video'), { timeout: 15_000 }).toBeGreaterThan(playing + 2);
    // WebRTC really never connected in this browser.
    const rtcConnected = await cadre.evaluate(async () => (await window.__live!.videoStats()).some((s) => s.framesDecoded > 0));
    expect(rtcConnected).toBe(false);
    await screenshot(cadre, 'live-webrtc-blocked-hls');

    // A station's kiosk behind the same firewall does the same.
    const kiosk = await newPage(blockedBrowser);
    await kiosk.goto(`${server.url}/kiosk?code=${pairingCode}`);
    await expect.poll(() => kiosk.getByTestId('kiosk-live').getAttribute('data-path'), { timeout: 40_000, interval: 250 }).toBe('fallback');
    await expect.poll(() => hlsTime(kiosk, 'kiosk-video'), { timeout: 30_000 }).toBeGreaterThan(1);
    await screenshot(kiosk, 'live-webrtc-blocked-kiosk');

    // The cadre's 学时 follow the HLS picture on the live timeline.
    const userId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    await expect.poll(async () => (await server.app.study.progressOf(userId, lectureId)).coveredSec, { timeout: 45_000, interval: 500 }).toBeGreaterThan(5);
    const progress = await server.app.study.progressOf(userId, lectureId);
    console.log(`live-webrtc-blocked e2e | HLS shown ${fallbackMs} ms after the page opened; ${progress.coveredSec} s credited ${JSON.stringify(progress.intervals)}`);
  }, 150_000);
});
