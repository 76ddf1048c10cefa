/**
 * Join latency of a live lecture in Chromium: a cadre on the lecture page clicks "enter the live
 * lecture" (`lecture-enter-live`), and we time the click to the first decoded frame of the
 * lecturer's camera on the live page. p50 and p95 over `--joins` joins (default 20).
 *
 * - A portal in this process (fresh FerretDB, demo county, client built privately: live-lib.ts),
 *   one mediasoup worker; the lecturer's page publishes Chromium's fake camera (simulcast) and
 *   microphone and is live for the whole run, as in test/e2e/live-lectures.test.ts.
 * - One browser. Each join is a new context (logged in as `cadre` by cookie, so the login page
 *   is not part of it), the lecture page loaded and idle, then the click; the context is closed
 *   after the join and the next one starts a second later. One untimed join first (`--warmup`)
 *   warms the server, the worker and the browser's caches; its figure is printed apart.
 * - Measured in the page, on its clock (performance.now()), with an init script:
 *   click = a capture-phase listener on the link (the SPA navigates without reloading);
 *   joined = the live page says data-status="joined" (signaling answered, before any media);
 *   first frame = the first requestVideoFrameCallback of the main `video[data-source="camera"]`
 *   (not the local preview): the first decoded frame handed to the compositor. The result is
 *   cross-checked with `window.__live.videoStats()` (framesDecoded > 0).
 * - Loopback only; every wait is bounded.
 *
 * Human-readable lines to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/live-join.ts [--joins 20] [--warmup 1] [--client dist/client]
 */
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { hostLive, launchChromium, livePortal, userContext } from './live-lib';
import { percentile } from './lib';

const { values } = parseArgs({
  options: {
    joins: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '1' },
    client: { type: 'string' },
    pause: { type: 'string', default: '1000' },
  },
});
const joins = Number(values.joins);
const warmup = Number(values.warmup);
const log = (line: string) => void process.stderr.write(`${line}\n`);

interface Marks {
  click?: number;
  joined?: number;
  frame?: number;
}

/** Installed in every document of a viewer context: records the marks in window.__join. */
function joinProbe() {
  const marks: Marks = {};
  (window as unknown as { __join: Marks }).__join = marks;
  document.addEventListener(
    'click',
    (e) => {
      if ((e.target as Element | null)?.closest?.('[data-testid="lecture-enter-live"]')) marks.click = performance.now();
    },
    true,
  );
  const hooked = new WeakSet<HTMLVideoElement>();
  const scan = () => {
    if (marks.joined === undefined && document.querySelector('[data-testid="live-page"][data-status="joined"]')) marks.joined = performance.now();
    for (const v of document.querySelectorAll<HTMLVideoElement>('video[data-source="camera"]:not([data-local])')) {
      if (hooked.has(v)) continue;
      hooked.add(v);
      v.requestVideoFrameCallback((now) => {
        if (marks.frame === undefined) marks.frame = now;
      });
    }
  };
  new MutationObserver(scan).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
}

async function oneJoin(browser: Browser, portal: Awaited<ReturnType<typeof livePortal>>) {
  const context = await userContext(browser, portal, 'cadre', joinProbe);
  try {
    const page = await context.newPage();
    await page.goto(`${portal.url}/lectures/${portal.lectureId}`);
    const link = page.getByTestId('lecture-enter-live');
    await link.waitFor();
    await page.waitForLoadState('networkidle');
    await link.click();
    await page.waitForFunction(() => (window as unknown as { __join: Marks }).__join.frame !== undefined, undefined, { timeout: 30_000, polling: 50 }).catch(async (error: unknown) => {
      const state = await page.evaluate(async () => ({
        url: location.pathname,
        marks: (window as unknown as { __join: Marks }).__join,
        page: document.querySelector('[data-testid="live-page"]')?.getAttribute('data-status'),
        mode: document.querySelector('[data-testid="live-page"]')?.getAttribute('data-mode'),
        videos: [...document.querySelectorAll<HTMLVideoElement>('video')].map((v) => ({ source: v.dataset.source, local: v.dataset.local, readyState: v.readyState, width: v.videoWidth, hasSrc: Boolean(v.srcObject) })),
        stats: await window.__live?.videoStats(),
      }));
      throw new Error(`no first frame within 30 s: ${JSON.stringify(state)}`, { cause: error });
    });
    const marks = await page.evaluate(() => (window as unknown as { __join: Marks }).__join);
    const decoded = await page.evaluate(async () => {
      const room = window.__live;
      const host = room?.peers.find((p) => p.role === 'host');
      const stats = (await room?.videoStats()) ?? [];
      return stats.filter((s) => s.source === 'camera' && s.peerId === host?.peerId).reduce((m, s) => Math.max(m, s.framesDecoded), 0);
    });
    if (marks.click === undefined || marks.frame === undefined) throw new Error(`missing marks ${JSON.stringify(marks)}`);
    if (decoded <= 0) throw new Error('first frame reported but getStats shows no decoded frame');
    return { frameMs: marks.frame - marks.click, joinedMs: marks.joined !== undefined ? marks.joined - marks.click : NaN };
  } finally {
    await context.close();
  }
}

