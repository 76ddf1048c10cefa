/**
 * Which rendition (rung) of a replay a kiosk caches before its session: pure, unit-tested.
 * - The download rate is measured from the kiosk's own cache fetches (bytes over the time each
 *   segment took), smoothed (EWMA) so one slow or fast segment does not swing it.
 * - A rung's size is its average bitrate (AVERAGE-BANDWIDTH, else BANDWIDTH) times the
 *   duration. The time it may take is the time left before the session starts, times a margin
 *   (the link is shared, rates vary): the highest video rung that fits is chosen.
 * - Nothing measured yet: the lowest video rung at or above 360p (it plays on a TV and is
 *   small); nothing fits: the lowest video rung (it still plays from the cache when the
 *   session begins, whatever has been fetched).
 * - While fetching, a rung that no longer fits (the rate fell) is given up for the one that
 *   does: `shouldFallBack`.
 */
export interface Rung {
  uri: string;
  /** bits per second (average when the playlist says it). */
  bitrate: number;
  height: number;
}

export const DEFAULT_MARGIN = 0.6;

export function parseRungs(master: string): Rung[] {
  const lines = master.split('\n').map((l) => l.trim());
  const rungs: Rung[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const uri = lines.slice(i + 1).find((l) => l && !l.startsWith('#'));
    if (!uri) continue;
    const avg = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(line)?.[1] ?? 0);
    const peak = Number(/[:,]BANDWIDTH=(\d+)/.exec(line)?.[1] ?? 0);
    const height = Number(/RESOLUTION=\d+x(\d+)/.exec(line)?.[1] ?? 0);
    rungs.push({ uri, bitrate: avg || peak, height });
  }
  return rungs;
}

/** Bytes a rung of `durationSec` takes. */
export const rungBytes = (r: Rung, durationSec: number) => (r.bitrate / 8) * durationSec;

export interface ChoiceInput {
  durationSec: number;
  /** Seconds until the session starts (<= 0: it is on). */
  secondsLeft: number;
  /** Measured download rate, bytes per second; null when nothing was measured yet. */
  bytesPerSec: number | null;
  /** Bytes of this lecture already in the cache for each rung uri (resumed fetches). */
  cachedBytes?: Record<string, number>;
  margin?: number;
}

function byBitrate(rungs: readonly Rung[]) {
  const video = rungs.filter((r) => r.height > 0).sort((a, b) => a.bitrate - b.bitrate);
  return video.length ? video : [...rungs].sort((a, b) => a.bitrate - b.bitrate);
}

export function defaultRung(rungs: readonly Rung[]): Rung | null {
  const sorted = byBitrate(rungs);
  return sorted.find((r) => r.height >= 360) ?? sorted[0] ?? null;
}

export function chooseRung(rungs: readonly Rung[], input: ChoiceInput): Rung | null {
  const sorted = byBitrate(rungs);
  if (!sorted.length) return null;
  if (input.bytesPerSec === null || !(input.bytesPerSec > 0) || !(input.durationSec > 0)) return defaultRung(rungs);
  const budget = input.bytesPerSec * Math.max(0, input.secondsLeft) * (input.margin ?? DEFAULT_MARGIN);
  const fits = sorted.filter((r) => rungBytes(r, input.durationSec) - (input.cachedBytes?.[r.uri] ?? 0) <= budget);
  return fits.at(-1) ?? sorted[0]!;
}

/** While fetching `current`: give it up for a lower rung when what is left of it no longer fits. */
export function shouldFallBack(rungs: readonly Rung[], current: string, input: ChoiceInput): Rung | null {
  const next = chooseRung(rungs, input);
  const cur = rungs.find((r) => r.uri === current);
  if (!next || !cur || next.bitrate >= cur.bitrate) return null;
  return next;
}

/** Smoothed download rate (bytes/s) from fetch samples; `alpha` weighs the newest sample. */
export function nextRate(previous: number | null, bytes: number, ms: number, alpha = 0.3): number | null {
  if (!(bytes > 0) || !(ms > 0)) return previous;
  const sample = (bytes * 1000) / ms;
  return previous === null ? sample : previous * (1 - alpha) + sample * alpha;
}
