/**
 * Completion and the certificate (结业证书) in Chromium. A class that ends today has the demo
 * cadre 张伟 (checked in and out of its one session) and 王芳 (checked in only). The org admin opens
 * the class's completion check: 张伟 meets the rules, 王芳 misses presence; completing those who
 * meet them credits 张伟 alone, with a serial. 张伟 opens his certificate (one A4 landscape page
 * when printed; one column on a phone), whose QR code encodes the verification URL; opened signed
 * out, it says the certificate is valid with his name and hours; an altered code is not found.
 * Then a class opened to nominations with a unit quota: the unit admin nominates a cadre of their
 * units from 推荐调训, the org admin confirms and the cadre is on the roster.
 * Screenshots: test-results/screenshots/training-certificate*.png.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import QRCode from 'qrcode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../server/modules/auth/password';
import { DEMO_PASSWORD } from '../../server/seed/demo';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { startServer } from '../helpers/server';
import { signIn } from '../helpers/ui-login';

const run = promisify(execFile);
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let classId = '';
let futureId = '';
let zhang = '';

async function api(method: string, url: string, cookie: string, payload?: object) {
  const res = await server.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return res.json() as any;
}

beforeAll(async () => {
  await buildClient();
  server = await startServer();
  browser = await launchBrowser();
  const { app } = server;
  const { User, OrgUnit, TrainingSession, TrainingAttendance } = app.store.models;
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'orgadmin', password: DEMO_PASSWORD } });
  const admin = `sid=${login.cookies.find((c) => c.name === 'sid')!.value}`;
  zhang = String((await User.findOne({ username: 'cadre' }).lean())!._id);
  const unit = (await OrgUnit.findOne({ name: '苏公坨村党支部' }).lean())!._id;
  const wang = await User.create({ username: 'e2e-wang', displayName: '王芳', passwordHash: await hashPassword('xuexi2026', { N: 1024 }), role: 'cadre', rank: 'township', orgUnitId: unit });
  const today = app.calendar.day(Date.now());
  const day = (n: number) => app.calendar.addDays(today, n);
  classId = (await api('POST', '/api/training/classes', admin, { name: '基层党建示范培训班', cohort: 3, category: '专题培训', channel: 'county', organiser: '中共某某县委组织部', startDay: day(-2), endDay: today, withdrawBy: day(-3), venue: '县委党校', capacity: 40, creditHours: 24, applications: false })).id;
  await api('POST', `/api/training/classes/${classId}/assignments`, admin, { userIds: [zhang, String(wang._id)] });
  futureId = (await api('POST', '/api/training/classes', admin, { name: '年轻干部推荐调训班', category: '岗位培训', channel: 'county', startDay: day(20), endDay: day(22), capacity: 20, creditHours: 16, applications: false })).id;
  await User.create({ username: 'e2e-li', displayName: '李强', passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: unit });
  const start = app.calendar.dayAt(day(-1), 9);
  const s = await TrainingSession.create({ classId, kind: 'in-person', title: '专题辅导:抓党建促乡村振兴', startAt: new Date(start), endAt: new Date(start + 3 * 3600_000), venue: '县委党校' } as never);
  const sid = String(s._id);
  await TrainingAttendance.create({ _id: `${sid}:${zhang}`, classId, sessionId: sid, userId: zhang, checkInAt: new Date(start - 300_000), checkInVia: 'qr', checkOutAt: new Date(start + 3 * 3600_000), checkOutVia: 'qr' });
  await TrainingAttendance.create({ _id: `${sid}:${String(wang._id)}`, classId, sessionId: sid, userId: wang._id, checkInAt: new Date(start), checkInVia: 'qr' });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function pdfFacts(page: Page) {
  const file = join(tmpdir(), `training-certificate-${Date.now()}.pdf`);
  await writeFile(file, await page.pdf({ preferCSSPageSize: true, printBackground: true }));
  const info = (await run('pdfinfo', [file])).stdout;
  const text = (await run('pdftotext', ['-layout', file, '-'])).stdout;
  const [w, h] = /Page size:\s+([\d.]+) x ([\d.]+)/.exec(info)!.slice(1).map(Number) as [number, number];
  return { pages: Number(/Pages:\s+(\d+)/.exec(info)![1]), w, h, text };
}

describe('completion and the certificate in the browser', () => {
  let url = '';

  it('lets the org admin check the rules and complete those who meet them', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await signIn(page, server.url, 'orgadmin');
    await page.goto(`${server.url}/admin/training`);
    const card = page.locator('[data-testid="class-card"][data-class-name="基层党建示范培训班"]');
    await card.getByTestId('class-roster-toggle').click();
    await card.getByTestId('class-tab-completion').click();
    await card.locator('[data-testid="completion-row"][data-username="cadre"][data-met="true"]').waitFor();
    await card.locator('[data-testid="completion-row"][data-username="e2e-wang"][data-met="false"]').waitFor();
    await card.getByTestId('complete-met').click();
    await card.getByTestId('completion-message').waitFor();
    const serial = await card.locator('[data-testid="completion-row"][data-username="cadre"] [data-testid="certificate-serial"]').innerText();
    expect(serial).toMatch(/^\d{4}-培训-\d{3}-0001$/);
    await card.locator('[data-testid="completion-row"][data-username="cadre"][data-state="completed"]').waitFor();
    expect(await card.locator('[data-testid="completion-row"][data-username="e2e-wang"]').getAttribute('data-state')).toBe('enrolled');
    await screenshot(page, 'training-certificate-completion-check');
    await card.getByTestId('class-tab-sheet').click();
    await card.locator('[data-testid="sheet-row"][data-username="cadre"]').waitFor();
    await screenshot(page, 'training-certificate-sign-in-sheet');
    await context.close();
  });

  it('shows the cadre a certificate that prints on one A4 landscape page, with a QR code of its verification URL', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await signIn(page, server.url, 'cadre');
    await page.goto(`${server.url}/training/certificates/${classId}`);
    await page.getByTestId('certificate').waitFor();
    expect(await page.getByTestId('certificate-body').innerText()).toContain('张伟');
    url = (await page.getByTestId('certificate-qr-link').getAttribute('href'))!;
    expect(url).toMatch(/\/verify-certificate\/[0-9a-f]{24}-[0-9a-f]{16}$/);
    // The QR image is the URL's code: the same encoder with the server's options draws the same PNG.
    expect(await page.getByTestId('certificate-qr').getAttribute('src')).toBe(await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 1, width: 220 }));
    await screenshot(page, 'training-certificate');
    const pdf = await pdfFacts(page);
    expect(pdf.pages).toBe(1);
    expect(pdf.w).toBeGreaterThan(pdf.h); // landscape
    expect(Math.round(pdf.w)).toBe(842);
    for (const s of ['结 业 证 书', '张伟', '基层党建示范培训班', '24']) expect(pdf.text).toContain(s);
    expect(pdf.text).not.toContain('打印证书');
    // The class's hours are in the cadre's yearly record (学习档案), under training classes.
    const cadreId = String((await server.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    await page.goto(`${server.url}/study-record/${cadreId}/${server.app.calendar.year(Date.now())}`);
    const channel = page.locator('[data-testid="record-channel"][data-channel="training"]');
    await channel.waitFor();
    expect(Number(await channel.getAttribute('data-hours'))).toBeGreaterThanOrEqual(24);
    expect(Number(await page.getByTestId('record-sheet').getAttribute('data-total'))).toBeGreaterThanOrEqual(24);
    await screenshot(page, 'training-certificate-study-record');
    await context.close();

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 2 });
    const mobile = await phone.newPage();
    await signIn(mobile, server.url, 'cadre');
    await mobile.goto(`${server.url}/training/certificates/${classId}`);
    await mobile.getByTestId('certificate').waitFor();
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(mobile, 'training-certificate-phone');
    await phone.close();
  });

  it('opens the QR URL signed out: valid, with the name, class and hours; an altered code is not found', async () => {
    const anon = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const page = await anon.newPage();
    await page.goto(url.replace(/^https?:\/\/[^/]+/, server.url));
    const verdict = page.getByTestId('verify-verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('valid');
    expect(await page.getByTestId('verify-name').innerText()).toBe('张伟');
    expect(await page.getByTestId('verify-hours').innerText()).toBe('24');
    expect(await page.getByTestId('verify-serial').innerText()).toMatch(/-培训-\d{3}-0001$/);
    await screenshot(page, 'training-certificate-verify');
    const altered = url.replace(/.$/, (c) => (c === '0' ? '1' : '0')).replace(/^https?:\/\/[^/]+/, server.url);
    await page.goto(altered);
    await page.locator('[data-testid="verify-verdict"][data-verdict="invalid"]').waitFor();
    await anon.close();
  });

  it('opens a class to nominations; the unit admin nominates a cadre of their units; the org admin confirms', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const org = await context.newPage();
    await signIn(org, server.url, 'orgadmin');
    await org.goto(`${server.url}/admin/training`);
    const card = org.locator('[data-testid="class-card"][data-class-name="年轻干部推荐调训班"]');
    await card.getByTestId('class-roster-toggle').click();
    await card.getByTestId('class-tab-nominations').click();
    await card.getByTestId('nom-open').check();
    await card.getByTestId('nom-add-unit').click();
    await card.getByTestId('nom-unit').selectOption({ label: '苏公坨乡党委' });
    await card.getByTestId('nom-quota').fill('2');
    await card.getByTestId('nom-save').click();
    await card.getByText('苏公坨乡党委: 剩余 2/2').waitFor();

    const unitCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const ua = await unitCtx.newPage();
    await signIn(ua, server.url, 'unitadmin');
    await ua.goto(`${server.url}/admin/training/nominations`);
    const cls = ua.locator('[data-testid="nomination-class"][data-class-name="年轻干部推荐调训班"]');
    await cls.getByTestId('nomination-search').fill('李强');
    await cls.getByTestId('nomination-search').press('Enter');
    await cls.locator('[data-testid="nominate"][data-username="e2e-li"]').click();
    await cls.locator('[data-testid="my-nomination"][data-username="e2e-li"][data-state="pending"]').waitFor();
    await cls.getByText('苏公坨乡党委: 剩余 1/2').waitFor();
    await screenshot(ua, 'training-certificate-nominations');

    await org.reload();
    await card.getByTestId('class-roster-toggle').click();
    await card.getByTestId('class-tab-nominations').click();
    await card.getByTestId('nom-confirm').click();
    await card.locator('[data-testid="nomination-row"][data-username="e2e-li"][data-state="confirmed"]').waitFor();
    await card.getByTestId('class-tab-roster').click();
    await card.locator('[data-testid="roster-row"][data-username="e2e-li"][data-state="enrolled"]').waitFor();
    await unitCtx.close();
    await context.close();
  });
});
