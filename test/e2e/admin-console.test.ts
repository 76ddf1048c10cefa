/**
 * The admin console (管理控制台) in Chromium. The organisation department's admin opens /admin
 * (every screen as a card saying who may use it, a flag counted at a glance), edits the township
 * rank's credit policy (a contradiction is named next to its field before saving), reviews a
 * flagged record with its reason, and reminds the cadres behind (the run shows in the log). A unit
 * admin sees only the screens of their role, their own units as the reminder scope, and 无权限 on
 * the credit policies. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/seed/demo';
import { flagReason } from '../../server/modules/study/flag-reasons';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
const contexts: BrowserContext[] = [];
let flagId = '';

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { User, StudyFlag } = server.app.store.models;
  const cadre = await User.findOne({ username: 'cadre' }).lean();
  flagId = String((await StudyFlag.create({ userId: cadre!._id, playbackId: 'e2e-console', kind: 'parallel-sessions', count: 2, seconds: 75, at: new Date() }))._id);
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function signIn(username: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  return page;
}

const cardIds = (page: Page) => page.getByTestId('admin-card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.screen));

describe('admin console', () => {
  it('lets the organisation department edit a policy, review a flag and send reminders', async () => {
    const page = await signIn('orgadmin');
    await page.goto(`${server.url}/admin`);
    await page.getByTestId('admin-card').first().waitFor();
    expect(await cardIds(page)).toEqual(['users', 'import', 'plans', 'unitReport', 'records', 'review', 'reminders', 'policies', 'xapi', 'stations', 'studio', 'training', 'trainingNominations', 'trainingHours', 'trainingReport', 'county', 'countyCompliance', 'countyReport']);
    await expect(page.locator('[data-screen="policies"]').innerText()).resolves.toContain('可使用：组织部管理员');
    await expect(page.locator('[data-screen="reminders"]').innerText()).resolves.toContain('单位管理员（限本单位及下属单位）');
    await expect.poll(() => page.getByTestId('glance-flags').locator('strong').innerText()).toBe('1');
    await page.getByTestId('admin-org').waitFor();
    await screenshot(page, 'admin-console-org');

    // 学时政策: a one-year window must equal the year; the problem is named before saving.
    await page.locator('[data-screen="policies"] a').click();
    const form = page.locator('[data-testid="policy-form"][data-rank="township"]');
    await form.getByTestId('policy-yearlyHours').fill('100');
    await expect(form.locator('[data-testid="policy-problem"][data-field="windowHours"]').innerText()).resolves.toContain('应等于年度学时（100）');
    await expect(form.getByTestId('policy-save').isDisabled()).resolves.toBe(true);
    await form.getByTestId('policy-windowHours').fill('100');
    await form.getByTestId('policy-requiredMinHours').fill('40');
    await form.getByTestId('policy-save').click();
    await expect(form.getByTestId('policy-outcome').innerText()).resolves.toContain('已保存乡科级及以下的学时政策');
    expect(await server.app.study.creditPolicy('township')).toMatchObject({ yearlyHours: 100, windowHours: 100, requiredMinHours: 40 });
    await screenshot(page, 'admin-console-policies');

    // 学习记录审核: the flag with its reason, and the login locks panel.
    await page.goto(`${server.url}/admin/review`);
    const row = page.locator(`[data-flag-id="${flagId}"]`);
    await expect(row.getByTestId('study-flag-reason').innerText()).resolves.toBe(flagReason('parallel-sessions').zh);
    await expect(row.getByTestId('study-flag-seconds').innerText()).resolves.toBe('1 分 15 秒');
    await page.getByTestId('login-locks').waitFor();
    await screenshot(page, 'admin-console-review');

    // 学时提醒: those behind (all cadres below 100 h now), one press, the run in the log.
    await page.goto(`${server.url}/admin/reminders`);
    const count = page.getByTestId('reminder-behind-count');
    await count.waitFor();
    const behind = Number(await count.getAttribute('data-count'));
    expect(behind).toBeGreaterThan(0);
    // The run's answer is held back in the browser (the run itself goes on, on the server) so the
    // page's progress, read from the server while the request is open, can be seen.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/api/study/reminders/run*', async (route) => {
      const answer = await route.fetch();
      await held;
      await route.fulfill({ response: answer });
    });
    await page.getByTestId('reminder-send').click();
    const bar = page.getByTestId('reminder-progress');
    await expect.poll(() => bar.getAttribute('data-done', { timeout: 500 }).catch(() => null), { timeout: 15_000 }).toBe(String(behind));
    await expect(page.getByTestId('reminder-sending').innerText()).resolves.toContain(`已处理 ${behind} / ${behind} 人`);
    await screenshot(page, 'admin-console-reminders-progress');
    release();
    await expect(page.getByTestId('reminder-outcome').innerText()).resolves.toContain(`已提醒 ${behind} 人`);
    await page.unroute('**/api/study/reminders/run*');
    await expect.poll(() => page.getByTestId('reminder-run').count()).toBe(1);
    await expect(page.getByTestId('reminder-run').innerText()).resolves.toContain('范围：全县');
    await screenshot(page, 'admin-console-reminders');
  }, 60_000);

  it('shows a unit admin only their screens and their own units', async () => {
    const page = await signIn('unitadmin', { width: 390, height: 844 });
    await page.goto(`${server.url}/admin`);
    await page.getByTestId('admin-card').first().waitFor();
    expect(await cardIds(page)).toEqual(['users', 'import', 'plans', 'unitReport', 'records', 'review', 'reminders', 'stations', 'studio', 'training', 'trainingNominations', 'trainingHours', 'county', 'countyCompliance']);
    await expect(page.getByTestId('admin-intro').innerText()).resolves.toContain('苏公坨乡党委');
    await expect(page.getByTestId('glance-locks').count()).resolves.toBe(0);
    await expect(page.getByTestId('admin-org').count()).resolves.toBe(0);
    await screenshot(page, 'admin-console-unit-phone');

    await page.goto(`${server.url}/admin/reminders`);
    await page.getByTestId('reminder-behind-count').waitFor();
    const scopes = await page.locator('[data-testid="reminder-scope"] option').allInnerTexts();
    expect(scopes[0]!.trim()).toBe('苏公坨乡党委');
    expect(scopes.map((s) => s.trim())).not.toContain('全县');
    // The organisation department's county-wide run lists this admin's cadres only.
    await expect.poll(() => page.getByTestId('reminder-run').count()).toBe(1);
    await expect(page.getByTestId('reminder-run').innerText()).resolves.toContain('全县提醒中本单位的');
    await screenshot(page, 'admin-console-unit-reminders');

    await page.goto(`${server.url}/admin/policies`);
    await page.getByTestId('forbidden').waitFor();
  }, 40_000);
});
