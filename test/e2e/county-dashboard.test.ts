/**
 * The county's picture (issue 19) in Chromium against the real portal and store. Credits land
 * through the real ledger paths (CreditLedger.checkCompletion for self-selected study, a live forum
 * and the air classroom; CreditLedger.creditOnce for a training class, the travelling classroom and
 * external training), and the county module's on-write tallies count them. As the organisation
 * department: 全县教育培训统计 shows the figures by channel, by month and topic beside last year,
 * and drills down 党委 → 单位 → 干部 (the cadre's 学习档案); an empty year is an empty state;
 * 学时达标情况 lists those behind and 提醒未达标干部 says how many were reminded; the annual report
 * shows the same totals, recounts with no difference, and its Excel file holds them. As the unit
 * admin of 苏公坨乡党委, on a phone in large-text mode: only their own units.
 * Screenshots: test-results/screenshots/county-*.png.
 */
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../server/modules/study/credit-ledger';
import type { LectureInfo, Progress } from '../../server/modules/study/records';
import { changeSignal } from '../../server/store/change-signal';
import { buildClient, launchBrowser, screenshot, SCREENSHOT_DIR, zhContext } from '../helpers/browser';
import { makeCadres } from '../helpers/cadres';
import { startServer } from '../helpers/server';
import { signIn } from '../helpers/ui-login';

const TIMEOUT = 20_000;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let year = 0;
const ids = {} as Record<'learner' | 'slow' | 'kaitong' | 'zhang', string>;

/** A completed piece of content through the study engine's ledger (self-selected, live or station). */
function complete(userId: string, at: number, source: 'individual' | 'live' | 'station', topic: string, hours: number) {
  const lectureId = String(new Types.ObjectId());
  const p = { id: `${userId}:${lectureId}`, userId, lectureId, intervals: [[0, 600]], again: [], wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: at, completedAt: at, dirty: false, source } as unknown as Progress;
  const info = { id: lectureId, contentId: lectureId, title: `${topic}专题课`, durationSec: 600, segmentSec: 4, required: false, creditHours: hours, category: 'development', topic, kind: source === 'live' ? 'live' : 'recorded', attentionChecks: false, loadedAt: at } as unknown as LectureInfo;
  return server.app.study.ledger.checkCompletion(p, info);
}

/** Hours credited away from the player, as a class's completion and approved external training do. */
function creditAway(userId: string, at: number, source: 'training' | 'external', hours: number, trainingChannel?: string) {
  const id = String(new Types.ObjectId());
  const y = server.app.calendar.year(at);
  const entry: LedgerEntry & { trainingChannel?: string } = { _id: `${userId}:${id}:${y}`, userId: new Types.ObjectId(userId), lectureId: new Types.ObjectId(id), year: y, hours, required: source === 'training', category: 'service', topic: source, title: source === 'training' ? '培训班' : '外出培训', at: new Date(at), source, ...(trainingChannel ? { trainingChannel } : {}) };
  return server.app.study.ledger.creditOnce(entry);
}

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { app } = server;
  const { calendar } = app;
  const { OrgUnit, User } = app.store.models;
  year = calendar.year(Date.now());
  const unitId = async (name: string) => String((await OrgUnit.findOne({ name }).lean())!._id);
  const cadre = async (prefix: string, unit: string, name: string) => (await makeCadres(app, { prefix, n: 1, unitId: await unitId(unit), cookies: false, displayName: () => name }))[0]!.id;
  ids.learner = await cadre('e2e-learner', '苏公坨村党支部', '王学习');
  ids.slow = await cadre('e2e-slow', '苏公坨乡人民政府', '赵落后');
  ids.kaitong = await cadre('e2e-kaitong', '开通镇人民政府', '钱开通');
  ids.zhang = String((await User.findOne({ username: 'cadre' }).lean())!._id);
  // Users written straight into the store: say so, as the portal's writers of users do.
  changeSignal(app.store.models, 'users').changed(Object.values(ids));
  await app.county.ready();

  const at = (day: string) => calendar.dayAt(`${year}-${day}`, 10);
  // 王学习: every channel, 94.5 h (on track); 赵落后: 2 h of self-selected study; 钱开通: 10 h external.
  await complete(ids.learner, at('01-10'), 'individual', '乡村振兴', 1.5);
  await complete(ids.learner, at('02-11'), 'individual', '党史学习教育', 1);
  await complete(ids.learner, at('03-12'), 'live', '高校论坛', 1);
  await complete(ids.learner, at('03-13'), 'station', '空中课堂', 1);
  await creditAway(ids.learner, at('04-14'), 'training', 40, 'county');
  await creditAway(ids.learner, at('05-15'), 'training', 20, 'caravan');
  await creditAway(ids.learner, at('06-16'), 'external', 30);
  await complete(ids.slow, at('03-20'), 'individual', '乡村振兴', 2);
  await creditAway(ids.kaitong, at('05-21'), 'external', 10);
  // Last year: one self-selected lecture.
  await complete(ids.learner, calendar.dayAt(`${year - 1}-06-01`, 10), 'individual', '法治', 1);
  await app.county.tallies.idle();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function newContext(viewport: { width: number; height: number }, largeText = false): Promise<BrowserContext> {
  const context = await zhContext(browser, { viewport, timeoutMs: TIMEOUT, acceptDownloads: true });
  if (largeText) await context.addInitScript(() => localStorage.setItem('large-text', '1'));
  return context;
}

