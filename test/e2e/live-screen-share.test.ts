/**
 * A lecturer shares the screen with the camera on, in Chromium against the real portal,
 * mediasoup worker and ffmpeg: camera (a red picture from a generated file), microphone and
 * screen share (Chromium's fake screen, green, 1280x720) are turned on at once before 开始直播;
 * the live HLS is recorded at the screen's size with the camera as a small inset at the bottom
 * right: checked on frames decoded from its segments by ffmpeg, and on the frame a cadre's page
 * shows when it plays the live HLS with hls.js. The share stops: the live HLS goes on with the
 * camera alone at its top size. Meanwhile a viewer watches over WebRTC; the lecturer's mediasoup
 * worker is killed and later the portal restarts, mid-lecture: the recording goes on with the
 * inset after each. The replay's source keeps the live timeline (within one segment) at the
 * screen's size, the inset included; every live part and every rung of the transcoded replay
 * passes a check of target duration, keyframe-aligned segments and browser-playable codecs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMediaPlaylist } from '../../media/hls/playlist';
import { apiCall, apiLogin as login } from '../helpers/api';
import { buildClient, launchBrowser, screenshot } from '../helpers/browser';
import { colourName, colourShare, decodeFrame, type DecodedFrame } from '../helpers/live-screen';
import { checkRungs } from '../helpers/rung-check';
import { startServer } from '../helpers/server';

const run = promisify(execFile);
const PASSWORD = 'tongyu2026';
const CAMERA = { width: 1280, height: 720 };
const SCREEN = { width: 1280, height: 720 };
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let fixtures = '';
let lectureId = '';
const contexts: BrowserContext[] = [];

const apiLogin = (username: string, password = PASSWORD) => login(server.url, username, password);
const api = (method: string, path: string, cookie: string, body?: unknown) => apiCall(server.url, method, path, cookie, body);

beforeAll(async () => {
  fixtures = await mkdtemp(join(tmpdir(), 'live-share-e2e-'));
  // Chromium loops this file as its fake camera: a plain red picture, told apart from the screen.
  const camera = join(fixtures, 'camera.y4m');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=red:size=${CAMERA.width}x${CAMERA.height}:rate=10`, '-t', '1', '-pix_fmt', 'yuv420p', camera]);
  await buildClient();
  server = await startServer({ TRANSCODE_PRESET: 'ultrafast', LIVE_SEGMENT_SECONDS: '2' });
  browser = await launchBrowser({ fakeMedia: true, args: [`--use-file-for-fake-video-capture=${camera}`, '--auto-select-desktop-capture-source=Entire screen'] });
  const lecturer = await apiLogin('lecturer');
  const created = await api('POST', '/api/lectures', lecturer, { title: '屏幕共享直播讲座', category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1 });
  lectureId = created.id;
  await api('POST', `/api/lectures/${lectureId}/publish`, lecturer);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

async function open(username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  contexts.push(context);
  context.setDefaultTimeout(20_000);
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  return page;
}

/** The screen is the picture; the camera a quarter of its width at the bottom right. */
function expectInset(frame: DecodedFrame, where: string) {
  const { width: w, height: h } = frame;
  expect(`${w}x${h}`, where).toBe(`${SCREEN.width}x${SCREEN.height}`);
  const insetW = w / 4;
  const insetH = (insetW * CAMERA.height) / CAMERA.width;
  const right = w - Math.trunc(w / 64) * 2;
  const bottom = h - Math.trunc(h / 64) * 2;
  expect(colourShare(frame, [right - insetW + 8, bottom - insetH + 8, right - 8, bottom - 8], 'red'), `${where}: the inset`).toBeGreaterThan(0.95);
  expect(colourName(frame.rgb(right - insetW / 2, bottom - insetH / 2)), where).toBe('red');
  // The screen around it: Chromium's fake screen is green (a moving figure and text on dark green).
  expect(colourShare(frame, [0, 0, w, bottom - insetH - 16], 'green'), `${where}: the screen above the inset`).toBeGreaterThan(0.9);
  expect(colourShare(frame, [0, bottom - insetH, right - insetW - 16, h], 'red'), `${where}: no camera left of the inset`).toBe(0);
}

