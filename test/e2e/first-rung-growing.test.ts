/**
 * First rung first, while it is made (issue 20), in Chromium against the real portal: a lecturer
 * uploads a 40 s 1280x720 lecture; as soon as its lowest rung has a few segments the lecture is
 * watchable. A cadre finds it in the catalog marked 视频处理中，可从头观看, opens it, and hls.js
 * plays it from the start (not from the end of what is made, as a growing playlist would by
 * default); a seek past what is made stops short of it. Then the encoder goes on, the rung is
 * finished, and the same player goes on playing without a reload, the notice gone.
 * The lecturer's studio says the rung is published while it is processed.
 * The encoder reads its source at 2× real time (an ffmpeg wrapper adding `-readrate 2`) and is
 * paused (SIGSTOP) once the rung is listed, so the growing state lasts as long as the test looks.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, apiLogin } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { continuePaused } from '../helpers/process';
import { startServer } from '../helpers/server';
import { tusUpload } from '../helpers/tus';
import { signIn } from '../helpers/ui-login';

const TITLE = '边处理边观看：村级事务公开专题';
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dir: string;
let clip: string;
const stopped = new Set<number>();

/** The first pass's ffmpeg (the wrapper's `-readrate`, the 360p rung alone). */
function firstPassEncoders(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('-readrate') && argv.some((a) => a.includes('name:360p')) && !argv.some((a) => a.includes('name:720p'))) pids.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

const resume = () => continuePaused(stopped);

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-growing-');
  const wrapper = join(dir, 'ffmpeg-readrate-2');
  await writeFile(wrapper, '#!/bin/sh\nexec ffmpeg -readrate 2 "$@"\n');
  await chmod(wrapper, 0o755);
  [clip] = await Promise.all([makeClip(dir, { seconds: 40, width: 1280, height: 720 }), buildClient()]);
  server = await startServer({ TRANSCODE_PRESET: 'ultrafast', FFMPEG_PATH: wrapper });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  resume();
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

describe('a lecture watchable while its lowest rung is made', () => {
  it('plays from the start while it grows, seeks only within what is made, and goes on once it is finished', async () => {
    const lecturer = await apiLogin(server.url, 'lecturer');
    const created = await apiCall(server.url, 'POST', '/api/lectures', lecturer, { title: TITLE, category: 'service', creditHours: 1 });
    const id = created.id as string;
    const up = await tusUpload(server.url, lecturer, clip, { lectureId: id }, { chunkSize: 4 * 1024 * 1024 });
    expect(up.error).toBeUndefined();

    // Listed while growing: hold the encoder there.
    const deadline = Date.now() + 60_000;
    let lecture = await apiCall(server.url, 'GET', `/api/lectures/${id}`, lecturer);
    while (!lecture.growingRungs?.length) {
      expect(lecture.processing.state, JSON.stringify(lecture.processing)).not.toMatch(/failed|rejected|ready/);
      expect(lecture.renditions ?? [], 'the first rung was finished before it was seen growing').toEqual([]);
      if (Date.now() > deadline) throw new Error(`never listed while growing: ${JSON.stringify(lecture.processing)}`);
      await new Promise((r) => setTimeout(r, 100));
      lecture = await apiCall(server.url, 'GET', `/api/lectures/${id}`, lecturer);
    }
    const pids = firstPassEncoders();
    expect(pids.length).toBe(1);
    for (const pid of pids) {
      process.kill(pid, 'SIGSTOP');
      stopped.add(pid);
    }
    lecture = await apiCall(server.url, 'GET', `/api/lectures/${id}`, lecturer);
    expect(lecture.growingRungs).toEqual(['360p']);
    expect(lecture.renditions).toEqual(['360p']);
    expect(lecture.processing.state).toBe('running');
    expect(lecture.durationSec).toBeGreaterThanOrEqual(39);
    await apiCall(server.url, 'POST', `/api/lectures/${id}/publish`, lecturer);

    // The lecturer's studio says the lowest rung is published while it is processed.
    const studio = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1 });
    try {
      const page = await studio.newPage();
      await signIn(page, server.url, 'lecturer');
      await page.goto(`${server.url}/studio`);
      await expect(page.getByTestId('processing-growing').first().innerText({ timeout: 20_000 })).resolves.toBe('标清 360p 边处理边发布：学员已可从头观看。');
      await screenshot(page, 'first-rung-growing-studio');
    } finally {
      await studio.close();
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', deviceScaleFactor: 1 });
    context.setDefaultTimeout(20_000);
    await context.addInitScript(() => localStorage.setItem('e2e', '1'));
    const page = await context.newPage();
    try {
      await signIn(page, server.url, 'cadre');
      await page.goto(`${server.url}/?q=${encodeURIComponent('村级事务公开')}`);
      await expect(page.getByTestId('still-encoding').first().innerText()).resolves.toBe('视频处理中，可从头观看');
      await screenshot(page, 'first-rung-growing-catalog');

      await page.goto(`${server.url}/lectures/${id}`);
      await page.waitForFunction(() => window.__player?.controller.madeSec !== null && window.__player?.controller.madeSec !== undefined, undefined, { timeout: 20_000 });
      const made = await page.evaluate(() => window.__player!.controller.madeSec!);
      expect(made).toBeGreaterThanOrEqual(8);
      expect(made).toBeLessThan(40);
      await expect(page.getByTestId('player-still-encoding').innerText()).resolves.toContain('视频处理中：已可观看至');
      // The whole lecture's length, not what is made so far.
      await expect(page.getByTestId('player-duration').innerText()).resolves.toBe('0:40');
      await page.evaluate(() => {
        window.__player!.video.muted = true;
        void window.__player!.video.play();
      });
      await page.waitForFunction(() => window.__player!.video.currentTime > 1.5, undefined, { timeout: 20_000 });
      // From the start, not from the end of what is made.
      expect(await page.evaluate(() => window.__player!.video.currentTime)).toBeLessThan(8);
      await screenshot(page, 'first-rung-growing-player');

      // A click near the end of the bar stops short of what is made.
      const bar = page.getByTestId('player-seek');
      const box = (await bar.boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.97, box.y + box.height / 2);
      const landed = await page.evaluate(() => window.__player!.video.currentTime);
      expect(landed).toBeLessThanOrEqual(made);
      expect(landed).toBeGreaterThan(made - 3);

      // The encoder goes on; the same player learns the rung is finished and keeps playing.
      resume();
      await page.getByTestId('player-still-encoding').waitFor({ state: 'detached', timeout: 90_000 });
      expect(await page.evaluate(() => window.__player!.controller.failure)).toBeNull();
      await page.evaluate(() => window.__player!.video.currentTime = 20);
      const at = await page.evaluate(() => window.__player!.video.currentTime);
      await page.waitForFunction((t0) => window.__player!.video.currentTime > t0 + 1, at, { timeout: 20_000 });
      await screenshot(page, 'first-rung-growing-finished');
    } finally {
      await context.close();
    }
  }, 240_000);
});
