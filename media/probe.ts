// Media probing: is an uploaded file a playable lecture, and what is in it.
//
// Rules:
// - ffprobe is run as a child process (execFile, no shell, no library) on `file:<absolute
//   path>` with `-protocol_whitelist file`: a name starting with "-" or "http:", or a playlist
//   disguised as .mp4, can never make ffprobe read anything but local files.
// - A file is accepted only if it has an audio or video stream and a positive duration.
//   Cover art (an attached picture) is not video; a still image is not media.
// - ffprobe's own errors do not tell a broken upload from a file that was never media: a text
//   file named .mp4 and an mp4 cut in half both fail with "moov atom not found". So the first
//   bytes decide: a known container signature means 'corrupt', anything else 'not-media'.
// - ffprobe does not read past the header, so an MP4 whose moov is at the front (faststart)
//   probes fine even when its mdat was cut short. For the MP4/MOV family the top-level boxes
//   are walked, and a box that claims more bytes than the file holds means 'corrupt'.
//   Both readings of the file's own bytes are in probe-container.ts.
// - Every rejection is a ProbeError with a stable `reason`, a Chinese message for the people
//   uploading courses and `messageEn` for logs.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SNIFF_BYTES, findTruncatedBox, readHead, sniffContainer, type ContainerKind } from './probe-container';

// The container sniffing lives in probe-container.ts; it is exported from here as before.
export { SNIFF_BYTES, findTruncatedBox, parseBoxHeader, sniffContainer } from './probe-container';
export type { BoxHeader, ContainerKind } from './probe-container';

export type ProbeFailureReason =
  | 'not-found'
  | 'empty-file'
  | 'not-media'
  | 'no-streams'
  | 'zero-duration'
  | 'corrupt'
  | 'timeout'
  | 'ffprobe-missing';

const MESSAGES: Record<ProbeFailureReason, { zh: string; en: string }> = {
  'not-found': { zh: '文件不存在或无法读取', en: 'File not found or not readable' },
  'empty-file': { zh: '文件为空（0 字节）', en: 'File is empty (0 bytes)' },
  'not-media': { zh: '无法识别为音视频文件', en: 'Not an audio or video file' },
  'no-streams': { zh: '文件中没有音频或视频内容', en: 'File contains no audio or video stream' },
  'zero-duration': { zh: '无法确定时长或时长为零', en: 'Duration is zero or unknown' },
  corrupt: {
    zh: '文件已损坏或不完整（可能上传中断），请重新上传',
    en: 'File is corrupt or incomplete (the upload may have been interrupted)',
  },
  timeout: { zh: '分析文件超时', en: 'Probing the file timed out' },
  'ffprobe-missing': {
    zh: '服务器未安装 ffprobe（请执行 apt-get install ffmpeg）',
    en: 'ffprobe is not installed on the server (apt-get install ffmpeg)',
  },
};

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  readonly reason: ProbeFailureReason;
  readonly messageEn: string;
  /** Tail of ffprobe's stderr or other evidence, for logs; never shown to users. */
  readonly detail: string | undefined;

  constructor(reason: ProbeFailureReason, options: { detail?: string; cause?: unknown } = {}) {
    super(MESSAGES[reason].zh, { cause: options.cause });
    this.reason = reason;
    this.messageEn = MESSAGES[reason].en;
    this.detail = options.detail;
  }
}

export type StreamType = 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'unknown';

export interface ProbeStream {
  index: number;
  type: StreamType;
  codec: string | null;
  durationSec: number | null;
  /** Cover art stored as a video stream (mp3/m4a album art). */
  attachedPic: boolean;
}

export interface ProbeVideo {
  codec: string;
  profile: string | null;
  width: number;
  height: number;
  pixFmt: string | null;
  fps: number | null;
}

export interface ProbeAudio {
  codec: string;
  sampleRate: number | null;
  channels: number | null;
}

