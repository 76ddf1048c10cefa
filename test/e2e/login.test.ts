/**
 * Login and the home page in Chromium against the real portal (demo county seeded on a fresh
 * database, built client served by the server). Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const MAX_FAILURES = 3;
const TIMEOUT = 15_000;

let server: { url: string; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  await buildClient();
  server = await startServer({ LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function newPage(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  return { context, page };
}

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

const pathOf = (page: Page) => new URL(page.url()).pathname;

describe('login and home page', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await newPage());
  });

  afterAll(async () => {
    await context?.close();
  });

  it('sends a signed-out visitor to the login page with the portal name', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL((url) => url.pathname === '/login');
    await expect(page.getByTestId('login-form').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('brand').innerText()).resolves.toContain('通榆县干部教育培训 · 远程学习平台');
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('zh-CN');
    await screenshot(page, 'login-zh');
  });

  it('shows the wrong-password error by its code and keeps the user on /login', async () => {
    await logIn(page, 'cadre', 'not-the-password-1');
    const error = page.getByTestId('login-error');
    await error.waitFor();
    await expect(error.innerText()).resolves.toContain('用户名或密码错误');
    expect(pathOf(page)).toBe('/login');
    await screenshot(page, 'login-wrong-password');
  });

  it('logs a cadre in and shows the Chinese home page with the catalog', async () => {
    await logIn(page, 'cadre', PASSWORD);
    await page.waitForURL((url) => url.pathname === '/');

    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
    await expect(page.getByTestId('user-name').innerText()).resolves.toBe(me.user.displayName);
    await expect(page.getByTestId('user-role').innerText()).resolves.toBe('干部');
    await expect(page.locator('#catalog-title').innerText()).resolves.toContain('课程目录');

    const catalog = await page.evaluate(async () => (await fetch('/api/lectures')).json());
    if (catalog.total === 0) {
      const empty = page.getByTestId('catalog-empty');
      await empty.waitFor();
      await expect(empty.innerText()).resolves.toContain('暂无课程');
    } else {
      await page.getByTestId('lecture-card').first().waitFor();
      await expect(page.getByTestId('lecture-card').count()).resolves.toBe(catalog.items.length);
    }
    await expect(page.getByTestId('lang-switch').innerText()).resolves.toBe('English');
    await expect(page.title()).resolves.toContain('通榆县干部教育培训');
    await screenshot(page, 'home-zh');
  });

  it('switches to English, sets <html lang> and keeps the choice after a reload', async () => {
    await page.getByTestId('lang-switch').click();
    await page.getByText('Course catalog').waitFor();
    await expect(page.getByTestId('user-role').innerText()).resolves.toBe('Cadre');
    await expect(page.getByTestId('lang-switch').innerText()).resolves.toBe('中文');
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('en');
    await expect(page.evaluate(() => localStorage.getItem('locale'))).resolves.toBe('en');

    await page.reload();
    await page.getByText('Course catalog').waitFor();
    await expect(page.getByTestId('brand').innerText()).resolves.toContain('Tongyu County Cadre Training · Distance Learning Portal');
    await screenshot(page, 'home-en');

    await page.getByTestId('lang-switch').click();
    await page.getByText('课程目录').waitFor();
    await expect(page.evaluate(() => localStorage.getItem('locale'))).resolves.toBe('zh-CN');
  });

  it('rejects a wrong current password in the change-password dialog', async () => {
    await page.getByTestId('change-password').click();
    const dialog = page.getByTestId('password-dialog');
    await dialog.waitFor();
    await page.getByTestId('password-current').fill('wrong-current-1');
    await page.getByTestId('password-new').fill('newpass2026');
    await page.getByTestId('password-confirm').fill('newpass2026');
    await page.getByTestId('password-submit').click();
    await expect(page.getByTestId('password-error').innerText()).resolves.toContain('用户名或密码错误');
    await screenshot(page, 'change-password-error');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('logs out back to the login page, and the session is gone', async () => {
    await page.getByTestId('logout').click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByTestId('login-form').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    expect(status).toBe(401);
    await page.goto(`${server.url}/`);
    await page.waitForURL((url) => url.pathname === '/login');
  });
});

describe('login errors and phone layout', () => {
  it(`makes this browser wait after ${MAX_FAILURES} wrong passwords (even with the right one) and says so, in English too`, async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${server.url}/login`);
      const error = page.getByTestId('login-error');
      for (let attempt = 1; attempt <= MAX_FAILURES; attempt++) {
        await logIn(page, 'station', `wrong-${attempt}-password`);
        // Each answer replaces the text; wait until the submit button is usable again.
        await page.waitForFunction(() => !(document.querySelector('[data-testid="login-submit"]') as HTMLButtonElement).disabled);
      }
      // Lock-out is per account and source: this source waits (429), the same answer for any account.
      await logIn(page, 'station', PASSWORD);
      await page.waitForFunction(() => !(document.querySelector('[data-testid="login-submit"]') as HTMLButtonElement).disabled);
      await expect(error.innerText()).resolves.toMatch(/后再试/);
      expect(pathOf(page)).toBe('/login');

      await page.getByTestId('lang-switch').click();
      await expect(error.innerText()).resolves.toMatch(/try again/i);
      await screenshot(page, 'login-locked-en');
    } finally {
      await context.close();
    }
  });

  it('returns to the page asked for after logging in', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${server.url}/no-such-page?x=1`);
      await page.waitForURL((url) => url.pathname === '/login');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/no-such-page?x=1');
      await logIn(page, 'cadre', PASSWORD);
      await page.waitForURL((url) => url.pathname === '/no-such-page');
      expect(new URL(page.url()).search).toBe('?x=1');
      await expect(page.getByTestId('not-found').innerText()).resolves.toContain('页面不存在');
    } finally {
      await context.close();
    }
  });

  it('lays the home page out in one column on a 390×844 phone, without sideways scrolling', async () => {
    const { context, page } = await newPage({ width: 390, height: 844 });
    try {
      await page.goto(`${server.url}/login`);
      await screenshot(page, 'login-phone');
      await logIn(page, 'cadre', PASSWORD);
      await page.waitForURL((url) => url.pathname === '/');
      await page.locator('#catalog-title').waitFor();
      await page.locator('[data-testid="catalog-empty"], [data-testid="lecture-card"]').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const header = await page.locator('.app-header').boundingBox();
      expect(header?.width).toBeLessThanOrEqual(390);
      await page.getByTestId('menu-toggle').click(); // phones: the header's actions are in its menu
      await expect(page.getByTestId('logout').isVisible()).resolves.toBe(true);
      await screenshot(page, 'home-phone');
    } finally {
      await context.close();
    }
  });
});
