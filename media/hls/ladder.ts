// HLS ladder for recorded lectures (录播课件): which renditions to make, the one ffmpeg command
// that makes them all, and the master playlists that list them. No I/O here.
//
// Rules:
// - Video rungs are 1080p/720p/480p/360p at or below the source (never upscaled). A source
//   smaller than 360p gets one rung at its own size. "720p" means the short side, so a phone
//   recording held upright gets the same rungs as a landscape one.
// - Every video rung carries its own AAC track (muxed into the same TS segments): one request
//   per segment and no audio/video sync across playlists, which is what weak county links need.
// - A separate audio-only rung (AAC 64k) is for links that cannot hold 360p. hls.js drops
//   audio-only variants from a master that also lists video (level-controller.ts,
//   filterAndSortMediaOptions), so it is listed in master.m3u8 (native HLS players use it)
//   and also in its own audio.m3u8, which the player loads when the viewer picks "audio only".
// - All rungs come out of ONE ffmpeg process: the source is decoded once and split. Keyframes
//   are aligned across rungs so a player can switch at any segment boundary: every rung sees
//   the same constant frame rate (fps filter before the split), a fixed GOP of fps*segmentSec
//   frames, scene-cut keyframes off, and keyframes forced at every segment start by time.
// - H.264 High, yuv420p, with the level set per rung from its size and frame rate (h264-level.ts),
//   so the CODECS strings in the master are known without reading the output back.
// - The master playlist ffmpeg writes is replaced after the run by buildMasterPlaylist()
//   (master-playlist.ts): ffmpeg's BANDWIDTH is the nominal -b:v plus 10%, it has no
//   AVERAGE-BANDWIDTH or FRAME-RATE, and it cannot write the separate audio.m3u8.
// - Inputs are passed as `file:<path>` with `-protocol_whitelist file`, as in probe.ts.
import type { ProbeResult } from '../probe';
import { avc1CodecString, h264Level } from './h264-level';

// The H.264 levels and the master playlists live in h264-level.ts and master-playlist.ts; they
// are exported from here as before.
export { avc1CodecString, h264Level } from './h264-level';
export { TS_OVERHEAD, buildMasterPlaylist, nominalBandwidth, rungPlaylist } from './master-playlist';
export type { MasterPlaylistOptions, RungBandwidth } from './master-playlist';

export const DEFAULT_SEGMENT_SEC = 4;
export const DEFAULT_PRESET = 'veryfast';
/**
 * The first rung's preset (ProgressiveTranscodeJob): the lecture is watchable when it is done.
 * At 360p and 800 kbit/s superfast costs ~0.6 of veryfast's CPU (2.4 against 4.1 s per source
 * minute on the bench machine) for a small loss the bit rate covers.
 */
export const FIRST_PASS_PRESET = 'superfast';
/**
 * The top rungs' preset (short side 1080 and up), when faster than the lecture's: at 5 Mbit/s the
 * bit rate covers it (the 1080p rung's SSIM 0.9959 against 0.9973 at veryfast, same size). The
 * 1080p rung is the costliest encode of the higher rungs' pass; with it at superfast and AAC's
 * fast coder below, that pass takes 0.86 of the time (docs/benchmarks.md, "Higher rungs cheaper").
 */
export const TOP_RUNG_PRESET = 'superfast';
export const TOP_RUNG_SHORT = 1080;
/**
 * From this AAC bit rate up ffmpeg's `fast` coder is used: per its documentation better and much
 * faster than the default twoloop at higher bit rates, worse below 64 kbit/s (so the 64k rungs
 * keep twoloop). One 128k track of a minute: 1.9 against 3.0–3.7 s of CPU.
 */
export const AAC_FAST_CODER_FROM_KBPS = 96;
const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'];

/** The faster of two x264 presets (an unknown name counts as the slowest). */
export function fasterPreset(a: string, b: string): string {
  const rank = (p: string) => (X264_PRESETS.includes(p) ? X264_PRESETS.indexOf(p) : X264_PRESETS.length);
  return rank(a) <= rank(b) ? a : b;
}
/** Lectures gain nothing from 50/60 fps; such sources are halved (60 → 30, 50 → 25). */
export const DEFAULT_MAX_FPS = 30;
/** Used when ffprobe cannot tell the frame rate (PAL, as most Chinese broadcast sources). */
export const FALLBACK_FPS = 25;
export const AAC_CODECS = 'mp4a.40.2';

