// A rung served while ffmpeg is still making it (issue 20: an hour's lecture is watchable from
// its start seconds after the upload, not after the whole lowest rung is encoded).
//
// Rules:
// - ffmpeg writes the rung in the pass's folder with an EVENT playlist, rewritten (temporary file
//   + rename) after each finished segment, so every segment it lists is whole.
// - sync() hard-links each newly listed segment into the served folder, then rewrites the served
//   playlist (atomically) as an EVENT playlist of exactly the linked segments, without ENDLIST:
//   a player treats it as a stream that grows, can play and seek from 0 to what is made, and
//   cannot seek past it. Links, not copies: no byte is written twice, and the finished pass's
//   files (renamed over the links, see finish()) are the same files.
// - The served playlist only grows. A served folder left by an earlier attempt keeps what it
//   lists (same cuts: every attempt uses the same frame rate and forced keyframes) until this
//   attempt has made more.
// - finish() moves the finished pass's files over the links, segments first and the playlist
//   last, so a player polling it reads the growing list or the finished VOD, never a gap.
import { copyFile, link, mkdir, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeAtomic } from '../write-atomic';
import { parseMediaPlaylist, type MediaSegment } from './playlist';

const PLAYLIST = 'index.m3u8';

/** The EVENT playlist of segments made so far (no ENDLIST). Pure. */
export function growingPlaylist(segments: readonly MediaSegment[], segmentSec: number): string {
  const longest = segments.reduce((max, s) => Math.max(max, s.durationSec), segmentSec);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(longest)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    // Players start a growing (EVENT) playlist at its end unless told otherwise: a lecture starts at 0.
    '#EXT-X-START:TIME-OFFSET=0',
  ];
  for (const s of segments) lines.push(`#EXTINF:${s.durationSec.toFixed(6)},`, s.uri);
  return `${lines.join('\n')}\n`;
}

/** Segments of a playlist file; [] while it is missing or not a playlist yet. */
async function listed(file: string): Promise<MediaSegment[]> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return [];
  try {
    return parseMediaPlaylist(text).segments.filter((s) => /^seg_\d+\.(?:ts|aac|m4s)$/.test(s.uri));
  } catch {
    return [];
  }
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Puts `from` at `to` as a hard link (a copy when the two folders are on different file systems),
 * replacing what is there; a reader sees the old file or the new one.
 */
async function linkOver(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
    return;
  } catch (error) {
    if (code(error) !== 'EEXIST' && code(error) !== 'EXDEV') throw error;
  }
  const tmp = `${to}.${process.pid}.link`;
  await unlink(tmp).catch(() => undefined);
  await link(from, tmp).catch((error: unknown) => {
    if (code(error) !== 'EXDEV') throw error;
    return copyFile(from, tmp);
  });
  await rename(tmp, to);
}

/** Moves a file over another; across file systems by a copy beside `to`, a rename, then an unlink. */
async function moveOver(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (code(error) !== 'EXDEV') throw error;
    await linkOver(from, to);
    await unlink(from);
  }
}

export class GrowingRung {
  /** What the served playlist lists now. */
  #served: MediaSegment[] = [];

  /**
   * @param from the pass's rung folder, where ffmpeg writes
   * @param to the served rung folder
   */
  private constructor(readonly from: string, readonly to: string, readonly segmentSec: number) {}

  static async open(from: string, to: string, segmentSec: number): Promise<GrowingRung> {
    const rung = new GrowingRung(from, to, segmentSec);
    await mkdir(to, { recursive: true });
    rung.#served = await listed(join(to, PLAYLIST));
    return rung;
  }

  /** Segments the served playlist lists. */
  get segments(): number {
    return this.#served.length;
  }

  /** Links what ffmpeg has finished since the last call and lists it; true when the list grew. */
  async sync(): Promise<boolean> {
    const made = await listed(join(this.from, PLAYLIST));
    if (made.length <= this.#served.length) return false;
    for (const s of made.slice(this.#served.length)) await linkOver(join(this.from, s.uri), join(this.to, s.uri));
    await writeAtomic(join(this.to, PLAYLIST), growingPlaylist(made, this.segmentSec));
    this.#served = made;
    return true;
  }

  /** Moves a finished pass's rung folder `done` over the served one: segments, then the playlist. */
  async finish(done: string): Promise<void> {
    const names = await readdir(done);
    for (const name of names.filter((n) => n !== PLAYLIST)) await moveOver(join(done, name), join(this.to, name));
    await moveOver(join(done, PLAYLIST), join(this.to, PLAYLIST));
    this.#served = await listed(join(this.to, PLAYLIST));
  }
}

export interface PassFollowerOptions {
  segmentSec: number;
  /** Between two looks at ffmpeg's playlists; default 1000 ms. */
  pollMs?: number;
  /** Segments every rung must have before it is listed; default 2. */
  afterSegments?: number;
  /** Called once, when every rung has `afterSegments`; a throw is retried at the next look. */
  onReady: (rungs: readonly GrowingRung[]) => Promise<void>;
  /** A look failed with an error unlike the last one (a failure that repeats every look is told once). */
  onError?: (error: Error) => void;
}

/** Follows the rungs of one running pass until stop(). */
export class PassFollower {
  readonly rungs: readonly GrowingRung[];
  #ready = false;
  #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  /** The last failed look (a look that fails is tried again); see `onError`. */
  lastError: Error | null = null;

  private constructor(rungs: GrowingRung[], private readonly opts: PassFollowerOptions) {
    this.rungs = rungs;
  }

  /** @param pairs per rung: ffmpeg's folder (`from`) and the served one (`to`) */
  static async start(pairs: readonly { from: string; to: string }[], opts: PassFollowerOptions): Promise<PassFollower> {
    const rungs = await Promise.all(pairs.map((p) => GrowingRung.open(p.from, p.to, opts.segmentSec)));
    const follower = new PassFollower(rungs, opts);
    follower.#loop = follower.#run();
    return follower;
  }

  get ready(): boolean {
    return this.#ready;
  }

  async #look(): Promise<void> {
    for (const r of this.rungs) await r.sync();
    if (!this.#ready && this.rungs.every((r) => r.segments >= (this.opts.afterSegments ?? 2))) {
      await this.opts.onReady(this.rungs);
      this.#ready = true;
    }
  }

  async #run(): Promise<void> {
    const { signal } = this.#stop;
    while (!signal.aborted) {
      try {
        await this.#look();
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        if (err.message !== this.lastError?.message) this.opts.onError?.(err);
        this.lastError = err;
      }
      await sleep(this.opts.pollMs ?? 1000, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Stops looking; resolves once the look under way (if any) has ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }
}
