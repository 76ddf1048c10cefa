/**
 * Glass-to-glass delay of a live lecture: from the moment a picture exists at the lecturer's
 * side to the moment a viewer's page presents it, p50 and p95, for the live HLS output (the
 * issue's figure) and, for comparison, for WebRTC.
 *
 * - The clock: the lecturer's page (Chromium, a portal in this process as in live-join.ts)
 *   publishes a canvas instead of a camera: an init script makes getUserMedia() return
 *   `canvas.captureStream(30)` for video (the microphone stays Chromium's fake one). Thirty
 *   times a second the canvas is painted with Date.now() as a bar code: 32 bits (the time in ms
 *   modulo 2^32) as 16 x 2 blocks of 80 x 80 px in a 1280 x 720 picture, and the same bits
 *   inverted in the two rows below, so a read is only accepted when every block and its
 *   inverse disagree clearly (a damaged or blended picture is rejected, not misread).
 * - The path is the product's: LivePage publishes the canvas track as the camera (simulcast),
 *   mediasoup forwards it, LiveService records it through a PlainTransport to ffmpeg (VP8 in,
 *   H.264 + AAC out, LIVE_SEGMENT_SECONDS segments, 1 s by default) into the live HLS playlist,
 *   and a cadre's LivePage plays it with hls.js (`live-mode` = hls, LiveHlsPlayer's settings).
 * - The reading: in the viewer's page, on requestVideoFrameCallback of the playing video (at
 *   most every --every ms), the frame is drawn to a small canvas, the bar code decoded and
 *   subtracted from Date.now() at that callback (same machine, same clock). HLS: --hls-rounds
 *   fresh viewer pages one after the other (hls.js keeps the place behind the live edge it
 *   chose at start, so one page gives one delay give or take a frame), each switched to HLS at
 *   once, given --hls-settle s, then sampled. WebRTC: the last page switches back and samples
 *   the main camera video. Meanwhile the live playlist is watched on disk: for each new
 *   segment, the clock in its last frame against the moment it was listed (the recorder's part
 *   of the HLS delay; the rest is the segment length and hls.js's hold-back). A video
 *   that stops presenting readable frames ends its sampling after a timeout, with the frames
 *   that were flat (grey, no bar code) counted apart.
 * - Loopback only; every wait is bounded.
 *
 * Human-readable lines to stderr, one JSON line to stdout.
 * `--screen`: the clock is the lecturer's screen share and Chromium's fake camera is on, so the
 * live HLS is the composite (screen + camera inset, media/live/recording-args.ts) and WebRTC is
 * read on the shared screen.
 * Run: node --import tsx bench/live-glass.ts [--samples 45] [--every 250] [--hls-rounds 3] [--hls-settle 4] [--client dist/client] [--no-webrtc] [--screen]
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { hostLive, launchChromium, livePortal, userContext } from './live-lib';
import { percentile } from './lib';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '45' },
    every: { type: 'string', default: '250' },
    'hls-settle': { type: 'string', default: '4' },
    'hls-rounds': { type: 'string', default: '3' },
    client: { type: 'string' },
    'no-webrtc': { type: 'boolean', default: false },
    // The clock as a screen share (getDisplayMedia) with Chromium's fake camera on: the live HLS
    // is then the composite (screen + camera inset) and WebRTC is read on the shared screen.
    screen: { type: 'boolean', default: false },
  },
});
const wanted = Number(values.samples);
const everyMs = Number(values.every);
const log = (line: string) => void process.stderr.write(`${line}\n`);

/** Lecturer's page: getUserMedia({ video }) answers with a canvas that shows Date.now() as a bar code. */
function clockCamera() {
  const W = 1280;
  const H = 720;
  const B = 80;
  let canvas: HTMLCanvasElement | null = null;
  const start = () => {
    if (canvas) return canvas;
    canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    // In the document (1 px on screen) so that it is painted and captured like any canvas.
    canvas.style.cssText = 'position:fixed;left:0;bottom:0;width:1px;height:1px;opacity:0.01;pointer-events:none';
    document.documentElement.appendChild(canvas);
    const ctx = canvas.getContext('2d')!;
    const draw = () => {
      const now = Date.now();
      const v = now % 4294967296;
      ctx.fillStyle = '#336';
      ctx.fillRect(0, 0, W, H);
      for (let i = 0; i < 32; i++) {
        const bit = Math.floor(v / 2 ** i) % 2;
        const x = (i % 16) * B;
        const y = Math.floor(i / 16) * B;
        ctx.fillStyle = bit ? '#fff' : '#000';
        ctx.fillRect(x, y, B, B);
        ctx.fillStyle = bit ? '#000' : '#fff';
        ctx.fillRect(x, y + 2 * B, B, B);
      }
      ctx.fillStyle = '#fff';
      ctx.font = '64px monospace';
      ctx.fillText(new Date(now).toISOString().slice(11, 23), 40, 600);
    };
    draw();
    setInterval(draw, 1000 / 30);
    return canvas;
  };
  if ((window as unknown as { __clockAsScreen?: boolean }).__clockAsScreen) {
    navigator.mediaDevices.getDisplayMedia = async () => start().captureStream(30);
    return;
  }
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
    if (!constraints?.video) return original(constraints);
    const stream = start().captureStream(30);
    if (constraints.audio) for (const t of (await original({ audio: constraints.audio })).getAudioTracks()) stream.addTrack(t);
    return stream;
  };
}