interface VideoRungSpec {
  short: number;
  videoKbps: number;
  audioKbps: number;
}

/** Short side → video bitrate; audio bitrate of the AAC track muxed into that rung. */
export const VIDEO_RUNGS: readonly VideoRungSpec[] = [
  { short: 1080, videoKbps: 5000, audioKbps: 128 },
  { short: 720, videoKbps: 2800, audioKbps: 128 },
  { short: 480, videoKbps: 1400, audioKbps: 96 },
  { short: 360, videoKbps: 800, audioKbps: 64 },
];
export const AUDIO_ONLY_KBPS = 64;
/** Audio-only sources (radio lectures, 讲座录音) get these rungs. */
export const AUDIO_SOURCE_KBPS = [128, 64] as const;
/** Capped VBR: peaks up to 1.1x the target, a 2 s VBV buffer. */
const MAXRATE_FACTOR = 1.1;
const BUFSIZE_FACTOR = 2;

export interface VideoRung {
  kind: 'video';
  /** Also the folder and the var_stream_map name: "720p". */
  name: string;
  width: number;
  height: number;
  videoKbps: number;
  maxrateKbps: number;
  bufsizeKbps: number;
  /** null when the source has no audio. */
  audioKbps: number | null;
  /** H.264 level as x264 takes it: "3.1". */
  level: string;
  /** RFC 6381 CODECS value, e.g. "avc1.64001f,mp4a.40.2". */
  codecs: string;
}

export interface AudioRung {
  kind: 'audio';
  name: string;
  audioKbps: number;
  codecs: string;
}

export type Rung = VideoRung | AudioRung;

export interface LadderPlan {
  /** Highest video rung first, then audio-only rungs (highest first). */
  rungs: Rung[];
  /** Output frame rate of every video rung; null for audio-only sources. */
  fps: number | null;
  /** Absolute ffmpeg stream indexes in the source (cover art is never picked as video). */
  videoStreamIndex: number | null;
  audioStreamIndex: number | null;
  durationSec: number;
}

export interface PlanLadderOptions {
  /** Default 30: faster sources are divided by 2 until they fit. */
  maxFps?: number;
  /** Default true: add the AAC 64k audio-only rung to a video source. */
  audioOnlyRung?: boolean;
}

/** Rounds to the nearest even integer, at least 2 (H.264 4:2:0 needs even sizes). */
export function even(value: number): number {
  return Math.max(2, Math.round(value / 2) * 2);
}

export function outputFps(sourceFps: number | null, maxFps = DEFAULT_MAX_FPS): number {
  let fps = sourceFps !== null && sourceFps > 0 ? sourceFps : FALLBACK_FPS;
  while (fps > maxFps + 0.01) fps /= 2;
  return Math.round(fps * 1000) / 1000;
}

/** ffmpeg rational for a frame rate: NTSC rates exactly (30000/1001), others as given. */
export function fpsRational(fps: number): string {
  for (const base of [24, 30, 60]) {
    if (Math.abs(fps - (base * 1000) / 1001) < 0.01) return `${base * 1000}/1001`;
  }
  return Number.isInteger(fps) ? String(fps) : String(Math.round(fps * 1000) / 1000);
}

function scaledBitrate(pixels: number): number {
  // Below 360p: 800k scaled by area, never under 150k (a 240p slide deck still needs text).
  const kbps = (800 * pixels) / (640 * 360);
  return Math.max(150, Math.round(kbps / 50) * 50);
}

