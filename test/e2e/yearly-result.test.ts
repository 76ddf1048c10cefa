/**
 * The yearly result (实效测评结果) in Chromium. A cadre of the demo village passes a lecture's end
 * test and completes a 90-hour training class (through the quiz and completion routes); the
 * organisation department sets the year's rule on the credit-policy screen (a wrong sum of weights
 * is pointed out as typed, then fixed and saved), and the unit admin's report shows the cadre
 * 优秀 with the score, the counts per grade with their chart; the cadre's study record shows the
 * result with its parts. Screenshots: test-results/screenshots/yearly-result-*.png.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot, zhContext } from '../helpers/browser';
import { keyPositions, quizXlsx, sampleRows } from '../helpers/quiz';
import { startServer } from '../helpers/server';
import { openUnitReport, signIn } from '../helpers/ui-login';

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let context: BrowserContext;
let year = 0;
let cadreId = '';

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { app, url } = server;
  year = app.calendar.year(Date.now());
  const admin = await apiLogin(url, 'orgadmin');
  const cadre = await apiLogin(url, 'cadre');
  cadreId = String((await app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);

  // A lecture with a bank; the cadre watched it (the engine's record), then passes its end test.
  const lecture = await app.store.models.Lecture.create({ title: '关键在于落实', category: 'implementation', state: 'published', kind: 'recorded', durationSec: 600, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  const lectureId = String(lecture._id);
  const file = await quizXlsx(sampleRows().map(({ spanFrom: _f, spanTo: _t, ...r }) => r));
  await apiCall(url, 'POST', `/api/quiz/lectures/${lectureId}/import`, admin, { fileName: 'q.xlsx', contentBase64: file.toString('base64') });
  const bank = await apiCall(url, 'GET', `/api/quiz/lectures/${lectureId}/bank`, admin);
  const done = new Date(Date.now() - 60_000);
  await app.store.models.Progress.create({ _id: `${cadreId}:${lectureId}`, userId: new Types.ObjectId(cadreId), lectureId: lecture._id, intervals: [0, 600], coveredSec: 600, wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: done, completedAt: done } as never);
  const attempt = await apiCall(url, 'POST', `/api/quiz/lectures/${lectureId}/attempts`, cadre);
  const scored = await apiCall(url, 'POST', `/api/quiz/attempts/${attempt.id}/submission`, cadre, { answers: attempt.questions.map((q: any) => ({ questionId: q.id, choice: keyPositions(bank, q, true) })) });
  expect(scored.passed).toBe(true);

  // A 90-hour class that ended today, completed by the organisation department.
  const today = app.calendar.day(Date.now());
  const k = await apiCall(url, 'POST', '/api/training/classes', admin, { name: '年度轮训班', category: '专题培训', channel: 'university', organiser: '县委组织部', startDay: app.calendar.addDays(today, -3), endDay: today, withdrawBy: app.calendar.addDays(today, -4), venue: '县委党校', capacity: 60, creditHours: 90, applications: false });
  await apiCall(url, 'POST', `/api/training/classes/${k.id}/assignments`, admin, { userIds: [cadreId] });
  expect((await apiCall(url, 'POST', `/api/training/classes/${k.id}/completion`, admin, {})).completed).toBe(1);

  context = await zhContext(browser);
}, 240_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

describe('the yearly result in the browser', () => {
  it('is set by the organisation department and shows in the unit report and the study record', async () => {
    const page = await context.newPage();
    await signIn(page, server.url, 'orgadmin');
    await page.goto(`${server.url}/admin/policies`);
    const panel = page.getByTestId('assessment-rule');
    await panel.waitFor();
    await expect(page.getByTestId('assessment-rule-state').getAttribute('data-custom')).resolves.toBe('false');
    // One quiz and one class earn full marks this year; a wrong sum is pointed out before saving.
    await page.getByTestId('assessment-quizWeight').fill('30');
    await page.locator('[data-testid="assessment-problem"][data-field="weights"]').waitFor();
    await expect(page.getByTestId('assessment-save').isDisabled()).resolves.toBe(true);
    await page.getByTestId('assessment-quizWeight').fill('25');
    await page.getByTestId('assessment-quizTarget').fill('1');
    await page.getByTestId('assessment-save').click();
    await page.getByTestId('assessment-outcome').filter({ hasText: String(year) }).waitFor();
    await expect(page.getByTestId('assessment-rule-state').getAttribute('data-custom')).resolves.toBe('true');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'yearly-result-rule');
    await page.close();

    // The unit admin's report: the cadre is 优秀 at 100; the counts per grade add up to the members.
    const admin = await zhContext(browser, { viewport: { width: 1440, height: 1000 }, timeoutMs: 30_000 });
    const report = await admin.newPage();
    await openUnitReport(report, server.url);
    const grade = report.locator(`[data-testid="unit-member"][data-user-id="${cadreId}"] [data-testid="member-grade"]`);
    await expect(grade.getAttribute('data-grade')).resolves.toBe('excellent');
    await expect(grade.getAttribute('data-score')).resolves.toBe('100');
    await expect(grade.innerText()).resolves.toContain('优秀');
    const grades = report.getByTestId('assessment-grades');
    const members = Number(await report.getByTestId('unit-totals-row').getAttribute('data-members'));
    const counts = await Promise.all(['excellent', 'pass', 'fail'].map(async (g) => Number(await grades.getAttribute(`data-${g}`))));
    expect(counts[0]).toBe(1);
    expect(counts.reduce((s, x) => s + x, 0)).toBe(members);
    expect(JSON.parse((await report.getByTestId('chart-grades').getAttribute('data-values'))!)).toEqual([counts]);
    // Sorted by the result: the best first (the cadre at 100), then the other way round.
    await report.getByTestId('sort-resultScore').click();
    const scores = () => report.locator('[data-testid="unit-member"] [data-testid="member-grade"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
    const down = await scores();
    expect(down[0]).toBe(100);
    expect(down).toEqual([...down].sort((a, b) => b - a));
    await report.getByTestId('sort-resultScore').click();
    const up = await scores();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await grades.scrollIntoViewIfNeeded();
    await screenshot(report, 'yearly-result-unit-report');

    // The cadre's study record, opened from the row: the result with its three parts.
    await report.locator(`[data-testid="unit-member"][data-user-id="${cadreId}"] [data-testid="member-record"]`).click();
    const card = report.getByTestId('record-assessment');
    await card.waitFor();
    await expect(card.getAttribute('data-grade')).resolves.toBe('excellent');
    await expect(report.getByTestId('record-assessment-part').count()).resolves.toBe(3);
    await card.scrollIntoViewIfNeeded();
    await screenshot(report, 'yearly-result-record');
    await admin.close();
  }, 90_000);
});
