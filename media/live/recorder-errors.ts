// Which LiveRecorderError (errors.ts) a recording (LiveRecorder.ts) raises: the options and
// sources create() refuses, and what an ffmpeg that failed to start or exited early is reported
// as (missing binary; or what it was doing, its exit, and its last stderr line). Pure, no I/O.
import { isAbsolute } from 'node:path';
import { LiveRecorderError } from './errors';
import type { LiveRecorderExit, LiveRecorderSources } from './recorder-types';
import type { RecordingOptions } from './types';

/** Throws 'invalid-options' when `sources` and `opts` cannot make a recording. */
export function checkRecording(sources: LiveRecorderSources, opts: RecordingOptions): void {
  if (!sources.audio && !sources.video && !sources.screen) {
    throw new LiveRecorderError('invalid-options', 'a recording needs an audio or a video producer');
  }
  if (!isAbsolute(opts.outDir)) throw new LiveRecorderError('invalid-options', `outDir must be absolute: ${opts.outDir}`);
  if (opts.outDir.includes('%')) {
    throw new LiveRecorderError('invalid-options', `outDir must not contain '%' (ffmpeg output pattern): ${opts.outDir}`);
  }
  if (opts.segmentSec !== undefined && !(opts.segmentSec >= 1)) {
    throw new LiveRecorderError('invalid-options', `segmentSec must be >= 1 (got ${opts.segmentSec})`);
  }
  if (sources.audio && sources.audio.kind !== 'audio') {
    throw new LiveRecorderError('invalid-options', `producer ${sources.audio.id} is not audio`);
  }
  for (const video of [sources.video, sources.screen]) {
    if (video && video.kind !== 'video') throw new LiveRecorderError('invalid-options', `producer ${video.id} is not video`);
  }
}

/** The error for an ffmpeg that failed while doing `what`. */
export function ffmpegFailure(
  what: string,
  ffmpeg: { path: string; spawnError: NodeJS.ErrnoException | null; exit: LiveRecorderExit | null; tail: string | undefined },
): LiveRecorderError {
  const { spawnError, tail } = ffmpeg;
  const code = ffmpeg.exit?.code;
  const missing =
    (spawnError && (spawnError.code === 'ENOENT' || spawnError.code === 'EACCES')) ||
    ((code === 126 || code === 127) && /failed to execute/i.test(tail ?? ''));
  if (missing) return new LiveRecorderError('ffmpeg-missing', `${ffmpeg.path} not found (apt-get install ffmpeg)`, { stderrTail: tail });
  const how = ffmpeg.exit ? (ffmpeg.exit.code === null ? ` (signal ${ffmpeg.exit.signal})` : ` (code ${ffmpeg.exit.code})`) : '';
  const last = tail?.split('\n').at(-1) ?? 'no error output';
  return new LiveRecorderError('ffmpeg-failed', `${what}${how}: ${last}`, { stderrTail: tail });
}