export function planLadder(probe: ProbeResult, opts: PlanLadderOptions = {}): LadderPlan {
  const videoStream = probe.video ? probe.streams.find((s) => s.type === 'video' && !s.attachedPic) : undefined;
  // The first audio stream: ProbeResult does not say which one probe.audio describes when a file
  // has several (rare for lectures; a second language track is ignored).
  const audioStream = probe.audio ? probe.streams.find((s) => s.type === 'audio') : undefined;
  const hasAudio = audioStream !== undefined;
  const rungs: Rung[] = [];

  if (!probe.video || !videoStream) {
    if (!hasAudio) throw new RangeError('planLadder: the source has neither video nor audio');
    for (const kbps of AUDIO_SOURCE_KBPS) {
      rungs.push({ kind: 'audio', name: `audio-${kbps}k`, audioKbps: kbps, codecs: AAC_CODECS });
    }
    return {
      rungs,
      fps: null,
      videoStreamIndex: null,
      audioStreamIndex: audioStream.index,
      durationSec: probe.durationSec,
    };
  }

  const { width: srcW, height: srcH } = probe.video;
  if (!(srcW > 0 && srcH > 0)) throw new RangeError(`planLadder: the source video has no size (${srcW}x${srcH})`);
  const fps = outputFps(probe.video.fps, opts.maxFps);
  const portrait = srcH > srcW;
  const srcShort = Math.min(srcW, srcH);
  // Sizes from the short side; the long side keeps the source's aspect ratio.
  const size = (short: number): { width: number; height: number } =>
    portrait
      ? { width: short, height: even((short * srcH) / srcW) }
      : { width: even((short * srcW) / srcH), height: short };

  const specs: VideoRungSpec[] = VIDEO_RUNGS.filter((r) => r.short <= srcShort);
  if (specs.length === 0) {
    const short = Math.max(2, Math.floor(srcShort / 2) * 2);
    const { width, height } = size(short);
    specs.push({ short, videoKbps: scaledBitrate(width * height), audioKbps: 64 });
  }
  for (const spec of specs) {
    const { width, height } = size(spec.short);
    const maxrateKbps = Math.round(spec.videoKbps * MAXRATE_FACTOR);
    const bufsizeKbps = Math.round(spec.videoKbps * BUFSIZE_FACTOR);
    const level = h264Level(width, height, fps, maxrateKbps, bufsizeKbps);
    const video = avc1CodecString(level.idc);
    rungs.push({
      kind: 'video',
      name: `${spec.short}p`,
      width,
      height,
      videoKbps: spec.videoKbps,
      maxrateKbps,
      bufsizeKbps,
      audioKbps: hasAudio ? spec.audioKbps : null,
      level: level.level,
      codecs: hasAudio ? `${video},${AAC_CODECS}` : video,
    });
  }
  if (hasAudio && (opts.audioOnlyRung ?? true)) {
    rungs.push({ kind: 'audio', name: 'audio', audioKbps: AUDIO_ONLY_KBPS, codecs: AAC_CODECS });
  }
  return {
    rungs,
    fps,
    videoStreamIndex: videoStream.index,
    audioStreamIndex: audioStream?.index ?? null,
    durationSec: probe.durationSec,
  };
}

/** The plan cut down to the named rungs (plan order kept); throws on an unknown or empty selection. */
export function selectRungs(plan: LadderPlan, names: readonly string[] | undefined): LadderPlan {
  if (names === undefined) return plan;
  const unknown = names.filter((n) => !plan.rungs.some((r) => r.name === n));
  if (unknown.length) throw new RangeError(`rungs not in the plan: ${unknown.join(', ')}`);
  const rungs = plan.rungs.filter((r) => names.includes(r.name));
  if (rungs.length === 0) throw new RangeError('rungs: the selection is empty');
  return { ...plan, rungs };
}

export interface HlsArgsOptions {
  /** Target segment length; default 4 s. */
  segmentSec?: number;
  /** x264 preset; default 'veryfast'. */
  preset?: string;
  /** Overrides plan.fps. */
  fps?: number;
  /**
   * The source picture's size. A rung at most half of it (by its shorter side) is scaled with
   * `flags=area`, a box average: the right filter for a large reduction and about half the CPU of
   * the default bicubic (1080p to 360p: 0.7 against 1.6 s per source minute on the bench machine).
   */
  source?: { width: number; height: number };
  /**
   * 'vod' (default): ffmpeg writes each rung's playlist once, at the end. 'event': after every
   * segment (through a temporary file and a rename), so a rung can be served while it is being
   * made (ProgressiveTranscodeJob's growing first rung); the end adds #EXT-X-ENDLIST.
   */
  playlistType?: 'vod' | 'event';
}

/** The scale filter of one rung (see HlsArgsOptions.source). */
export function scaleFilter(rung: Pick<VideoRung, 'width' | 'height'>, source?: { width: number; height: number }): string {
  const reduction = source ? Math.min(source.width, source.height) / Math.min(rung.width, rung.height) : 1;
  return reduction >= 2 ? `scale=${rung.width}:${rung.height}:flags=area` : `scale=${rung.width}:${rung.height}`;
}

/**
 * The ffmpeg argv (without the program name) that writes every rung of `plan` into outDir:
 * outDir/<name>/index.m3u8 + outDir/<name>/seg_00000.ts ..., and ffmpeg's own
 * outDir/master.m3u8 (replaced later, see the header). Progress goes to stdout.
 */
