// What a transcode leaves in its folder (TranscodeJob.ts): every rung's playlist read back and
// measured, the master playlists written over ffmpeg's, the sprite sheets listed, and the
// finished folder renamed into place.
import { readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '../write-atomic';
import { buildMasterPlaylist, rungPlaylist } from './ladder';
import type { LadderPlan, RungBandwidth } from './ladder';
import { rungRendition } from './ladder-passes';
import { measureBandwidth, parseMediaPlaylist } from './playlist';
import { spriteNames } from './thumbnails';
import { TranscodeError, type TranscodeRendition } from './transcode-types';

const EVENT_TYPE = '#EXT-X-PLAYLIST-TYPE:EVENT';

/** Reads back every rung's playlist in dir, measures bit rates, writes master.m3u8 and audio.m3u8. */
export async function finishLadder(
  dir: string,
  plan: LadderPlan,
  segmentSec: number,
): Promise<{ renditions: TranscodeRendition[]; durationSec: number }> {
  const bandwidth: Record<string, RungBandwidth> = {};
  const renditions: TranscodeRendition[] = [];
  let durationSec = 0;
  for (const rung of plan.rungs) {
    const playlistPath = join(dir, rungPlaylist(rung));
    const text = await readFile(playlistPath, 'utf8');
    const playlist = parseMediaPlaylist(text);
    if (!playlist.ended || playlist.segments.length === 0) {
      throw new TranscodeError('output-invalid', `${rungPlaylist(rung)} is incomplete`, { stage: 'ladder' });
    }
    // A rung followed while it was made (playlistType 'event') is, once ended, a VOD like any
    // other. Atomic: a follower may be reading it (growing-rung.ts).
    if (text.includes(EVENT_TYPE)) await writeAtomic(playlistPath, text.replace(EVENT_TYPE, '#EXT-X-PLAYLIST-TYPE:VOD'));
    const sized = await Promise.all(
      playlist.segments.map(async (s) => ({
        durationSec: s.durationSec,
        bytes: (await stat(join(dir, rung.name, s.uri))).size,
      })),
    );
    const measured = measureBandwidth(sized, segmentSec);
    if (measured) bandwidth[rung.name] = measured;
    const rungDuration = playlist.segments.reduce((sum, s) => sum + s.durationSec, 0);
    durationSec = Math.max(durationSec, rungDuration);
    renditions.push(rungRendition(rung, measured, playlist.segments.length));
  }
  // Replaces the master ffmpeg wrote (see ladder.ts for why).
  await writeFile(join(dir, 'master.m3u8'), buildMasterPlaylist(plan, { bandwidth }));
  if (plan.rungs.some((r) => r.kind === 'audio')) {
    await writeFile(join(dir, 'audio.m3u8'), buildMasterPlaylist(plan, { bandwidth, rungs: 'audio' }));
  }
  return { renditions, durationSec: Math.round(durationSec * 1000) / 1000 };
}

/** The sprite sheets in dir, in order: sprite_0.jpg, sprite_1.jpg ... */
export async function listSprites(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const numbered = names
    .map((name) => ({ name, n: /^sprite_(\d+)\.jpg$/.exec(name)?.[1] }))
    .filter((x): x is { name: string; n: string } => x.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));
  // Only an unbroken run from sprite_0 can be addressed by position.
  const expected = spriteNames(numbered.length);
  const run: string[] = [];
  for (const [i, name] of expected.entries()) {
    if (numbered[i]?.name !== name) break;
    run.push(name);
  }
  return run;
}

/** Renames partialDir to outDir; a previous ladder in outDir is swapped out, then removed. */
export async function publishFolder(partialDir: string, outDir: string): Promise<void> {
  try {
    await rename(partialDir, outDir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
      throw new TranscodeError('io-failed', `cannot rename ${partialDir}: ${(error as Error).message}`, { cause: error });
    }
  }
  // A previous ladder is in the way: swap, then remove it.
  const old = `${outDir}.old-${process.pid}-${Date.now()}`;
  await rename(outDir, old);
  try {
    await rename(partialDir, outDir);
  } catch (error) {
    // Put the previous ladder back rather than leave no ladder at all.
    await rename(old, outDir).catch(() => undefined);
    throw new TranscodeError('io-failed', `cannot rename ${partialDir}: ${(error as Error).message}`, { cause: error });
  }
  await rm(old, { recursive: true, force: true });
}
