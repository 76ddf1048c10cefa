/**
 * 随机签到 and 学时提醒 in Chromium against the real portal: a lecture with attention checks
 * (every ~10 s here) prompts the cadre while it plays; answering it makes the prompt go away and
 * counting goes on. An organisation admin sends the year-end reminders; the cadre's open page
 * gets the notice pushed (the bell's count), and opening the bell shows and reads it.
 * Screenshots go to test-results/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { playMuted } from '../helpers/player';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;
let lectureId = '';

async function apiLogin(username: string): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-attention-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: 40, width: 320, height: 240 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5', STUDY_ATTENTION_INTERVAL_SECONDS: '10', STUDY_ATTENTION_ANSWER_SECONDS: '60' });
  browser = await launchBrowser();
  lectureId = await publishClip(server.url, await apiLogin('lecturer'), clip, { title: '基层治理能力专题(随机签到)', creditHours: 1, attentionChecks: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function logIn(page: Page, username: string) {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

describe('attention checks and reminders', () => {
  it('prompts while the lecture plays, and the answer keeps it counting', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await logIn(page, 'cadre');
    await page.goto(`${server.url}/lectures/${lectureId}`);
    await playMuted(page);
    const prompt = page.getByTestId('attention-prompt');
    await prompt.waitFor({ timeout: 35_000 });
    expect(await prompt.getAttribute('data-overdue')).toBe('false');
    await expect.poll(() => prompt.textContent()).toMatch(/\d+ 秒内/);
    await screenshot(page, 'study-attention-prompt');
    await page.getByTestId('attention-answer').click();
    await prompt.waitFor({ state: 'hidden' });
    // Still counting, and the answer was taken on time.
    expect(await page.getByTestId('study-progress').getAttribute('data-counting')).toBe('true');

    // A year-end reminder (学时提醒) is pushed to this open page. The sweep's rules are covered
    // by the integration tests (they depend on the date); here it is sent as the sweep sends it.
    const cadreId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    await server.app.notices.send(cadreId, { id: 'credit-2026-11', kind: 'credit-reminder', at: new Date(), title: '2026 年度学时提醒', titleEn: '2026 study hours reminder', body: '您今年已获 0 学时，要求 90 学时，还差 90 学时。', bodyEn: '90 to go', link: '/study' });
    const bell = page.getByTestId('notice-bell');
    await expect.poll(() => bell.getAttribute('data-unread'), { timeout: 10_000 }).toBe('1');
    await bell.click();
    await page.getByTestId('notice-panel').waitFor();
    expect(await page.getByTestId('notice-panel').textContent()).toContain('还差 90 学时');
    await expect.poll(() => bell.getAttribute('data-unread')).toBe('0');
    await screenshot(page, 'study-notices');
    await context.close();
  }, 120_000);
});
