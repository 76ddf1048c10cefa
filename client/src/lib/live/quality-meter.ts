/**
 * The connection quality shown in the live room's header (good / fair / poor / offline): every
 * few seconds it looks at the socket, the path health and the page's transport (the send one when
 * the page publishes, else the receive one) and hands a word to the room (live-room.svelte.ts).
 * linkQuality (inbound-stats.ts) turns the transport's statistics into that word.
 */
import type { Transport } from 'mediasoup-client/types';
import { linkQuality, type Quality } from './inbound-stats.ts';
import type { PathState } from './path-health.ts';

const QUALITY_MS = 3_000;

export interface QualityProbe {
  /** The transport to measure: the send transport when the page publishes, else the receive one. */
  transport(): Transport | null;
  signalling(): boolean;
  path(): PathState;
  set(quality: Quality): void;
}

/** Measures every few seconds from now on; the answer stops it. */
export function meterQuality(probe: QualityProbe, intervalMs = QUALITY_MS): () => void {
  const timer = setInterval(() => void measureQuality(probe), intervalMs);
  return () => clearInterval(timer);
}

/** One measurement, handed to the probe (none while there is no transport yet). */
export async function measureQuality(p: QualityProbe): Promise<void> {
  const t = p.transport();
  if (!p.signalling()) {
    p.set('offline');
    return;
  }
  // Frames that stopped count more than a round trip that still looks fine.
  const path = p.path();
  if (path === 'fallback' || path === 'recovering') {
    p.set('poor');
    return;
  }
  if (!t) return;
  if (t.connectionState !== 'connected') {
    p.set(t.connectionState === 'connecting' || t.connectionState === 'new' ? 'unknown' : 'poor');
    return;
  }
  try {
    p.set(linkQuality(await t.getStats()));
  } catch {
    p.set('unknown');
  }
}
