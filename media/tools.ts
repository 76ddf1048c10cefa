// External tool check: can this machine transcode lectures (ffmpeg with libx264 + aac) and
// probe uploads (ffprobe)? Run at boot and by /readyz.
//
// Rules:
// - H.264 means the libx264 encoder: HLS for browsers needs H.264 High/Main yuv420p, and the
//   other H.264 encoders an ffmpeg build may list (vaapi, nvenc, v4l2m2m) need hardware the
//   portal cannot count on.
// - Never throws: a missing or broken binary is a result (ok: false) with a reason that says
//   what to install, so the caller decides whether to refuse to boot or report "degraded".
import { execFile } from 'node:child_process';

export interface FfmpegCheckOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Per command; default 10 s. */
  timeoutMs?: number;
}

export interface FfmpegCheck {
  ok: boolean;
  /** ffmpeg's version string, e.g. "5.1.9-0+deb12u1". */
  version?: string;
  ffprobeVersion?: string;
  h264: boolean;
  aac: boolean;
  /** Why ok is false; names the package to install. */
  reason?: string;
}

const INSTALL_HINT = 'apt-get install ffmpeg';

/** Encoder names listed by `ffmpeg -hide_banner -encoders` (the table after the "------" line). */
export function parseEncoderList(stdout: string): Set<string> {
  const names = new Set<string>();
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.trim().startsWith('---'));
  for (const line of lines.slice(start + 1)) {
    const match = /^\s*[VAS.][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

export function hasRequiredEncoders(encoders: ReadonlySet<string>): { h264: boolean; aac: boolean } {
  return { h264: encoders.has('libx264'), aac: encoders.has('aac') };
}

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright ..." → "5.1.9-0+deb12u1". */
export function parseVersion(stdout: string, program: 'ffmpeg' | 'ffprobe'): string | undefined {
  return new RegExp(`^${program} version (\\S+)`, 'm').exec(stdout)?.[1];
}

type RunResult = { ok: true; stdout: string } | { ok: false; problem: string };

function run(bin: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (!error) return resolve({ ok: true, stdout });
      const err = error as NodeJS.ErrnoException & { killed?: boolean };
      if (err.code === 'ENOENT') resolve({ ok: false, problem: `${bin} not found (${INSTALL_HINT})` });
      else if (err.code === 'EACCES') resolve({ ok: false, problem: `${bin} is not executable` });
      else if (err.killed) resolve({ ok: false, problem: `${bin} ${args.join(' ')} did not answer in ${timeoutMs} ms` });
      else resolve({ ok: false, problem: `${bin} ${args.join(' ')} failed: ${err.message.split('\n')[0]}` });
    });
  });
}

export async function checkFfmpeg(opts: FfmpegCheckOptions = {}): Promise<FfmpegCheck> {
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const ffprobe = opts.ffprobePath ?? 'ffprobe';
  const timeoutMs = opts.timeoutMs ?? 10_000;

  const [ffmpegVersion, encoders, ffprobeVersion] = await Promise.all([
    run(ffmpeg, ['-hide_banner', '-version'], timeoutMs),
    run(ffmpeg, ['-hide_banner', '-encoders'], timeoutMs),
    run(ffprobe, ['-hide_banner', '-version'], timeoutMs),
  ]);

  const problems: string[] = [];
  const result: FfmpegCheck = { ok: false, h264: false, aac: false };

  if (ffmpegVersion.ok) {
    const version = parseVersion(ffmpegVersion.stdout, 'ffmpeg');
    if (version) result.version = version;
  }
  if (encoders.ok) {
    Object.assign(result, hasRequiredEncoders(parseEncoderList(encoders.stdout)));
    if (!result.h264) problems.push(`${ffmpeg} has no libx264 encoder (install an ffmpeg built with libx264: ${INSTALL_HINT})`);
    if (!result.aac) problems.push(`${ffmpeg} has no aac encoder (${INSTALL_HINT})`);
  } else {
    problems.push(encoders.problem);
  }
  if (ffprobeVersion.ok) {
    const version = parseVersion(ffprobeVersion.stdout, 'ffprobe');
    if (version) result.ffprobeVersion = version;
  } else {
    problems.push(ffprobeVersion.problem);
  }

  result.ok = problems.length === 0;
  if (!result.ok) result.reason = problems.join('; ');
  return result;
}