/** The lecturer's page with --screen: the clock goes to the screen share, the camera stays Chromium's. */
function clockScreen() {
  (window as unknown as { __clockAsScreen?: boolean }).__clockAsScreen = true;
}

/**
 * Viewer's page: window.__glass.sample(selector, n, everyMs, timeoutMs) collects delays of the
 * playing video; it resolves with what it has at the timeout, counting frames it could not read
 * (`rejected`) and, among them, frames that are flat (no bar code at all: a grey picture).
 */
function clockReader() {
  const grid = document.createElement('canvas');
  grid.width = 128; // 16 blocks x 8 px
  grid.height = 32; // 4 rows x 8 px
  const g = grid.getContext('2d', { willReadFrequently: true })!;
  const read = (video: HTMLVideoElement): number | 'flat' | null => {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return null;
    // The bar code is the top 4/9 of the picture: 16 x 4 blocks, each drawn as 8 x 8 px.
    g.drawImage(video, 0, 0, w, (h * 4) / 9, 0, 0, 128, 32);
    const px = g.getImageData(0, 0, 128, 32).data;
    const luma = (bx: number, by: number) => {
      let sum = 0;
      for (let y = by * 8 + 2; y < by * 8 + 6; y++) for (let x = bx * 8 + 2; x < bx * 8 + 6; x++) sum += px[(y * 128 + x) * 4 + 1]!;
      return sum / 16;
    };
    let v = 0;
    let lo = 255;
    let hi = 0;
    let ok = true;
    for (let i = 0; i < 32; i++) {
      const a = luma(i % 16, Math.floor(i / 16));
      const b = luma(i % 16, Math.floor(i / 16) + 2);
      lo = Math.min(lo, a, b);
      hi = Math.max(hi, a, b);
      if (Math.abs(a - b) < 80) ok = false;
      else if (a > b) v += 2 ** i;
    }
    if (hi - lo < 16) return 'flat';
    return ok ? v : null;
  };
  const glass = {
    sample(selector: string, n: number, every: number, timeoutMs: number): Promise<{ delays: number[]; rejected: number; flat: number }> {
      return new Promise((resolve) => {
        const delays: number[] = [];
        let rejected = 0;
        let flat = 0;
        let last = 0;
        const deadline = performance.now() + timeoutMs;
        const tick = () => {
          if (delays.length >= n || performance.now() > deadline) return resolve({ delays, rejected, flat });
          const video = document.querySelector<HTMLVideoElement>(selector);
          if (!video) return void setTimeout(tick, 100);
          video.requestVideoFrameCallback(() => {
            const now = Date.now();
            if (now - last >= every) {
              const v = read(video);
              if (v === null || v === 'flat') {
                rejected++;
                if (v === 'flat') flat++;
              } else {
                last = now;
                // Date.now() modulo 2^32 back to a full time: the one closest before now.
                let t = now - (now % 4294967296) + v;
                if (t > now + 1000) t -= 4294967296;
                delays.push(now - t);
              }
            }
            tick();
          });
        };
        // A video that presents no new frame (stalled) must not hang the sampling.
        setTimeout(() => resolve({ delays, rejected, flat }), timeoutMs + 100);
        tick();
      });
    },
  };
  (window as unknown as { __glass: typeof glass }).__glass = glass;
}

type Glass = { sample(selector: string, n: number, every: number, timeoutMs: number): Promise<{ delays: number[]; rejected: number; flat: number }> };

