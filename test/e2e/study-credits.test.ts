/**
 * Self-selected study and verified watch-time credits (自主选学 · 学时) in Chromium against the
 * real portal. A lecturer publishes a short generated clip through the API (a limited offering
 * of 30 seats, 1.5 学时); the cadre selects it on its catalog card (选学, seats go down), watches
 * it to the end (muted) with the network dropping for a while in the middle (heartbeats wait in
 * the outbox and go out when it is back), sees the lecture's credit on the player and the year's
 * credits, charts and printable record on 我的学习; a second tab of the same cadre opening the
 * lecture while the first plays is told it is not counting, and counts once the first page is
 * left (its last beat goes by sendBeacon); the unit admin sees the cadre's hours in 单位学习统计
 * and downloads them. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { playMuted } from '../helpers/player';
import { startServer } from '../helpers/server';
import { outboxDrained, outboxSize } from '../helpers/study-outbox';

const PASSWORD = 'tongyu2026';
const TITLE = '党史学习教育与自主选学示范课';
const CREDIT_HOURS = 1.5;
const SEATS = 30;
const TIMEOUT = 20_000;

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let dir: string;
let lectureId = '';

async function apiLogin(username: string): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-study-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: 12, width: 640, height: 360 }), buildClient()]);
  // Heartbeats every 5 s (the shortest the server allows), so a 12 s clip sends ticks too.
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5' });
  browser = await launchBrowser();
  const lecturer = await apiLogin('lecturer');
  lectureId = await publishClip(server.url, lecturer, clip, {
    title: TITLE,
    summary: '结合通榆县“万名干部素质提升工程”，讲解党史党性教育专题的自主选学方式。',
    topic: '党史党性教育',
    category: 'party-history',
    creditHours: CREDIT_HOURS,
    required: false,
    seatLimit: SEATS,
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function newContext(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  return context;
}

async function logIn(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

const currentTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime);

const hoursIn = (text: string) => [...text.matchAll(/\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));

describe('self-selected study and verified watch-time credits', () => {
  it('lets a cadre select the lecture, watch it through a network drop and get its credit on the page and in 我的学习', async () => {
    expect(lectureId).toMatch(/^[0-9a-f]{24}$/);
    const context = await newContext();
    const page = await context.newPage();
    try {
      await logIn(page, 'cadre');
      await expect(page.getByTestId('nav-study').innerText()).resolves.toBe('我的学习');

      // 选学 on the catalog card: a limited offering shows its seats, and taking one shows at once.
      const card = page.locator(`[data-testid="lecture-card"][data-lecture-id="${lectureId}"]`);
      await card.waitFor();
      const select = card.getByTestId('select-lecture');
      await expect(select.getAttribute('data-selected')).resolves.toBe('false');
      await expect(card.getByTestId('lecture-seats').innerText()).resolves.toBe(`余 ${SEATS} 个名额`);
      const created = page.waitForResponse((r) => r.url().endsWith('/api/study/selections') && r.request().method() === 'POST');
      await select.click();
      expect((await created).status()).toBe(201);
      await page.waitForFunction((id) => document.querySelector(`[data-lecture-id="${id}"] [data-testid="select-lecture"]`)?.getAttribute('data-selected') === 'true', lectureId);
      await expect(select.innerText()).resolves.toBe('取消选学');
      await expect(card.getByTestId('lecture-seats').innerText()).resolves.toBe(`余 ${SEATS - 1} 个名额`);
      expect(new URL(page.url()).pathname).toBe('/'); // the button did not open the card's link
      await screenshot(page, 'study-catalog-selected');

      // The selection survives a reload (the server's `selected` flag and seats).
      await page.reload();
      await card.waitFor();
      await expect(card.getByTestId('select-lecture').getAttribute('data-selected')).resolves.toBe('true');
      await expect(card.getByTestId('lecture-seats').innerText()).resolves.toBe(`余 ${SEATS - 1} 个名额`);

      await card.click();
      await page.waitForURL((url) => url.pathname === `/lectures/${lectureId}`);
      await expect(page.getByTestId('select-lecture').getAttribute('data-selected')).resolves.toBe('true');
      const progress = page.getByTestId('study-progress');
      await progress.waitFor();
      await expect(progress.innerText()).resolves.toBe('已学 0% · 完成后计 1.5 学时');
      await expect(page.getByTestId('not-counting').count()).resolves.toBe(0);

      const beats: { event: string; seq: number }[][] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/api/study/heartbeats') && r.method() === 'POST') beats.push((r.postDataJSON() as { beats: { event: string; seq: number }[] }).beats);
      });
      await playMuted(page);
      await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime > 1.5, undefined, { timeout: 20_000 });

      // The network drops: the next tick waits in the outbox (localStorage) instead of being lost.
      await context.setOffline(true);
      await page.waitForFunction(
        () => Object.keys(localStorage).some((k) => k.startsWith('study-outbox:') && (JSON.parse(localStorage.getItem(k) ?? '[]') as unknown[]).length > 0),
        undefined,
        { timeout: 8000, polling: 200 },
      );
      expect(await outboxSize(page)).toBeGreaterThan(0);
      expect(await currentTime(page)).toBeLessThan(11);
      await context.setOffline(false);
      await page.waitForFunction(
        () => !Object.keys(localStorage).some((k) => k.startsWith('study-outbox:') && (JSON.parse(localStorage.getItem(k) ?? '[]') as unknown[]).length > 0),
        undefined,
        { timeout: 10_000, polling: 200 },
      );

      // To the end: the player says the lecture is completed and how many 学时 were credited.
      await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.ended, undefined, { timeout: 30_000 });
      await page.locator('[data-testid="study-progress"][data-completed="true"]').waitFor({ timeout: 15_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="study-progress"]')?.getAttribute('data-earned') !== '', undefined, { timeout: 10_000 });
      const done = await progress.innerText();
      expect(done).toMatch(/^已完成 · 已计 \d+(\.\d+)? 学时$/);
      const earned = hoursIn(done)[0]!;
      expect(earned).toBeGreaterThan(0);
      expect(earned).toBeLessThanOrEqual(CREDIT_HOURS);
      await expect(page.getByTestId('lecture-credits').innerText()).resolves.toContain('1.5');
      const sent = beats.flat();
      expect(sent[0]).toMatchObject({ event: 'play', seq: 1 });
      expect(sent.map((b) => b.event)).toContain('tick');
      expect(sent.map((b) => b.event)).toContain('end');
      const seqs = sent.map((b) => b.seq);
      expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual(Array.from({ length: Math.max(...seqs) }, (_, i) => i + 1));
      // Nothing stays in the outbox once the last answers are in.
      await outboxDrained(page);
      await screenshot(page, 'study-lecture-completed');

      // 我的学习: this year's credits, the charts, the lecture row and the selection.
      await page.getByTestId('nav-study').click();
      await page.waitForURL((url) => url.pathname === '/study');
      const credit = page.getByTestId('credit-progress');
      await credit.waitFor();
      const creditText = await credit.innerText();
      expect(creditText).toMatch(/已获 \d+(\.\d+)? \/ 90 学时/);
      const [total, required] = hoursIn(creditText);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeCloseTo(earned, 5);
      expect(required).toBe(90);
      await expect(page.getByTestId('study-elective').innerText()).resolves.toBe(`${earned} 学时`);
      await expect(page.getByTestId('study-required').innerText()).resolves.toBe('0 学时');
      const row = page.locator(`[data-testid="study-lecture"][data-lecture-id="${lectureId}"]`);
      await expect(row.getAttribute('data-completed')).resolves.toBe('true');
      await expect(row.innerText()).resolves.toContain(TITLE);
      await expect(page.locator(`[data-testid="study-selection"][data-lecture-id="${lectureId}"]`).innerText()).resolves.toContain(TITLE);
      const historyYear = page.locator(`[data-testid="study-history-year"][data-year="${new Date().getFullYear()}"]`);
      await expect(historyYear.getAttribute('data-total')).resolves.toBe(String(total));

      // The charts plot the same numbers: 必修 / 选修 / 尚需, and this month's bar.
      await page.waitForFunction(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="chart-split"]');
        return canvas !== null && canvas.width > 0;
      });
      const split = JSON.parse((await page.getByTestId('chart-split').getAttribute('data-values'))!) as number[][];
      expect(split[0]).toEqual([0, earned, Math.round((90 - earned) * 10) / 10]);
      const monthly = JSON.parse((await page.getByTestId('chart-monthly').getAttribute('data-values'))!) as number[][];
      expect(monthly[0]![new Date().getMonth()]).toBeCloseTo(earned, 5);
      await screenshot(page, 'study-page');

      // The same page in English.
      await page.getByTestId('lang-switch').click();
      await expect(credit.innerText()).resolves.toMatch(/^\d+(\.\d+)? \/ 90 study hours earned/);
      await expect(page.locator('h1').innerText()).resolves.toBe('My study');
      await screenshot(page, 'study-page-en');
      await page.getByTestId('lang-switch').click();
      await expect(page.locator('h1').innerText()).resolves.toBe('我的学习');

      // The printable record: navigation, charts and buttons hidden, the table kept.
      await page.emulateMedia({ media: 'print' });
      await expect(page.locator('.app-header').isVisible()).resolves.toBe(false);
      await expect(page.getByTestId('study-print').isVisible()).resolves.toBe(false);
      await expect(page.getByTestId('chart-split').isVisible()).resolves.toBe(false);
      await expect(page.getByTestId('study-lectures').isVisible()).resolves.toBe(true);
      await expect(page.locator('.print-head').innerText()).resolves.toContain(`张伟 · ${new Date().getFullYear()} 年度学习档案`);
      await screenshot(page, 'study-print-record');
      await page.emulateMedia({ media: 'screen' });
      const printed = await page.evaluate(() => {
        let called = 0;
        window.print = () => void (called += 1);
        document.querySelector<HTMLButtonElement>('[data-testid="study-print"]')!.click();
        return called;
      });
      expect(printed).toBe(1);

      // 取消选学 from 我的学习 gives the seat back; the credit earned stays.
      await page.locator(`[data-testid="study-selection"][data-lecture-id="${lectureId}"]`).getByTestId('selection-remove').click();
      await page.getByTestId('study-selections-empty').waitFor();
      await expect(credit.getAttribute('data-earned')).resolves.toBe(String(total));
      await page.getByTestId('nav-home').click();
      await card.waitFor();
      // Finished: the card says 已学完 instead of offering 选学 again; the seat is free for others.
      await card.getByTestId('lecture-finished').waitFor();
      await expect(card.getByTestId('select-lecture').count()).resolves.toBe(0);
      const offering = await page.evaluate(async (id) => (await (await fetch(`/api/lectures/${id}`)).json()) as { seatLimit?: number; seatsTaken?: number }, lectureId);
      expect(offering).toMatchObject({ seatLimit: SEATS, seatsTaken: 0 });
    } finally {
      await context.close();
    }
  }, 120_000);

  it('tells a second tab of the same cadre that it is not counting while the first plays, and counts once the first is left', async () => {
    expect(lectureId).not.toBe('');
    const context = await newContext();
    const first = await context.newPage();
    try {
      await logIn(first, 'cadre');
      await first.goto(`${server.url}/lectures/${lectureId}`);
      await first.getByTestId('study-progress').waitFor();
      // A reload gives the counting place back as the old page goes (unload by sendBeacon), so the
      // reloaded page counts at once.
      await first.reload();
      await first.locator('[data-testid="study-progress"][data-known="true"][data-counting="true"]').waitFor();
      await playMuted(first);
      await first.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime > 1, undefined, { timeout: 20_000 });
      // The play beat's answer says this page counts (a late `unload` would be caught by the next tick).
      await first.locator('[data-testid="study-progress"][data-counting="true"]').waitFor({ timeout: 8000 });
      await expect(first.getByTestId('not-counting').count()).resolves.toBe(0);

      const second = await context.newPage();
      await second.goto(`${server.url}/lectures/${lectureId}`);
      const banner = second.getByTestId('not-counting');
      await banner.waitFor();
      await expect(banner.innerText()).resolves.toContain('本页面未计入学时：您已在其他页面或设备学习此课程');
      await expect(second.getByTestId('study-progress').getAttribute('data-counting')).resolves.toBe('false');
      await second.bringToFront();
      await screenshot(second, 'study-second-tab-not-counting');
      // The first page is still the counting one.
      await expect(first.getByTestId('not-counting').count()).resolves.toBe(0);

      // The first page is left (its last beat goes by sendBeacon): the second now counts when played.
      const beacon = first.waitForRequest((r) => r.url().endsWith('/api/study/heartbeats') && r.method() === 'POST' && (r.postData() ?? '').includes('"unload"'));
      await first.goto(`${server.url}/`);
      await beacon;
      await first.close();
      await playMuted(second);
      await banner.waitFor({ state: 'detached', timeout: 15_000 });
      await expect(second.getByTestId('study-progress').getAttribute('data-counting')).resolves.toBe('true');
    } finally {
      await context.close();
    }
  }, 90_000);

  it('shows the unit admin the cadre’s hours in 单位学习统计, sortable, with Excel and CSV downloads', async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await logIn(page, 'unitadmin');
      await expect(page.getByTestId('nav-study').count()).resolves.toBe(0);
      await page.getByTestId('nav-unit-report').click();
      await page.waitForURL((url) => url.pathname === '/admin/unit');
      const table = page.getByTestId('unit-members');
      await table.waitFor();
      await expect(page.getByTestId('unit-name').innerText()).resolves.toContain('苏公坨乡党委');
      const row = page.locator('[data-testid="unit-member"][data-username="cadre"]');
      await expect(row.innerText()).resolves.toContain('张伟');
      await expect(row.getAttribute('data-behind')).resolves.toBe('true');
      const percent = Number(await row.getAttribute('data-percent'));
      expect(percent).toBeGreaterThan(0);
      expect(percent).toBeLessThan(100);

      await page.getByTestId('sort-earned').click();
      await expect(page.locator('th[aria-sort="descending"]').innerText()).resolves.toContain('已获学时');
      await page.getByTestId('sort-earned').click();
      await expect(page.locator('th[aria-sort="ascending"]').innerText()).resolves.toContain('已获学时');
      const counts = JSON.parse((await page.getByTestId('chart-completion').getAttribute('data-values'))!) as number[][];
      expect(counts[0]!.reduce((a, b) => a + b, 0)).toBe(await page.getByTestId('unit-member').count());
      const csvHref = (await page.getByTestId('unit-export-csv').getAttribute('href'))!;
      const xlsxHref = (await page.getByTestId('unit-export-xlsx').getAttribute('href'))!;
      expect(csvHref).toMatch(/\/report\.csv\?from=\d{4}-01-01&to=\d{4}-12-31$/);
      const csv = await page.request.get(server.url + csvHref);
      expect(csv.status()).toBe(200);
      expect(await csv.text()).toContain('张伟');
      const xlsx = await page.request.get(server.url + xlsxHref);
      expect(xlsx.status()).toBe(200);
      expect(xlsx.headers()['content-type']).toContain('spreadsheetml');
      await screenshot(page, 'study-unit-report');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('lets the organisation department pick any unit, the county by default', async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await logIn(page, 'orgadmin');
      await page.getByTestId('nav-unit-report').click();
      await page.getByTestId('unit-members').waitFor();
      await expect(page.getByTestId('unit-name').innerText()).resolves.toContain('通榆县');
      await expect(page.locator('[data-testid="unit-member"][data-username="cadre"]').count()).resolves.toBe(1);
      // A unit without cadres: the table gives way to a sentence; the choice lives in the URL.
      const picker = page.getByTestId('unit-picker');
      const partySchool = await picker.locator('option', { hasText: '县委党校' }).getAttribute('value');
      await picker.selectOption(partySchool!);
      await page.waitForURL((url) => url.searchParams.get('unit') === partySchool);
      await page.getByTestId('unit-empty').waitFor();
      await expect(page.getByTestId('unit-name').innerText()).resolves.toContain('县委党校');
    } finally {
      await context.close();
    }
  });
});
