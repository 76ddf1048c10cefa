// A recording's playlist as its ffmpeg writes it (LiveRecorder.ts): the segments it lists, noted
// once each and in order, and the waiters for the first one.
// - While ffmpeg runs, index.m3u8 is read every PLAYLIST_POLL_MS (ffmpeg writes it atomically,
//   once its first segment is complete; until then there is nothing to read). When ffmpeg has
//   exited, finish() reads it once more and makes it a complete playlist: an empty last segment
//   is taken off, and #EXT-X-ENDLIST appended when ffmpeg was killed before its trailer.
// - Waiters for the first segment are resolved when it is listed, rejected when the recording
//   ends without one.
import { existsSync } from 'node:fs';
import { appendFile, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EMPTY_TS_SEGMENT_BYTES, parseMediaPlaylist, withoutLastSegment } from '../hls/playlist';
import { writeAtomic } from '../write-atomic';
import { LiveRecorderError } from './errors';
import { RECORDER_SEGMENT_PATTERN } from './recording-args';
import type { LiveRecorderResult, LiveRecorderSegment } from './recorder-types';

const PLAYLIST_POLL_MS = 250;
const FIRST_SEGMENT = RECORDER_SEGMENT_PATTERN.replace(/%0(\d)d/, (_, n: string) => '0'.repeat(Number(n)));

export class RecorderPlaylist {
  readonly #outDir: string;
  readonly #playlistPath: string;
  readonly #exited: () => boolean;
  readonly #tail: () => string | undefined;
  readonly #onSegment: (segment: LiveRecorderSegment) => void;
  readonly #onListed: () => void;
  readonly #segments: LiveRecorderSegment[] = [];
  readonly #firstSegmentWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  #pollTimer: NodeJS.Timeout | null = null;
  #polling = false;

  /**
   * `exited`: ffmpeg has exited (polls stop noting segments); `tail`: its stderr tail, for errors;
   * `onSegment` for each segment newly listed; `onListed` whenever the playlist lists segments.
   */
  constructor(o: {
    outDir: string;
    playlistPath: string;
    exited: () => boolean;
    tail: () => string | undefined;
    onSegment: (segment: LiveRecorderSegment) => void;
    onListed: () => void;
  }) {
    this.#outDir = o.outDir;
    this.#playlistPath = o.playlistPath;
    this.#exited = o.exited;
    this.#tail = o.tail;
    this.#onSegment = o.onSegment;
    this.#onListed = o.onListed;
  }

  get segments(): readonly LiveRecorderSegment[] {
    return this.#segments;
  }

  /** Whether ffmpeg has begun writing its first segment (before that it has nothing to save). */
  firstSegmentBegun(): boolean {
    return existsSync(join(this.#outDir, FIRST_SEGMENT));
  }

  waitForFirstSegment(timeoutMs: number): Promise<void> {
    if (this.#segments.length > 0) return Promise.resolve();
    if (this.#exited()) return Promise.reject(new LiveRecorderError('ffmpeg-failed', 'recording ended before its first segment'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#firstSegmentWaiters.delete(waiter);
        reject(new LiveRecorderError('ffmpeg-failed', `no segment within ${timeoutMs} ms`, { stderrTail: this.#tail() }));
      }, timeoutMs);
      this.#firstSegmentWaiters.add(waiter);
    });
  }

  startPolling(): void {
    this.#pollTimer = setInterval(() => void this.#poll(), PLAYLIST_POLL_MS);
  }

  stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  /**
   * ffmpeg has exited: reads the playlist a last time, closes it (ENDLIST) if ffmpeg could not,
   * notes what it lists and rejects the waiters left. Resolves with what was written.
   */
  async finish(): Promise<LiveRecorderResult> {
    let result: LiveRecorderResult = { playlistPath: this.#playlistPath, durationSec: 0, segments: 0 };
    try {
      const text = await this.#withoutEmptyTail(await readFile(this.#playlistPath, 'utf8'));
      const playlist = parseMediaPlaylist(text);
      if (!playlist.ended) {
        // ffmpeg was killed before its trailer: the listed segments are complete, close the list.
        await appendFile(this.#playlistPath, `${text.endsWith('\n') ? '' : '\n'}#EXT-X-ENDLIST\n`);
      }
      this.#noteSegments(playlist.segments);
      const durationSec = playlist.segments.reduce((sum, s) => sum + s.durationSec, 0);
      result = { playlistPath: this.#playlistPath, durationSec: Math.round(durationSec * 1000) / 1000, segments: playlist.segments.length };
    } catch {
      // No playlist: ffmpeg never wrote a segment.
    }
    for (const waiter of this.#firstSegmentWaiters) {
      waiter.reject(new LiveRecorderError('ffmpeg-failed', 'recording ended before its first segment', { stderrTail: this.#tail() }));
    }
    this.#firstSegmentWaiters.clear();
    return result;
  }

  /**
   * ffmpeg's trailer on SIGINT may close a last segment with no media in it (PAT and PMT alone,
   * seen on a busy machine): it is taken off the playlist (rewritten whole through a rename) and
   * deleted, so no player fetches a segment it cannot decode.
   */
  async #withoutEmptyTail(text: string): Promise<string> {
    const segments = parseMediaPlaylist(text).segments;
    const last = segments.at(-1);
    if (!last || segments.length < 2) return text;
    const file = join(this.#outDir, last.uri);
    const bytes = await stat(file).then((s) => s.size, () => null);
    if (bytes === null || bytes >= EMPTY_TS_SEGMENT_BYTES) return text;
    const trimmed = withoutLastSegment(text);
    await writeAtomic(this.#playlistPath, trimmed);
    await rm(file, { force: true });
    // A poll may have noted it already, between ffmpeg's last write and its exit.
    if (this.#segments.length >= segments.length) this.#segments.length = segments.length - 1;
    return trimmed;
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#exited()) return;
    this.#polling = true;
    try {
      const playlist = parseMediaPlaylist(await readFile(this.#playlistPath, 'utf8'));
      if (!this.#exited()) this.#noteSegments(playlist.segments);
    } catch {
      // Not written yet (ffmpeg writes it atomically once the first segment is complete).
    } finally {
      this.#polling = false;
    }
  }

  #noteSegments(listed: readonly { uri: string; durationSec: number }[]): void {
    for (const s of listed.slice(this.#segments.length)) {
      const segment = { name: s.uri, durationSec: s.durationSec };
      this.#segments.push(segment);
      this.#onSegment(segment);
    }
    if (this.#segments.length > 0) {
      this.#onListed();
      for (const waiter of this.#firstSegmentWaiters) waiter.resolve();
      this.#firstSegmentWaiters.clear();
    }
  }
}
