// One recorded lecture turned into an HLS ladder with poster and seek previews.
//
// Rules:
// - Stages run one after another, each one ffmpeg child at a time: 'ladder' (every rung in one
//   process, see ladder.ts), then 'thumbnails' (poster from the source, sprite sheets from the
//   lowest rung). `progress` reports an overall percent that only goes up.
// - Everything is written into `<outDir>.partial` and renamed to outDir only when every stage
//   succeeded, so a folder named outDir is always a finished ladder. A .partial left by a crash
//   is deleted when a job for the same outDir is created. An existing outDir is replaced only at
//   the very end (moved aside, new one renamed in, old one removed).
// - A job settles exactly once: `end` with the result, or `error` with a TranscodeError that
//   carries the tail of ffmpeg's stderr. `error` is only emitted when someone listens (an
//   unheard 'error' would crash the process); wait() always sees the outcome.
// - abort() is idempotent: SIGTERM to the running ffmpeg, SIGKILL after killTimeoutMs (3 s),
//   waits until the child is reaped, removes the .partial folder and settles with code
//   'aborted'. Once the output has been renamed into place, abort() changes nothing.
// - ffmpeg children are spawned tied to this process (../child.ts): if the server is killed,
//   the kernel kills ffmpeg too, and the next job for the outDir clears the .partial.
// - Two jobs must not share an outDir at the same time; the caller (a queue) ensures that.
// - Reading the rungs back, writing the masters, listing the sprites and the final rename are in
//   transcode-output.ts.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { spawnTied } from '../child';
import type { ProbeResult } from '../probe';
import { DEFAULT_PRESET, DEFAULT_SEGMENT_SEC, buildHlsArgs, planLadder, rungPlaylist, selectRungs } from './ladder';
import type { LadderPlan, VideoRung } from './ladder';
import { parseProgress } from './ffmpeg-progress';
import { buildPosterArgs, buildSpriteArgs, buildThumbnailsVtt, thumbnailLayout } from './thumbnails';
import type { ThumbnailOptions } from './thumbnails';
import { finishLadder, listSprites, publishFolder } from './transcode-output';
import { TranscodeError, type TranscodeJobEvents, type TranscodeJobOptions, type TranscodeJobState, type TranscodeResult, type TranscodeStage } from './transcode-types';

export { TranscodeError } from './transcode-types';
export type { TranscodeErrorCode, TranscodeJobEvents, TranscodeJobOptions, TranscodeJobState, TranscodeProgress, TranscodeRendition, TranscodeResult, TranscodeStage } from './transcode-types';

const STDERR_TAIL_CHARS = 2_000;
const DEFAULT_KILL_TIMEOUT_MS = 3_000;
/** Share of the overall percent taken by the ladder when thumbnails follow it. */
const LADDER_SHARE = 95;

export class TranscodeJob extends EventEmitter<TranscodeJobEvents> {
  readonly input: string;
  readonly outDir: string;
  readonly partialDir: string;
  readonly plan: LadderPlan;
  readonly segmentSec: number;
  /** The ladder ffmpeg argv (writing into partialDir), without the program name. */
  readonly ladderArgs: readonly string[];

  readonly #ffmpegPath: string;
  readonly #probe: ProbeResult;
  readonly #thumbnails: ThumbnailOptions | false;
  readonly #thumbnailParts: { poster: boolean; sprites: boolean };
  readonly #killTimeoutMs: number;
  #child: ChildProcess | null = null;
  #killTimer: NodeJS.Timeout | null = null;
  #aborted = false;
  #state: TranscodeJobState = 'running';
  #stage: TranscodeStage = 'ladder';
  #percent = 0;
  #lastProgress = '';
  #result: TranscodeResult | null = null;
  #error: TranscodeError | null = null;
  #finished!: Promise<void>;

  private constructor(opts: TranscodeJobOptions, plan: LadderPlan, outDir: string) {
    super();
    this.input = resolve(opts.input);
    this.outDir = outDir;
    this.partialDir = `${outDir}.partial`;
    this.plan = plan;
    this.segmentSec = opts.segmentSec ?? DEFAULT_SEGMENT_SEC;
    this.#ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
    this.#probe = opts.probe;
    this.#thumbnails = opts.thumbnails ?? {};
    this.#thumbnailParts = opts.thumbnailParts ?? { poster: true, sprites: true };
    this.#killTimeoutMs = opts.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS;
    this.ladderArgs = buildHlsArgs(this.input, this.partialDir, plan, {
      segmentSec: this.segmentSec,
      preset: opts.preset ?? DEFAULT_PRESET,
      playlistType: opts.playlistType,
      source: opts.probe.video && opts.probe.video.width > 0 && opts.probe.video.height > 0 ? { width: opts.probe.video.width, height: opts.probe.video.height } : undefined,
    });
  }

