/**
 * Cadre pages on a phone (390×844, 2× pixels, touch) in Chromium against the real portal: the
 * demo cadre's home, 我的学习 and 扫码签到 fit the screen (a slim header, the bottom bar, no
 * sideways scrolling), the lecture record is cards whose titles and progress are not clipped,
 * 大字模式 survives a reload and still lays out, the skip link is the first Tab stop, a page of
 * another role answers 无权限 (403) and an unknown path 页面不存在 (404).
 * The test portal seeds no lectures (watching one to earn progress takes a transcode and minutes),
 * so the record's rows are added to the real /api/study/me answer in the browser: long titles
 * of the county's own courses, one finished, one half-watched, one just begun.
 * Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO_PASSWORD } from '../helpers/api';
import { startServer } from '../helpers/server';

const WIDTH = 390;
const HEIGHT = 844;
const TIMEOUT = 15_000;

const LECTURES = [
  { lectureId: '65f0a1b2c3d4e5f601234561', title: '学习贯彻习近平新时代中国特色社会主义思想专题：以“万名干部素质提升工程”推动落实能力提升', category: 'implementation', required: true, progress: 1, completed: true, creditHours: 2, earnedHours: 2, lastWatchedAt: '2026-03-05T02:00:00.000Z' },
  { lectureId: '65f0a1b2c3d4e5f601234562', title: '清华大学远程教学站 · 县域经济高质量发展与乡村振兴战略的基层实践（下）', category: 'development', required: false, progress: 0.48, completed: false, creditHours: 1.5, earnedHours: 0, lastWatchedAt: '2026-03-06T02:00:00.000Z' },
  { lectureId: '65f0a1b2c3d4e5f601234563', title: '吉林大学学者讲坛：党史党性教育', category: 'party-history', required: false, progress: 0.03, completed: false, creditHours: 1, earnedHours: 0 },
];

let server: { url: string; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function phoneContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  context.setDefaultTimeout(TIMEOUT);
  await context.route((url) => url.pathname === '/api/study/me', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { lectures: unknown[]; earned: { total: number; required: number } };
    await route.fulfill({ response, json: { ...body, lectures: LECTURES, earned: { ...body.earned, total: 2, required: 2 } } });
  });
  return context;
}

/** Page width beyond the viewport (0 = no sideways scrolling). */
const overflow = (page: Page) => page.evaluate((w) => document.scrollingElement!.scrollWidth - w, WIDTH);

/** Texts of the elements matching `selector` whose content is wider than their box. */
const clipped = (page: Page, selector: string) =>
  page.evaluate((sel) => [...document.querySelectorAll<HTMLElement>(sel)].filter((el) => el.scrollWidth > el.clientWidth).map((el) => el.innerText), selector);

async function expectPhoneShell(page: Page): Promise<void> {
  const header = await page.getByTestId('app-header').boundingBox();
  expect(header!.height).toBeLessThanOrEqual(HEIGHT * 0.15);
  await expect(page.getByTestId('bottom-nav').isVisible()).resolves.toBe(true);
  expect(await overflow(page)).toBeLessThanOrEqual(0);
}

async function expectStudyCards(page: Page): Promise<void> {
  await page.getByTestId('study-lecture').first().waitFor();
  await expect(page.getByTestId('study-lecture').count()).resolves.toBe(LECTURES.length);
  expect(await clipped(page, '[data-testid="study-lecture-title"], [data-testid="study-lecture-progress"], [data-testid="study-lecture"] td')).toEqual([]);
  // Cards, not a squeezed table: each title has (nearly) the card's whole width.
  for (const box of await page.getByTestId('study-lecture-title').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().width))) {
    expect(box).toBeGreaterThan(WIDTH * 0.6);
  }
  await expectPhoneShell(page);
}

