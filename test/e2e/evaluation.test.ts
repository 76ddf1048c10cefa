/**
 * 教学评估 in Chromium against the real portal: a cadre assigned to a training class that has
 * begun rates it on a phone (three star ratings and a comment) from 我的培训班 and is thanked; a
 * second answer is not offered. The class's manager (the org admin) opens the class's
 * evaluation summary on /admin/training and sees the count, the chart and the comment.
 * (EVALUATION_MIN_ANSWERS is 1 here so one answer shows the summary.) Screenshots go to
 * test-results/screenshots/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/seed/demo';
import { login } from '../helpers/build';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';
import { signIn } from '../helpers/ui-login';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;

beforeAll(async () => {
  await buildClient();
  server = await startServer({ EVALUATION_MIN_ANSWERS: '1' });
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('course and class evaluations', () => {
  it('a cadre rates the class they attend on a phone; its manager sees the summary', async () => {
    const app = server.app;
    const admin = await login(app, 'orgadmin', DEMO_PASSWORD);
    const cadre = (await app.store.models.User.findOne({ username: 'cadre' }).lean())!;
    const today = app.calendar.day(Date.now());
    const created = await app.inject({ method: 'POST', url: '/api/training/classes', headers: { cookie: admin }, payload: { name: '县情县策专题研讨班', cohort: 1, category: '专题培训', channel: 'county', startDay: today, endDay: app.calendar.addDays(today, 2), venue: '县委党校', capacity: 50, unitIds: [String(cadre.orgUnitId)], creditHours: 12 } });
    expect(created.statusCode, created.body).toBe(201);
    const classId = created.json().id as string;
    const assigned = await app.inject({ method: 'POST', url: `/api/training/classes/${classId}/assignments`, headers: { cookie: admin }, payload: { userIds: [String(cadre._id)] } });
    expect(assigned.statusCode, assigned.body).toBe(200);

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const page = await phone.newPage();
    await signIn(page, server.url, 'cadre');
    await page.goto(`${server.url}/training`);
    const card = page.locator('[data-testid="my-class"][data-class-name="县情县策专题研讨班"]');
    const form = card.getByTestId('evaluation-form');
    await form.waitFor();
    await form.getByTestId('evaluation-submit').click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('请为每一项打分');
    await form.getByTestId('evaluation-content-5').check({ force: true });
    await form.getByTestId('evaluation-lecturer-4').check({ force: true });
    await form.getByTestId('evaluation-usefulness-5').check({ force: true });
    await form.getByTestId('evaluation-comment').fill('案例贴近本县实际，希望多安排现场教学。');
    await screenshot(page, 'evaluation-cadre-form');
    await form.getByTestId('evaluation-submit').click();
    await expect.poll(() => form.getByTestId('evaluation-done').textContent()).toContain('感谢您的评价');
    await screenshot(page, 'evaluation-cadre-thanks');
    await page.reload();
    await expect.poll(() => card.getByTestId('evaluation-done').textContent()).toContain('您已评价过');
    expect(await card.getByTestId('evaluation-submit').count()).toBe(0);
    await phone.close();

    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const adminPage = await desk.newPage();
    await signIn(adminPage, server.url, 'orgadmin');
    await adminPage.goto(`${server.url}/admin/training`);
    const classCard = adminPage.locator('[data-testid="class-card"][data-class-name="县情县策专题研讨班"]');
    await classCard.getByTestId('class-evaluation-toggle').click();
    const summary = classCard.getByTestId('evaluation-summary');
    await expect.poll(() => summary.getAttribute('data-count')).toBe('1');
    const values = await summary.locator('[data-testid="evaluation-chart"]').getAttribute('data-values');
    expect(JSON.parse(values!)).toEqual([[5, 4, 5]]);
    expect(await summary.getByTestId('evaluation-comments').textContent()).toContain('案例贴近本县实际');
    await screenshot(adminPage, 'evaluation-manager-summary');
    await desk.close();
  }, 120_000);
});
