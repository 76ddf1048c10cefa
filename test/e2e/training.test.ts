/**
 * Training classes (培训班) in Chromium against the real portal: the org admin creates a class for
 * 苏公坨村党支部 from /admin/training and assigns the demo cadre (调训) from its roster; the cadre
 * then finds it in 我的培训班 as enrolled by assignment, on a phone (390×844). The cadre records
 * training taken elsewhere (外出培训登记) with a scan of its certificate, and their unit admin recognises fewer hours than claimed
 * from /admin/training/hours; the cadre sees the decision. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TIMEOUT = 15_000;

let server: Awaited<ReturnType<typeof startServer>>;
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

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  return context;
}

async function logIn(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

describe('training classes', () => {
  it('the org admin creates a class and assigns a cadre; the cadre sees it in 我的培训班', async () => {
    const { calendar } = server.app;
    const start = calendar.addDays(calendar.day(Date.now()), 14);
    const end = calendar.addDays(start, 2);

    const admin = await newContext({ width: 1280, height: 900 });
    const page = await admin.newPage();
    await logIn(page, 'orgadmin');
    await page.goto(`${server.url}/admin/training`);
    await page.getByTestId('class-new').click();
    await page.getByTestId('class-name').fill('党史党性教育专题培训班');
    await page.getByTestId('class-cohort').fill('10');
    await page.getByTestId('class-start').fill(start);
    await page.getByTestId('class-end').fill(end);
    await page.getByTestId('class-venue').fill('县委党校');
    await page.getByTestId('class-capacity').fill('40');
    await page.getByTestId('class-hours').fill('16');
    await page.locator('[data-testid="plan-unit"][data-unit-name="苏公坨村党支部"]').check();
    await page.getByTestId('class-save').click();
    const card = page.locator('[data-testid="class-card"][data-class-name="党史党性教育专题培训班"]');
    await card.waitFor();
    await card.getByTestId('class-roster-toggle').click();
    await card.getByTestId('roster-search').fill('张伟');
    await card.getByTestId('roster-search').press('Enter');
    await card.locator('[data-testid="roster-assign"][data-username="cadre"]').click();
    await card.locator('[data-testid="roster-row"][data-username="cadre"][data-state="enrolled"]').waitFor();
    await expect.poll(() => card.getByTestId('class-counts').textContent(), { timeout: TIMEOUT }).toContain('已报名 1');
    await screenshot(page, 'training-admin-roster');
    await admin.close();

    const phone = await newContext({ width: 390, height: 844 });
    const cadre = await phone.newPage();
    await logIn(cadre, 'cadre');
    await cadre.goto(`${server.url}/training`);
    const mine = cadre.locator('[data-testid="my-class"][data-class-name="党史党性教育专题培训班"]');
    await mine.waitFor();
    expect(await mine.getAttribute('data-state')).toBe('enrolled');
    expect(await mine.getByTestId('my-class-state').textContent()).toContain('调训');
    // Assigned cadres neither apply nor withdraw themselves.
    expect(await mine.getByTestId('class-apply').count()).toBe(0);
    expect(await mine.getByTestId('class-withdraw').count()).toBe(0);
    await screenshot(cadre, 'training-cadre-390');
    await phone.close();
  }, 120_000);

  it('the cadre records external training; the unit admin recognises it with fewer hours', async () => {
    const { calendar } = server.app;
    const today = calendar.day(Date.now());
    const phone = await newContext({ width: 390, height: 844 });
    const cadre = await phone.newPage();
    await logIn(cadre, 'cadre');
    await cadre.goto(`${server.url}/training`);
    await cadre.getByTestId('external-title').fill('乡村振兴专题研修班');
    await cadre.getByTestId('external-organiser').fill('清华大学');
    await cadre.getByTestId('external-start').fill(calendar.addDays(today, -4));
    await cadre.getByTestId('external-end').fill(calendar.addDays(today, -1));
    await cadre.getByTestId('external-hours').fill('20');
    const pdf = Buffer.from('%PDF-1.4\n% 结业证书\n%%EOF\n');
    await cadre.getByTestId('external-certificate').setInputFiles({ name: '结业证书.pdf', mimeType: 'application/pdf', buffer: pdf });
    await cadre.getByTestId('external-submit').click();
    await cadre.locator('[data-testid="my-claim"][data-state="pending"]').waitFor();

    const desk = await newContext({ width: 1280, height: 900 });
    const page = await desk.newPage();
    await logIn(page, 'unitadmin');
    await page.goto(`${server.url}/admin/training/hours`);
    const claim = page.locator('[data-testid="claim"][data-state="pending"]').first();
    const href = await claim.getByTestId('claim-certificate').getAttribute('href');
    const file = await page.request.get(`${server.url}${href}`);
    expect([file.status(), file.headers()['content-type']]).toEqual([200, 'application/pdf']);
    await claim.getByTestId('claim-hours').fill('16');
    await claim.getByTestId('claim-approve').click();
    await page.locator('[data-testid="claim"][data-state="approved"]').waitFor();
    await screenshot(page, 'training-hours-approved');
    await desk.close();

    await cadre.reload();
    const mine = cadre.locator('[data-testid="my-claim"][data-state="approved"]');
    await mine.waitFor();
    expect(await mine.textContent()).toContain('认定 16 学时');
    await screenshot(cadre, 'training-external-390');
    await phone.close();
  }, 120_000);
});