describe('cadre pages on a 390×844 phone', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await phoneContext();
    page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByTestId('login-username').fill('cadre');
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => url.pathname === '/');
  });

  afterAll(async () => {
    await context?.close();
  });

  it('shows home with a slim header, the bottom bar and no sideways scrolling', async () => {
    await page.locator('main').first().waitFor();
    await expectPhoneShell(page);
    const links = await page.getByTestId('bottom-nav').locator('a').evaluateAll((els) => els.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['/', '/plan', '/study', '/timetable', '/checkin']);
    await expect(page.getByTestId('logout').isVisible()).resolves.toBe(false);
    await page.getByTestId('menu-toggle').click();
    await expect(page.getByTestId('logout').isVisible()).resolves.toBe(true);
    await screenshot(page, 'phone-home-menu');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('logout').isVisible()).resolves.toBe(false);
    await screenshot(page, 'phone-home');
  });

  it('makes the skip link the first Tab stop and moves focus to the main content', async () => {
    await page.reload();
    await page.locator('main').first().waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('skip-link');
    await expect(page.getByTestId('skip-link').isVisible()).resolves.toBe(true);
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('MAIN');
  });

  it('shows 我的学习 as cards with whole titles and progress, charts kept', async () => {
    await page.getByTestId('bottom-study').click();
    await page.waitForURL((url) => url.pathname === '/study');
    await expectStudyCards(page);
    await expect(page.getByTestId('bottom-study').getAttribute('aria-current')).resolves.toBe('page');
    await expect(page.getByTestId('chart-split').isVisible()).resolves.toBe(true);
    await screenshot(page, 'phone-study');
  });

  it('explains 扫码签到 when opened from the bottom bar', async () => {
    await page.getByTestId('bottom-checkin').click();
    await page.getByTestId('checkin-scan').waitFor();
    await expectPhoneShell(page);
    await screenshot(page, 'phone-checkin');
  });

  it('keeps 大字模式 after a reload and still lays the pages out', async () => {
    await page.getByTestId('menu-toggle').click();
    await page.getByTestId('large-text-toggle').click();
    await expect(page.getByTestId('large-text-toggle').getAttribute('aria-pressed')).resolves.toBe('true');
    await page.reload();
    await page.getByTestId('checkin-scan').waitFor();
    await expect(page.evaluate(() => document.documentElement.classList.contains('large-text'))).resolves.toBe(true);
    await expect(page.evaluate(() => getComputedStyle(document.documentElement).fontSize)).resolves.toBe('20px');
    await expectPhoneShell(page);
    await screenshot(page, 'phone-checkin-large');

    await page.getByTestId('bottom-study').click();
    await expectStudyCards(page);
    await screenshot(page, 'phone-study-large');
    await page.getByTestId('bottom-home').click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.locator('main').first().waitFor();
    await expectPhoneShell(page);
    await screenshot(page, 'phone-home-large');
  });

  it('answers 无权限 for another role’s page and 页面不存在 for an unknown path', async () => {
    await page.goto(`${server.url}/admin/unit`);
    const forbidden = page.getByTestId('forbidden');
    await forbidden.waitFor();
    await expect(forbidden.innerText()).resolves.toContain('无权限访问');
    await expect(page.getByTestId('forbidden-roles').innerText()).resolves.toContain('单位管理员');
    await expect(page.title()).resolves.toContain('无权限访问');
    await expectPhoneShell(page);
    await screenshot(page, 'phone-forbidden');

    await page.goto(`${server.url}/nope`);
    await page.getByTestId('not-found').waitFor();
    await expect(page.getByTestId('forbidden').count()).resolves.toBe(0);
  });
});

describe('the same shell on a wide screen', () => {
  it('keeps the full header with 大字模式 beside the actions and no bottom bar', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    context.setDefaultTimeout(TIMEOUT);
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/login`);
      await page.getByTestId('login-username').fill('cadre');
      await page.getByTestId('login-password').fill(DEMO_PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((url) => url.pathname === '/');
      await expect(page.getByTestId('nav-plan').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('large-text-toggle').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('logout').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('menu-toggle').isVisible()).resolves.toBe(false);
      await expect(page.getByTestId('bottom-nav').isVisible()).resolves.toBe(false);
      await screenshot(page, 'wide-home-header');
    } finally {
      await context.close();
    }
  });
});
