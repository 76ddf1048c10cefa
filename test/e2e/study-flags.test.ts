/**
 * 可疑学习记录 on the unit admin's report page (单位学习统计) in Chromium. Two flags are stored: one
 * for the demo cadre (in the unit admin's committee, 苏公坨乡党委) and one for a cadre created in
 * the organisation department's unit. The unit admin sees only the first, with its reason in the
 * UI language, its count, the seconds refused as 分/秒 and its time in the county's zone (the
 * browser runs in New York to tell them apart); its chart sums the refused minutes by kind; on a
 * phone (390×844) the flags are cards whose text is not clipped; the unit admin marks the flag
 * reviewed with a note and it moves from 待处理 to 已处理; a unit admin of a committee without
 * flags reads 没有待处理的可疑记录, and 暂无可疑记录 over all of them. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/seed/demo';
import { flagReason } from '../../server/modules/study/flag-reasons';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

/** 2026-03-01 17:05:09 UTC: already 2 March 01:05:09 in the county (Asia/Shanghai), still 1 March in New York. */
const FLAG_AT = new Date('2026-03-01T17:05:09Z');
const COUNTY_TIME = '2026/03/02 01:05:09';
const BROWSER_ZONE = 'America/New_York';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
const contexts: BrowserContext[] = [];
let cadreId = '';
let ownFlagId = '';
let otherFlagId = '';

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { User, OrgUnit, StudyFlag } = server.app.store.models;

  const cadre = await User.findOne({ username: 'cadre' }).lean();
  const orgAdmin = await User.findOne({ username: 'orgadmin' }).lean();
  const otherCommittee = await OrgUnit.findOne({ name: '开通镇党委' }).lean();
  expect(cadre?._id).toBeTruthy();
  expect(orgAdmin?.orgUnitId).toBeTruthy();
  expect(otherCommittee?._id).toBeTruthy();
  cadreId = String(cadre!._id);

  // A cadre of the organisation department, and a unit admin of a committee with no flags.
  const admin = await apiLogin(server.url, 'orgadmin');
  const outsider = await apiCall(server.url, 'POST', '/api/users', admin, { username: 'zhaoqiang', displayName: '赵强', password: DEMO_PASSWORD, role: 'cadre', orgUnitId: String(orgAdmin!.orgUnitId) });
  expect(outsider.id).toMatch(/^[0-9a-f]{24}$/);
  const quietAdmin = await apiCall(server.url, 'POST', '/api/users', admin, { username: 'kaitongadmin', displayName: '孙书记', password: DEMO_PASSWORD, role: 'unitAdmin', orgUnitId: String(otherCommittee!._id) });
  expect(quietAdmin.id).toMatch(/^[0-9a-f]{24}$/);

  const own = await StudyFlag.create({ userId: cadre!._id, playbackId: 'e2e-playback-1', kind: 'parallel-sessions', count: 3, seconds: 125, at: FLAG_AT });
  const other = await StudyFlag.create({ userId: outsider.id, kind: 'too-fast', count: 1, seconds: 300, at: FLAG_AT });
  ownFlagId = String(own._id);
  otherFlagId = String(other._id);
  expect(await StudyFlag.countDocuments({})).toBe(2);
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function openReport(username: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: BROWSER_ZONE, deviceScaleFactor: 1 });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.goto(`${server.url}/admin/unit`);
  await page.getByTestId('unit-report').waitFor();
  return page;
}

