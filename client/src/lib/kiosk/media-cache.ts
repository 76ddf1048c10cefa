/**
 * Replays scheduled for the next days, fetched ahead into Cache Storage (预先缓存), so a station
 * on a thin link plays them smoothly. One rendition is kept per lecture: the best the time before
 * the session allows at the rate this kiosk measured on its earlier cache fetches (rung-choice.ts),
 * given up for a lower one while fetching when the rate falls. The kiosk plays that rendition's
 * playlist directly, so the player never asks for a rung that is not cached. Files are stored
 * under /kiosk-cache/<lecture>/<path>, where the service worker (sw/kiosk-sw.ts) finds them.
 */
import { anySignal, timeoutSignal } from '../api/client.ts';
import { chooseRung, defaultRung, nextRate, parseRungs, shouldFallBack, type Rung } from './rung-choice.ts';

export const MEDIA_CACHE = 'kiosk-media-v1';
const MANIFEST_PREFIX = 'kiosk:cache:';
const RATE_KEY = 'kiosk:rate';

export interface CachedReplay {
  lectureId: string;
  /** Path of the cached rendition's playlist, relative to the HLS folder. */
  variant: string;
  segments: number;
  cachedSegments: number;
  bytes: number;
  complete: boolean;
  /** Height of the cached rendition (0: audio only or unknown). */
  height?: number;
}

/** What the choice of rung needs to know about the session. */
export interface PrefetchPlan {
  durationSec: number;
  /** Seconds until the session starts (server time). */
  secondsLeft: () => number;
}

/** The download rate measured on earlier cache fetches (bytes/s), kept across restarts. */
export function readRate(): number | null {
  const n = Number(localStorage.getItem(RATE_KEY) ?? NaN);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function noteRate(bytes: number, ms: number) {
  const rate = nextRate(readRate(), bytes, ms);
  try {
    if (rate !== null) localStorage.setItem(RATE_KEY, String(Math.round(rate)));
  } catch {
    // storage full
  }
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

/** The rendition kept when nothing is known of the link: lowest video rung >= 360p, else the lowest. */
export function pickVariant(master: string): string | null {
  return defaultRung(parseRungs(master))?.uri ?? null;
}

export function segmentUris(playlist: string): string[] {
  return playlist
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** No file of a replay takes longer than this, even on a thin link: a black-holed fetch gives up and the next refresh resumes. */
const FETCH_DEADLINE_MS = 60_000;
const withDeadline = (signal: AbortSignal | undefined) => (signal ? anySignal([signal, timeoutSignal(FETCH_DEADLINE_MS)]) : timeoutSignal(FETCH_DEADLINE_MS));

const dirOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '');

/**
 * Fetches one replay into the cache (resuming where an earlier run stopped), at the rung the plan
 * allows (rung-choice.ts). `masterUrl` is the playback's master URL; progress is reported after
 * every segment.
 */
export async function prefetchReplay(lectureId: string, masterUrl: string, plan: PrefetchPlan, onProgress?: (m: CachedReplay) => void, signal?: AbortSignal): Promise<CachedReplay> {
  const cache = await caches.open(MEDIA_CACHE);
  const base = masterUrl.slice(0, masterUrl.lastIndexOf('/') + 1);
  const rungs = parseRungs(await (await fetch(masterUrl, { signal: withDeadline(signal) })).text());
  const earlier = readManifest(lectureId);
  const input = (cachedBytes: Record<string, number>) => ({ durationSec: plan.durationSec, secondsLeft: plan.secondsLeft(), bytesPerSec: readRate(), cachedBytes });
  let rung: Rung | null = chooseRung(rungs, input(earlier ? { [earlier.variant]: earlier.bytes } : {}));
  // Nothing measured yet: the default rung is a probe; after a few segments the choice is made
  // once with the rate they showed (up or down). After that, only down.
  let probing = readRate() === null;
  const reconsider = (current: Rung, m: CachedReplay): Rung | null => {
    if (probing && m.cachedSegments >= PROBE_SEGMENTS) {
      probing = false;
      const best = chooseRung(rungs, input({ [current.uri]: m.bytes }));
      return best && best.uri !== current.uri ? best : null;
    }
    return probing ? null : shouldFallBack(rungs, current.uri, input({ [current.uri]: m.bytes }));
  };
  for (;;) {
    const current = rung;
    const variant = current?.uri ?? masterUrl.slice(base.length);
    const next = await fetchRendition(cache, lectureId, base, variant, current?.height ?? 0, onProgress, signal, (m) => (current ? reconsider(current, m) : null));
    if ('complete' in next) return next;
    rung = next; // another rung for the rest (its own segments: the player plays one rendition)
  }
}

const PROBE_SEGMENTS = 3;

/** Fetches one rendition; stops early, answering the rung to fall back to, when `fallBack` names one. */
async function fetchRendition(
  cache: Cache,
  lectureId: string,
  base: string,
  variant: string,
  height: number,
  onProgress: ((m: CachedReplay) => void) | undefined,
  signal: AbortSignal | undefined,
  fallBack: (m: CachedReplay) => Rung | null,
): Promise<CachedReplay | Rung> {
  const playlistRes = await fetch(base + variant, { signal: withDeadline(signal) });
  if (!playlistRes.ok) throw new Error(`playlist ${playlistRes.status}`);
  const playlistText = await playlistRes.text();
  await cache.put(cacheKey(lectureId, variant), new Response(playlistText, { headers: { 'content-type': 'application/vnd.apple.mpegurl' } }));
  const segs = segmentUris(playlistText);
  const m: CachedReplay = { lectureId, variant, segments: segs.length, cachedSegments: 0, bytes: 0, complete: false, height };
  for (const seg of segs) {
    const rel = dirOf(variant) + seg;
    const key = cacheKey(lectureId, rel);
    const hit = await cache.match(key);
    if (hit) {
      m.bytes += Number(hit.headers.get('content-length') ?? 0) || (await hit.clone().arrayBuffer()).byteLength;
    } else {
      const started = performance.now();
      const res = await fetch(base + rel, { signal: withDeadline(signal) });
      if (!res.ok) throw new Error(`segment ${res.status}`);
      const body = await res.arrayBuffer();
      noteRate(body.byteLength, performance.now() - started);
      await cache.put(key, new Response(body, { headers: { 'content-type': res.headers.get('content-type') ?? 'video/mp2t', 'content-length': String(body.byteLength) } }));
      m.bytes += body.byteLength;
    }
    m.cachedSegments++;
    writeManifest(m);
    onProgress?.({ ...m });
    if (m.cachedSegments < segs.length) {
      const lower = fallBack(m);
      if (lower) return lower;
    }
  }
  // A rung still being made (a growing EVENT playlist, issue 20) is cached as far as it goes and
  // stays incomplete: the next refresh fetches the longer playlist and the segments added since.
  m.complete = playlistEnded(playlistText);
  writeManifest(m);
  onProgress?.({ ...m });
  return m;
}

/** True when a media playlist is finished (#EXT-X-ENDLIST), false while it may still grow. */
export function playlistEnded(playlist: string): boolean {
  return /^#EXT-X-ENDLIST\s*$/m.test(playlist);
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
