/**
 * The admin console's accounts in Chromium: the org admin imports a roster of 500 cadres (with a
 * few bad rows) generated with exceljs, reads the errors by row and the created count, resets a
 * cadre's password; the cadre logs in with the one-time password, is made to change it, and lands
 * on the home page. Screenshots go to test-results/screenshots/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { generatedRoster, rosterXlsx } from '../helpers/roster';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TIMEOUT = 20_000;

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  await buildClient();
  server = await startServer({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'roster-e2e-'));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  return { context, page };
}

async function logIn(page: Page, username: string, password: string) {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

describe('accounts in the admin console', () => {
  let admin: { context: BrowserContext; page: Page };
  let oneTimePassword = '';

  beforeAll(async () => {
    admin = await newPage();
    await admin.page.goto(`${server.url}/login?next=/admin/users/import`);
    await logIn(admin.page, 'orgadmin', PASSWORD);
    await admin.page.waitForURL((u) => u.pathname === '/admin/users/import');
  });
  afterAll(() => admin?.context.close());

  it('imports a roster of 500 with bad rows, showing the errors by row and the created count', async () => {
    const { page } = admin;
    const lines = generatedRoster(500, 'e2e');
    // Excel rows 502–505: an unknown unit, a missing name, a bad rank, a username used twice.
    lines.push({ name: '查无此单位', username: 'e2ebad1', unit: '不存在的村' }, { name: '', username: 'e2ebad2', unit: '苏公坨村党支部' }, { name: '坏职级', username: 'e2ebad3', unit: '苏公坨村党支部', rank: '厅局级' }, { name: '重名', username: 'e2e0001', unit: '苏公坨村党支部' });
    const file = join(dir, '通榆县花名册.xlsx');
    writeFileSync(file, await rosterXlsx(lines));

    await page.getByTestId('import-template').waitFor();
    await page.getByTestId('import-file').setInputFiles(file);
    await page.getByTestId('import-start').click();
    await page.locator('[data-testid="import-status"][data-state="done"]').waitFor({ timeout: 120_000 });

    // Row 2 and row 505 share e2e0001: both are reported, neither is created.
    await expect(page.getByTestId('import-created').innerText()).resolves.toBe('499');
    await expect(page.getByTestId('import-error-count').innerText()).resolves.toBe('5');
    const rows = await page.getByTestId('import-error').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-row')}:${e.getAttribute('data-code')}`));
    expect(rows).toEqual(['2:DUPLICATE_IN_FILE', '502:UNKNOWN_UNIT', '503:MISSING_FIELD', '504:BAD_RANK', '505:DUPLICATE_IN_FILE']);
    await expect(page.getByTestId('import-errors').innerText()).resolves.toContain('不存在的村');
    await expect(page.getByTestId('import-credentials').isVisible()).resolves.toBe(true);
    await screenshot(page, 'admin-roster-import');
  }, 180_000);

  it("resets a cadre's password and shows the one-time password once", async () => {
    const { page } = admin;
    await page.goto(`${server.url}/admin/users`);
    await page.getByTestId('users-search').fill('e2e0007');
    const row = page.locator('[data-testid="user-row"][data-username="e2e0007"]');
    await row.waitFor();
    page.once('dialog', (d) => void d.accept());
    await row.getByTestId('user-reset').click();
    const value = page.getByTestId('otp-value');
    await value.waitFor();
    oneTimePassword = (await value.innerText()).trim();
    expect(oneTimePassword).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    await screenshot(page, 'admin-users-reset');
    await page.getByTestId('otp-done').click();
    await page.getByTestId('otp-dialog').waitFor({ state: 'hidden' });
  });

  it('makes the cadre change the one-time password at first login, then shows home', async () => {
    const { context, page } = await newPage({ width: 390, height: 844 });
    try {
      await page.goto(`${server.url}/login`);
      await logIn(page, 'e2e0007', oneTimePassword);
      const forced = page.getByTestId('password-forced');
      await forced.waitFor();
      // No way around it: Escape does not close the dialog.
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('password-dialog').isVisible()).resolves.toBe(true);
      expect(new URL(page.url()).pathname).toBe('/login');
      await screenshot(page, 'first-login-change-password');
      await page.getByTestId('password-new').fill('Xuexi2027ab');
      await page.getByTestId('password-confirm').fill('Xuexi2027ab');
      await page.getByTestId('password-submit').click();
      await page.waitForURL((u) => u.pathname === '/');
      await page.getByTestId('user-name').waitFor({ state: 'attached' });
      const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
      expect(me.user).toMatchObject({ username: 'e2e0007', mustChangePassword: false });
      await screenshot(page, 'first-login-home');
    } finally {
      await context.close();
    }
  });
});
