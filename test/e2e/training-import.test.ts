/**
 * 外出培训学时批量导入 and 培训年度统计 in Chromium against the real portal, on the demo county
 * seeded with the article's figures: the org admin downloads the template from
 * /admin/training/hours, fills it in (400 cadres back from a provincial class, one row with a
 * name that does not match its account), uploads it and reads the error by its row number, fixes
 * the file, uploads it again, imports it while the progress bar moves, and finds the import under
 * 搭车培训 in the year report's chart and table. Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoTraining } from '../../server/seed/demo-training';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

const PASSWORD = 'tongyu2026';
const TIMEOUT = 20_000;
const ROWS = 400;

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let year: number;

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  year = (await seedDemoTraining(server.app.store.models, server.app.calendar)).year;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function logIn(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

/** The downloaded template with `ROWS` cadres filled in; `badRow` (an Excel row) gets a wrong name. */
async function filled(template: Buffer, badRow: number | null): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(template as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const names = Array.from({ length: ROWS }, (_, i) => `tyd${String(i + 1).padStart(4, '0')}`);
  const users = new Map((await server.app.store.models.User.find({ username: { $in: names } }, { username: 1, displayName: 1 }).lean()).map((u) => [u.username, u.displayName]));
  names.forEach((u, i) => {
    const row = i + 2;
    ws.getRow(row).values = [u, row === badRow ? '查无此人' : users.get(u)!, '省委组织部乡镇党政正职培训班', '省委组织部', `${year}-10-12`, `${year}-10-16`, 32, '搭车培训', ''];
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('external training import and the year report', () => {
  it('the org admin imports a checked file with progress and sees it in the year report', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1, acceptDownloads: true });
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    await logIn(page, 'orgadmin');
    await page.goto(`${server.url}/admin/training/hours`);
    await page.getByTestId('external-import').waitFor();

    // The template, as the browser downloads it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('external-import-template').click()]);
    expect(download.suggestedFilename()).toBe('外出培训学时导入模板.xlsx');
    const template = await readFile((await download.path())!);

    // A file with a wrong name on Excel row 7: listed by its row, nothing imported.
    await page.getByTestId('external-import-file').setInputFiles({ name: '搭车培训.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await filled(template, 7) });
    await page.getByTestId('external-import-check').click();
    const error = page.getByTestId('external-import-error');
    await error.first().waitFor();
    expect(await error.count()).toBe(1);
    expect([await error.getAttribute('data-row'), await error.getAttribute('data-code')]).toEqual(['7', 'NAME_MISMATCH']);
    await expect(error.innerText()).resolves.toContain('查无此人');
    await expect(page.getByTestId('external-import-summary').innerText()).resolves.toContain(`${ROWS - 1} 行可导入`);
    await screenshot(page, 'training-import-errors');

    // Fixed, checked again, imported with progress.
    await page.getByTestId('external-import-file').setInputFiles({ name: '搭车培训.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await filled(template, null) });
    await page.getByTestId('external-import-check').click();
    await expect.poll(() => page.getByTestId('external-import-summary').innerText(), { timeout: TIMEOUT }).toContain(`${ROWS} 行可导入`);
    expect(await page.getByTestId('external-import-error').count()).toBe(0);
    await page.getByTestId('external-import-confirm').click();
    await page.getByTestId('external-import-progress').waitFor();
    await screenshot(page, 'training-import-progress');
    await page.getByTestId('external-import-done').waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('external-import-done').innerText()).resolves.toContain(`新增 ${ROWS} 条`);
    expect(await server.app.store.models.ExternalTraining.countDocuments({ title: '省委组织部乡镇党政正职培训班', state: 'approved' })).toBe(ROWS);
    expect(await server.app.store.models.Ledger.countDocuments({ source: 'external', title: '外出培训:省委组织部乡镇党政正职培训班' })).toBe(ROWS);

    // The year report: the article's figures plus this import under 搭车培训, as a chart and tables.
    await page.getByTestId('training-report-link').click();
    await page.waitForURL((url) => url.pathname === '/admin/training/report');
    if ((await page.getByTestId('report-year').inputValue()) !== String(year)) await page.getByTestId('report-year').selectOption(String(year));
    const provincial = page.locator('[data-testid="report-external-row"][data-channel="provincial"]');
    await expect.poll(() => provincial.getAttribute('data-person-times'), { timeout: TIMEOUT }).toBe(String(257 + ROWS));
    const chart = page.getByTestId('training-report-chart');
    await chart.waitFor();
    const values = JSON.parse((await chart.getAttribute('data-values'))!) as number[][];
    expect(values[0]).toContain(6400); // 干教大篷车: class completions
    expect(values[1]).toContain(257 + ROWS); // 搭车培训: training elsewhere
    await expect(page.locator('[data-testid="report-class-row"][data-channel="caravan"]').innerText()).resolves.toContain('6,400');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-export').click()]);
    expect(xlsx.suggestedFilename()).toBe(`${year}年培训统计.xlsx`);
    await screenshot(page, 'training-year-report');
    await context.close();
  }, 240_000);
});
