/**
 * A live lecture (直播讲座) in Chromium with fake cameras, against the real portal, mediasoup
 * worker and ffmpeg: the lecturer picks devices, publishes camera (simulcast) and microphone and
 * goes live; two cadres join from the lecture page and receive the video (getStats shows
 * framesDecoded rising on both); a chat message and a question round-trip and the lecturer marks
 * the question answered; the lecturer brings one viewer on stage and the other viewer receives
 * that viewer's video; the lecturer ends the session and the replay, made from the recording,
 * is published and plays. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin as login } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TITLE = '乡村振兴战略专题直播讲座';
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let lectureId = '';
const contexts: BrowserContext[] = [];

const apiLogin = (username: string, password = PASSWORD) => login(server.url, username, password);
const api = (method: string, path: string, cookie: string, body?: unknown) => apiCall(server.url, method, path, cookie, body);

beforeAll(async () => {
  await buildClient();
  server = await startServer({ TRANSCODE_PRESET: 'ultrafast', HEARTBEAT_SECONDS: '5' });
  browser = await launchBrowser({ fakeMedia: true });
  const lecturer = await apiLogin('lecturer');
  const created = await api('POST', '/api/lectures', lecturer, { title: TITLE, category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1, topic: '乡村振兴' });
  lectureId = created.id;
  await api('POST', `/api/lectures/${lectureId}/publish`, lecturer);
  const admin = await apiLogin('orgadmin');
  const unitId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId);
  await api('POST', '/api/users', admin, { username: 'zhaoli', displayName: '赵丽', password: 'xuexi2026', role: 'cadre', orgUnitId: unitId });
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function open(username: string, password = PASSWORD): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  contexts.push(context);
  context.setDefaultTimeout(20_000);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  return page;
}

/** framesDecoded of the page's received video from `peerName` (or the host when omitted). */
async function frames(page: Page, source: 'camera' | 'guest', peerId?: string): Promise<number> {
  return page.evaluate(
    async ({ source, peerId }) => {
      const room = window.__live!;
      const host = room.peers.find((p) => p.role === 'host');
      const stats = await room.videoStats();
      const want = stats.filter((s) => s.source === 'camera' && (source === 'camera' ? s.peerId === host?.peerId : s.peerId === peerId));
      return want.reduce((m, s) => Math.max(m, s.framesDecoded), 0);
    },
    { source, peerId },
  );
}

async function framesRise(page: Page, source: 'camera' | 'guest', peerId?: string) {
  await expect.poll(() => frames(page, source, peerId), { timeout: 20_000, interval: 500 }).toBeGreaterThan(0);
  const first = await frames(page, source, peerId);
  await expect.poll(() => frames(page, source, peerId), { timeout: 10_000, interval: 500 }).toBeGreaterThan(first + 10);
}

