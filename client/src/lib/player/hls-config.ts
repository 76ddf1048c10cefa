/**
 * hls.js settings of the lecture player, and what a loaded segment tells about the link
 * (weak-link.ts reads it). Type-only import of hls.js: the library itself loads on demand.
 */
import type { FragLoadedData, HlsConfig, LoaderConfig } from 'hls.js';
import type { SegmentSample } from './weak-link.ts';

/** Short hls.js retries so an outage surfaces in seconds; the player's own loop takes over. */
const loadPolicy = (ttfbMs: number, loadMs: number): { default: LoaderConfig } => ({
  default: {
    maxTimeToFirstByteMs: ttfbMs,
    maxLoadTimeMs: loadMs,
    timeoutRetry: { maxNumRetry: 1, retryDelayMs: 0, maxRetryDelayMs: 0 },
    errorRetry: { maxNumRetry: 2, retryDelayMs: 500, maxRetryDelayMs: 2000 },
  },
});

export const HLS_CONFIG: Partial<HlsConfig> = {
  backBufferLength: 90,
  maxBufferLength: 30,
  manifestLoadPolicy: loadPolicy(10_000, 20_000),
  playlistLoadPolicy: loadPolicy(10_000, 20_000),
  // A 4 s 360p segment takes ~13 s on a 300 kbit/s village link: give it time.
  fragLoadPolicy: loadPolicy(10_000, 60_000),
};

/**
 * hls.js settings of a live lecture's HLS (1-s segments by default, LIVE_SEGMENT_SECONDS): play
 * 1.5 s behind the newest listed segment and catch up (at most 10 % faster, inaudible) when a
 * stall has put the player more than 4 s behind. `behindSec` sets the place behind the edge: a
 * station's unattended kiosk keeps more (2.5 s), so a weak link stalls it less often.
 */
export function liveHlsConfig(behindSec = 1.5, retries = 10): Partial<HlsConfig> {
  return {
    liveSyncDuration: behindSec,
    liveMaxLatencyDuration: behindSec + 2.5,
    maxLiveSyncPlaybackRate: 1.1,
    manifestLoadingMaxRetry: retries,
    levelLoadingMaxRetry: retries,
    fragLoadingMaxRetry: retries,
  };
}

/** The timing of one loaded segment, or null when it came from a cache (no network to judge). */
export function segmentSample(data: Pick<FragLoadedData, 'frag' | 'part'>): SegmentSample | null {
  const stats = data.part?.stats ?? data.frag.stats;
  const { start, first, end } = stats.loading;
  if (!(end > 0) || !(start > 0) || end - start < 10) return null;
  return {
    bytes: stats.loaded,
    firstByteMs: Math.max(0, (first || start) - start),
    transferMs: Math.max(1, end - Math.max(start, first || start)),
    segmentSec: data.part?.duration ?? data.frag.duration,
  };
}
