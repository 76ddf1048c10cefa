/// <reference lib="webworker" />
/**
 * The station kiosk's service worker (built to /kiosk-sw.js, registered by the kiosk page only).
 * - Replay media prefetched by the kiosk (lib/kiosk/media-cache.ts) is served from Cache Storage:
 *   a request for /media/station/<lecture>/<path> (the station's own media URLs) or
 *   /media/hls/<token>/<path> (the lecture read from the token's payload; the server checked the
 *   token when the file was fetched for the cache) is answered from /kiosk-cache/<lecture>/<path>
 *   when cached, so a thin or broken link does not stop a replay.
 * - The kiosk page and every built file it can need are kept too: its scripts and styles, the
 *   chunks loaded lazily (the hls.js player, loaded only when a session plays) and the fonts and
 *   images they name, found by following the references from the page (cacheAssets). So a
 *   station that restarts after a power cut with no network still opens its page, and its
 *   first-ever session can start while the link is down. The page is network-first with a short
 *   deadline (a black-holed link falls back to the kept page within NAV_TIMEOUT_MS); a changed
 *   page (a new build) is followed again.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;
const MEDIA_CACHE = 'kiosk-media-v1';
const SHELL_CACHE = 'kiosk-shell-v1';
const NAV_TIMEOUT_MS = 1500;

/** A built file named in a page, script or style: `/assets/x`, `assets/x` or `./x` (chunks name their siblings so). */
const ASSET_REF = /["'`(]\s*(?:\.\/|\/?assets\/)([\w.-]+\.(?:js|css|woff2?|ttf|otf|svg|png|webp))/g;

/** Keeps every built file reachable from the page's HTML, following scripts and styles to their chunks and fonts. */
async function cacheAssets(cache: Cache, html: string): Promise<void> {
  const seen = new Set<string>();
  const queue = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  while (queue.length) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    let response = await cache.match(path);
    if (!response) {
      response = await fetch(path).catch(() => undefined);
      if (!response?.ok) continue;
      await cache.put(path, response.clone());
    }
    if (/\.(?:js|css)$/.test(path)) for (const m of (await response.text()).matchAll(ASSET_REF)) queue.push(`/assets/${m[1]}`);
  }
}

/** Keeps the kiosk page and everything it can need, so a restart without network still opens it. */
async function cacheShell(): Promise<void> {
  const cache = await caches.open(SHELL_CACHE);
  const page = await fetch('/kiosk', { cache: 'no-store' });
  if (!page.ok) return;
  const html = await page.clone().text();
  await cache.put('/kiosk', page);
  await cacheAssets(cache, html);
}

sw.addEventListener('install', (event) => {
  void sw.skipWaiting();
  event.waitUntil(cacheShell().catch(() => {}));
});
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));

function lectureOf(token: string): string | null {
  try {
    const payload = token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload)) as { l?: unknown };
    return typeof claims.l === 'string' && /^[0-9a-f]{24}$/i.test(claims.l) ? claims.l : null;
  } catch {
    return null;
  }
}

async function mediaFromCache(key: string, request: Request): Promise<Response> {
  const cache = await caches.open(MEDIA_CACHE);
  const hit = await cache.match(key);
  return hit ?? fetch(request);
}

async function networkFirst(event: FetchEvent): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await Promise.race([
      fetch(event.request),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), NAV_TIMEOUT_MS)),
    ]);
    if (response.ok) {
      const [html, kept] = await Promise.all([response.clone().text(), cache.match('/kiosk').then((r) => r?.text())]);
      await cache.put('/kiosk', response.clone());
      // A new build: keep what it needs before the link fails.
      if (html !== kept) event.waitUntil(cacheAssets(cache, html).catch(() => {}));
    }
    return response;
  } catch (error) {
    const hit = await cache.match('/kiosk');
    if (hit) return hit;
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  const station = /^\/media\/station\/([0-9a-f]{24})\/(.+)$/i.exec(url.pathname);
  if (station) {
    event.respondWith(mediaFromCache(`/kiosk-cache/${station[1]}/${station[2]}`, request));
    return;
  }
  const media = /^\/media\/hls\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (media) {
    const lecture = lectureOf(media[1]!);
    if (lecture) event.respondWith(mediaFromCache(`/kiosk-cache/${lecture}/${media[2]}`, request));
    return;
  }
  if (request.mode === 'navigate' && url.pathname === '/kiosk') {
    event.respondWith(networkFirst(event));
    return;
  }
  if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') event.respondWith(cacheFirst(request));
});
