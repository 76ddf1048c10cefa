/**
 * The organisation department's side of the air classroom in Chromium at 1280×720, on the demo
 * county's 206 stations: search and filter the monitor (paged), register a station, make its
 * pairing code and QR, read the statistics (the demo year: 600+ sessions, ~18,000 person-times)
 * as a two-axis chart and download them as Excel, schedule a live lecture by groups (a
 * township's village stations, then the whole township with the village ones skipped as
 * conflicts); a cadre subscribes to the calendar (iCal); the lecture is withdrawn, and the admin
 * and the station's kiosk (fitting the screen, nothing cut off) are told.
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
let lecturer = '';
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  await seedDemoStations(server.app.store.models);
  await server.app.stations.registry.load();
  await server.app.stations.timetable.load();
  browser = await launchBrowser();
  lecturer = await apiLogin(server.url, 'lecturer');
  lectureId = (await apiCall(server.url, 'POST', '/api/lectures', lecturer, { title: '吉林大学学者讲坛：基层治理现代化（直播）', category: 'service', kind: 'live', scheduledAt: new Date(Date.now() + 86_400_000).toISOString() })).id;
  await apiCall(server.url, 'POST', `/api/lectures/${lectureId}/publish`, lecturer);
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function open(username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN', acceptDownloads: true });
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

/** Picks the township whose name starts with `name` in a select of the picker. */
async function pickTownship(page: Page, name: string) {
  const value = await page.getByTestId('picker-township').locator('option').evaluateAll((els, n) => (els as HTMLOptionElement[]).find((e) => e.textContent?.startsWith(n))?.value ?? '', name);
  expect(value).not.toBe('');
  await page.getByTestId('picker-township').selectOption(value);
}

/** The page fits its viewport: nothing below or beside it. */
const fits = (page: Page) => page.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth, vh: innerHeight, vw: innerWidth }));