export interface ProbeResult {
  durationSec: number;
  formatName: string;
  sizeBytes: number;
  bitRate: number | null;
  video?: ProbeVideo;
  audio?: ProbeAudio;
  streams: ProbeStream[];
}

export interface ProbeOptions {
  ffprobePath?: string;
  /** Default 30 s; ffprobe is killed (SIGKILL) when it runs longer. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const STDERR_DETAIL_CHARS = 600;

// ---------------------------------------------------------------------------------------------
// Pure parsing and classification

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && value !== 'unknown' ? value : null;
}

/** ffprobe writes most numbers as strings ("5.000000", "48000") and "N/A" when unknown. */
function num(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** "30000/1001" → 29.97; "0/0" (unknown) → null. */
export function parseFrameRate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const [n, d] = value.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return null;
  if (d === undefined) return n;
  if (!Number.isFinite(d) || d <= 0) return null;
  return Math.round((n / d) * 1000) / 1000;
}

function streamType(value: unknown): StreamType {
  switch (value) {
    case 'video':
    case 'audio':
    case 'subtitle':
    case 'data':
    case 'attachment':
      return value;
    default:
      return 'unknown';
  }
}

function isImageFormat(formatName: string): boolean {
  return /(^|,)image2|_pipe($|,)/.test(formatName);
}

/**
 * Turns ffprobe's `-show_format -show_streams` JSON into a ProbeResult, or throws the
 * ProbeError that says why the file cannot be used as a lecture.
 * `fileSize` (from stat) is preferred over ffprobe's, which some demuxers leave out.
 */
export function parseProbeOutput(raw: unknown, fileSize?: number): ProbeResult {
  let data: unknown = raw;
  if (typeof raw === 'string') {
    try {
      data = JSON.parse(raw);
    } catch (cause) {
      throw new ProbeError('corrupt', { detail: 'ffprobe printed invalid JSON', cause });
    }
  }
  const root = asObject(data);
  const format = asObject(root?.format);
  if (!root || !format) throw new ProbeError('not-media', { detail: 'ffprobe reported no format' });

  const rawStreams = Array.isArray(root.streams) ? root.streams.map(asObject) : [];
  const streams: ProbeStream[] = [];
  const byIndex = new Map<number, Json>();
  for (const [i, s] of rawStreams.entries()) {
    if (!s) continue;
    const index = num(s.index) ?? i;
    byIndex.set(index, s);
    streams.push({
      index,
      type: streamType(s.codec_type),
      codec: str(s.codec_name),
      durationSec: num(s.duration),
      attachedPic: asObject(s.disposition)?.attached_pic === 1,
    });
  }

  const formatName = str(format.format_name) ?? 'unknown';
  // Prefer the stream flagged default when a file carries several (e.g. two audio languages).
  const pick = (type: StreamType): ProbeStream | undefined => {
    const candidates = streams.filter((s) => s.type === type && !s.attachedPic);
    return candidates.find((s) => asObject(byIndex.get(s.index)?.disposition)?.default === 1) ?? candidates[0];
  };
  const videoStream = pick('video');
  const audioStream = pick('audio');

  let video: ProbeVideo | undefined;
  if (videoStream) {
    const s = byIndex.get(videoStream.index)!;
    video = {
      codec: videoStream.codec ?? 'unknown',
      profile: str(s.profile),
      width: num(s.width) ?? 0,
      height: num(s.height) ?? 0,
      pixFmt: str(s.pix_fmt),
      fps: parseFrameRate(s.avg_frame_rate) ?? parseFrameRate(s.r_frame_rate),
    };
  }
  let audio: ProbeAudio | undefined;
  if (audioStream) {
    const s = byIndex.get(audioStream.index)!;
    audio = {
      codec: audioStream.codec ?? 'unknown',
      sampleRate: num(s.sample_rate),
      channels: num(s.channels),
    };
  }

  if (!audio && isImageFormat(formatName)) {
    throw new ProbeError('not-media', { detail: `still image (${formatName})` });
  }
  if (!video && !audio) {
    const types = streams.map((s) => (s.attachedPic ? 'attached_pic' : s.type)).join(',') || 'none';
    throw new ProbeError('no-streams', { detail: `streams: ${types}` });
  }

  // Some containers (Matroska without cues, raw streams) leave the format duration out.
  const streamDurations = streams
    .filter((s) => (s.type === 'video' || s.type === 'audio') && !s.attachedPic)
    .map((s) => s.durationSec ?? 0);
  const durationSec = num(format.duration) ?? Math.max(0, ...streamDurations);
  if (!(durationSec > 0)) {
    throw new ProbeError('zero-duration', { detail: `duration: ${String(format.duration ?? 'N/A')}` });
  }

  const result: ProbeResult = {
    durationSec,
    formatName,
    sizeBytes: fileSize ?? num(format.size) ?? 0,
    bitRate: num(format.bit_rate),
    streams,
  };
  if (video) result.video = video;
  if (audio) result.audio = audio;
  return result;
}

/**
 * Why ffprobe failed, from its stderr and what the first bytes looked like.
 * `container` is sniffContainer() of the file's head (null when unrecognised).
 */
export function classifyProbeFailure(stderr: string, container: ContainerKind | null): ProbeFailureReason {
  if (/No such file or directory|Permission denied|Is a directory/i.test(stderr)) return 'not-found';
  // A recognised container that ffprobe cannot open is a damaged file; otherwise it never was media.
  return container ? 'corrupt' : 'not-media';
}

// ---------------------------------------------------------------------------------------------
// I/O

interface ExecResult {
  stdout: string;
  stderr: string;
}

class ExecFailure extends Error {
  constructor(
    readonly kind: 'missing' | 'timeout' | 'exit',
    readonly stderr: string,
    cause: unknown,
  ) {
    super(`ffprobe ${kind}`, { cause });
  }
}

function run(bin: string, args: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      bin,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise({ stdout, stderr });
        const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (err.code === 'ENOENT' || err.code === 'EACCES') reject(new ExecFailure('missing', stderr, error));
        else if (err.killed) reject(new ExecFailure('timeout', stderr, error));
        else reject(new ExecFailure('exit', stderr, error));
      },
    );
  });
}

