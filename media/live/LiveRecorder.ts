// Recording a live room: producers of the origin router -> ffmpeg -> HLS EVENT playlist.
//
// Rules (the notes in /work/shared/notes/mediasoup-ffmpeg.md say why):
// - One PlainTransport per stream on 127.0.0.1, rtcpMux off, comedia off, connect()ed to the
//   RTP/RTCP pair ffmpeg listens on (udp-ports.ts); one consumer per stream, with the codec
//   alone (recording-args.ts), created paused.
// - Order: consumers paused -> ffmpeg spawned -> its ports bound -> (video on simulcast: top
//   layers preferred, up to TOP_LAYER_WAIT_MS for the top one to be sent; recorder-layers.ts)
//   -> consumers resumed. From then on a keyframe is requested every second until the first
//   segment is listed, and on every layer change, so that the first segment starts promptly
//   even when the first keyframe was lost.
// - The recorded file begins at its first sound, or at the picture's first frame when that comes
//   first (recorder-media-start.ts): mediaStartAt() says when, so that its owner places the part
//   on the live timeline where it really begins; stoppedAt says when its media stopped (no part
//   runs past it).
// - ffmpeg is spawned tied to this process (../child.ts) and always reaped. stop() first pauses
//   the consumers and waits for ffmpeg to write what it already received (its -progress output
//   standing still, recorder-drain.ts: on a busy machine it runs seconds behind real time), then
//   sends SIGINT (ffmpeg then writes its trailer and #EXT-X-ENDLIST), SIGKILL after killTimeoutMs:
//   ffmpeg that gave up probing a stream spins and ignores SIGINT. An ffmpeg that has not begun
//   its first segment has nothing to save and is SIGKILLed at once. When ffmpeg could not write
//   ENDLIST itself, stop() appends it, so a stopped recording is always a complete playlist.
//   ffmpeg heeds SIGINT only when its input yields a packet: with the input gone (a dead
//   worker) it would wait for SIGKILL and lose what it had not written yet (~1–2 s behind real
//   time). So while it has not exited, its audio leg is nudged every NUDGE_MS after the SIGINT
//   (recorder-legs.ts nudgeLeg) and it ends cleanly, its last segment written.
// - The recorder ends exactly once, by stop(), by ffmpeg exiting on its own (`error` first,
//   when someone listens), or when every recorded producer (or the router) is gone. `exit` is
//   emitted once, after transports, ports, timers and the SDP folder have been released.
// - Sources: the camera (`video`) or a screen share (`screen`) is the picture; with both, the
//   screen is the picture and the camera a small inset (picture-in-picture, composited by this
//   recording's ffmpeg; recording-args.ts), each on its best layer. The picture's size is its
//   first frame's: a change of layout or of the picture's size is a new recording (its owner
//   starts one), never a change inside this one. `layers-raised` (a higher simulcast layer) and
//   `picture-grown` (ffmpeg decodes the picture wider or taller than its first frame: a screen
//   share's size climbing; recorder-log.ts) say when that is worth doing.
// - outDir must not already hold a recording (index.m3u8): a recording restarted after a room
//   rebuild goes to a new folder, so nothing recorded is ever overwritten.
// - ffmpeg's playlist is polled for segments and completed once it exits (recorder-playlist.ts);
//   what create() refuses and how a failed ffmpeg is reported: recorder-errors.ts.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Router } from 'mediasoup/lib/types';
import { spawnTied } from '../child';
import { LiveRecorderError } from './errors';
import {
  DEFAULT_RECORDER_SEGMENT_SEC,
  RECORDER_PLAYLIST,
  buildRecorderArgs,
  buildRecorderSdp,
  type RecorderStream,
} from './recording-args';
import { checkRecording, ffmpegFailure } from './recorder-errors';
import { nudgeLeg, openLeg, releaseLegs, type Leg } from './recorder-legs';
import { OutputWatch } from './recorder-drain';
import { MediaStartWatch } from './recorder-media-start';
import { RecorderLog } from './recorder-log';
import { RecorderPlaylist } from './recorder-playlist';
import type { LiveRecorderEvents, LiveRecorderExit, LiveRecorderResult, LiveRecorderSegment, LiveRecorderSources } from './recorder-types';
import type { RecordingOptions } from './types';
import { waitForUdpBound } from './udp-ports';

export type { LiveRecorderEvents, LiveRecorderExit, LiveRecorderResult, LiveRecorderSegment, LiveRecorderSources } from './recorder-types';

