/**
 * The class manager's service worker (registered by /class-manager/<session> with that scope).
 * It keeps the page shell so the page opens in a village without a network: the page itself
 * (network first, with a short deadline, else the kept copy), every built file it names (cache
 * first: their names carry a content hash), and the last answers the page needs to start (who is
 * signed in, the session's roster), network first. Scans themselves wait in the page's own queue
 * (localStorage), never here: uploading them is the page's job, exactly once by their keys.
 */
const SHELL = 'class-manager-shell-v1';
const NAV_TIMEOUT_MS = 2000;
const ASSET_REF = /["'`(]\s*(?:\.\/|\/?assets\/)([\w.-]+\.(?:js|css|woff2?|ttf|otf|svg|png|webp))/g;

async function cacheAssets(cache, html) {
  const seen = new Set();
  const queue = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  while (queue.length) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    let response = await cache.match(path);
    if (!response) {
      response = await fetch(path).catch(() => undefined);
      if (!response || !response.ok) continue;
      await cache.put(path, response.clone());
    }
    if (/\.(?:js|css)$/.test(path)) for (const m of (await response.text()).matchAll(ASSET_REF)) queue.push(`/assets/${m[1]}`);
  }
}

self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      const page = await fetch('/class-manager', { cache: 'no-store' });
      if (!page.ok) return;
      const html = await page.clone().text();
      await cache.put('/class-manager', page);
      // Who is signed in: the app asks first, and would send an offline phone to the login page.
      const me = await fetch('/api/auth/me', { cache: 'no-store' }).catch(() => undefined);
      if (me && me.ok) await cache.put('/api/auth/me', me);
      await cacheAssets(cache, html);
    })().catch(() => {}),
  );
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

const withDeadline = (promise, ms) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

/** Network first; the kept copy (under `key`) when the network fails or is too slow. */
async function networkFirst(request, key, ms) {
  const cache = await caches.open(SHELL);
  try {
    const response = await withDeadline(fetch(request), ms);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Every page of the app is the same shell (index.html).
  if (request.mode === 'navigate') return event.respondWith(networkFirst(request, '/class-manager', NAV_TIMEOUT_MS));
  if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') return event.respondWith(cacheFirst(request));
  if (url.pathname === '/api/auth/me' || /^\/api\/training-sessions\/[0-9a-f]{24}\/attendance$/.test(url.pathname)) return event.respondWith(networkFirst(request, url.pathname, 8000));
});