const load0 = loadavg()[0]!;
log(`live-join: ${values.client ? `copying the client build in ${values.client}` : 'building the client'} and starting the portal ...`);
const portal = await livePortal({ client: values.client });
const browser = await launchChromium();
try {
  await hostLive(browser, portal);
  log(`live-join: lecturer live (fake camera, simulcast + microphone); ${warmup} warm-up + ${joins} timed joins by a cadre, a new browser context each`);
  const warm: { frameMs: number; joinedMs: number }[] = [];
  for (let i = 0; i < warmup; i++) {
    warm.push(await oneJoin(browser, portal));
    log(`  warm-up: first frame ${warm.at(-1)!.frameMs.toFixed(0)} ms after the click (joined at ${warm.at(-1)!.joinedMs.toFixed(0)} ms)`);
    await sleep(Number(values.pause));
  }
  const samples: { frameMs: number; joinedMs: number }[] = [];
  for (let i = 0; i < joins; i++) {
    samples.push(await oneJoin(browser, portal));
    const s = samples.at(-1)!;
    log(`  join ${String(i + 1).padStart(2)}: first frame ${s.frameMs.toFixed(0).padStart(5)} ms after the click (joined ${s.joinedMs.toFixed(0)} ms)`);
    await sleep(Number(values.pause));
  }
  // Every viewer left (context closed): the room should be back to the lecturer alone.
  await sleep(2000);
  const entry = portal.app.live.get(portal.lectureId);
  const leftover = { peers: entry?.session.peers.size ?? 0, consumers: entry?.room?.routerLoads().reduce((a, r) => a + r.consumers, 0) ?? 0, routers: entry?.room?.routerLoads().length ?? 0 };
  log(`  after the joins: ${leftover.peers} peer(s) in the session, ${leftover.consumers} consumer(s) on ${leftover.routers} router(s) (the lecturer and the recorder's consumers expected)`);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const f = sorted(samples.map((s) => s.frameMs));
  const j = sorted(samples.map((s) => s.joinedMs));
  const r0 = (x: number) => Math.round(x);
  const summary = { n: f.length, p50: r0(percentile(f, 50)), p95: r0(percentile(f, 95)), min: r0(f[0]!), max: r0(f.at(-1)!) };
  const joined = { p50: r0(percentile(j, 50)), p95: r0(percentile(j, 95)) };
  log(`click -> first decoded frame over ${summary.n} joins: p50 ${summary.p50} ms, p95 ${summary.p95} ms, min ${summary.min} ms, max ${summary.max} ms`);
  log(`  of which click -> joined (signaling answered): p50 ${joined.p50} ms, p95 ${joined.p95} ms; ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'live-join', joins, warmup, method: 'requestVideoFrameCallback on the main camera video, cross-checked with getStats framesDecoded',
      firstFrameMs: summary, joinedMs: joined, leftover, warmupMs: warm.map((w) => r0(w.frameMs)), samplesMs: samples.map((s) => r0(s.frameMs)),
      cpus: cpus().length, loadAvg1mBefore: Math.round(load0 * 100) / 100, loadAvg1mAfter: Math.round(loadavg()[0]! * 100) / 100,
    })}\n`,
  );
} finally {
  await browser.close();
  await portal.close();
}