function tail(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(-STDERR_DETAIL_CHARS) : undefined;
}

export async function probeMedia(file: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const path = resolve(file);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ProbeError('not-found', { detail: `${path} is not a regular file` });
    size = info.size;
  } catch (error) {
    if (error instanceof ProbeError) throw error;
    throw new ProbeError('not-found', { detail: path, cause: error });
  }
  if (size === 0) throw new ProbeError('empty-file', { detail: path });

  const args = [
    '-v', 'error',
    '-protocol_whitelist', 'file',
    '-print_format', 'json',
    '-show_format',
    '-show_streams',
    `file:${path}`,
  ];
  let output: ExecResult;
  try {
    output = await run(opts.ffprobePath ?? 'ffprobe', args, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    if (!(error instanceof ExecFailure)) throw error;
    if (error.kind === 'missing') throw new ProbeError('ffprobe-missing', { cause: error.cause });
    if (error.kind === 'timeout') throw new ProbeError('timeout', { detail: tail(error.stderr), cause: error.cause });
    const container = sniffContainer(await readHead(path, SNIFF_BYTES).catch(() => new Uint8Array()));
    const reason = classifyProbeFailure(error.stderr, container);
    throw new ProbeError(reason, { detail: tail(error.stderr), cause: error.cause });
  }

  const result = parseProbeOutput(output.stdout, size);
  if (/(^|,)(mov|mp4)(,|$)/.test(result.formatName)) {
    const overrun = await findTruncatedBox(path, size);
    if (overrun) throw new ProbeError('corrupt', { detail: overrun });
  }
  return result;
}
