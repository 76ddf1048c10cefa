/**
 * Reading a transport's WebRTC statistics (RTCStatsReport entries): the counters the path health
 * follows (path-health.ts) and the connection quality shown in the header. Pure: the entries
 * come in, figures go out.
 */

export type Quality = 'good' | 'fair' | 'poor' | 'offline' | 'unknown';

interface StatsEntry {
  type: string;
  kind?: string;
  framesDecoded?: number;
  bytesReceived?: number;
  state?: string;
  nominated?: boolean;
  currentRoundTripTime?: number;
  packetsLost?: number;
  packetsReceived?: number;
}

interface StatsLike {
  forEach(fn: (entry: StatsEntry) => void): void;
}

/** Decoded video frames and received bytes over every inbound stream of the transport. */
export function inboundCounters(stats: StatsLike): { frames: number; bytes: number } {
  let frames = 0;
  let bytes = 0;
  stats.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    frames += s.framesDecoded ?? 0;
    bytes += s.bytesReceived ?? 0;
  });
  return { frames, bytes };
}

/** Round-trip time of the nominated candidate pair and the inbound loss rate, as a word. */
export function linkQuality(stats: StatsLike): Quality {
  let rtt: number | undefined;
  let lost = 0;
  let received = 0;
  stats.forEach((s) => {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated && typeof s.currentRoundTripTime === 'number') rtt = s.currentRoundTripTime;
    if (s.type === 'inbound-rtp') {
      lost += s.packetsLost ?? 0;
      received += s.packetsReceived ?? 0;
    }
  });
  const lossRate = received + lost > 0 ? lost / (received + lost) : 0;
  return (rtt ?? 0) > 0.4 || lossRate > 0.08 ? 'poor' : (rtt ?? 0) > 0.15 || lossRate > 0.02 ? 'fair' : 'good';
}