  /** Checks the options, clears a stale .partial folder and starts the ladder. */
  static async create(opts: TranscodeJobOptions): Promise<TranscodeJob> {
    const outDir = resolve(opts.outDir);
    if (outDir.includes('%')) {
      throw new TranscodeError('invalid-input', `outDir must not contain '%' (ffmpeg output pattern): ${outDir}`);
    }
    if (opts.segmentSec !== undefined && !(opts.segmentSec >= 1)) {
      throw new TranscodeError('invalid-input', `segmentSec must be >= 1 (got ${opts.segmentSec})`);
    }
    if (opts.thumbnails) thumbnailLayout(opts.thumbnails);
    let plan: LadderPlan;
    try {
      plan = selectRungs(planLadder(opts.probe, opts.ladder), opts.rungs);
    } catch (cause) {
      throw new TranscodeError('invalid-input', (cause as Error).message, { cause });
    }
    const job = new TranscodeJob(opts, plan, outDir);
    try {
      await rm(job.partialDir, { recursive: true, force: true });
      await mkdir(job.partialDir, { recursive: true });
    } catch (cause) {
      throw new TranscodeError('io-failed', `cannot prepare ${job.partialDir}: ${(cause as Error).message}`, { cause });
    }
    job.#start();
    return job;
  }

  get state(): TranscodeJobState {
    return this.#state;
  }