export function buildHlsArgs(input: string, outDir: string, plan: LadderPlan, opts: HlsArgsOptions = {}): string[] {
  const segmentSec = opts.segmentSec ?? DEFAULT_SEGMENT_SEC;
  if (!(segmentSec > 0)) throw new RangeError(`buildHlsArgs: segmentSec must be > 0 (got ${segmentSec})`);
  const videoRungs = plan.rungs.filter((r): r is VideoRung => r.kind === 'video');
  const audioKbps = plan.rungs.flatMap((r) => (r.audioKbps === null ? [] : [r.audioKbps]));
  if (videoRungs.length > 0 && plan.videoStreamIndex === null) {
    throw new RangeError('buildHlsArgs: the plan has video rungs but no video stream');
  }
  if (audioKbps.length > 0 && plan.audioStreamIndex === null) {
    throw new RangeError('buildHlsArgs: the plan has audio but no audio stream');
  }

  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y'];
  args.push('-protocol_whitelist', 'file', '-i', `file:${input}`);

  if (videoRungs.length > 0) {
    const fps = opts.fps ?? plan.fps ?? FALLBACK_FPS;
    const src = `[0:${plan.videoStreamIndex}]fps=${fpsRational(fps)}`;
    const scales = videoRungs.map((r, i) => `${scaleFilter(r, opts.source)}[v${i}]`);
    const graph =
      videoRungs.length === 1
        ? `${src},${scales[0]}`
        : `${src},split=${videoRungs.length}${videoRungs.map((_, i) => `[s${i}]`).join('')};` +
          scales.map((s, i) => `[s${i}]${s}`).join(';');
    args.push('-filter_complex', graph);
    for (let i = 0; i < videoRungs.length; i++) args.push('-map', `[v${i}]`);
  }
  for (let i = 0; i < audioKbps.length; i++) args.push('-map', `0:${plan.audioStreamIndex}`);

  if (videoRungs.length > 0) {
    const fps = opts.fps ?? plan.fps ?? FALLBACK_FPS;
    const gop = String(Math.max(1, Math.round(fps * segmentSec)));
    const preset = opts.preset ?? DEFAULT_PRESET;
    args.push(
      '-c:v', 'libx264',
      '-preset', preset,
      '-profile:v', 'high',
      '-pix_fmt', 'yuv420p',
      '-g', gop,
      '-keyint_min', gop,
      '-sc_threshold', '0',
      '-force_key_frames', `expr:gte(t,n_forced*${segmentSec})`,
    );
    // The top rungs get their own preset only when it is faster than the lecture's.
    const top = fasterPreset(preset, TOP_RUNG_PRESET);
    videoRungs.forEach((r, i) => {
      if (top !== preset && Math.min(r.width, r.height) >= TOP_RUNG_SHORT) args.push(`-preset:v:${i}`, top);
      args.push(
        `-b:v:${i}`, `${r.videoKbps}k`,
        `-maxrate:v:${i}`, `${r.maxrateKbps}k`,
        `-bufsize:v:${i}`, `${r.bufsizeKbps}k`,
        `-level:v:${i}`, r.level,
      );
    });
  }
  if (audioKbps.length > 0) {
    args.push('-c:a', 'aac', '-ar', '48000', '-ac', '2');
    audioKbps.forEach((kbps, i) => {
      args.push(`-b:a:${i}`, `${kbps}k`);
      if (kbps >= AAC_FAST_CODER_FROM_KBPS) args.push(`-aac_coder:a:${i}`, 'fast');
    });
  }

  // Output stream numbering: video outputs v:0..n-1 in rung order, audio outputs a:0..m-1 in
  // rung order (video rungs with audio first, then the audio-only rungs).
  let v = 0;
  let a = 0;
  const streamMap = plan.rungs.map((r) => {
    const parts: string[] = [];
    if (r.kind === 'video') parts.push(`v:${v++}`);
    if (r.audioKbps !== null) parts.push(`a:${a++}`);
    parts.push(`name:${r.name}`);
    return parts.join(',');
  });

  args.push(
    // A split graph feeding several encoders can queue more packets at start than the default.
    '-max_muxing_queue_size', '1024',
    '-f', 'hls',
    '-hls_time', String(segmentSec),
    '-hls_playlist_type', opts.playlistType ?? 'vod',
    '-hls_flags', 'independent_segments',
    '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', `${outDir}/%v/seg_%05d.ts`,
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', streamMap.join(' '),
    `${outDir}/%v/index.m3u8`,
  );
  return args;
}
