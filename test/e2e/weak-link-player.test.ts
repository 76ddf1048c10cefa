/**
 * The lecture player on a weak village link (弱网) in Chromium against the real portal: a
 * lecturer publishes a generated 30 s 640x360 clip (a 360p rung declared at ~950 kbit/s plus the
 * audio-only rung); a cadre opens it with the link emulated through the DevTools protocol at
 * 300 kbit/s down and 400 ms latency. The player says in words that it is buffering (what is
 * buffered, which rung), measures the first segment, says the link cannot carry the lowest video
 * rung and switches to audio only by itself with the slide kept on screen; one click on 恢复视频
 * brings the video back. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TITLE = '村级组织振兴（弱网播放示范）';
const TIMEOUT = 30_000;

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let dir: string;
let lectureId = '';

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-weak-link-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: 30, width: 640, height: 360 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast' });
  browser = await launchBrowser();
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lecturer', password: PASSWORD }),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  lectureId = await publishClip(server.url, cookie, clip, { title: TITLE, topic: '基层治理', category: 'service', creditHours: 1, required: false }, 300_000);
}, 420_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  return context;
}

/** A village link: ~300 kbit/s down, 400 ms latency (Chromium's own network emulation). */
async function throttle(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: 300_000 / 8, uploadThroughput: 256_000 / 8 });
}

describe('the lecture player on a weak link', () => {
  it('says it is buffering, switches to audio only by itself, and comes back to video with one click', async () => {
    expect(lectureId).toMatch(/^[0-9a-f]{24}$/);
    const context = await newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/login`);
      await page.getByTestId('login-username').fill('cadre');
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((url) => url.pathname === '/');

      // The app and the player's code are loaded at full speed (the lecture once, then home);
      // the lecture is opened again (in-app link) on the village link.
      const openInApp = (path: string) =>
        page.evaluate((href) => {
          const link = Object.assign(document.createElement('a'), { href });
          document.body.append(link);
          link.click();
          link.remove();
        }, path);
      const openLecture = () => openInApp(`/lectures/${lectureId}`);
      await openLecture();
      await page.locator('[data-testid="player"][data-status="ready"]').waitFor();
      await openInApp('/');
      await page.waitForURL((url) => url.pathname === '/');
      await throttle(page);
      await openLecture();
      const player = page.locator('[data-testid="player"][data-status="ready"]');
      await player.waitFor({ timeout: 45_000 });
      await page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!;
        video.muted = true;
        void video.play();
      });

      // Buffering in words, not a bare spinner: what is buffered and which rung is loading.
      const buffering = page.getByTestId('player-buffering');
      await buffering.waitFor({ timeout: 20_000 });
      const bufferingText = await buffering.innerText();
      expect(bufferingText).toContain('网络较慢，正在缓冲…');
      expect(bufferingText).toMatch(/已缓冲 [\d.]+ 秒/);

      // The first segment shows the link cannot carry 360p: audio only, said in words.
      const notice = page.locator('[data-testid="player-link-notice"][data-mode="audio-auto"]');
      await notice.waitFor({ timeout: 45_000 });
      await expect(page.getByTestId('player').getAttribute('data-audio-only')).resolves.toBe('true');
      const noticeText = await notice.innerText();
      expect(noticeText).toContain('网络较慢，已自动切换为仅音频');
      expect(noticeText).toMatch(/网速约 \d+ kbit\/s|视频反复缓冲/);
      await expect(page.getByTestId('player-audio-still').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('quality-menu').inputValue()).resolves.toBe('audio');
      await screenshot(page, 'weak-link-audio-only');

      // One click back to video; the player does not switch away again by itself.
      await notice.getByTestId('player-restore-video').click();
      await page.locator('[data-testid="player"][data-audio-only="false"][data-link-mode="video"]').waitFor();
      await expect(page.getByTestId('quality-menu').inputValue()).resolves.toBe('auto');
      await expect(page.getByTestId('player-audio-still').count()).resolves.toBe(0);
      await page.locator('[data-testid="player-buffering"], [data-testid="player-link-notice"][data-mode="suggest-audio"]').first().waitFor({ timeout: 20_000 });
      await screenshot(page, 'weak-link-back-to-video');
      await expect(page.getByTestId('player').getAttribute('data-audio-only')).resolves.toBe('false');
    } finally {
      await context.close();
    }
  }, 120_000);
});
