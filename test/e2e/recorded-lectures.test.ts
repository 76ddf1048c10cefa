/**
 * Recorded lectures in Chromium against the real portal: a lecturer creates a lecture in the
 * studio (课程管理), uploads a generated 12 s 1280x720 clip with tus (progress shown, paused,
 * the page reloaded, the same file picked again continues where it stopped), follows the
 * transcode live until ready and publishes; a cadre finds the lecture by searching the catalog,
 * opens it and plays it with hls.js, and switches quality by the menu while time keeps running.
 * Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { makeClip, makeMediaTmpDir, makeTextAsMp4, removeDir } from '../helpers/media-fixtures';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TITLE = '乡村振兴与基层治理专题讲座';
const TIMEOUT = 20_000;
const PROCESSING_TIMEOUT = 120_000;

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;
let clip: string;
let lectureId = '';

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-recorded-');
  [clip] = await Promise.all([makeClip(dir, { seconds: 12, width: 1280, height: 720 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast' });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function newPage(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  // Lets the test read hls.js state (window.__player) from the production build.
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  const page = await context.newPage();
  return { context, page };
}

async function logIn(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

/** Upload throughput limit (bytes/s) through the DevTools protocol, so an upload lasts a few seconds. */
async function throttleUpload(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

const progressValue = (page: Page) =>
  page.getByTestId('upload-progress').evaluate((el) => ({ value: (el as HTMLProgressElement).value, max: (el as HTMLProgressElement).max }));

describe('recorded lectures: studio upload to catalog playback', () => {
  it('lets a lecturer create a lecture, upload (pause, reload, resume), follow transcoding and publish', async () => {
    const { context, page } = await newPage();
    try {
      await logIn(page, 'lecturer');
      await page.getByTestId('nav-studio').click();
      await page.waitForURL((url) => url.pathname === '/studio');
      await expect(page.locator('h1').innerText()).resolves.toBe('讲授课程管理');

      await page.getByTestId('studio-new').click();
      await page.getByTestId('lecture-form-title').fill(TITLE);
      await page.getByTestId('lecture-form-summary').fill('围绕乡村振兴战略和基层社会治理，结合通榆县村屯实际讲解。');
      await page.getByTestId('lecture-form-topic').fill('乡村振兴');
      await page.getByTestId('lecture-form-category').selectOption('development');
      await page.getByTestId('lecture-form-tags').fill('乡村振兴，基层治理');
      await page.getByTestId('lecture-form-credits').fill('1.5');
      await page.getByTestId('lecture-form-required').selectOption('true');
      await page.getByTestId('lecture-form-submit').click();

      const item = page.getByTestId('studio-lecture').filter({ hasText: TITLE });
      await item.waitFor();
      lectureId = (await item.getAttribute('data-lecture-id')) ?? '';
      expect(lectureId).toMatch(/^[0-9a-f]{24}$/);
      // A status in words, not the stored state (草稿).
      await expect(item.getByTestId('lecture-state').innerText()).resolves.toBe('待上传录像');

      // Slow the link so the upload can be watched, paused and interrupted.
      const size = (await import('node:fs')).statSync(clip).size;
      await throttleUpload(page, Math.max(64 * 1024, Math.round(size / 8)));
      await item.getByTestId('upload-input').setInputFiles(clip);
      await page.waitForFunction(() => {
        const bar = document.querySelector<HTMLProgressElement>('[data-testid="upload-progress"]');
        return bar !== null && bar.value > 0;
      });
      await expect(item.getByTestId('upload-progress').isVisible()).resolves.toBe(true);
      expect((await progressValue(page)).value).toBeGreaterThan(0);
      await expect(item.getByTestId('upload-progress-text').innerText()).resolves.toMatch(/^\d+% · [\d.]+ (B|KB|MB) \/ [\d.]+ (KB|MB)$/);
      await screenshot(page, 'studio-upload-progress');

      await item.getByTestId('upload-pause').click();
      await item.getByTestId('upload-resume').waitFor();
      const paused = await progressValue(page);
      expect(paused.value).toBeLessThan(paused.max);

      // A reload mid-upload: the page says what is unfinished, and the same file continues.
      await page.reload();
      const again = page.getByTestId('studio-lecture').filter({ hasText: TITLE });
      await again.getByTestId('upload-pending').waitFor();
      await expect(again.getByTestId('upload-pending').innerText()).resolves.toContain('clip-1280x720-12s.mp4');
      await throttleUpload(page, Math.max(256 * 1024, Math.round(size / 3)));
      const head = page.waitForResponse((r) => r.request().method() === 'HEAD' && r.url().includes('/api/uploads/'));
      await again.getByTestId('upload-input').setInputFiles(clip);
      const offset = Number((await head).headers()['upload-offset']);
      expect(offset).toBeGreaterThan(0);
      await expect(again.getByTestId('upload-status').innerText()).resolves.toMatch(/断点续传中|上传完成/);

      // Transcoding follows, live over the socket, until the ladder is ready. Every text the card
      // shows meanwhile is kept, to check it says 转码中 x% and the rungs in words, never "ladder".
      await page.evaluate((id) => {
        const seen: string[] = ((window as unknown as { __studioSeen: string[] }).__studioSeen = []);
        const note = () => {
          const text = document.querySelector<HTMLElement>(`[data-lecture-id="${id}"]`)?.innerText;
          if (text && seen.at(-1) !== text) seen.push(text);
        };
        new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
      }, lectureId);
      const processing = again.getByTestId('processing-progress');
      await processing.waitFor({ timeout: 30_000 });
      await again.locator('[data-testid="lecture-state"][data-status="running"]').waitFor({ timeout: PROCESSING_TIMEOUT });
      await expect(again.getByTestId('lecture-state').innerText()).resolves.toMatch(/^转码中 \d+%$/);
      await screenshot(page, 'studio-transcoding');
      await page.waitForFunction(
        (id) => document.querySelector(`[data-lecture-id="${id}"] [data-testid="processing-progress"]`)?.getAttribute('data-state') === 'ready',
        lectureId,
        { timeout: PROCESSING_TIMEOUT, polling: 500 },
      );
      await expect(processing.innerText()).resolves.toContain('转码完成');
      await expect(again.getByTestId('processing-renditions').innerText()).resolves.toBe('已生成：高清 720p、清晰 480p、标清 360p、仅音频');
      await expect(again.getByTestId('lecture-state').innerText()).resolves.toBe('待发布');
      const seen = await page.evaluate(() => (window as unknown as { __studioSeen: string[] }).__studioSeen);
      expect(seen.some((text) => /转码中 \d+%/.test(text))).toBe(true);
      // First rung first: the lowest rung (with its sound), then the higher rungs and the
      // audio-only rendition, labelled meanwhile.
      expect(seen.some((text) => text.includes('生成清晰度：标清 360p') && !text.includes('仅音频'))).toBe(true);
      expect(seen.some((text) => text.includes('生成清晰度：高清 720p、清晰 480p、仅音频') && text.includes('高清版本处理中'))).toBe(true);
      for (const text of seen) expect(text.replace('高清版本处理中', '')).not.toMatch(/ladder|草稿|处理中/);
      await expect((await progressValue(page)).value).toBe((await progressValue(page)).max);

      await again.getByTestId('publish').click();
      await page.waitForFunction(
        (id) => document.querySelector(`[data-lecture-id="${id}"] [data-testid="lecture-state"]`)?.getAttribute('data-state') === 'published',
        lectureId,
      );
      await expect(again.getByTestId('lecture-state').innerText()).resolves.toBe('已发布');
      await again.getByTestId('withdraw').waitFor();
      await screenshot(page, 'studio-published');
    } finally {
      await context.close();
    }
  }, PROCESSING_TIMEOUT + 90_000);

  it('shows why the server refused a file that is not media', async () => {
    const { context, page } = await newPage();
    try {
      await logIn(page, 'lecturer');
      await page.goto(`${server.url}/studio`);
      await page.getByTestId('studio-new').click();
      await page.getByTestId('lecture-form-title').fill('误传讲稿测试课程');
      await page.getByTestId('lecture-form-submit').click();
      const item = page.getByTestId('studio-lecture').filter({ hasText: '误传讲稿测试课程' });
      await item.getByTestId('upload-input').setInputFiles(await makeTextAsMp4(dir));
      const error = item.getByTestId('upload-error');
      await error.waitFor({ timeout: 30_000 });
      await expect(error.getAttribute('data-code')).resolves.toBe('MEDIA_REJECTED');
      expect((await error.innerText()).length).toBeGreaterThan(8);
      await expect(item.getByTestId('publish').isDisabled()).resolves.toBe(true);
      await screenshot(page, 'studio-upload-rejected');
    } finally {
      await context.close();
    }
  });

  it('lets a cadre find the lecture by searching, play it and switch quality while it keeps playing', async () => {
    expect(lectureId, 'the lecturer test published a lecture').not.toBe('');
    const { context, page } = await newPage();
    try {
      await logIn(page, 'cadre');
      await page.getByTestId('catalog-search').fill('基层治理');
      await page.getByTestId('catalog-search-submit').click();
      await page.waitForURL((url) => url.searchParams.get('q') === '基层治理');
      const card = page.locator(`[data-testid="lecture-card"][data-lecture-id="${lectureId}"]`);
      await card.waitFor();
      await expect(card.innerText()).resolves.toContain(TITLE);
      await expect(card.getByTestId('lecture-requirement').innerText()).resolves.toBe('必修');
      await screenshot(page, 'catalog-search-result');

      // The filter survives a reload (it lives in the URL).
      await page.reload();
      await expect(page.getByTestId('catalog-search').inputValue()).resolves.toBe('基层治理');
      await card.waitFor();

      await card.click();
      await page.waitForURL((url) => url.pathname === `/lectures/${lectureId}`);
      await expect(page.getByTestId('lecture-title').innerText()).resolves.toBe(TITLE);
      await expect(page.getByTestId('lecture-credits').innerText()).resolves.toContain('1.5');
      await expect(page.getByTestId('lecture-topic').innerText()).resolves.toBe('乡村振兴');

      await page.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
      await page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!;
        video.muted = true;
        void video.play();
      });
      await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime > 2, undefined, {
        timeout: 30_000,
      });

      const levels = await page.evaluate(() => window.__player!.hls!.levels.map((l) => l.height));
      expect(levels.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...levels)).toBeLessThanOrEqual(720);
      const options = await page.getByTestId('quality-menu').locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
      expect(options[0]).toBe('auto');
      for (const i of levels.keys()) expect(options).toContain(String(i));

      // Pick a level other than the one playing: the tallest, unless it is already playing.
      const playing = await page.evaluate(() => window.__player!.hls!.currentLevel);
      const byHeight = [...levels.keys()].sort((a, b) => levels[b]! - levels[a]!);
      const target = byHeight.find((i) => i !== playing)!;
      await page.getByTestId('quality-menu').selectOption(String(target));
      await page.waitForFunction((level) => window.__player!.hls!.currentLevel === level, target, { timeout: 15_000 });
      await expect(page.getByTestId('player').getAttribute('data-active-level')).resolves.toBe(String(target));
      await expect(page.evaluate(() => window.__player!.hls!.autoLevelEnabled)).resolves.toBe(false);

      const before = await page.evaluate(() => window.__player!.video.currentTime);
      await page.waitForFunction((t0) => window.__player!.video.currentTime > t0 + 0.5, before, { timeout: 10_000 });
      await expect(page.getByTestId('player-current-time').innerText()).resolves.toMatch(/^0:\d\d$/);
      await expect(page.getByTestId('player-error').count()).resolves.toBe(0);
      await screenshot(page, 'lecture-playing-quality-switched');
    } finally {
      await context.close();
    }
  }, 90_000);

  it('finds every 落实能力 lecture by searching 落实, title matches first; the lecturer finds them in the studio', async () => {
    // Four lectures of the demo county's 落实能力 programme; only one says 落实 in its title.
    const { demoLectures } = await import('../../server/seed/demo-lectures');
    const { lectureGrams } = await import('../../server/modules/catalog/search');
    const { models } = server.app.store;
    const lecturerUser = (await models.User.findOne({ username: 'lecturer' }).lean())!;
    const implementation = demoLectures.filter((d) => d.category === 'implementation');
    for (const [i, d] of implementation.entries()) {
      await models.Lecture.create({ ...d, kind: 'recorded', state: 'published', publishedAt: new Date(Date.now() - (i + 1) * 60_000), createdBy: lecturerUser._id, searchGrams: lectureGrams(d) });
    }
    await server.app.catalog.reloadIndex();

    const { context, page } = await newPage();
    try {
      await logIn(page, 'cadre');
      await page.getByTestId('catalog-search').fill('落实');
      await page.getByTestId('catalog-search-submit').click();
      await page.waitForURL((url) => url.searchParams.get('q') === '落实');
      const cards = page.getByTestId('lecture-card');
      await expect.poll(() => cards.count()).toBe(implementation.length);
      for (const d of implementation) await expect(page.getByTestId('lecture-card').filter({ hasText: d.title }).count()).resolves.toBe(1);
      await expect(cards.first().innerText()).resolves.toContain('关键在于落实');
      await screenshot(page, 'catalog-search-topic-category');

      await context.clearCookies();
      await logIn(page, 'lecturer');
      await page.goto(`${server.url}/studio`);
      await page.getByTestId('studio-search').fill('落实');
      const items = page.getByTestId('studio-lecture');
      await expect.poll(() => items.count()).toBe(implementation.length);
      await expect(page.getByTestId('studio-count').innerText()).resolves.toMatch(new RegExp(`共 ${implementation.length} 门`));
      await page.getByTestId('studio-status-filter').selectOption('published');
      await expect.poll(() => items.count()).toBe(implementation.length);
      await page.getByTestId('studio-search').fill('没有这样的课程');
      await page.getByTestId('studio-no-match').waitFor();
      await page.getByTestId('studio-search').fill('落实');
      await expect.poll(() => items.count()).toBe(implementation.length);
      for (const item of await items.all()) await expect(item.getByTestId('lecture-state').innerText()).resolves.toBe('已发布');
      await screenshot(page, 'studio-search');
    } finally {
      await context.close();
    }
  });

  it('says 网络中断 with a countdown when segments fail, and recovers by itself when they come back', async () => {
    expect(lectureId).not.toBe('');
    const { context, page } = await newPage();
    try {
      await logIn(page, 'cadre');
      let failing = true;
      await page.route('**/media/hls/**/*.ts', (route) => (failing ? route.abort('connectionreset') : route.continue()));
      await page.goto(`${server.url}/lectures/${lectureId}`);
      const banner = page.locator('[data-testid="player-error"][data-kind="network"]');
      await banner.waitFor({ timeout: 30_000 });
      await expect(banner.innerText()).resolves.toMatch(/网络中断，正在重试…（\d+ 秒后）/);
      await screenshot(page, 'player-network-retry');
      failing = false;
      await banner.waitFor({ state: 'detached', timeout: 30_000 });
      await page.evaluate(() => {
        window.__player!.video.muted = true;
        void window.__player!.video.play();
      });
      await page.waitForFunction(() => window.__player!.video.currentTime > 1, undefined, { timeout: 15_000 });
    } finally {
      await context.close();
    }
  });

  it('gets a new playback when the token has expired (403 PLAYBACK_EXPIRED) and keeps playing', async () => {
    expect(lectureId).not.toBe('');
    const { context, page } = await newPage();
    try {
      await logIn(page, 'cadre');
      let refusals = 1;
      const playbacks: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/playback')) playbacks.push(r.url());
      });
      await page.route('**/media/hls/**/*.ts', (route) =>
        refusals-- > 0
          ? route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ error: { code: 'PLAYBACK_EXPIRED', message: '播放授权已过期', messageEn: 'expired' } }) })
          : route.continue(),
      );
      await page.goto(`${server.url}/lectures/${lectureId}`);
      await page.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
      await page.evaluate(() => {
        window.__player!.video.muted = true;
        void window.__player!.video.play();
      });
      await page.waitForFunction(() => window.__player!.video.currentTime > 1, undefined, { timeout: 20_000 });
      expect(playbacks.length).toBe(2);
      await expect(page.getByTestId('player-error').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });

  it('fits the catalog and the lecture page on a 360 px phone without sideways scrolling', async () => {
    expect(lectureId).not.toBe('');
    const { context, page } = await newPage({ width: 360, height: 740 });
    try {
      await logIn(page, 'cadre');
      await page.locator(`[data-testid="lecture-card"][data-lecture-id="${lectureId}"]`).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      await screenshot(page, 'catalog-phone-360');
      await page.goto(`${server.url}/lectures/${lectureId}`);
      await page.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      await expect(page.getByTestId('quality-menu').isVisible()).resolves.toBe(true);
      await screenshot(page, 'lecture-phone-360');
    } finally {
      await context.close();
    }
  });
});