  /** pid of the ffmpeg child running now, if any. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Resolves with the result, or rejects with the TranscodeError the job ended with. */
  async wait(): Promise<TranscodeResult> {
    await this.#finished;
    if (this.#error) throw this.#error;
    return this.#result!;
  }

  async abort(): Promise<void> {
    if (this.#state === 'running' && !this.#aborted) {
      this.#aborted = true;
      this.#kill();
    }
    await this.#finished;
  }

  #start(): void {
    this.#finished = this.#run().then(
      (result) => {
        this.#result = result;
        this.#state = 'ended';
        this.emit('end', result);
      },
      async (cause: unknown) => {
        // Every child has been reaped by now: a stage only fails once its process closed.
        await rm(this.partialDir, { recursive: true, force: true }).catch(() => undefined);
        const error =
          cause instanceof TranscodeError
            ? cause
            : new TranscodeError('io-failed', (cause as Error)?.message ?? String(cause), { stage: this.#stage, cause });
        this.#error = error;
        this.#state = error.code === 'aborted' ? 'aborted' : 'failed';
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
    );
  }

  async #run(): Promise<TranscodeResult> {
    const thumbnails = this.#thumbnails;
    const withThumbnails = thumbnails !== false && this.plan.rungs.some((r) => r.kind === 'video');
    const withPoster = withThumbnails && this.#thumbnailParts.poster;
    const withSprites = withThumbnails && this.#thumbnailParts.sprites;
    // The poster is one frame: the sprites (the lowest rung read again) take the rest of the bar.
    const ladderShare = withSprites ? LADDER_SHARE : 100;
    const duration = this.#probe.durationSec;

    const ladderStart = performance.now();
    this.#stage = 'ladder';
    await this.#ffmpeg([...this.ladderArgs], duration, (stagePercent, etaSec, speed) =>
      this.#progress(stagePercent, (stagePercent * ladderShare) / 100, etaSec, speed),
    );
    this.#checkAborted();
    const { renditions, durationSec } = await finishLadder(this.partialDir, this.plan, this.segmentSec);
    const ladderMs = performance.now() - ladderStart;

    let posterPath: string | null = null;
    let thumbnailsVtt: string | null = null;
    let sprites: string[] = [];
    const thumbsStart = performance.now();
    if (withPoster) {
      this.#stage = 'thumbnails';
      posterPath = 'poster.jpg';
      await this.#ffmpeg(
        buildPosterArgs(this.input, join(this.partialDir, posterPath), duration, {
          streamIndex: this.plan.videoStreamIndex,
        }),
        null,
        () => undefined,
      );
      this.#checkAborted();
    }
    if (withSprites) {
      this.#stage = 'thumbnails';
      const layout = thumbnailLayout(thumbnails);
      this.#progress(0, ladderShare, null, null);
      const lowest = this.plan.rungs.filter((r): r is VideoRung => r.kind === 'video').at(-1)!;
      await this.#ffmpeg(
        buildSpriteArgs(join(this.partialDir, rungPlaylist(lowest)), this.partialDir, layout),
        durationSec,
        (stagePercent, etaSec, speed) =>
          this.#progress(stagePercent, ladderShare + (stagePercent * (100 - ladderShare)) / 100, etaSec, speed),
      );
      this.#checkAborted();
      sprites = await listSprites(this.partialDir);
      if (sprites.length === 0) {
        throw new TranscodeError('output-invalid', 'ffmpeg wrote no sprite sheet', { stage: 'thumbnails' });
      }
      thumbnailsVtt = 'thumbnails.vtt';
      await writeFile(
        join(this.partialDir, thumbnailsVtt),
        buildThumbnailsVtt(durationSec, { ...layout, spriteNames: sprites }),
      );
    }
    const thumbnailsMs = withPoster || withSprites ? performance.now() - thumbsStart : 0;

    this.#checkAborted();
    await publishFolder(this.partialDir, this.outDir);
    this.#progress(100, 100, 0, null);
    return {
      outDir: this.outDir,
      masterPath: 'master.m3u8',
      audioMasterPath: this.plan.rungs.some((r) => r.kind === 'audio') ? 'audio.m3u8' : null,
      renditions,
      posterPath,
      thumbnailsVtt,
      sprites,
      durationSec,
      segmentSec: this.segmentSec,
      timings: { ladderMs: Math.round(ladderMs), thumbnailsMs: Math.round(thumbnailsMs) },
    };
  }

  #progress(stagePercent: number, overall: number, etaSec: number | null, speed: number | null): void {
    if (this.#state !== 'running') return;
    const percent = Math.max(this.#percent, Math.min(100, Math.round(overall * 10) / 10));
    const stage = Math.round(stagePercent * 10) / 10;
    const key = `${this.#stage}:${stage}:${percent}`;
    if (key === this.#lastProgress) return;
    this.#lastProgress = key;
    this.#percent = percent;
    this.emit('progress', { stage: this.#stage, percent, stagePercent: stage, etaSec, speed });
  }

  #checkAborted(): void {
    if (this.#aborted) throw new TranscodeError('aborted', 'transcode aborted', { stage: this.#stage });
  }

  /**
   * Runs one ffmpeg child to completion. `durationSec` null means the command prints no
   * progress. Rejects with 'aborted' when abort() was called, whatever the exit status.
   */
  #ffmpeg(
    args: string[],
    durationSec: number | null,
    onProgress: (stagePercent: number, etaSec: number | null, speed: number | null) => void,
  ): Promise<void> {
    this.#checkAborted();
    const stage = this.#stage;
    return new Promise((resolvePromise, reject) => {
      // Tied to this process: ffmpeg ignores SIGPIPE, so it would outlive a crashed server.
      const child = spawnTied(this.#ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.#child = child;
      let stderr = '';
      let pending = '';
      let block = '';
      let spawnError: NodeJS.ErrnoException | null = null;
      let closed = false;

      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        if (durationSec === null) return;
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          block += `${line}\n`;
          // A block is complete at its progress= line.
          if (line.startsWith('progress=')) {
            const sample = parseProgress(block, durationSec);
            block = '';
            if (sample) onProgress(sample.percent, sample.etaSec, sample.speed);
          }
        }
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
      });

      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (closed) return;
        closed = true;
        if (this.#child === child) this.#child = null;
        if (this.#killTimer) {
          clearTimeout(this.#killTimer);
          this.#killTimer = null;
        }
        const stderrTail = stderr.trim() || undefined;
        if (this.#aborted) {
          reject(new TranscodeError('aborted', 'transcode aborted', { stage, stderrTail, exitCode: code }));
        } else if (spawnError) {
          const missing = spawnError.code === 'ENOENT' || spawnError.code === 'EACCES';
          reject(
            new TranscodeError(
              missing ? 'ffmpeg-missing' : 'ffmpeg-failed',
              missing ? `${this.#ffmpegPath} not found (apt-get install ffmpeg)` : spawnError.message,
              { stage, cause: spawnError },
            ),
          );
        } else if (code === 0) {
          resolvePromise();
        } else if ((code === 126 || code === 127) && /failed to execute/i.test(stderr)) {
          // setpriv (see ../child) could not exec ffmpeg: 127 not found, 126 not executable.
          reject(new TranscodeError('ffmpeg-missing', `${this.#ffmpegPath} not found (apt-get install ffmpeg)`, { stage, stderrTail }));
        } else {
          const last = stderrTail?.split('\n').at(-1) ?? 'no error output';
          const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
          reject(new TranscodeError('ffmpeg-failed', `ffmpeg ${how} during ${stage}: ${last}`, { stage, stderrTail, exitCode: code }));
        }
      };
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
        // A child that never started has no 'close' to wait for.
        if (child.pid === undefined) finish(null, null);
      });
      child.on('close', finish);
    });
  }

  #kill(): void {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    this.#killTimer = setTimeout(() => {
      if (this.#child === child) child.kill('SIGKILL');
    }, this.#killTimeoutMs);
  }
}