describe('flagged study records on the unit report', () => {
  it("shows a unit admin only their own cadres' flags, with the reason, count, seconds refused and county time", async () => {
    const page = await openReport('unitadmin');
    const panel = page.getByTestId('study-flags');
    await panel.getByTestId('study-flag').first().waitFor();
    await expect(panel.getByRole('heading', { level: 2 }).innerText()).resolves.toBe('可疑学习记录');

    const rows = panel.getByTestId('study-flag');
    await expect(rows.count()).resolves.toBe(1);
    const row = rows.first();
    await expect(row.getAttribute('data-flag-id')).resolves.toBe(ownFlagId);
    await expect(row.getAttribute('data-user-id')).resolves.toBe(cadreId);
    await expect(page.locator(`[data-flag-id="${otherFlagId}"]`).count()).resolves.toBe(0);
    await expect(panel.innerText()).resolves.not.toContain('赵强');

    await expect(row.getByTestId('study-flag-name').innerText()).resolves.toBe('张伟');
    await expect(row.getByTestId('study-flag-reason').innerText()).resolves.toBe(flagReason('parallel-sessions').zh);
    await expect(row.getByTestId('study-flag-count').innerText()).resolves.toBe('3');
    await expect(row.getByTestId('study-flag-seconds').innerText()).resolves.toBe('2 分 5 秒');
    await expect(row.locator('time').innerText()).resolves.toBe(COUNTY_TIME);
    await expect(row.locator('time').getAttribute('datetime')).resolves.toBe(FLAG_AT.toISOString());

    // The chart: refused minutes by kind (125 s ≈ 2.1 min); the filter lists the kinds present.
    await expect.poll(() => panel.getByTestId('study-flags-chart').getAttribute('data-values')).toBe('[[2.1]]');
    const kinds = await panel.locator('[data-testid="study-flags-kind"] option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(kinds).toEqual(['', 'parallel-sessions']);
    await panel.getByTestId('study-flags-kind').selectOption('parallel-sessions');
    await expect(panel.getByTestId('study-flags-table').getAttribute('data-count')).resolves.toBe('1');
    await screenshot(page, 'study-flags-unit-admin');

    // In English the English half of the reason shows, and the duration in min/s.
    await page.evaluate(() => localStorage.setItem('locale', 'en'));
    await page.reload();
    await page.locator('[data-testid="study-flag-reason"]').waitFor();
    await expect(page.getByTestId('study-flag-reason').innerText()).resolves.toBe(flagReason('parallel-sessions').en);
    await expect(page.getByTestId('study-flag-seconds').innerText()).resolves.toBe('2 min 5 s');
    await expect(page.locator('#study-flags-heading').innerText()).resolves.toBe('Flagged study records');
  });

  it('shows the flags as cards without clipped text on a phone', async () => {
    const page = await openReport('unitadmin', { width: 390, height: 844 });
    const card = page.getByTestId('study-flag').first();
    await card.waitFor();
    const layout = await card.evaluate((tr) => {
      const cells = [...tr.querySelectorAll('td')];
      const box = tr.getBoundingClientRect();
      return {
        display: getComputedStyle(tr).display,
        left: box.left,
        right: box.right,
        panelOverflow: (() => {
          const panel = tr.closest<HTMLElement>('[data-testid="study-flags"]')!;
          return panel.scrollWidth - panel.clientWidth;
        })(),
        clipped: cells.filter((td) => td.scrollWidth > td.clientWidth + 1 || [...td.querySelectorAll('*')].some((el) => el.getBoundingClientRect().right > box.right + 1)).map((td) => td.dataset.label),
        headerVisible: (tr.closest('table')!.querySelector('thead') as HTMLElement).getBoundingClientRect().height > 1,
      };
    });
    expect(layout.display).toBe('block');
    expect(layout.headerVisible).toBe(false);
    expect(layout.left).toBeGreaterThanOrEqual(0);
    expect(layout.right).toBeLessThanOrEqual(390);
    expect(layout.panelOverflow).toBeLessThanOrEqual(0);
    expect(layout.clipped).toEqual([]);
    await expect(card.getByTestId('study-flag-reason').isVisible()).resolves.toBe(true);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'study-flags-phone');
  });

  it('lets the unit admin mark a flag reviewed with a note; it leaves 待处理 and shows under 已处理 with who and when', async () => {
    const page = await openReport('unitadmin');
    const panel = page.getByTestId('study-flags');
    const row = panel.locator(`[data-flag-id="${ownFlagId}"]`);
    await row.waitFor();
    await row.getByTestId('flag-review-open').click();
    // An empty note is refused before it is sent.
    await row.getByTestId('flag-review-save').click();
    await expect(row.getByRole('alert').innerText()).resolves.toBe('请填写处理意见');
    await row.getByTestId('flag-review-note').fill('已电话核实：同一账号在两台电脑上同时播放，已提醒本人。');
    await row.getByTestId('flag-review-save').click();
    const done = row.getByTestId('flag-review');
    await done.waitFor();
    await expect(done.innerText()).resolves.toContain('已电话核实');
    await expect(done.innerText()).resolves.toMatch(/于 \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} 处理/);
    await screenshot(page, 'study-flags-reviewed');
    const stored = await server.app.store.models.StudyFlag.findById(ownFlagId).lean();
    expect(stored!.reviewNote).toBe('已电话核实：同一账号在两台电脑上同时播放，已提醒本人。');

    await page.reload();
    await expect(page.getByTestId('study-flags-empty').innerText()).resolves.toBe('没有待处理的可疑记录');
    await page.getByTestId('study-flags-state').selectOption('reviewed');
    await page.locator(`[data-flag-id="${ownFlagId}"] [data-testid="flag-review"]`).waitFor();
    await expect(page.getByTestId('study-flag').count()).resolves.toBe(1);
  });

  it('says 暂无可疑记录 to a unit admin whose units have no flags', async () => {
    const page = await openReport('kaitongadmin');
    const empty = page.getByTestId('study-flags-empty');
    await empty.waitFor();
    await expect(empty.innerText()).resolves.toBe('没有待处理的可疑记录');
    await page.getByTestId('study-flags-state').selectOption('all');
    await expect.poll(() => empty.innerText()).toBe('暂无可疑记录');
    await expect(page.getByTestId('study-flag').count()).resolves.toBe(0);
    await screenshot(page, 'study-flags-empty');
  });
});
