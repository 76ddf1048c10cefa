/**
 * Shared set-up of the live-lecture benches (live-join.ts, live-glass.ts): the client built into
 * a private folder, a throwaway portal on 127.0.0.1 with the demo county seeded, a published live
 * lecture, Chromium (the system browser through playwright-core, never downloaded) and the
 * lecturer's page publishing and live, as in test/e2e/live-lectures.test.ts.
 *
 * The client is built into $TMPDIR/cadre-bench/client-<pid> (CLIENT_DIST), not dist/client,
 * so a bench never rewrites the build that someone's e2e run may be serving; `--client DIR`
 * uses a copy of an existing build instead (e.g. `--client dist/client`, after `npm run build`).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { benchApp } from './lib';

const run = promisify(execFile);

/** The flags of test/helpers/browser.ts (bench/ does not import test/). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS] });
}

/** Builds the client into a private folder (or copies the build in `dir` there); returns the folder. */
export async function clientBuild(dir?: string): Promise<string> {
  const out = join(tmpdir(), 'cadre-bench', `client-${process.pid}`);
  mkdirSync(out, { recursive: true });
  if (dir) {
    const abs = resolve(dir);
    if (!existsSync(join(abs, 'index.html'))) throw new Error(`no index.html in ${abs}: run npm run build first`);
    // A copy: a build running meanwhile (an e2e run rebuilds dist/client) cannot pull it away.
    cpSync(abs, out, { recursive: true });
    return out;
  }
  await run(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { maxBuffer: 16 * 1024 * 1024 });
  return out;
}

export interface LivePortal {
  url: string;
  app: Awaited<ReturnType<typeof benchApp>>['app'];
  lectureId: string;
  /** `sid=...` of a demo user, logged in through the API. */
  cookie(username: string): Promise<string>;
  close(): Promise<void>;
}

export async function livePortal(o: { client?: string; env?: Record<string, string> } = {}): Promise<LivePortal> {
  const client = await clientBuild(o.client);
  const b = await benchApp({ CLIENT_DIST: client, TRANSCODE_PRESET: 'ultrafast', ...(o.env ?? {}) });
  try {
    await seedDemo(b.app.store.models);
    const cookie = async (username: string) => {
      const res = await fetch(`${b.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    };
    const lecturer = await cookie('lecturer');
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(b.url + path, { method, headers: body === undefined ? { cookie: lecturer } : { cookie: lecturer, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json().catch(() => undefined)) as { id?: string } | undefined;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const created = await api('POST', '/api/lectures', { title: '乡村振兴战略专题直播讲座（基准）', category: 'development', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1, topic: '乡村振兴' });
    const lectureId = created!.id!;
    await api('POST', `/api/lectures/${lectureId}/publish`);
    return {
      url: b.url,
      app: b.app,
      lectureId,
      cookie,
      async close() {
        await b.close();
        rmSync(client, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await b.close();
    rmSync(client, { recursive: true, force: true });
    throw error;
  }
}

/** A browser context logged in as `username` (session cookie set, e2e hooks on). */
export async function userContext(browser: Browser, portal: LivePortal, username: string, initScript?: () => void): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  context.setDefaultTimeout(30_000);
  const [name, value] = (await portal.cookie(username)).split(';')[0]!.split('=') as [string, string];
  await context.addCookies([{ name, value, url: portal.url }]);
  // tsx (esbuild, keepNames) wraps named functions in __name(...): functions serialised into the
  // page (init scripts, evaluate) need it defined there.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await context.addInitScript(() => localStorage.setItem('e2e', '1'));
  if (initScript) await context.addInitScript(initScript);
  return context;
}

/**
 * The lecturer opens the live page, turns camera and microphone on and starts the lecture (the
 * e2e flow). Resolves once the page says live and, with `waitHls`, once the live HLS output has
 * its first segment.
 */
export async function hostLive(browser: Browser, portal: LivePortal, o: { initScript?: () => void; waitHls?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await userContext(browser, portal, 'lecturer', o.initScript);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${portal.url}/live/${portal.lectureId}`);
  await page.locator('[data-testid="live-page"][data-status="joined"][data-role="host"]').waitFor();
  await page.getByTestId('live-camera-toggle').click();
  await page.getByTestId('live-mic-toggle').click();
  await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('video[data-source="camera"][data-local="true"]')?.videoWidth ?? 0) > 0);
  await page.getByTestId('live-start').click();
  await page.locator('[data-testid="live-page"][data-state="live"]').waitFor();
  if (o.waitHls) {
    const deadline = Date.now() + 60_000;
    while (!portal.app.live.get(portal.lectureId)?.state.hls?.ready) {
      if (Date.now() > deadline) throw new Error('the live HLS output had no segment within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { context, page };
}
