/**
 * Chromium for the end-to-end tests, driven by playwright-core against the system browser
 * (/usr/bin/chromium, or CHROMIUM_PATH): browsers are never downloaded. `fakeMedia` adds the
 * flags that give getUserMedia a synthetic camera/microphone without a permission prompt.
 * `buildClient()` builds the SPA into dist/client once per test process, before the portal
 * starts (the server decides at boot whether it has a client to serve).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';

export interface LaunchOptions {
  /** Fake camera and microphone, auto-accepted (for live-classroom tests). */
  fakeMedia?: boolean;
  /** Show the window (debugging); default headless. */
  headed?: boolean;
  /** More Chromium flags (e.g. a fake camera from a file, an auto-selected screen to share). */
  args?: string[];
}

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: !options.headed,
    args: [...BASE_ARGS, ...(options.fakeMedia ? FAKE_MEDIA_ARGS : []), ...(options.args ?? [])],
  });
}

export interface ContextOptions {
  /** Default a 1280×900 desktop. */
  viewport?: { width: number; height: number };
  /** How long a wait or click may take before the test fails; default 20 s. */
  timeoutMs?: number;
  acceptDownloads?: boolean;
}

/** A zh-CN browser context at device scale 1, as the portal's users see it. */
export async function zhContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  const { viewport = { width: 1280, height: 900 }, timeoutMs = 20_000, acceptDownloads } = options;
  const context = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1, ...(acceptDownloads ? { acceptDownloads } : {}) });
  context.setDefaultTimeout(timeoutMs);
  return context;
}

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/screenshots', import.meta.url));

/** Saves a full-page PNG to test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let clientBuild: Promise<void> | undefined;

/** `vite build` of the SPA (into E2E_CLIENT_DIST when set, else dist/client). */
export function runViteBuild(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', ...(process.env.E2E_CLIENT_DIST ? ['--outDir', path.resolve(process.env.E2E_CLIENT_DIST), '--emptyOutDir'] : [])], { cwd: ROOT }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`vite build failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}

/**
 * The SPA built for this run. The e2e project's global setup builds it once for every file
 * (test/helpers/global-setup.ts provides `clientBuilt`); a file run on its own without it builds
 * here, once per process. E2E_SKIP_BUILD=1 reuses an existing build; E2E_CLIENT_DIST builds into
 * (and serves from) another folder, so two runners on one tree do not overwrite each other's.
 */
export function buildClient(): Promise<void> {
  if (process.env.E2E_SKIP_BUILD === '1' || inject('clientBuilt')) return Promise.resolve();
  clientBuild ??= runViteBuild();
  return clientBuild;
}