/** A full-page screenshot from the top (a click may have scrolled the sticky header over the page). */
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name);
}

const attr = async (page: Page, selector: string, name: string) => page.locator(selector).first().getAttribute(name);
const num = async (page: Page, selector: string, name: string) => Number(await attr(page, selector, name));

describe('the county dashboard in the browser', () => {
  it('the org admin reads the county by channel and drills down to a cadre; compliance reminds; the annual report matches', async () => {
    const context = await newContext({ width: 1280, height: 900 });
    const page = await context.newPage();
    await signIn(page, server.url, 'orgadmin');
    await page.goto(`${server.url}/admin/county`);
    await page.getByTestId('county-dashboard').waitFor();

    // The county's totals and each channel, last year beside.
    await expect.poll(() => num(page, '[data-testid="county-totals"]', 'data-person-times')).toBe(9);
    expect(await num(page, '[data-testid="county-totals"]', 'data-hours')).toBeCloseTo(106.5, 5);
    expect(await num(page, '[data-testid="county-totals"]', 'data-prev-person-times')).toBe(1);
    const channel = (c: string) => `[data-testid="county-channel"][data-channel="${c}"]`;
    const want: [string, number, number][] = [['selfStudy', 3, 4.5], ['live', 1, 1], ['airClassroom', 1, 1], ['trainingClass', 1, 40], ['caravan', 1, 20], ['external', 2, 40]];
    for (const [c, pt, h] of want) {
      expect([c, await num(page, channel(c), 'data-person-times')]).toEqual([c, pt]);
      expect(await num(page, channel(c), 'data-hours')).toBeCloseTo(h, 5);
    }
    expect(await page.locator(channel('caravan')).innerText()).toContain('干教大篷车');
    const plotted = JSON.parse((await page.getByTestId('county-chart-channels').getAttribute('data-values'))!) as number[][];
    expect(plotted).toEqual([[3, 1, 1, 1, 1, 2], [1, 0, 0, 0, 0, 0]]);
    // Topics: two chosen by three person-times, 乡村振兴 the most chosen.
    const topics = page.getByTestId('county-topics-summary');
    expect([await topics.getAttribute('data-chosen'), await topics.getAttribute('data-person-times')]).toEqual(['2', '3']);
    expect(await attr(page, '[data-testid="county-topic"]', 'data-topic')).toBe('乡村振兴');
    // By month: March has the live forum, the air classroom and 赵落后's lecture.
    expect(await num(page, '[data-testid="county-month"][data-month="3"]', 'data-person-times')).toBe(3);
    await shot(page, 'county-dashboard');

    // Committees → 苏公坨乡党委 → 苏公坨村党支部 → 王学习's study record.
    const committee = page.locator('[data-testid="county-child"][data-name="苏公坨乡党委"]');
    expect(await committee.getAttribute('data-person-times')).toBe('8');
    expect(await page.locator('[data-testid="county-child"][data-name="开通镇党委"]').getAttribute('data-person-times')).toBe('1');
    await committee.getByTestId('county-child-link').click();
    await page.waitForURL((url) => url.searchParams.has('node'));
    await page.locator('[data-testid="county-node"]', { hasText: '苏公坨乡党委' }).waitFor();
    expect(await page.getByTestId('county-crumb').first().innerText()).toBe('通榆县');
    await expect.poll(() => num(page, '[data-testid="county-totals"]', 'data-person-times')).toBe(8);
    expect(await page.locator('[data-testid="county-child"]').count()).toBe(2);
    await page.locator('[data-testid="county-child"][data-name="苏公坨村党支部"]').getByTestId('county-child-link').click();
    await page.locator('[data-testid="county-node"]', { hasText: '苏公坨村党支部' }).waitFor();
    const member = (id: string) => page.locator(`[data-testid="county-member"][data-user-id="${id}"]`);
    await member(ids.learner).waitFor();
    expect(await member(ids.learner).getAttribute('data-on-track')).toBe('true');
    expect(await member(ids.zhang).getAttribute('data-on-track')).toBe('false');
    await shot(page, 'county-dashboard-unit');
    await member(ids.learner).getByTestId('county-member-record').click();
    await page.waitForURL((url) => url.pathname === `/study-record/${ids.learner}/${year}`);
    await page.locator(`[data-testid="record-sheet"][data-user-id="${ids.learner}"]`).waitFor();

    // A year with nothing in it: an empty state, not a page of zeros.
    await page.goto(`${server.url}/admin/county?year=${year - 3}`);
    await page.locator(`[data-testid="county-empty"][data-year="${year - 3}"]`).waitFor();
    expect(await page.getByTestId('county-channels').count()).toBe(0);

    // Compliance: the three behind (赵落后, 钱开通, 张伟), one click reminds them all.
    await page.goto(`${server.url}/admin/county/compliance`);
    await page.getByTestId('county-compliance').waitFor();
    expect(await attr(page, '[data-testid="compliance-behind-total"]', 'data-total')).toBe('3');
    const behind = await page.getByTestId('compliance-behind').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user-id')));
    expect(behind.sort()).toEqual([ids.slow, ids.kaitong, ids.zhang].sort());
    expect(await page.locator(`[data-testid="compliance-behind"][data-user-id="${ids.slow}"]`).innerText()).toContain('苏公坨乡人民政府');
    // Each unit with cadres and its share on track: 苏公坨村党支部 has 王学习 on track and 张伟 behind.
    const units = await page.getByTestId('compliance-unit').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(units).toEqual(expect.arrayContaining(['苏公坨村党支部', '苏公坨乡人民政府', '开通镇人民政府']));
    expect(await attr(page, '[data-testid="compliance-unit"][data-name="苏公坨村党支部"]', 'data-share')).toBe('0.5');
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('compliance-remind').click();
    // A queued job on the server: the page shows its progress (the first view, 0 of 3, stays until
    // the next poll a second later), then how many were reminded.
    const progress = page.getByTestId('compliance-remind-progress');
    await progress.waitFor();
    expect(await progress.innerText()).toMatch(/正在提醒：已处理 \d \/ 3 人/);
    await shot(page, 'county-compliance-reminding');
    const done = page.getByTestId('compliance-remind-done');
    await done.waitFor();
    expect(await done.getAttribute('data-sent')).toBe('3');
    expect(await server.app.store.models.CountyReminder.find({}).lean()).toMatchObject([{ state: 'done', total: 3, done: 3, sent: 3 }]);
    const box = async (id: string) => (await server.app.store.models.NoticeBox.findById(id).lean())?.items ?? [];
    expect((await box(ids.slow)).length).toBe(1);
    expect(await box(ids.learner)).toHaveLength(0);
    await shot(page, 'county-compliance');

    // The annual report: the dashboard's totals, a recount that finds nothing, and the workbook.
    await page.goto(`${server.url}/admin/county/annual-report`);
    const report = page.getByTestId('annual-report');
    await report.waitFor();
    expect(await report.getAttribute('data-person-times')).toBe('9');
    expect(Number(await report.getAttribute('data-hours'))).toBeCloseTo(106.5, 5);
    expect(await page.locator('[data-testid="annual-committee"][data-name="苏公坨乡党委"]').getAttribute('data-person-times')).toBe('8');
    expect(await num(page, '[data-testid="county-channel"][data-channel="external"]', 'data-person-times')).toBe(2);
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('annual-rebuild').click();
    const rebuilt = page.getByTestId('annual-rebuild-done');
    await rebuilt.waitFor({ timeout: 60_000 });
    expect(await rebuilt.getAttribute('data-differences')).toBe('0');
    await shot(page, 'county-annual-report');
    await page.emulateMedia({ media: 'print' });
    await shot(page, 'county-annual-report-print');
    await page.emulateMedia({ media: 'screen' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('annual-xlsx').click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile((await download.path())!);
    expect(book.worksheets.map((s) => s.name)).toEqual(expect.arrayContaining(['总表', '按渠道', '按党委', '按类别']));
    const rowsOf = (name: string) => {
      const out: unknown[][] = [];
      book.getWorksheet(name)!.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
      return out;
    };
    const caravan = rowsOf('按渠道').find((r) => r.includes('干教大篷车'));
    expect(caravan).toBeDefined();
    expect(caravan).toEqual(expect.arrayContaining([1, 20]));
    const sugongtuo = rowsOf('按党委').find((r) => r.includes('苏公坨乡党委'));
    expect(sugongtuo).toEqual(expect.arrayContaining([8]));
    await context.close();
  }, 180_000);

  it('a unit admin, on a phone in large text, sees only their own units', async () => {
    const context = await newContext({ width: 390, height: 844 }, true);
    const page = await context.newPage();
    await signIn(page, server.url, 'unitadmin');
    await page.goto(`${server.url}/admin/county`);
    await page.getByTestId('county-dashboard').waitFor();
    expect(await page.evaluate(() => document.documentElement.classList.contains('large-text'))).toBe(true);
    await page.locator('[data-testid="county-node"]', { hasText: '苏公坨乡党委' }).waitFor();
    expect(await num(page, '[data-testid="county-totals"]', 'data-person-times')).toBe(8);
    const names = await page.getByTestId('county-child').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(names.sort()).toEqual(['苏公坨乡人民政府', '苏公坨村党支部'].sort());
    // The county above them is shown, not offered as a link; the annual report is not theirs.
    expect(await page.getByTestId('county-crumb').count()).toBe(0);
    expect(await page.getByTestId('county-to-report').count()).toBe(0);
    // No sideways scrolling on the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'county-dashboard-unitadmin-390');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/county-dashboard-unitadmin-390-top.png` });

    await page.goto(`${server.url}/admin/county/compliance`);
    await page.getByTestId('county-compliance').waitFor();
    const behind = await page.getByTestId('compliance-behind').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user-id')));
    expect(behind.sort()).toEqual([ids.slow, ids.zhang].sort());
    await shot(page, 'county-compliance-unitadmin-390');

    await page.goto(`${server.url}/admin/county/annual-report`);
    await page.locator('[data-testid="forbidden"][data-route="adminCountyReport"]').waitFor();
    expect(await page.getByTestId('annual-report').count()).toBe(0);
    await context.close();
  }, 120_000);
});
