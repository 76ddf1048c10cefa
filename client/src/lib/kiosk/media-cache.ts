/**
 * Replays scheduled for the next days, fetched ahead into Cache Storage (预先缓存), so a station
 * on a thin link plays them smoothly. One rendition is kept per lecture (the lowest video rung at
 * or above 360p, or the lowest there is): the kiosk plays that rendition's playlist directly, so
 * the player never asks for a rung that is not cached. Files are stored under
 * /kiosk-cache/<lecture>/<path>, where the service worker (sw/kiosk-sw.ts) finds them.
 */
export const MEDIA_CACHE = 'kiosk-media-v1';
const MANIFEST_PREFIX = 'kiosk:cache:';

export interface CachedReplay {
  lectureId: string;
  /** Path of the cached rendition's playlist, relative to the HLS folder. */
  variant: string;
  segments: number;
  cachedSegments: number;
  bytes: number;
  complete: boolean;
}

export function cacheKey(lectureId: string, rel: string): string {
  return `/kiosk-cache/${lectureId}/${rel}`;
}

export function readManifest(lectureId: string): CachedReplay | null {
  try {
    const raw = localStorage.getItem(MANIFEST_PREFIX + lectureId);
    return raw ? (JSON.parse(raw) as CachedReplay) : null;
  } catch {
    return null;
  }
}

function writeManifest(m: CachedReplay) {
  try {
    localStorage.setItem(MANIFEST_PREFIX + m.lectureId, JSON.stringify(m));
  } catch {
    // storage full: the cache still works for this page
  }
}

/** Picks the rendition to keep from a master playlist: lowest video rung >= 360p, else the lowest. */
export function pickVariant(master: string): string | null {
  const lines = master.split('\n').map((l) => l.trim());
  const rungs: { uri: string; bandwidth: number; height: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const uri = lines.slice(i + 1).find((l) => l && !l.startsWith('#'));
    if (!uri) continue;
    const bandwidth = Number(/BANDWIDTH=(\d+)/.exec(line)?.[1] ?? 0);
    const height = Number(/RESOLUTION=\d+x(\d+)/.exec(line)?.[1] ?? 0);
    rungs.push({ uri, bandwidth, height });
  }
  if (!rungs.length) return null;
  const video = rungs.filter((r) => r.height > 0).sort((a, b) => a.bandwidth - b.bandwidth);
  const pick = video.find((r) => r.height >= 360) ?? video[0] ?? [...rungs].sort((a, b) => a.bandwidth - b.bandwidth)[0]!;
  return pick.uri;
}

export function segmentUris(playlist: string): string[] {
  return playlist
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

const dirOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '');

/**
 * Fetches one replay into the cache (resuming where an earlier run stopped). `masterUrl` is the
 * playback's signed master URL; progress is reported after every segment.
 */
export async function prefetchReplay(lectureId: string, masterUrl: string, onProgress?: (m: CachedReplay) => void, signal?: AbortSignal): Promise<CachedReplay> {
  const cache = await caches.open(MEDIA_CACHE);
  const base = masterUrl.slice(0, masterUrl.lastIndexOf('/') + 1);
  const masterText = await (await fetch(masterUrl, { signal })).text();
  const variant = pickVariant(masterText) ?? masterUrl.slice(base.length);
  const playlistRes = await fetch(base + variant, { signal });
  if (!playlistRes.ok) throw new Error(`playlist ${playlistRes.status}`);
  const playlistText = await playlistRes.text();
  await cache.put(cacheKey(lectureId, variant), new Response(playlistText, { headers: { 'content-type': 'application/vnd.apple.mpegurl' } }));
  const segs = segmentUris(playlistText);
  const m: CachedReplay = { lectureId, variant, segments: segs.length, cachedSegments: 0, bytes: 0, complete: false };
  for (const seg of segs) {
    const rel = dirOf(variant) + seg;
    const key = cacheKey(lectureId, rel);
    const hit = await cache.match(key);
    if (hit) {
      m.bytes += Number(hit.headers.get('content-length') ?? 0) || (await hit.clone().arrayBuffer()).byteLength;
    } else {
      const res = await fetch(base + rel, { signal });
      if (!res.ok) throw new Error(`segment ${res.status}`);
      const body = await res.arrayBuffer();
      await cache.put(key, new Response(body, { headers: { 'content-type': res.headers.get('content-type') ?? 'video/mp2t', 'content-length': String(body.byteLength) } }));
      m.bytes += body.byteLength;
    }
    m.cachedSegments++;
    writeManifest(m);
    onProgress?.({ ...m });
  }
  m.complete = true;
  writeManifest(m);
  onProgress?.({ ...m });
  return m;
}

/** Drops cached replays of lectures no longer scheduled. */
export async function pruneCache(keepLectureIds: Set<string>): Promise<void> {
  const cache = await caches.open(MEDIA_CACHE);
  for (const req of await cache.keys()) {
    const id = /\/kiosk-cache\/([0-9a-f]{24})\//i.exec(new URL(req.url).pathname)?.[1];
    if (id && !keepLectureIds.has(id)) await cache.delete(req);
  }
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i)!;
    if (key.startsWith(MANIFEST_PREFIX) && !keepLectureIds.has(key.slice(MANIFEST_PREFIX.length))) localStorage.removeItem(key);
  }
}