const STDERR_TAIL_CHARS = 2_000;
const DEFAULT_KILL_TIMEOUT_MS = 4_000;
/** How long a recorder being stopped waits at most for ffmpeg to write what it received. */
const DEFAULT_DRAIN_TIMEOUT_MS = 8_000;
/** ffmpeg's output standing still this long (its media stopped) means it has written everything. */
const DRAIN_STILL_MS = 750;
const KEYFRAME_INTERVAL_MS = 1_000;
/** After SIGINT, how often an ffmpeg that has not exited is woken (its input may be silent). */
const NUDGE_MS = 400;
const BIND_WAIT_MS = 3_000;
const START_ATTEMPTS = 3;
/** How long a recording may wait, before it starts, for the sender's top simulcast layer. */
const TOP_LAYER_WAIT_MS = 2_000;

export class LiveRecorder extends EventEmitter<LiveRecorderEvents> {
  readonly outDir: string;
  readonly playlistPath: string;
  readonly segmentSec: number;

  readonly #ffmpegPath: string;
  readonly #killTimeoutMs: number;
  readonly #drainTimeoutMs: number;
  readonly #output = new OutputWatch();
  #mediaStart = new MediaStartWatch({ video: [], audio: [] });
  #stoppedAt: number | null = null;
  readonly #legs: Leg[] = [];
  #sdpDir: string | null = null;
  #child: ChildProcess | null = null;
  readonly #log = new RecorderLog(STDERR_TAIL_CHARS, (from, to) => this.emit('picture-grown', { from, to }));
  #spawnError: NodeJS.ErrnoException | null = null;
  #exit: LiveRecorderExit | null = null;
  #exited!: Promise<LiveRecorderExit>;
  #startedAt = 0;
  #stopRequested = false;
  #finished: Promise<LiveRecorderResult> | null = null;
  readonly #playlist: RecorderPlaylist;
  #keyframeTimer: NodeJS.Timeout | null = null;
  #killTimer: NodeJS.Timeout | null = null;
  #nudgeTimer: NodeJS.Timeout | null = null;