describe('live lecture', () => {
  it('broadcasts to two viewers, with chat, questions, a guest on stage, and a replay after the end', async () => {
    // The lecturer enters from the lecture page, chooses devices with a preview and goes live.
    const host = await open('lecturer');
    await host.goto(`${server.url}/lectures/${lectureId}`);
    await host.getByTestId('lecture-enter-live').click();
    await host.waitForURL((url) => url.pathname === `/live/${lectureId}`);
    await host.locator('[data-testid="live-page"][data-status="joined"][data-role="host"]').waitFor();
    await host.getByTestId('live-preview').click();
    await host.getByTestId('live-camera-toggle').click();
    await host.getByTestId('live-mic-toggle').click();
    await expect.poll(() => host.locator('video[data-source="camera"][data-local="true"]').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
    await host.getByTestId('live-start').click();
    await host.locator('[data-testid="live-page"][data-state="live"]').waitFor();

    // Two cadres join and receive the lecturer's camera.
    const v1 = await open('cadre');
    const v2 = await open('zhaoli', 'xuexi2026');
    for (const v of [v1, v2]) {
      await v.goto(`${server.url}/live/${lectureId}`);
      await v.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor();
    }
    await Promise.all([framesRise(v1, 'camera'), framesRise(v2, 'camera')]);
    await screenshot(v1, 'live-viewer');

    // Chat round-trip: a viewer writes, the lecturer and the other viewer see it.
    await v1.getByTestId('live-chat-input').fill('老师好，信号清晰！');
    await v1.getByTestId('live-chat-send').click();
    for (const p of [host, v2]) await p.locator('[data-testid="live-chat-message"]', { hasText: '老师好，信号清晰！' }).waitFor();

    // Q&A: viewer 2 asks, viewer 1 upvotes, the lecturer marks it answered.
    await v2.getByTestId('live-tab-questions').click();
    await v2.getByTestId('live-question-input').fill('村级集体经济如何发展壮大？');
    await v2.getByTestId('live-question-submit').click();
    await v1.getByTestId('live-tab-questions').click();
    await v1.locator('[data-testid="live-question"]', { hasText: '村级集体经济' }).getByTestId('live-question-upvote').click();
    await host.getByTestId('live-tab-questions').click();
    const q = host.locator('[data-testid="live-question"]', { hasText: '村级集体经济' });
    await expect.poll(() => q.getAttribute('data-votes')).toBe('1');
    await q.getByTestId('live-question-answer').click();
    await v2.locator('[data-testid="live-question"][data-answered="true"]').waitFor();
    // The tab's count follows the list: the answered question is still listed and counted.
    for (const p of [host, v2]) await expect.poll(() => p.getByTestId('live-tab-questions').innerText()).toBe('提问 (1)');
    await screenshot(host, 'live-host-questions');

    // Viewer 1 raises a hand; the lecturer brings them on stage; viewer 2 receives their video.
    await v1.getByTestId('live-hand').click();
    await host.getByTestId('live-tab-people').click();
    const peer = host.locator('[data-testid="live-peer"][data-name="张伟"]');
    await expect.poll(() => peer.getAttribute('data-hand')).toBe('true');
    const guestId = (await peer.getAttribute('data-peer'))!;
    await peer.getByTestId('live-stage-toggle').click();
    await v1.getByTestId('live-on-stage').waitFor();
    await v2.locator(`video[data-source="guest"][data-peer="${guestId}"]`).waitFor();
    await framesRise(v2, 'guest', guestId);
    await screenshot(v2, 'live-guest-on-stage');

    // A viewer's network drops and comes back: the page rejoins the same room by itself.
    const v2Context = contexts[2]!;
    const setupsBefore = Number(await v2.getByTestId('live-page').getAttribute('data-setups'));
    await v2Context.setOffline(true);
    await expect.poll(() => v2.getByTestId('live-quality').getAttribute('data-quality'), { timeout: 15_000 }).toBe('offline');
    await v2Context.setOffline(false);
    await expect.poll(async () => Number(await v2.getByTestId('live-page').getAttribute('data-setups')), { timeout: 20_000 }).toBeGreaterThan(setupsBefore);
    await framesRise(v2, 'camera');

    // The media worker of the room dies: the room is rebuilt on a live worker and every page
    // sets up again by itself; the lecturer's camera reaches the viewers again.
    const room = server.app.live.get(lectureId)!.room!;
    const pid = room.routerLoads()[0]!.workerPid;
    const hostSetups = Number(await host.getByTestId('live-page').getAttribute('data-setups'));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await expect.poll(async () => Number(await host.getByTestId('live-page').getAttribute('data-setups')), { timeout: 10_000, interval: 100 }).toBeGreaterThan(hostSetups);
    try {
      await expect.poll(() => frames(v1, 'camera'), { timeout: 15_000, interval: 200 }).toBeGreaterThan(0);
    } catch (err) {
      const dump = (p: Page) => p.evaluate(() => { const r = window.__live!; return JSON.stringify({ status: r.status, mode: r.mode, setups: r.setups, err: String(r.error), you: r.you, local: Object.keys(r.local), remote: r.remote.map((x) => [x.source, x.kind, x.peerId]) }); });
      console.log('HOST', await dump(host));
      console.log('V1', await dump(v1));
      console.log('SERVER', JSON.stringify(server.app.live.get(lectureId)!.room!.producers()));
      throw err;
    }
    const recoveredMs = Date.now() - killedAt;
    console.log(`live e2e | worker ${pid} killed: viewers decoding the lecturer's video again after ${recoveredMs} ms`);
    expect(recoveredMs).toBeLessThan(5_000);
    await framesRise(v2, 'camera');

    // A viewer switches to the live HLS output by hand (it is also the automatic fallback).
    await v1.getByTestId('live-mode').selectOption('hls');
    const hlsVideo = v1.getByTestId('live-hls-video');
    await hlsVideo.waitFor({ timeout: 30_000 });
    await expect.poll(() => hlsVideo.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 30_000 }).toBeGreaterThan(0.5);
    await screenshot(v1, 'live-viewer-hls');

    // The lecturer ends the lecture; the replay is made from the recording and published.
    await host.getByTestId('live-end').click();
    for (const p of [host, v1, v2]) await p.locator('[data-testid="live-page"][data-state="ended"]').waitFor();
    // No "观看回放" until the replay exists: it is joined from the parts and transcoded first.
    await v2.getByTestId('live-replay-pending').waitFor();
    await expect(v2.getByTestId('live-replay-link').count()).resolves.toBe(0);
    await screenshot(v2, 'live-ended-replay-pending');
    const link = v2.getByTestId('live-replay-link');
    await link.waitFor({ timeout: 240_000 }); // joining and transcoding: slow on a loaded 2-core machine
    const replayId = (await link.getAttribute('href'))!.split('/').pop()!;
    const cadre = await apiLogin('cadre');
    // The link appeared because the replay is published, not before.
    await expect(api('GET', `/api/lectures/${replayId}`, cadre).then((l) => l.state)).resolves.toBe('published');
    await link.click();
    await v2.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
    await v2.evaluate(() => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!;
      video.muted = true;
      void video.play();
    });
    await expect.poll(() => v2.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime), { timeout: 20_000 }).toBeGreaterThan(1);
    // Watching live earned covered time on the live timeline for the cadres (delivery evidence:
    // the SFU's bytes to the WebRTC pages, the HLS segments to the HLS page).
    // (Polled: a page's last beats after the end may still be on their way.)
    for (const username of ['cadre', 'zhaoli']) {
      const userId = String((await server.app.store.models.User.findOne({ username }).lean())!._id);
      await expect.poll(async () => (await server.app.study.progressOf(userId, lectureId)).coveredSec, { timeout: 45_000, interval: 500 }).toBeGreaterThan(5);
    }
    const replay = await api('GET', `/api/lectures/${replayId}`, cadre);
    expect(replay.replayOf).toBe(lectureId);
    expect(replay.kind).toBe('recorded');
    await screenshot(v2, 'live-replay');
  }, 420_000);
});
