/**
 * Ticks sent together (STUDY_BEATS_PER_REQUEST, default 4) in Chromium against the real portal:
 * a cadre plays a lecture with 5-s ticks; the page sends `play` at once, then keeps its ticks in
 * the outbox (localStorage) and sends them four to a request, each stamped when it was made; the
 * strip shows the page's estimate meanwhile and says the server confirms every 20 s; the page
 * keeps counting through the silence; a pause goes at once and takes the waiting ticks along;
 * the credited progress is the server's. Screenshot: test-results/screenshots/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchBrowser, screenshot, zhContext } from '../helpers/browser';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { apiLogin } from '../helpers/api';
import { playMuted } from '../helpers/player';
import { startServer } from '../helpers/server';
import { outboxDrained, outboxSize } from '../helpers/study-outbox';
import { signIn } from '../helpers/ui-login';

interface SentBeat {
  seq: number;
  event: string;
  clientAt: number;
  position: number;
}

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let dir: string;
let lectureId = '';

beforeAll(async () => {
  dir = await makeMediaTmpDir('e2e-beat-batch-');
  const [clip] = await Promise.all([makeClip(dir, { seconds: 45, width: 640, height: 360 }), buildClient()]);
  // 5-s ticks (the shortest allowed) and the default of four a request: a request every 20 s.
  server = await startServer({ TRANSCODE_PRESET: 'superfast', HEARTBEAT_SECONDS: '5' });
  browser = await launchBrowser();
  const lecturer = await apiLogin(server.url, 'lecturer');
  lectureId = await publishClip(server.url, lecturer, clip, { title: '乡村振兴政策解读（心跳合并发送）', summary: '通榆县干部自主选学示范课。', topic: '乡村振兴', category: 'service', creditHours: 1, required: false });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await removeDir(dir);
});

describe('ticks sent together', () => {
  it('sends play at once, then four ticks a request, keeps counting in between, and a pause at once with the ticks waiting', async () => {
    expect(lectureId).toMatch(/^[0-9a-f]{24}$/);
    const context = await zhContext(browser);
    await context.addInitScript(() => localStorage.setItem('e2e', '1'));
    const page = await context.newPage();
    try {
      await signIn(page, server.url, 'cadre');

      const requests: { at: number; beats: SentBeat[] }[] = [];
      const answers: { acks: unknown[]; sessions: Record<string, { counting: boolean; progress: number }> }[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/api/study/heartbeats') && r.method() === 'POST') requests.push({ at: Date.now(), beats: (r.postDataJSON() as { beats: SentBeat[] }).beats });
      });
      page.on('response', async (r) => {
        if (r.url().endsWith('/api/study/heartbeats') && r.request().method() === 'POST' && r.status() === 200) answers.push(await r.json());
      });
      const opened = page.waitForResponse((r) => r.url().endsWith(`/api/lectures/${lectureId}/playback`) && r.request().method() === 'POST');
      await page.goto(`${server.url}/lectures/${lectureId}`);
      const playback = (await (await opened).json()) as { playbackId: string; heartbeatSec: number; beatsPerRequest: number };
      expect(playback).toMatchObject({ heartbeatSec: 5, beatsPerRequest: 4 });
      await playMuted(page);
      const strip = page.getByTestId('study-progress');

      // Play goes at once, alone.
      await expect.poll(() => requests.length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(1);
      expect(requests[0]!.beats.map((b) => b.event)).toEqual(['play']);

      // Ticks wait, stored in the outbox; the page still counts and shows its own estimate. A tick
      // is due 5 s after the last beat of any kind, and hls.js may seek to the start as it attaches
      // (a seek goes at once too), so the test waits for two held ticks rather than for a time.
      await expect.poll(() => outboxSize(page), { timeout: 25_000, interval: 200 }).toBeGreaterThanOrEqual(2);
      const events = () => requests.flatMap((r) => r.beats.map((b) => b.event));
      expect(events().filter((e) => e === 'tick')).toEqual([]);
      await expect(strip.getAttribute('data-counting')).resolves.toBe('true');
      await page.waitForFunction(() => document.querySelector('[data-testid="study-progress"]')?.getAttribute('data-estimating') === 'true', undefined, { timeout: 10_000 });
      await expect(strip.getAttribute('title')).resolves.toContain('每 20 秒由服务器确认一次');
      await screenshot(page, 'study-beat-batching-waiting');

      // The fourth tick sends all four in one request, each stamped when it was made.
      await expect.poll(() => events().filter((e) => e === 'tick').length, { timeout: 25_000, interval: 100 }).toBeGreaterThanOrEqual(4);
      const ticks = requests.find((r) => r.beats.some((b) => b.event === 'tick'))!.beats;
      expect(ticks.map((b) => b.event)).toEqual(['tick', 'tick', 'tick', 'tick']);
      expect(ticks.map((b) => b.seq - ticks[0]!.seq)).toEqual([0, 1, 2, 3]);
      const gaps = ticks.slice(1).map((b, i) => b.clientAt - ticks[i]!.clientAt);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(4_900);
      for (const gap of gaps) expect(gap).toBeLessThan(7_000);
      expect(ticks[3]!.position - ticks[0]!.position).toBeGreaterThan(13);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="study-progress"]')?.getAttribute('data-progress')) > 0.3, undefined, { timeout: 10_000 });
      const answer = answers.find((a) => a.acks.length === 4)!;
      expect(answer.sessions[playback.playbackId]).toMatchObject({ counting: true });
      expect(answer.sessions[playback.playbackId]!.progress).toBeGreaterThan(0.3);
      await outboxDrained(page);

      // A pause goes at once, with the ticks made since (the test waits for one to be held).
      await expect.poll(() => outboxSize(page), { timeout: 15_000, interval: 200 }).toBeGreaterThanOrEqual(1);
      const before = requests.length;
      await page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!.pause());
      await expect.poll(() => requests.length, { timeout: 10_000, interval: 50 }).toBeGreaterThan(before);
      const last = requests[before]!.beats.map((b) => b.event);
      expect(last.at(-1)).toBe('pause');
      expect(last.filter((e) => e === 'tick').length).toBeGreaterThanOrEqual(1);
      await outboxDrained(page);
      await expect(strip.getAttribute('data-counting')).resolves.toBe('true');
      const seqs = requests.flatMap((r) => r.beats.map((b) => b.seq));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      // ~25 s of watching with 5-s ticks: five ticks in two requests (one a beat would be five).
      expect(requests.filter((r) => r.beats.some((b) => b.event === 'tick'))).toHaveLength(2);
      await screenshot(page, 'study-beat-batching-paused');
    } finally {
      await context.close();
    }
  }, 120_000);
});