describe('live lecture with a screen share', () => {
  it('records the screen with the camera inset at the screen size, shows it on the live HLS page and keeps it in the replay', async () => {
    const host = await open('lecturer');
    await host.goto(`${server.url}/live/${lectureId}`);
    await host.locator('[data-testid="live-page"][data-status="joined"][data-role="host"]').waitFor();
    await host.getByTestId('live-preview').click();
    // Camera, microphone and screen share turned on in the same instant, before 开始直播: the
    // three share the page's one send transport (opened once, not raced for).
    const entry = () => server.app.live.get(lectureId)!;
    const sources = () => entry().room?.producers().map((p) => p.source).sort().join(',');
    await host.evaluate(() => {
      for (const id of ['live-camera-toggle', 'live-mic-toggle', 'live-screen-toggle']) document.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`)!.click();
    });
    await expect.poll(sources, { timeout: 20_000 }).toBe('camera,mic,screen');
    // The page learns each producer's id from the server's answer, a moment after the server has it.
    await expect.poll(() => host.evaluate(() => Object.values(window.__live!.local).every((t) => Boolean(t?.producerId))), { timeout: 10_000 }).toBe(true);
    await host.getByTestId('live-start').click();
    await host.locator('[data-testid="live-page"][data-state="live"]').waitFor();

    // The live HLS: one part with the screen and the camera, on air.
    await expect.poll(() => entry().state.hls?.ready ?? false, { timeout: 30_000 }).toBe(true);
    const part = entry().parts.at(-1)!;
    expect(part.screenProducerId && part.videoProducerId && part.audioProducerId).toBeTruthy();
    const dir = server.app.storage.path(part.prefix);
    const listed = async () => parseMediaPlaylist(await readFile(join(dir, 'index.m3u8'), 'utf8')).segments;
    await expect.poll(async () => (await listed()).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const segments = await listed();
    expectInset(await decodeFrame(join(dir, segments[1]!.uri)), 'segment 1');
    expectInset(await decodeFrame(join(dir, segments.at(-1)!.uri)), 'the last segment');
    await screenshot(host, 'live-screen-share-host');

    // A cadre plays the live HLS with hls.js: its picture is the screen with the camera inset.
    const viewer = await open('cadre');
    await viewer.goto(`${server.url}/live/${lectureId}`);
    await viewer.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor();
    await viewer.getByTestId('live-mode').selectOption('hls');
    const video = viewer.getByTestId('live-hls-video');
    await video.waitFor({ timeout: 30_000 });
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 30_000 }).toBeGreaterThan(0.5);
    const shown = await video.evaluate((v: HTMLVideoElement) => {
      const c = document.createElement('canvas');
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      const g = c.getContext('2d')!;
      g.drawImage(v, 0, 0);
      return { width: c.width, height: c.height, data: Array.from(g.getImageData(0, 0, c.width, c.height).data) };
    });
    expectInset(
      {
        width: shown.width,
        height: shown.height,
        rgb: (x, y) => {
          const i = (Math.round(y) * shown.width + Math.round(x)) * 4;
          return [shown.data[i]!, shown.data[i + 1]!, shown.data[i + 2]!];
        },
      },
      'the live HLS page',
    );
    await screenshot(viewer, 'live-screen-share-hls');

    // A viewer over WebRTC at the same time: the lecturer's screen at its size, and the camera.
    const rtc = await open('unitadmin');
    await rtc.goto(`${server.url}/live/${lectureId}`);
    await rtc.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor();
    await expect.poll(() => rtc.getByTestId('live-page').getAttribute('data-path'), { timeout: 30_000 }).toBe('webrtc');
    const rtcSizes = () => rtc.evaluate(() => Object.fromEntries([...document.querySelectorAll<HTMLVideoElement>('video[data-source][data-peer]')].map((v) => [v.dataset.source!, `${v.videoWidth}x${v.videoHeight}`])));
    await expect.poll(async () => (await rtcSizes()).screen, { timeout: 30_000 }).toBe(`${SCREEN.width}x${SCREEN.height}`);
    await expect.poll(async () => (await rtcSizes()).camera ?? '0x0', { timeout: 30_000 }).not.toBe('0x0');
    await screenshot(rtc, 'live-screen-share-webrtc');

    // The live HLS part on air now shows the screen with the camera inset, decoded from its playlist.
    const store = () => server.app.store.models.Lecture;
    const storedParts = async () => ((await store().findById(lectureId).lean())!.live?.parts ?? []).length;
    const insetOnAir = async (since: number, what: string) => {
      await expect.poll(async () => {
        const e = server.app.live.get(lectureId);
        const last = e?.parts.at(-1);
        if (!e?.state.hls?.ready || !last || e.state.hls.part !== last.index || !last.screenProducerId || (await storedParts()) <= since) return false;
        return (await stat(join(server.app.storage.path(last.prefix), 'index.m3u8')).then(() => true, () => false));
      }, { timeout: 90_000, interval: 1_000 }).toBe(true);
      expectInset(await decodeFrame(join(server.app.storage.path(server.app.live.get(lectureId)!.parts.at(-1)!.prefix), 'index.m3u8'), 0.5), what);
    };

    // The lecturer's mediasoup worker dies: the room heals, the page publishes camera, microphone
    // and screen again, and the recording goes on in a new part, the inset included.
    let since = await storedParts();
    process.kill(entry().room!.routerLoads()[0]!.workerPid, 'SIGKILL');
    await insetOnAir(since, 'after the worker died');
    await expect.poll(async () => (await rtcSizes()).screen, { timeout: 30_000 }).toBe(`${SCREEN.width}x${SCREEN.height}`);

    // The portal restarts mid-lecture: the pages reconnect by themselves, and the recording goes
    // on into the same folder (the parts from before are kept in the store for the replay).
    since = await storedParts();
    await server.restart();
    await insetOnAir(since, 'after the portal restarted');
    await host.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor({ timeout: 30_000 });

    // The share stops: the next part is the camera alone, at the camera's top size (the camera's
    // top layer may come back only once the share's bandwidth is free: then a part more).
    await host.getByTestId('live-screen-toggle').click();
    const onAir = async () => {
      const e = entry();
      const last = e.parts.at(-1)!;
      if (!e.state.hls?.ready || e.state.hls.part !== last.index || last.screenProducerId) return 'waiting';
      const frame = await decodeFrame(join(server.app.storage.path(last.prefix), 'index.m3u8'), 0.5);
      return `${frame.width}x${frame.height} ${colourShare(frame, [0, 0, frame.width, frame.height], 'red') > 0.95 ? 'red' : 'not red'}`;
    };
    await expect.poll(onAir, { timeout: 40_000, interval: 1_000 }).toBe(`${CAMERA.width}x${CAMERA.height} red`);
    await new Promise((r) => setTimeout(r, 4_000));

    await host.getByTestId('live-end').click();
    await host.locator('[data-testid="live-page"][data-state="ended"]').waitFor();

    // The replay's source keeps the live timeline at the screen's size: the inset while shared.
    const lecture = async () => (await server.app.store.models.Lecture.findById(lectureId).lean())!;
    await expect.poll(async () => Boolean((await lecture()).live?.replayLectureId), { timeout: 60_000 }).toBe(true);
    const live = await lecture();
    const source = server.app.storage.path(`lectures/${String(live.live!.replayLectureId)}/source/recording.mp4`);
    await expect.poll(() => stat(source).then(() => true, () => false), { timeout: 120_000, interval: 1_000 }).toBe(true);
    const duration = Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', source])).stdout);
    const parts = [...(live.live!.parts ?? [])].sort((x, y) => x.offsetSec! - y.offsetSec!);
    expect(Math.abs(duration - live.durationSec!), `replay ${duration} s for a ${live.durationSec} s timeline; parts ${JSON.stringify(parts)}`).toBeLessThanOrEqual(2);
    expectInset(await decodeFrame(source, parts[0]!.offsetSec! + 2), 'the replay while shared');
    const after = await decodeFrame(source, parts.at(-1)!.offsetSec! + 2);
    expect(`${after.width}x${after.height}`).toBe(`${SCREEN.width}x${SCREEN.height}`);
    expect(colourShare(after, [SCREEN.width / 2 - 200, 100, SCREEN.width / 2 + 200, SCREEN.height - 100], 'red'), 'the replay after the share').toBeGreaterThan(0.95);
    // Every part of the live HLS (before and after the worker death and the restart) was one
    // browser-playable rung.
    // (A part stopped before its first segment, e.g. when the camera came back a moment after the
    // screen, has no length and was never on air: the replay leaves it out too.)
    const recorded = parts.filter((p) => (p.durationSec ?? 0) > 0);
    expect(recorded.length, JSON.stringify(parts)).toBeGreaterThanOrEqual(4);
    for (const p of recorded) {
      const report = await checkRungs(join(server.app.storage.path(p.prefix!), 'index.m3u8'));
      expect(report.problems, `live part ${p.index} of ${JSON.stringify(parts)}: ${(await readdir(server.app.storage.path(p.prefix!))).join(' ')}`).toEqual([]);
    }

    // The replay, transcoded by the queue, plays at the lecturer's top size; every rung passes.
    const replayId = String(live.live!.replayLectureId);
    // The whole ladder: rendered, and no rung still pending (the lowest is watchable first).
    const ladderDone = async () => {
      const media = (await store().findById(replayId).lean())?.media as { renditions?: unknown[]; pending?: string[]; growing?: string[] } | undefined;
      return Boolean(media?.renditions?.length) && !media?.pending?.length && !media?.growing?.length;
    };
    await expect.poll(ladderDone, { timeout: 300_000, interval: 2_000 }).toBe(true);
    const replay = (await store().findById(replayId).lean())!;
    const ladder = await checkRungs(server.app.storage.path(`${replay.media!.prefix}/${replay.media!.master}`));
    expect(ladder.problems).toEqual([]);
    expect(ladder.rungs.map((r) => r.size)).toContain(`${SCREEN.width}x${SCREEN.height}`);
    console.log(`live-screen-share e2e | ${parts.length} parts, replay ${duration.toFixed(1)} s for a ${live.durationSec} s timeline; replay rungs ${JSON.stringify(ladder.rungs.map((r) => [r.playlist, r.size ?? 'audio', r.segments, r.targetSec]))}`);
  }, 720_000);
});
