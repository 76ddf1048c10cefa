// The passes of a progressive ladder and what its served folder holds (ProgressiveTranscodeJob):
// which rungs each pass makes, what a pass costs (for progress), the rungs a master lists and
// whether they are complete on disk, and moving a finished pass into place.
import { cp, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProbeResult } from '../probe';
import { nominalBandwidth, rungPlaylist } from './ladder';
import type { LadderPlan, Rung, RungBandwidth } from './ladder';
import { measureBandwidth, parseMediaPlaylist } from './playlist';
import type { TranscodeRendition } from './transcode-types';

/** A rung as a rendition; nominal bit rates where none were measured (a rung still growing). */
export function rungRendition(rung: Rung, bandwidth: RungBandwidth | null, segments: number): TranscodeRendition {
  return {
    name: rung.name,
    kind: rung.kind,
    ...(rung.kind === 'video' ? { width: rung.width, height: rung.height } : {}),
    bandwidth: bandwidth?.peak ?? nominalBandwidth(rung),
    averageBandwidth: bandwidth?.average ?? nominalBandwidth(rung),
    codecs: rung.codecs,
    playlist: rungPlaylist(rung),
    segments,
  };
}

/** The passes of a plan: [lowest video rung], then the higher rungs with the audio-only rung(s). Pure. */
export function planPasses(plan: LadderPlan, higher: 'together' | 'each' = 'together'): string[][] {
  const video = plan.rungs.filter((r) => r.kind === 'video').map((r) => r.name);
  const audio = plan.rungs.filter((r) => r.kind === 'audio').map((r) => r.name);
  if (video.length === 0) return [audio];
  const lowest = video.at(-1)!;
  const rest = video.slice(0, -1);
  if (rest.length === 0) return [[lowest, ...audio]];
  const later = higher === 'each' ? rest.reverse().map((n) => [n]) : [rest];
  // The audio-only rendition (a fallback for the weakest links; the lowest rung has the sound
  // too) comes with the next pass: encoding it beside the first rung cost ~9 % of that pass.
  later[0]!.push(...audio);
  return [[lowest], ...later];
}

/** Relative encoding cost of a pass (decoding the source plus the pixels it encodes); for progress only. */
export function passCost(plan: LadderPlan, names: readonly string[], probe: ProbeResult): number {
  const src = (probe.video?.width ?? 0) * (probe.video?.height ?? 0);
  const pixels = plan.rungs.filter((r) => names.includes(r.name)).reduce((sum, r) => sum + (r.kind === 'video' ? r.width * r.height : 20_000), 0);
  return src * 0.4 + pixels + 1;
}

/** Moves a folder or file, replacing what is at `to`; copies across file systems. */
export async function replaceWith(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true });
    await rm(from, { recursive: true, force: true });
  }
}


/** A rung in `dir` as a rendition, or null when its playlist is missing, unfinished or a segment is gone. */
export async function readRung(dir: string, rung: Rung, segmentSec: number): Promise<{ rendition: TranscodeRendition; bandwidth: RungBandwidth | null; durationSec: number } | null> {
  const text = await readFile(join(dir, rungPlaylist(rung)), 'utf8').catch(() => null);
  if (text === null) return null;
  const playlist = parseMediaPlaylist(text);
  if (!playlist.ended || playlist.segments.length === 0) return null;
  const sized: { durationSec: number; bytes: number }[] = [];
  for (const s of playlist.segments) {
    const info = await stat(join(dir, rung.name, s.uri)).catch(() => null);
    if (!info) return null;
    sized.push({ durationSec: s.durationSec, bytes: info.size });
  }
  const bandwidth = measureBandwidth(sized, segmentSec);
  return {
    rendition: rungRendition(rung, bandwidth, playlist.segments.length),
    bandwidth,
    durationSec: playlist.segments.reduce((sum, s) => sum + s.durationSec, 0),
  };
}

/** Rung names a master lists ("360p/index.m3u8" → "360p"). */
export function listedRungs(master: string): string[] {
  return master
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/\/index\.m3u8$/, ''));
}
