/**
 * 实效测评 in Chromium against the real portal: a lecturer opens the lecture's question bank in the
 * studio, sets its policy (credit only after a pass, 正考 1 + 补考 1) and imports the Excel template
 * (a file with a bad row first: errors listed by row, nothing imported); a cadre watches the first
 * part of the lecture, sees the span question of that part unlock (the next one stays locked with
 * what to watch), answers it, watches to the end (credit held), fails the end test and passes the
 * make-up, and the credit is granted. Screenshots go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { quizXlsx, type Row } from '../helpers/quiz';
import { startServer } from '../helpers/server';
import { signIn } from '../helpers/ui-login';
import { apiLogin } from '../helpers/api';

const TIMEOUT = 20_000;
const ROWS: Row[] = [
  { kind: '单选', stem: '落实工作的第一步是什么?', optionA: '摸清实情', optionB: '开会表态', optionC: '印发文件', answer: 'A', spanFrom: '0:00', spanTo: '0:04' },
  { kind: '判断', stem: '抓落实要靠钉钉子精神。', answer: '正确', spanFrom: '0:08', spanTo: '0:12' },
  { kind: '多选', stem: '以下哪些是落实能力的体现?', optionA: '执行力', optionB: '协调力', optionC: '推诿', answer: 'AB' },
  { kind: '单选', stem: '学时按哪里的日历计算?', optionA: '服务器所在地', optionB: '本县', optionC: '干部所在地', answer: 'B' },
];
/** Right option texts by stem. */
const KEY: Record<string, string[]> = { [ROWS[0]!.stem!]: ['摸清实情'], [ROWS[1]!.stem!]: ['正确'], [ROWS[2]!.stem!]: ['执行力', '协调力'], [ROWS[3]!.stem!]: ['本县'] };

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;
let lectureId = '';

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-quiz-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: 12, width: 640, height: 360 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5' });
  browser = await launchBrowser();
  lectureId = await publishClip(server.url, await apiLogin(server.url, 'lecturer'), clip, { title: '关键在于落实(实效测评)', topic: '落实能力', category: 'implementation', creditHours: 1 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  return context;
}

/** Ticks the right (or, with `right` false, one wrong) options of every question in `scope`. */
async function answerAll(scope: ReturnType<Page['locator']>, right: boolean) {
  const items = scope.getByTestId('quiz-test-question');
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    const text = await item.locator('.stem').innerText();
    const key = KEY[Object.keys(KEY).find((s) => text.startsWith(s))!]!;
    const labels = item.locator('label');
    let ticked = false;
    for (let j = 0; j < (await labels.count()); j++) {
      const option = (await labels.nth(j).innerText()).replace(/^[A-H]\.\s*/, '').trim();
      if (right ? key.includes(option) : !key.includes(option) && !ticked) {
        await labels.nth(j).locator('input').check();
        ticked = true;
      }
    }
  }
}

const videoTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime);

