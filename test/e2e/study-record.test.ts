/**
 * The study record (学习档案) in Chromium. The demo unit admin (苏公坨乡党委) opens a cadre's record
 * from the unit report's row, prints it (print media, page.pdf A4): the PDF holds the name, every
 * channel and the hours, and a record longer than a page repeats its table header on the next;
 * the QR's URL opens the public verification, signed out, which says the paper matches. Then the
 * admin exports the committee's records from the export screen, watches the progress reach
 * done/total, downloads the PDF and finds a page or more per cadre with each name and hours.
 * A phone in large-text mode shows the record without sideways scrolling. Screenshots:
 * test-results/screenshots/study-record*.png.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SummaryRepository } from '../../server/modules/study/repositories';
import { signIn } from '../helpers/ui-login';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';

const run = promisify(execFile);
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let context: BrowserContext;
let year = 0;
const cadres: Record<string, { id: string; hours: number }> = {};

async function credit(userId: string, day: string, hours: number, title: string, source: string, required = false) {
  const { Ledger } = server.app.store.models;
  const lectureId = new Types.ObjectId();
  const entryId = `${userId}:${String(lectureId)}:${year}`;
  await Ledger.collection.insertOne({ _id: entryId as never, userId: new Types.ObjectId(userId), lectureId, year, hours, required, title, at: new Date(server.app.calendar.dayAt(day, 10)), source });
  await new SummaryRepository(server.app.store.models).addEntry(userId, year, entryId, { total: hours, [required ? 'required' : 'elective']: hours });
}

async function pdfFacts(file: string) {
  const info = (await run('pdfinfo', [file])).stdout;
  const text = (await run('pdftotext', ['-layout', file, '-'])).stdout;
  return { pages: Number(/Pages:\s+(\d+)/.exec(info)![1]), a4: /\(A4\)/.test(info), text };
}

const loginAs = (page: Page, username: string) => signIn(page, server.url, username);

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { User, OrgUnit } = server.app.store.models;
  year = server.app.calendar.year(Date.now());
  const unitOf = async (name: string) => (await OrgUnit.findOne({ name }).lean())!._id;
  const zhang = String((await User.findOne({ username: 'cadre' }).lean())!._id);
  await credit(zhang, `${year}-03-05`, 2, '关键在于落实', 'individual', true);
  await credit(zhang, `${year}-04-10`, 1.5, '清华大学论坛（直播）', 'live');
  await credit(zhang, `${year}-02-01`, 3, '空中课堂:乡村振兴', 'station', true);
  cadres['张伟'] = { id: zhang, hours: 6.5 };
  // A cadre of the township government with a long record (over one printed page).
  const wang = await User.create({ username: 'e2e-long', displayName: '王长卷', passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: await unitOf('苏公坨乡人民政府') });
  for (let k = 0; k < 45; k++) await credit(String(wang._id), `${year}-0${1 + (k % 9)}-1${k % 10}`, 1, `第${k + 1}讲 基层治理专题`, k % 3 === 0 ? 'station' : 'individual');
  cadres['王长卷'] = { id: String(wang._id), hours: 45 };
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1, acceptDownloads: true });
  context.setDefaultTimeout(30_000);
}, 240_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

describe('the study record in the browser', () => {
  let code = '';

  it('opens a cadre\'s record from the unit report and prints it on A4 with every channel', async () => {
    const page = await context.newPage();
    await loginAs(page, 'unitadmin');
    await page.goto(`${server.url}/admin/unit`);
    await page.getByTestId('unit-members').waitFor();
    await page.locator(`[data-testid="unit-member"][data-username="cadre"] [data-testid="member-record"]`).click();
    await page.waitForURL((url) => url.pathname === `/study-record/${cadres['张伟']!.id}/${year}`);
    const sheet = page.getByTestId('record-sheet');
    await sheet.waitFor();
    await expect(sheet.getAttribute('data-total')).resolves.toBe('6.5');
    await expect(page.locator('[data-testid="record-channel"][data-channel="live"]').getAttribute('data-hours')).resolves.toBe('1.5');
    await expect(page.locator('[data-testid="record-channel"][data-channel="training"]').getAttribute('data-hours')).resolves.toBe('0');
    await expect(page.getByTestId('record-lecture').count()).resolves.toBe(3);
    await page.getByTestId('record-qr').evaluate((img: HTMLImageElement) => img.decode());
    const url = await page.getByTestId('record-verify-url').innerText();
    code = url.split('/verify/')[1]!;
    await screenshot(page, 'study-record');

    await page.emulateMedia({ media: 'print' });
    const file = join(tmpdir(), `study-record-${Date.now()}.pdf`);
    await writeFile(file, await page.pdf({ format: 'A4', printBackground: true }));
    const pdf = await pdfFacts(file);
    expect(pdf.a4).toBe(true);
    expect(pdf.pages).toBe(1);
    for (const s of ['干部学习档案', '张伟', '自主选学', '直播论坛', '空中课堂', '培训班', '6.5', '3.0', `${year}-02-01`, '关键在于落实', url]) expect(pdf.text).toContain(s);
    expect(pdf.text).not.toContain(await page.getByTestId('record-print').innerText()); // no buttons on paper
    await page.close();
  }, 120_000);

  it('prints a long record over pages, repeating the lecture table header', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/study-record/${cadres['王长卷']!.id}/${year}`);
    await page.getByTestId('record-sheet').waitFor();
    await expect(page.getByTestId('record-lecture').count()).resolves.toBe(45);
    await page.emulateMedia({ media: 'print' });
    const file = join(tmpdir(), `study-record-long-${Date.now()}.pdf`);
    await writeFile(file, await page.pdf({ format: 'A4' }));
    const pdf = await pdfFacts(file);
    expect(pdf.pages).toBeGreaterThanOrEqual(2);
    const pages = pdf.text.split('\f').filter((p) => p.trim());
    expect(pages.length).toBe(pdf.pages);
    // Each page after the first starts its rows under the header again.
    for (const p of pages.slice(1).filter((p) => /第\d+讲/.test(p))) expect(p).toMatch(/序号\s+日期\s+课程/);
    expect(pdf.text).toContain('45.0');
    await page.close();
  }, 120_000);

  it('verifies the printed code, signed out', async () => {
    const anon = await browser.newContext({ locale: 'zh-CN' });
    const page = await anon.newPage();
    await page.goto(`${server.url}/verify/${code}`);
    const verdict = page.getByTestId('verify-verdict');
    await verdict.waitFor();
    await expect(verdict.getAttribute('data-verdict')).resolves.toBe('match');
    await expect(page.getByTestId('verify-name').innerText()).resolves.toBe('张伟');
    // The yearly result (实效测评) of today, as on the record.
    await expect(page.getByTestId('verify-grade').getAttribute('data-grade')).resolves.toMatch(/^(excellent|pass|fail)$/);
    await screenshot(page, 'study-record-verify');
    await page.goto(`${server.url}/verify/${code.replace(/-([0-9a-f])/, (_m, c: string) => `-${c === '0' ? '1' : '0'}`)}`);
    await expect(page.getByTestId('verify-verdict').getAttribute('data-verdict')).resolves.toBe('invalid');
    await screenshot(page, 'study-record-verify-invalid');
    await anon.close();
  }, 60_000);

  it('exports the committee as one PDF with progress and a download', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/admin/unit`);
    await page.getByTestId('unit-export-records').click();
    await page.waitForURL((url) => url.pathname === '/admin/unit/records');
    await page.getByTestId('export-start').click();
    const item = page.getByTestId('export-item').first();
    await item.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="export-item"]')?.getAttribute('data-state') === 'done', undefined, { timeout: 90_000 });
    const total = Number(await item.getAttribute('data-total'));
    expect(total).toBe(2); // 张伟 (the demo cadre) and 王长卷
    await expect(item.getAttribute('data-done')).resolves.toBe(String(total));
    await expect(item.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toBe('100');
    await screenshot(page, 'study-record-export');
    const [download] = await Promise.all([page.waitForEvent('download'), item.getByTestId('export-download').click()]);
    const file = join(tmpdir(), `study-records-${Date.now()}.pdf`);
    await download.saveAs(file);
    const pdf = await pdfFacts(file);
    expect(pdf.a4).toBe(true);
    expect(pdf.pages).toBeGreaterThanOrEqual(total + 1); // 王长卷 runs past one page
    for (const [name, c] of Object.entries(cadres)) {
      expect(pdf.text).toContain(name);
      expect(pdf.text).toContain(c.hours.toFixed(1));
    }
    await page.close();
  }, 150_000);

  it('fits a phone in large-text mode', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.addInitScript(() => localStorage.setItem('large-text', '1'));
    const page = await phone.newPage();
    await loginAs(page, 'cadre');
    await page.goto(`${server.url}/study`);
    await page.getByTestId('study-record-link').click();
    await page.getByTestId('record-sheet').waitFor();
    await expect(page.evaluate(() => document.documentElement.classList.contains('large-text'))).resolves.toBe(true);
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('#main *')].filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-wrap'));
      return { by: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5).map((el) => `${el.tagName}.${el.className}`) };
    });
    expect(overflow).toEqual({ by: 0, wide: [] });
    await screenshot(page, 'study-record-phone-large');
    await phone.close();
  }, 60_000);
});