describe('stations and the timetable', () => {
  it('searches, registers and pairs, reports, schedules by groups with conflicts skipped, and warns when the lecture is withdrawn', async () => {
    const admin = await open('orgadmin');
    await admin.getByTestId('nav-stations').click();
    await admin.getByTestId('stations-dashboard').waitFor();
    const summary = await admin.getByTestId('stations-summary').textContent();
    expect(summary).toMatch(/共 206 个站点/);

    // The monitor: 25 a page, searched and filtered on the server.
    const pager = admin.getByTestId('monitor-pager');
    await expect.poll(() => pager.getAttribute('data-total')).toBe('206');
    expect(await admin.getByTestId('stations-row').count()).toBe(25);
    await admin.getByTestId('monitor-search').fill('苏公坨村远程教育终端');
    await expect.poll(() => admin.getByTestId('stations-row').count()).toBe(1);
    await admin.getByTestId('monitor-search').fill('');
    await admin.getByTestId('monitor-type').selectOption('village');
    await expect.poll(() => pager.getAttribute('data-total')).toBe('151');
    expect(await pager.getAttribute('data-pages')).toBe('7');
    await admin.getByTestId('monitor-next').click();
    await expect.poll(() => pager.getAttribute('data-page')).toBe('2');
    expect(await admin.getByTestId('monitor-state-offline').getAttribute('data-count')).toBe('151');
    await screenshot(admin, 'stations-monitor-search');

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
    const code = (await admin.getByTestId('stations-pairing-code').textContent())!;
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(await admin.locator('[data-testid="stations-pairing"] svg').count()).toBe(1);
    await screenshot(admin, 'stations-registry-pairing');

    // Statistics: the demo year, as a chart with two axes (person-times, sessions) and an Excel file.
    await admin.getByTestId('stations-tab-stats').click();
    const totals = admin.getByTestId('stats-totals');
    await totals.waitFor();
    expect(Number(await totals.getAttribute('data-sessions'))).toBeGreaterThanOrEqual(600);
    expect(Number(await totals.getAttribute('data-person-times'))).toBeGreaterThanOrEqual(17_000);
    await admin.getByTestId('stats-chart').waitFor();
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('stats-xlsx').click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    await screenshot(admin, 'stations-statistics');

    // Schedule the live lecture tomorrow at 苏公坨乡's village stations, as a group.
    await admin.goto(`${server.url}/timetable`);
    await admin.getByTestId('timetable-form').waitFor();
    await expect.poll(() => admin.locator('[data-testid="timetable-lecture"] option').count()).toBeGreaterThan(1);
    await expect.poll(() => admin.locator('[data-testid="picker-township"] option').count()).toBeGreaterThan(1);
    await admin.getByTestId('timetable-lecture').selectOption(lectureId);
    await admin.getByTestId('timetable-start').fill(tomorrowAt(9, 0));
    await pickTownship(admin, '苏公坨乡党委');
    await admin.getByTestId('picker-type').selectOption('village');
    await admin.getByTestId('picker-add-group').click();
    const villages = Number(await admin.getByTestId('picker-count').getAttribute('data-count'));
    expect(villages).toBeGreaterThan(10);
    await expect.poll(() => admin.getByTestId('schedule-preview').getAttribute('data-conflicts')).toBe('0');
    await admin.getByTestId('timetable-submit').click();
    await expect.poll(() => admin.getByTestId('timetable-result').getAttribute('data-count')).toBe(String(villages));

    // Then the whole township at the same time: its village stations are booked, shown before saving, and skipped.
    await admin.getByTestId('picker-type').selectOption('');
    await admin.getByTestId('picker-add-group').click();
    const township = Number(await admin.getByTestId('picker-count').getAttribute('data-count'));
    expect(township).toBeGreaterThan(villages);
    const preview = admin.getByTestId('schedule-preview');
    await expect.poll(() => preview.getAttribute('data-conflicts')).toBe(String(villages));
    expect(await admin.locator('[data-testid="schedule-conflicts"] li').count()).toBe(villages);
    expect(await admin.getByTestId('schedule-skip').isChecked()).toBe(true);
    await screenshot(admin, 'timetable-group-conflicts');
    await admin.getByTestId('timetable-submit').click();
    await expect.poll(() => admin.getByTestId('timetable-result').getAttribute('data-skipped')).toBe(String(villages));
    expect(await admin.getByTestId('timetable-result').getAttribute('data-count')).toBe(String(township - villages));
    await admin.getByTestId('timetable-view').selectOption('week');
    if (new Date(Date.now() + 86_400_000).getDay() === 1) await admin.getByRole('button', { name: '下一页' }).click();
    await expect.poll(() => admin.locator('[data-testid="timetable-event"]', { hasText: '基层治理现代化' }).count()).toBe(2);

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

    // The new household station's kiosk (paired with the code above) waits for the lecture too.
    const stationId = (await apiCall(server.url, 'GET', `/api/stations?q=${encodeURIComponent('八面乡农户学习点')}`, await apiLogin(server.url, 'orgadmin'))).items[0].id;
    await apiCall(server.url, 'POST', '/api/timetable', await apiLogin(server.url, 'orgadmin'), { lectureId, startAt: new Date(Date.now() + 2 * 86_400_000).toISOString(), stationIds: [stationId] });
    const kioskContext = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
    contexts.push(kioskContext);
    const kiosk = await kioskContext.newPage();
    await kiosk.goto(`${server.url}/kiosk?code=${code}`);
    await kiosk.getByTestId('kiosk-countdown').waitFor();

    // The lecture is withdrawn: every booking of it is cancelled; the kiosk stops waiting, the admin is warned.
    await apiCall(server.url, 'POST', `/api/lectures/${lectureId}/withdraw`, lecturer);
    const item = kiosk.getByTestId('kiosk-upcoming-item').first();
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 25_000 }).toBe('cancelled');
    await kiosk.getByTestId('kiosk-nothing').waitFor(); // 近期没有安排课程: no countdown to it
    expect(await kiosk.getByTestId('kiosk-countdown').count()).toBe(0);
    for (const [width, height] of [[1280, 720], [1366, 768], [1920, 1080]] as const) {
      await kiosk.setViewportSize({ width, height });
      const size = await fits(kiosk);
      expect(size.h, `kiosk at ${width}×${height}`).toBeLessThanOrEqual(height);
      expect(size.w, `kiosk at ${width}×${height}`).toBeLessThanOrEqual(width);
    }
    await kiosk.setViewportSize({ width: 1280, height: 720 });
    await screenshot(kiosk, 'kiosk-cancelled-1280x720');
    await admin.reload();
    await expect.poll(() => admin.getByTestId('booking-warnings').getAttribute('data-count')).toBe('3');
    expect(await admin.locator('[data-testid="booking-warning"][data-status="cancelled"]').count()).toBe(3);
    await screenshot(admin, 'timetable-withdrawn-warning');
  }, 180_000);
});