describe('effectiveness evaluation', () => {
  it('lets a lecturer import a question bank from Excel, with errors listed by row', async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await signIn(page, server.url, 'lecturer');
      await page.goto(`${server.url}/studio`);
      const item = page.locator(`[data-testid="studio-lecture"][data-lecture-id="${lectureId}"]`);
      await item.getByTestId('studio-quiz').click();
      const bank = item.getByTestId('quiz-bank');
      await bank.getByTestId('quiz-settings').waitFor();
      await bank.getByTestId('quiz-needs-pass').check();
      await bank.locator('input[type="number"]').nth(0).fill('3');
      await bank.getByTestId('quiz-settings-save').click();
      await expect(bank.getByTestId('quiz-settings-note').innerText()).resolves.toBe('规则已保存');

      const bad = await quizXlsx([...ROWS.slice(0, 3), { ...ROWS[3], answer: 'E' }]);
      await bank.getByTestId('quiz-import-file').setInputFiles({ name: '题库.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: bad });
      await bank.getByTestId('quiz-import-errors').waitFor();
      await expect(bank.getByTestId('quiz-import-errors').innerText()).resolves.toContain('第 5 行');
      await expect(bank.getByTestId('quiz-bank-question').count()).resolves.toBe(0);
      await screenshot(page, 'quiz-import-row-errors');

      await bank.getByTestId('quiz-import-file').setInputFiles({ name: '题库.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await quizXlsx(ROWS) });
      await page.waitForFunction(() => document.querySelector('[data-testid="quiz-import-note"]')?.textContent?.includes('已导入 4 道题'));
      await bank.getByTestId('quiz-bank-question').nth(3).waitFor();
      await expect(bank.getByTestId('quiz-bank-question').count()).resolves.toBe(4);
      await screenshot(page, 'quiz-bank-imported');
    } finally {
      await context.close();
    }
  }, 90_000);

  it('lets a cadre answer the question of the part watched, then fail the end test and pass the make-up', async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await signIn(page, server.url, 'cadre');
      await page.goto(`${server.url}/lectures/${lectureId}`);
      const panel = page.getByTestId('quiz-panel');
      await panel.waitFor();
      await expect(panel.getByTestId('quiz-credit').getAttribute('data-state')).resolves.toBe('none');
      await expect(panel.locator('[data-testid="quiz-span"][data-unlocked="false"]').count()).resolves.toBe(2);
      await expect(panel.getByTestId('quiz-end-locked').isVisible()).resolves.toBe(true);

      // Watch the first part (about 6 s), then pause.
      await page.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
      await page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!;
        video.muted = true;
        void video.play();
      });
      await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.currentTime >= 6, undefined, { timeout: 30_000 });
      await page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.pause());
      const first = panel.locator('[data-testid="quiz-span"]').first();
      await page.waitForFunction(() => document.querySelector('[data-testid="quiz-span"]')?.getAttribute('data-unlocked') === 'true', undefined, { timeout: 30_000 });
      await expect(panel.locator('[data-testid="quiz-span"]').nth(1).getAttribute('data-unlocked')).resolves.toBe('false');
      await expect(panel.locator('[data-testid="quiz-span"]').nth(1).innerText()).resolves.toContain('观看 0:08–0:12 后解锁');
      await first.locator('label', { hasText: '摸清实情' }).locator('input').check();
      await first.getByTestId('quiz-span-submit').click();
      await first.getByTestId('quiz-span-result').waitFor();
      await expect(first.getByTestId('quiz-span-result').innerText()).resolves.toBe('回答正确');
      await screenshot(page, 'quiz-span-unlocked');

      // Watch to the end: the credit waits for the test.
      expect(await videoTime(page)).toBeGreaterThanOrEqual(5);
      await page.evaluate(() => void document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.play());
      await panel.getByTestId('quiz-start').waitFor({ timeout: 40_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="quiz-credit"]')?.getAttribute('data-state') === 'held', undefined, { timeout: 20_000 });
      await expect(panel.getByTestId('quiz-attempts-left').innerText()).resolves.toBe('剩余 2 次机会');

      // 正考: fail.
      await panel.getByTestId('quiz-start').click();
      const attempt = panel.getByTestId('quiz-attempt');
      await attempt.waitFor();
      await expect(attempt.getByTestId('quiz-test-question').count()).resolves.toBe(3);
      await answerAll(attempt, false);
      await attempt.getByTestId('quiz-submit').click();
      await panel.locator('[data-testid="quiz-history"][data-passed="false"]').waitFor();
      await expect(panel.getByTestId('quiz-start').innerText()).resolves.toBe('开始补考');
      await screenshot(page, 'quiz-failed-regular');

      // 补考: pass; the credit is granted.
      await panel.getByTestId('quiz-start').click();
      await panel.locator('[data-testid="quiz-attempt"][data-attempt="2"]').waitFor();
      await answerAll(panel.getByTestId('quiz-attempt'), true);
      await panel.getByTestId('quiz-submit').click();
      await panel.locator('[data-testid="quiz-history"][data-passed="true"]').waitFor();
      await panel.getByTestId('quiz-passed').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="quiz-credit"]')?.getAttribute('data-state') === 'granted');
      await expect(panel.getByTestId('quiz-credit').innerText()).resolves.toBe('测试合格，已计入 1 学时。');
      await screenshot(page, 'quiz-passed-makeup');
      // Now the hours are counted, the lecture page offers the cadre its evaluation.
      await page.reload();
      await page.getByTestId('evaluation-form').waitFor();
    } finally {
      await context.close();
    }
  }, 120_000);

  it('shows the lecturer the retention curve from verified watching and the question figures', async () => {
    const context = await newContext();
    const page = await context.newPage();
    try {
      await signIn(page, server.url, 'lecturer');
      await page.goto(`${server.url}/studio`);
      const item = page.locator(`[data-testid="studio-lecture"][data-lecture-id="${lectureId}"]`);
      await item.getByTestId('studio-evaluation').click();
      const stats = item.getByTestId('lecture-stats');
      await expect.poll(() => stats.getAttribute('data-viewers')).toBe('1');
      const retention = JSON.parse((await stats.getByTestId('lecture-retention').getAttribute('data-values'))!) as number[][];
      expect(retention[0]![0]).toBe(1); // the cadre watched the first minute
      const rows = stats.getByTestId('question-stat');
      expect(await rows.count()).toBeGreaterThan(0);
      const answered = await rows.evaluateAll((els) => els.reduce((n, el) => n + Number(el.getAttribute('data-answered')), 0));
      const results = await server.app.store.models.QuizResult.find({ lectureId, kind: 'test' }).lean();
      expect(answered).toBe(results.flatMap((r) => r.answers).length);
      await item.getByTestId('evaluation-summary').waitFor();
      await screenshot(page, 'quiz-lecturer-stats');
    } finally {
      await context.close();
    }
  }, 60_000);
});