async function sample(page: Page, selector: string, n = wanted) {
  const timeoutMs = n * everyMs * 3 + 10_000;
  const r = await page.evaluate(([sel, count, every, t]) => (window as unknown as { __glass: Glass }).__glass.sample(sel, count, every, t), [selector, n, everyMs, timeoutMs] as const);
  const size = await page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    return v ? `${v.videoWidth}x${v.videoHeight}` : '';
  }, selector);
  const s = [...r.delays].sort((a, b) => a - b);
  const r0 = (x: number) => Math.round(x);
  return { n: s.length, p50: r0(percentile(s, 50)), p95: r0(percentile(s, 95)), min: r0(s[0] ?? NaN), max: r0(s.at(-1) ?? NaN), rejected: r.rejected, flat: r.flat, size, samples: r.delays };
}

function describe(name: string, x: { n: number; p50: number; p95: number; min: number; max: number; rejected: number; flat: number; size: string }, extra = '', want = wanted) {
  const figures = x.n ? `p50 ${x.p50} ms, p95 ${x.p95} ms, min ${x.min}, max ${x.max} over ${x.n} samples` : 'no sample';
  const short = x.n < want ? ` -- only ${x.n} of ${want} within the time allowed` : '';
  const flat = x.flat ? `; ${x.flat} of them flat (a grey picture without the bar code)` : '';
  return `${name} (${x.size}${extra}): ${figures} (${x.rejected} frames unreadable${flat})${short}`;
}

/** The bar code of a 128 x 32 grey picture of the top 4/9 of a frame (as clockReader reads it). */
function decodeGrid(px: Uint8Array): number | 'flat' | null {
  const luma = (bx: number, by: number) => {
    let sum = 0;
    for (let y = by * 8 + 2; y < by * 8 + 6; y++) for (let x = bx * 8 + 2; x < bx * 8 + 6; x++) sum += px[y * 128 + x]!;
    return sum / 16;
  };
  let v = 0;
  let lo = 255;
  let hi = 0;
  let ok = true;
  for (let i = 0; i < 32; i++) {
    const a = luma(i % 16, Math.floor(i / 16));
    const b = luma(i % 16, Math.floor(i / 16) + 2);
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
    if (Math.abs(a - b) < 80) ok = false;
    else if (a > b) v += 2 ** i;
  }
  if (hi - lo < 16) return 'flat';
  return ok ? v : null;
}

const run = promisify(execFile);

/**
 * Server side of the HLS delay: polls the live playlist every 100 ms and, for each new segment,
 * reads the clock in its last frame; the time from that picture to the segment being listed is
 * what the recorder (ffmpeg: VP8 decode, x264, segmenting) adds before any player can load it.
 */
function watchSegments(dir: string) {
  const lags: number[] = [];
  const seen = new Set<string>();
  let failures = 0;
  let flat = 0;
  let lastError = '';
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const text = await readFile(join(dir, 'index.m3u8'), 'utf8').catch(() => '');
      const listedAt = Date.now();
      for (const name of text.split('\n').filter((l) => l.trim().endsWith('.ts'))) {
        if (seen.has(name)) continue;
        seen.add(name);
        if (seen.size === 1) continue; // the first one was listed before we watched
        try {
          const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', join(dir, name), '-an', '-vf', 'crop=iw:ih*4/9:0:0,scale=128:32', '-pix_fmt', 'gray', '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
          const last = stdout.subarray(stdout.length - 128 * 32);
          const v = last.length === 128 * 32 ? decodeGrid(last) : null;
          if (v === null || v === 'flat') {
            failures++;
            if (v === 'flat') flat++;
            else lastError = `no bar code in the last frame of ${name} (${stdout.length} bytes decoded)`;
          } else {
            let t = listedAt - (listedAt % 4294967296) + v;
            if (t > listedAt + 1000) t -= 4294967296;
            lags.push(listedAt - t);
          }
        } catch (error) {
          failures++;
          lastError = `${name}: ${(error as Error).message.split('\n').slice(-2).join(' ')}`;
        }
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const s = [...lags].sort((a, b) => a - b);
      return { n: s.length, p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)), max: Math.round(s.at(-1) ?? NaN), unreadable: failures, flat, lastError, samples: lags };
    },
  };
}

