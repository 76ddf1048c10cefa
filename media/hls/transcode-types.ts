// The shapes of a transcode (TranscodeJob.ts): its options, progress, result, errors, events.
import type { ProbeResult } from '../probe';
import type { PlanLadderOptions, RungBandwidth } from './ladder';
import type { ThumbnailOptions } from './thumbnails';

export interface TranscodeJobOptions {
  /** Source file (already accepted by probeMedia). */
  input: string;
  /** Final output folder; must not contain '%' (ffmpeg output patterns). */
  outDir: string;
  probe: ProbeResult;
  ffmpegPath?: string;
  /** x264 preset, default 'veryfast'. */
  preset?: string;
  /** Default 4. */
  segmentSec?: number;
  /**
   * 'event': ffmpeg rewrites each rung's playlist after every segment, so a rung can be followed
   * while it is made (partialDir/<rung>/index.m3u8); the finished playlists say VOD either way.
   */
  playlistType?: 'vod' | 'event';
  ladder?: PlanLadderOptions;
  /**
   * Names of the plan's rungs to make (default: all). The plan is cut down to them, in plan order;
   * every subset keeps the same frame rate, GOP and forced keyframes, so rungs made by separate
   * jobs from the same source switch at the same segment boundaries (ProgressiveTranscodeJob).
   */
  rungs?: readonly string[];
  /** Sprite layout; `false` skips poster and sprites (the bench times the ladder alone). */
  thumbnails?: ThumbnailOptions | false;
  /**
   * Which of the two to make when thumbnails are on (default both): the first pass of a
   * progressive ladder makes the poster alone and a later pass the sprites (ProgressiveTranscodeJob).
   */
  thumbnailParts?: { poster: boolean; sprites: boolean };
  /** Between SIGTERM and SIGKILL on abort(); default 3000. */
  killTimeoutMs?: number;
}

export type TranscodeStage = 'ladder' | 'thumbnails';

export interface TranscodeProgress {
  stage: TranscodeStage;
  /** Whole job, 0..100, never decreases. */
  percent: number;
  /** This stage, 0..100. */
  stagePercent: number;
  /** Seconds left in this stage at the current speed; null while unknown. */
  etaSec: number | null;
  /** Multiple of real time; null while unknown. */
  speed: number | null;
}

export interface TranscodeRendition {
  name: string;
  kind: 'video' | 'audio';
  width?: number;
  height?: number;
  /** Peak bit rate (bit/s) as announced in the master. */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  /** Relative to outDir: "720p/index.m3u8". */
  playlist: string;
  segments: number;
}

export interface TranscodeResult {
  outDir: string;
  /** Paths are relative to outDir. */
  masterPath: 'master.m3u8';
  /** Master with only the audio-only rung(s), for the player's "audio only" mode; null without audio. */
  audioMasterPath: 'audio.m3u8' | null;
  renditions: TranscodeRendition[];
  posterPath: string | null;
  thumbnailsVtt: string | null;
  sprites: string[];
  durationSec: number;
  segmentSec: number;
  timings: { ladderMs: number; thumbnailsMs: number };
}

export type TranscodeErrorCode =
  | 'invalid-input'
  | 'ffmpeg-missing'
  | 'ffmpeg-failed'
  | 'output-invalid'
  | 'io-failed'
  | 'aborted';

export class TranscodeError extends Error {
  override readonly name = 'TranscodeError';
  readonly code: TranscodeErrorCode;
  readonly stage: TranscodeStage | null;
  /** Last lines of ffmpeg's stderr, for logs. */
  readonly stderrTail: string | undefined;
  readonly exitCode: number | null;

  constructor(
    code: TranscodeErrorCode,
    message: string,
    options: { stage?: TranscodeStage | null; stderrTail?: string; exitCode?: number | null; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.stage = options.stage ?? null;
    this.stderrTail = options.stderrTail;
    this.exitCode = options.exitCode ?? null;
  }
}

export interface TranscodeJobEvents {
  progress: [TranscodeProgress];
  end: [TranscodeResult];
  error: [TranscodeError];
}

export type TranscodeJobState = 'running' | 'ended' | 'failed' | 'aborted';
