// Rendering the replay (回放) of a live lecture from its recorded parts: the media work behind
// the server's `live-replay` job.
//
// Rules:
// - A part is a recorder folder (index.m3u8 + segments). Only the segments its playlist lists
//   are used, so a part whose recorder died with the portal (no #EXT-X-ENDLIST) counts up to
//   its last complete segment; a part without segments is left out (its time becomes slate).
// - The timeline, sizes and the ffmpeg arguments come from replay-plan.ts (pure).
// - The MP4 is written beside `outPath` and renamed into place when complete, so a retried or
//   aborted render never leaves a half file where the transcode would read it. Temporary lists
//   are removed in every case. ffmpeg is spawned tied to this process and killed on abort.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { spawnTied } from '../child';
import { MIN_PROBEABLE_TS_BYTES, parseMediaPlaylist } from '../hls/playlist';
import { RECORDER_PLAYLIST } from './recording-args';
import { buildReplayArgs, planReplay, type ReplayPlan } from './replay-plan';

const run = promisify(execFile);
const STDERR_TAIL_CHARS = 2_000;

export interface RecordedPart {
  /** Absolute paths of the listed segments, in order. */
  segments: string[];
  durationSec: number;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
}

/** What a recorder folder holds; null when it has no complete segment. */
export async function probeRecordedPart(dir: string, ffprobePath = 'ffprobe'): Promise<RecordedPart | null> {
  const text = await readFile(join(dir, RECORDER_PLAYLIST), 'utf8').catch(() => null);
  if (text === null) return null;
  const playlist = parseMediaPlaylist(text);
  if (!playlist.segments.length) return null;
  // A last segment too short for ffmpeg to recognise as MPEG-TS (a frame or two) is left out:
  // the concat demuxer detects each file's format and would refuse it or read it as MP2 audio.
  const listed = [...playlist.segments];
  while (listed.length > 1 && (await stat(join(dir, listed.at(-1)!.uri)).then((st) => st.size, () => 0)) < MIN_PROBEABLE_TS_BYTES) listed.pop();
  const segments = listed.map((s) => join(dir, s.uri));
  const part: RecordedPart = {
    segments,
    durationSec: Math.round(listed.reduce((sum, s) => sum + s.durationSec, 0) * 1000) / 1000,
    hasVideo: false,
    hasAudio: false,
  };
  // The first and the last segment: a part whose layer changed mid-way counts at its larger size.
  for (const file of new Set([segments[0]!, segments.at(-1)!])) {
    const { stdout } = await run(ffprobePath, ['-v', 'error', '-f', 'mpegts', '-show_entries', 'stream=codec_type,width,height', '-of', 'json', `file:${file}`], { timeout: 30_000 });
    const streams = (JSON.parse(stdout) as { streams?: { codec_type?: string; width?: number; height?: number }[] }).streams ?? [];
    for (const s of streams) {
      if (s.codec_type === 'audio') part.hasAudio = true;
      if (s.codec_type !== 'video' || !s.width || !s.height) continue;
      part.hasVideo = true;
      if (!part.width || s.width * s.height > part.width * (part.height ?? 0)) {
        part.width = s.width;
        part.height = s.height;
      }
    }
  }
  return part;
}

export interface ReplayPartSource {
  /** The part's recorder folder (absolute). */
  dir: string;
  offsetSec: number;
}

export interface RenderReplayOptions {
  parts: readonly ReplayPartSource[];
  /** The live timeline's length: the replay is this long (a slate after the last part). */
  totalSec: number;
  outPath: string;
  ffmpegPath?: string;
  ffprobePath?: string;
  preset?: string;
  signal?: AbortSignal;
  /** Share of the replay written so far (0..1), about once a second. */
  onProgress?: (fraction: number) => void;
}

export interface RenderReplayResult {
  plan: ReplayPlan;
  durationSec: number;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    readonly code: 'no-recording' | 'ffmpeg-failed' | 'aborted',
    message: string,
    readonly stderrTail?: string,
  ) {
    super(message);
  }
}

/** Joins the parts on the live timeline into one MP4 at `outPath`. */
export async function renderReplay(o: RenderReplayOptions): Promise<RenderReplayResult> {
  const probed = await Promise.all(o.parts.map((p) => probeRecordedPart(p.dir, o.ffprobePath)));
  const present = o.parts.flatMap((p, i) => (probed[i] ? [{ source: p, part: probed[i]! }] : []));
  if (!present.length) throw new ReplayError('no-recording', 'the recording has no segments');
  const plan = planReplay(
    present.map(({ source, part }) => ({ ...part, offsetSec: source.offsetSec })),
    o.totalSec,
  );
  const work = await mkdtemp(join(tmpdir(), 'cadre-replay-'));
  const partial = `${o.outPath}.partial`;
  try {
    const partLists = await Promise.all(
      present.map(async ({ part }, i) => {
        const list = join(work, `part-${i}.ffconcat`);
        await writeFile(list, `ffconcat version 1.0\n${part.segments.map((s) => `file '${s.replace(/'/g, "'\\''")}'`).join('\n')}\n`);
        return list;
      }),
    );
    await mkdir(dirname(o.outPath), { recursive: true });
    const args = buildReplayArgs({ plan, partLists, parts: present.map((p) => p.part), outPath: partial, preset: o.preset });
    const onTime = o.onProgress && ((sec: number) => o.onProgress!(Math.min(1, sec / Math.max(plan.durationSec, 0.001))));
    await runFfmpeg(o.ffmpegPath ?? 'ffmpeg', ['-progress', 'pipe:1', '-nostats', ...args], o.signal, onTime);
    await rename(partial, o.outPath);
    return { plan, durationSec: plan.durationSec };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}

function runFfmpeg(ffmpegPath: string, args: string[], signal?: AbortSignal, onTime?: (sec: number) => void): Promise<void> {
  if (signal?.aborted) return Promise.reject(new ReplayError('aborted', 'the replay was aborted'));
  return new Promise((resolve, reject) => {
    const child = spawnTied(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // -progress writes key=value lines; out_time_us is how far the output has got.
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const us = [...chunk.matchAll(/^out_time_us=(\d+)$/gm)].at(-1)?.[1];
      if (us && onTime) onTime(Number(us) / 1e6);
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    let failed: Error | null = null;
    child.on('error', (error) => (failed = error));
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(new ReplayError('aborted', 'the replay was aborted'));
      else if (code === 0) resolve();
      else {
        const tail = stderr.trim() || undefined;
        const why = failed ? failed.message : code === null ? `signal ${sig}` : `code ${code}`;
        reject(new ReplayError('ffmpeg-failed', `ffmpeg failed joining the replay (${why}): ${tail?.split('\n').at(-1) ?? 'no error output'}`, tail));
      }
    });
  });
}