const load0 = loadavg()[0]!;
log(`live-glass: ${values.client ? `copying the client build in ${values.client}` : 'building the client'} and starting the portal ...`);
const portal = await livePortal({ client: values.client });
const browser = await launchChromium();
try {
  const t0 = Date.now();
  await hostLive(browser, portal, values.screen ? { initScripts: [clockScreen, clockCamera], share: true, waitHls: true } : { initScript: clockCamera, waitHls: true });
  const hlsReadyAt = Date.now();
  log(`live-glass: lecturer live with the clock canvas as ${values.screen ? 'screen share (camera inset)' : 'camera'}; live HLS first segment ${((hlsReadyAt - t0) / 1000).toFixed(1)} s after the page opened`);
  // HLS first: it is the figure asked for, and the recording is young (see docs/benchmarks.md:
  // the recorder's picture can turn grey after some tens of seconds). hls.js keeps the place it
  // chose when it started for as long as it plays, so each round is a fresh page.
  const rounds = Number(values['hls-rounds']);
  const perRound = Math.ceil(wanted / rounds);
  const recordingSec = () => ((Date.now() - hlsReadyAt) / 1000).toFixed(0);
  const segSec = portal.app.config.mediasoup.liveSegmentSec;
  const hlsRounds: Awaited<ReturnType<typeof sample>>[] = [];
  const part = portal.app.live.get(portal.lectureId)!.parts.at(-1)!;
  const watcher = watchSegments(portal.app.storage.path(part.prefix));
  let context = await userContext(browser, portal, 'cadre', clockReader);
  let page = await context.newPage();
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      await context.close();
      context = await userContext(browser, portal, 'cadre', clockReader);
      page = await context.newPage();
    }
    await page.goto(`${portal.url}/live/${portal.lectureId}`);
    await page.locator('[data-testid="live-page"][data-status="joined"][data-state="live"]').waitFor();
    await page.getByTestId('live-mode').selectOption('hls');
    await page.getByTestId('live-hls-video').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="live-hls-video"]')?.currentTime ?? 0) > 0.5, undefined, { timeout: 60_000 });
    await sleep(Number(values['hls-settle']) * 1000);
    const from = recordingSec();
    const r = await sample(page, '[data-testid="live-hls-video"]', perRound);
    hlsRounds.push(r);
    log(describe(`  HLS round ${round + 1}`, r, `, sampled ${from}-${recordingSec()} s after the first segment`, perRound));
  }
  const all = hlsRounds.flatMap((r) => r.samples).sort((a, b) => a - b);
  const r0 = (x: number) => Math.round(x);
  const hls = {
    n: all.length, p50: r0(percentile(all, 50)), p95: r0(percentile(all, 95)), min: r0(all[0] ?? NaN), max: r0(all.at(-1) ?? NaN),
    rejected: hlsRounds.reduce((a, r) => a + r.rejected, 0), flat: hlsRounds.reduce((a, r) => a + r.flat, 0), size: hlsRounds.at(-1)?.size ?? '',
    roundsP50: hlsRounds.map((r) => r.p50), samples: hlsRounds.flatMap((r) => r.samples),
  };
  log(describe('HLS', hls, `, ${segSec} s segments, hls.js liveSyncDuration 1.5 s (client/src/lib/player/hls-config.ts), ${rounds} players one after the other`, rounds * perRound));
  const recorder = await watcher.stop();
  log(`  of which the recorder: a segment is listed ${recorder.p50} ms (p50; p95 ${recorder.p95}, max ${recorder.max}) after the picture in its last frame, over ${recorder.n} segments (${recorder.unreadable} unreadable${recorder.flat ? `, ${recorder.flat} of them flat grey` : ''}${recorder.lastError ? `; ${recorder.lastError}` : ''})`);

  let webrtc: Awaited<ReturnType<typeof sample>> | null = null;
  if (!values['no-webrtc']) {
    await page.getByTestId('live-mode').selectOption('webrtc');
    const sel = `video[data-source="${values.screen ? 'screen' : 'camera'}"]:not([data-local])`;
    await page.waitForFunction((s) => (document.querySelector<HTMLVideoElement>(s)?.videoWidth ?? 0) > 0, sel, { timeout: 30_000 });
    await sleep(2000);
    webrtc = await sample(page, sel);
    log(describe('WebRTC', webrtc));
    if (hls.n && webrtc.n) log(`  HLS - WebRTC p50: ${((hls.p50 - webrtc.p50) / 1000).toFixed(2)} s (HLS / WebRTC ${(hls.p50 / webrtc.p50).toFixed(0)}x)`);
  }
  log(`  ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'live-glass', screen: values.screen, samples: wanted, everyMs, segmentSec: segSec,
      hls, recorder, webrtc,
      cpus: cpus().length, loadAvg1mBefore: Math.round(load0 * 100) / 100, loadAvg1mAfter: Math.round(loadavg()[0]! * 100) / 100,
    })}\n`,
  );
  await context.close();
} finally {
  await browser.close();
  await portal.close();
}