  private constructor(opts: RecordingOptions) {
    super();
    this.outDir = opts.outDir.replace(/\/+$/, '');
    this.playlistPath = join(this.outDir, RECORDER_PLAYLIST);
    this.segmentSec = opts.segmentSec ?? DEFAULT_RECORDER_SEGMENT_SEC;
    this.#ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
    this.#killTimeoutMs = opts.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS;
    this.#drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#playlist = new RecorderPlaylist({
      outDir: this.outDir,
      playlistPath: this.playlistPath,
      exited: () => this.#exit !== null,
      tail: () => this.#tail(),
      onSegment: (segment) => this.emit('segment', segment),
      // The first segment is there: no more keyframes need asking for.
      onListed: () => {
        if (this.#keyframeTimer) {
          clearInterval(this.#keyframeTimer);
          this.#keyframeTimer = null;
        }
      },
    });
  }

  /**
   * Starts recording `sources` (producers on `router`). Resolves once ffmpeg listens and media
   * flows to it; rejects (having released everything) when that cannot happen.
   */
  static async create(router: Router, sources: LiveRecorderSources, opts: RecordingOptions): Promise<LiveRecorder> {
    checkRecording(sources, opts);
    for (let attempt = 1; ; attempt++) {
      const recorder = new LiveRecorder(opts);
      try {
        await recorder.#start(router, sources);
        return recorder;
      } catch (error) {
        await recorder.#abortStart();
        // Another process took a probed port before ffmpeg bound it: take new ports.
        const portTaken = error instanceof LiveRecorderError && /bind failed|address already in use/i.test(error.stderrTail ?? '');
        if (!portTaken || attempt >= START_ATTEMPTS) throw error;
      }
    }
  }

  /** ms epoch at which media started flowing to ffmpeg (its ports bound, consumers resumed). */
  get startedAt(): number {
    return this.#startedAt;
  }

  /**
   * ms epoch at which the recorded media begins (its first sound, or the picture's first frame
   * when that came first; recorder-media-start.ts); `startedAt` when nothing came within
   * `timeoutMs` or before the recording ended.
   */
  async mediaStartAt(timeoutMs: number): Promise<number> {
    return (await this.#mediaStart.when(timeoutMs)) ?? this.#startedAt;
  }

  /** ms epoch at which its media stopped (stop() was called, or ffmpeg exited); null before. */
  get stoppedAt(): number | null {
    return this.#stoppedAt;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** True until ffmpeg has exited. */
  get running(): boolean {
    return this.#exit === null;
  }

  /** Producers being recorded. */
  get producerIds(): string[] {
    return this.#legs.flatMap((leg) => (leg.consumer ? [leg.consumer.producerId] : []));
  }

  get segments(): readonly LiveRecorderSegment[] {
    return this.#playlist.segments;
  }

  waitForFirstSegment(timeoutMs: number): Promise<void> {
    return this.#playlist.waitForFirstSegment(timeoutMs);
  }

  /** Ends the recording (idempotent) and resolves with what was written. */
  stop(): Promise<LiveRecorderResult> {
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      this.#stoppedAt ??= Date.now();
      const child = this.#child;
      if (child && this.#exit === null) {
        // Nothing written yet (no keyframe, still probing): there is no trailer to wait for,
        // and such an ffmpeg ignores SIGINT anyway.
        if (!this.#playlist.firstSegmentBegun()) {
          child.kill('SIGKILL');
          return this.#whenFinished();
        }
        void this.#drainThenInterrupt(child);
      }
    }
    return this.#whenFinished();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Stops the media, lets ffmpeg write what it already received (its output standing still, at
   * most drainTimeoutMs), then SIGINT; while it has not exited its audio leg is nudged (a silent
   * input would keep it from heeding SIGINT) and SIGKILL follows after killTimeoutMs.
   */
  async #drainThenInterrupt(child: ChildProcess): Promise<void> {
    await Promise.all(this.#legs.map((leg) => (leg.consumer && !leg.consumer.closed ? leg.consumer.pause().catch(() => undefined) : undefined)));
    await this.#output.still(DRAIN_STILL_MS, this.#drainTimeoutMs, () => this.#exit !== null);
    if (this.#exit !== null) return;
    child.kill('SIGINT');
    this.#nudgeTimer = setInterval(() => {
      for (const leg of this.#legs) void nudgeLeg(leg).catch(() => undefined);
    }, NUDGE_MS);
    this.#killTimer = setTimeout(() => {
      if (this.#exit === null) child.kill('SIGKILL');
    }, this.#killTimeoutMs);
  }

  async #start(router: Router, sources: LiveRecorderSources): Promise<void> {
    await mkdir(this.outDir, { recursive: true }).catch((cause: unknown) => {
      throw new LiveRecorderError('io-failed', `cannot create ${this.outDir}: ${(cause as Error).message}`, { cause });
    });
    // ffmpeg would overwrite it segment by segment, and until then we would report its segments.
    if (await stat(this.playlistPath).then(() => true, () => false)) {
      throw new LiveRecorderError('invalid-options', `${this.outDir} already holds a recording: record into a new folder`);
    }
    this.#sdpDir = await mkdtemp(join(tmpdir(), 'cadre-live-rec-'));

    // The SDP's first video is the picture, its second (if any) the inset.
    const picture = sources.screen ?? sources.video;
    const inset = sources.screen && sources.video ? sources.video : undefined;
    const streams: RecorderStream[] = [];
    for (const producer of [picture, inset, sources.audio]) {
      if (!producer) continue;
      // The inset is scaled to a share of the picture: only the picture's layer sets the size.
      const onRaised = (from: number, to: number) => {
        if (producer === picture) this.emit('layers-raised', { from, to });
      };
      streams.push(await openLeg(router, producer, this.#legs, onRaised));
    }

    const sdpPath = join(this.#sdpDir, 'input.sdp');
    await writeFile(sdpPath, buildRecorderSdp(streams));
    const args = buildRecorderArgs({
      sdpPath,
      outDir: this.outDir,
      hasVideo: streams.some((s) => s.kind === 'video'),
      hasAudio: streams.some((s) => s.kind === 'audio'),
      inset: inset !== undefined,
      segmentSec: this.segmentSec,
    });
    this.#spawn(args);

    const bound = await waitForUdpBound(
      this.#legs.flatMap((leg) => [leg.ports.port, leg.ports.rtcpPort]),
      BIND_WAIT_MS,
      () => this.#exit !== null,
    );
    if (this.#exit !== null || this.#spawnError) throw this.#failure('ffmpeg exited while starting');
    if (!bound && this.#hasProcNet()) {
      // ffmpeg runs but does not listen: better to fail now than to record nothing.
      throw this.#failure(`ffmpeg did not bind its RTP ports within ${BIND_WAIT_MS} ms`);
    }
    // ffmpeg binds its ports after reading the SDP: the file is no longer needed, and removing it
    // now leaves nothing behind even if this process dies before stop().
    if (bound) await this.#removeSdpDir();

    // Once every consumer is gone (producers closed, router closed) there is nothing to record.
    for (const leg of this.#legs) {
      leg.consumer!.observer.once('close', () => {
        if (this.#legs.every((l) => l.consumer?.closed ?? true)) void this.stop();
      });
    }
    // ffmpeg keeps the size of the first frame: start on the top layer when it comes soon.
    await Promise.all(this.#legs.map((leg) => leg.layers?.prepare(TOP_LAYER_WAIT_MS, () => this.#exit !== null)));
    if (this.#exit !== null) throw this.#failure('ffmpeg exited while starting');
    const consumers = (kind: 'audio' | 'video') => this.#legs.flatMap((leg) => (leg.kind === kind ? [leg.consumer!] : []));
    this.#mediaStart = new MediaStartWatch({ video: consumers('video'), audio: consumers('audio') });
    await this.#mediaStart.arm();
    this.#startedAt = Date.now();
    await Promise.all(this.#legs.map((leg) => leg.consumer!.resume()));
    for (const leg of this.#legs) leg.layers?.start();
    this.#keyframeTimer = setInterval(() => this.#requestKeyFrames(), KEYFRAME_INTERVAL_MS);
    this.#playlist.startPolling();
  }

  #hasProcNet(): boolean {
    return process.platform === 'linux';
  }

  #spawn(args: string[]): void {
    const child = spawnTied(this.#ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.#output.push(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => this.#log.push(chunk));
    let resolveExit!: (exit: LiveRecorderExit) => void;
    this.#exited = new Promise((resolve) => (resolveExit = resolve));
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.#exit) return;
      this.#log.flush();
      this.#exit = { code, signal };
      this.#stoppedAt ??= Date.now();
      resolveExit(this.#exit);
      this.#onExit();
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      this.#spawnError = error;
      if (child.pid === undefined) onExit(null, null);
    });
    child.on('close', onExit);
  }

  /** ffmpeg is gone: if nobody asked for it, that is an error; then release and emit `exit`. */
  #onExit(): void {
    if (!this.#stopRequested && this.#startedAt > 0) {
      const error = this.#failure('ffmpeg exited during recording');
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }
    if (this.#startedAt > 0) void this.#whenFinished();
  }

  #whenFinished(): Promise<LiveRecorderResult> {
    this.#finished ??= this.#finish();
    return this.#finished;
  }

  async #finish(): Promise<LiveRecorderResult> {
    const exit = await this.#exited;
    this.#mediaStart.cancel();
    this.#clearTimers();
    this.#releaseMedia();
    const result = await this.#playlist.finish();
    await this.#removeSdpDir();
    this.emit('exit', exit);
    return result;
  }

  #requestKeyFrames(): void {
    for (const leg of this.#legs) {
      if (leg.kind === 'video' && leg.consumer && !leg.consumer.closed) {
        leg.consumer.requestKeyFrame().catch(() => undefined);
      }
    }
  }

  #clearTimers(): void {
    this.#playlist.stopPolling();
    if (this.#keyframeTimer) clearInterval(this.#keyframeTimer);
    for (const leg of this.#legs) leg.layers?.stop();
    if (this.#killTimer) clearTimeout(this.#killTimer);
    if (this.#nudgeTimer) clearInterval(this.#nudgeTimer);
    this.#keyframeTimer = this.#killTimer = this.#nudgeTimer = null;
  }

  #releaseMedia(): void {
    releaseLegs(this.#legs);
  }

  /** create() failed half-way: undo everything without emitting anything. */
  async #abortStart(): Promise<void> {
    this.#stopRequested = true;
    this.#clearTimers();
    const child = this.#child;
    if (child && this.#exit === null) {
      child.kill('SIGKILL');
      await this.#exited;
    }
    this.#releaseMedia();
    await this.#removeSdpDir();
  }

  async #removeSdpDir(): Promise<void> {
    const dir = this.#sdpDir;
    this.#sdpDir = null;
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  #tail(): string | undefined {
    return this.#log.tail.trim() || undefined;
  }

  #failure(what: string): LiveRecorderError {
    return ffmpegFailure(what, { path: this.#ffmpegPath, spawnError: this.#spawnError, exit: this.#exit, tail: this.#tail() });
  }
}
