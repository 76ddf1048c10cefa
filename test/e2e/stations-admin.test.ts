/**
 * The organisation department's side of the air classroom in Chromium: register a station,
 * make its pairing code and QR, schedule a live lecture to stations on the 学习台历 and see a
 * conflict, watch the monitoring table, read the statistics (the demo county's year: 600+
 * sessions at 206 stations, ~18,000 person-times) as a chart and download them as Excel; a cadre
 * sees the sessions of their unit's stations and subscribes to the calendar (iCal).
 * Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoStations } from '../../server/seed/demo-stations';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let lectureId = '';
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  await seedDemoStations(server.app.store.models);
  await server.app.stations.registry.load();
  await server.app.stations.timetable.load();
  browser = await launchBrowser();
  const lecturer = await apiLogin(server.url, 'lecturer');
  lectureId = (await apiCall(server.url, 'POST', '/api/lectures', lecturer, { title: '吉林大学学者讲坛：基层治理现代化（直播）', category: 'service', kind: 'live', scheduledAt: new Date(Date.now() + 86_400_000).toISOString() })).id;
  await apiCall(server.url, 'POST', `/api/lectures/${lectureId}/publish`, lecturer);
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function open(username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  return page;
}

/** A datetime-local value for a moment tomorrow at `hour`:`minute`. */
function tomorrowAt(hour: number, minute: number): string {
  const d = new Date(Date.now() + 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:${pad(minute)}`;
}

describe('stations and the timetable', () => {
  it('registers and pairs a station, schedules with a conflict, monitors and reports', async () => {
    const admin = await open('orgadmin');
    await admin.getByTestId('nav-stations').click();
    await admin.getByTestId('stations-dashboard').waitFor();
    const summary = await admin.getByTestId('stations-summary').textContent();
    expect(summary).toMatch(/共 206 个站点/);

    // Register a household station and make its pairing code (with a QR).
    await admin.getByTestId('stations-tab-registry').click();
    await admin.getByTestId('stations-new').click();
    await admin.getByTestId('stations-form-name').fill('八面乡农户学习点（示范户）');
    await admin.getByTestId('stations-form-type').selectOption('household');
    await admin.getByTestId('stations-form-save').click();
    const row = admin.locator('[data-testid="stations-registry-row"][data-name="八面乡农户学习点（示范户）"]');
    await row.waitFor();
    await row.getByTestId('stations-pair').click();
    await admin.getByTestId('stations-pairing').waitFor();
    expect(await admin.getByTestId('stations-pairing-code').textContent()).toMatch(/^[A-Z0-9]{8}$/);
    expect(await admin.locator('[data-testid="stations-pairing"] svg').count()).toBe(1);
    await screenshot(admin, 'stations-registry-pairing');

    // Statistics: the demo year, as a chart and an Excel file.
    await admin.getByTestId('stations-tab-stats').click();
    const totals = admin.getByTestId('stats-totals');
    await totals.waitFor();
    expect(Number(await totals.getAttribute('data-sessions'))).toBeGreaterThanOrEqual(600);
    expect(Number(await totals.getAttribute('data-person-times'))).toBeGreaterThanOrEqual(17_000);
    await admin.getByTestId('stats-chart').waitFor();
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('stats-xlsx').click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    await screenshot(admin, 'stations-statistics');

    // Schedule the live lecture to two village stations tomorrow, then again at the same time: a conflict.
    await admin.goto(`${server.url}/timetable`);
    await admin.getByTestId('timetable-form').waitFor();
    await expect.poll(() => admin.locator('[data-testid="timetable-lecture"] option').count()).toBeGreaterThan(1);
    for (let round = 0; round < 2; round++) {
      await admin.getByTestId('timetable-lecture').selectOption(lectureId);
      await admin.getByTestId('timetable-start').fill(tomorrowAt(9, 0));
      const options = admin.locator('[data-testid="timetable-stations"] option');
      const values = await options.evaluateAll((els) => els.slice(0, 2).map((e) => (e as HTMLOptionElement).value));
      await admin.getByTestId('timetable-stations').selectOption(values);
      await admin.getByTestId('timetable-submit').click();
      await expect.poll(() => admin.getByTestId('timetable-conflicts').getAttribute('data-count')).toBe(round === 0 ? '0' : '2');
    }
    await admin.getByTestId('timetable-view').selectOption('week');
    if (new Date(Date.now() + 86_400_000).getDay() === 1) await admin.getByRole('button', { name: '下一页' }).click();
    await expect.poll(() => admin.locator('[data-testid="timetable-event"]', { hasText: '基层治理现代化' }).count()).toBe(2);
    await screenshot(admin, 'timetable-week-conflict');

    // A cadre's 学习台历: the sessions at their unit's stations, and an iCal feed to subscribe to.
    const cadre = await open('cadre');
    await cadre.getByTestId('nav-timetable').click();
    await cadre.getByTestId('timetable-calendar').waitFor();
    const ics = cadre.getByTestId('timetable-ics');
    await ics.waitFor();
    const href = (await ics.getAttribute('href'))!;
    const feed = await fetch(new URL(href, server.url));
    expect(feed.headers.get('content-type')).toMatch(/text\/calendar/);
    expect(await feed.text()).toContain('BEGIN:VCALENDAR');
    await screenshot(cadre, 'timetable-cadre');
  }, 180_000);
});
