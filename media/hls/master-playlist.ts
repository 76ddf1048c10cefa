// The master playlists of a ladder (ladder.ts): the BANDWIDTH a rung announces, where its
// playlist sits in the output folder, and the master.m3u8 / audio.m3u8 written after the run.
// No I/O here.
import type { LadderPlan, Rung } from './ladder';

/** Nominal BANDWIDTH = (maxrate + audio) * this, for MPEG-TS and PES overhead (~7-11% measured). */
export const TS_OVERHEAD = 1.1;

/** Where each rung's files go, relative to the output folder. */
export function rungPlaylist(rung: Pick<Rung, 'name'>): string {
  return `${rung.name}/index.m3u8`;
}

export interface RungBandwidth {
  /** Peak bit rate of a full-length segment, bit/s, TS overhead included. */
  peak: number;
  average: number;
}

/** BANDWIDTH to announce when nothing was measured: (maxrate + audio) plus TS overhead, bit/s. */
export function nominalBandwidth(rung: Rung): number {
  const kbps = (rung.kind === 'video' ? rung.maxrateKbps : 0) + (rung.audioKbps ?? 0);
  return Math.round(kbps * 1000 * TS_OVERHEAD);
}

export interface MasterPlaylistOptions {
  /** Measured per rung name (see measureBandwidth); nominal values are used where missing. */
  bandwidth?: Readonly<Record<string, RungBandwidth>>;
  /** 'all' (default): every rung; 'audio': only the audio-only rungs (audio.m3u8). */
  rungs?: 'all' | 'audio';
}

/** A master playlist for the plan's rungs, in plan order (highest first). */
export function buildMasterPlaylist(plan: LadderPlan, opts: MasterPlaylistOptions = {}): string {
  const rungs = opts.rungs === 'audio' ? plan.rungs.filter((r) => r.kind === 'audio') : plan.rungs;
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const rung of rungs) {
    const measured = opts.bandwidth?.[rung.name];
    const attrs = [`BANDWIDTH=${measured?.peak ?? nominalBandwidth(rung)}`];
    if (measured) attrs.push(`AVERAGE-BANDWIDTH=${measured.average}`);
    if (rung.kind === 'video') {
      attrs.push(`RESOLUTION=${rung.width}x${rung.height}`);
      if (plan.fps !== null) attrs.push(`FRAME-RATE=${plan.fps.toFixed(3)}`);
    }
    attrs.push(`CODECS="${rung.codecs}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, rungPlaylist(rung));
  }
  return `${lines.join('\n')}\n`;
}
