/**
 * The unit report (单位学时报表) in Chromium, as the demo unit admin (苏公坨乡党委): members of the
 * committee and its units with their own unit and a totals row, the sub-unit chart, a March range
 * chosen in the form (the URL keeps it; hours and the prorated requirement follow), and 提醒未达标
 * 干部 with its confirmation, which reaches only those behind in March. Screenshot:
 * test-results/screenshots/unit-report-range.png.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SummaryRepository } from '../../server/modules/study/repositories';
import { buildClient, launchBrowser, screenshot, zhContext } from '../helpers/browser';
import { startServer } from '../helpers/server';
import { openUnitReport } from '../helpers/ui-login';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let context: BrowserContext;
let year = 0;
const ids = {} as Record<'february' | 'march', string>;

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { app } = server;
  const { User, OrgUnit, Ledger } = app.store.models;
  year = app.calendar.year(Date.now());
  const unitOf = async (name: string) => (await OrgUnit.findOne({ name }).lean())!._id;
  const summaries = new SummaryRepository(app.store.models);
  // Two cadres: 95 hours in February (government), 10 hours in March (village).
  for (const [key, unit, day, hours] of [['february', '苏公坨乡人民政府', `${year}-02-10`, 95], ['march', '苏公坨村党支部', `${year}-03-05`, 10]] as const) {
    const user = await User.create({ username: `e2e-${key}`, displayName: key === 'february' ? '王二月' : '赵三月', passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: await unitOf(unit) });
    const userId = String(user._id);
    ids[key] = userId;
    const lectureId = new Types.ObjectId();
    const at = app.calendar.dayAt(day, 10);
    const entryId = `${userId}:${String(lectureId)}:${year}`;
    await Ledger.collection.insertOne({ _id: entryId as never, userId: user._id, lectureId, year, hours, required: false, title: `${key === 'february' ? '二月' : '三月'}专题课`, at: new Date(at) });
    await summaries.addEntry(userId, year, entryId, { total: hours, elective: hours, [`byDay.${day}`]: hours });
    await summaries.addLecture(userId, year, String(lectureId));
  }
  context = await zhContext(browser);
}, 240_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

describe('the unit report in the browser', () => {
  it('shows sub-units, narrows to a range and reminds only those behind in it', async () => {
    const page = await context.newPage();
    await openUnitReport(page, server.url);
    await expect(page.getByTestId('unit-name').innerText()).resolves.toContain(`${year}-01-01`);

    // The whole year: the February cadre meets it, with their own unit in the first column.
    const feb = page.locator(`[data-testid="unit-member"][data-username="e2e-february"]`);
    await expect(feb.getAttribute('data-behind')).resolves.toBe('false');
    await expect(feb.innerText()).resolves.toContain('苏公坨乡人民政府');
    const totals = page.getByTestId('unit-totals-row');
    await expect(totals.getAttribute('data-members')).resolves.toBe('3');
    await expect(totals.getAttribute('data-earned')).resolves.toBe('105');
    const chart = page.getByTestId('chart-subunits');
    const [met, behind] = JSON.parse((await chart.getAttribute('data-values'))!) as number[][];
    expect(met!.reduce((a, b) => a + b, 0)).toBe(1);
    expect(behind!.reduce((a, b) => a + b, 0)).toBe(2);
    await expect(page.getByTestId('unit-subunit').count()).resolves.toBe(2);

    // March only: the February cadre earned nothing in it, the March one meets the prorated 7.6 hours.
    await page.getByTestId('unit-from').fill(`${year}-03-01`);
    await page.getByTestId('unit-to').fill(`${year}-03-31`);
    await page.getByTestId('unit-range-apply').click();
    await page.waitForURL((url) => url.searchParams.get('from') === `${year}-03-01` && url.searchParams.get('to') === `${year}-03-31`);
    await page.getByTestId('unit-name').filter({ hasText: `${year}-03-31` }).waitFor();
    await expect(feb.getAttribute('data-behind')).resolves.toBe('true');
    const mar = page.locator(`[data-testid="unit-member"][data-username="e2e-march"]`);
    await expect(mar.getAttribute('data-behind')).resolves.toBe('false');
    await expect(page.getByTestId('unit-lecture').count()).resolves.toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('unit-export-xlsx').getAttribute('href')).toContain(`from=${year}-03-01`);

    // Remind those behind in March: asked first, then told how many were reached.
    const remind = page.getByTestId('unit-remind');
    await expect(remind.getAttribute('data-behind')).resolves.toBe('2');
    page.once('dialog', (d) => void d.accept());
    await remind.click();
    const done = page.getByTestId('unit-remind-done');
    await done.waitFor();
    await expect(done.getAttribute('data-reminded')).resolves.toBe('2');
    const box = async (id: string) => (await server.app.store.models.NoticeBox.findById(id).lean())?.items ?? [];
    expect((await box(ids.february)).map((n) => n.kind)).toEqual(['unit-reminder']);
    expect(await box(ids.march)).toHaveLength(0);
    await screenshot(page, 'unit-report-range');
  }, 60_000);
});
