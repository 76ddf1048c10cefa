// Transcode bench: does TranscodeJob add anything to the cost of the ffmpeg ladder itself?
//
//   node --import tsx bench/transcode.ts [--minutes 10] [--height 1080] [--rounds 2] [--preset veryfast]
//
// Generates a test lecture (testsrc2 + sine, H.264 High yuv420p + AAC; cached under
// $TMPDIR/cadre-bench), then times (a) TranscodeJob with thumbnails off, i.e. the ladder stage
// with progress parsing, playlist read-back, master writing and the final rename, and (b) the
// very same ladder argv run by hand with child_process (the baseline). Runs alternate
// (a b, b a, ...) so drift in machine load hits both alike. Besides wall time, the CPU time
// of each run (this process plus the ffmpeg it reaped, from /proc/self/stat) is reported: on
// a shared machine wall time swings by tens of percent while CPU time stays put, so the CPU
// ratio is the one to trust there. Human-readable lines go to stderr; one JSON line goes to
// stdout. Target: ours/baseline <= 1.05.
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { TranscodeJob, buildHlsArgs, planLadder, probeMedia } from '../media/index';

const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    height: { type: 'string', default: '1080' },
    rounds: { type: 'string', default: '2' },
    preset: { type: 'string', default: 'veryfast' },
    ffmpeg: { type: 'string', default: 'ffmpeg' },
  },
});

const minutes = Number(values.minutes);
const height = Number(values.height);
const rounds = Number(values.rounds);
if (!(minutes > 0) || !(height >= 144) || !(Number.isInteger(rounds) && rounds >= 1)) {
  console.error('usage: bench/transcode.ts [--minutes N>0] [--height H>=144] [--rounds R>=1] [--preset P]');
  process.exit(2);
}
const width = Math.round((height * 16) / 9 / 2) * 2;
const ffmpeg = values.ffmpeg;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function ensureLecture(): Promise<string> {
  const dir = join(tmpdir(), 'cadre-bench');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `lecture-${minutes}min-${width}x${height}.mp4`);
  if (await stat(file).then((s) => s.size > 0, () => false)) {
    log(`transcode bench | using cached lecture [file:${file}]`);
    return file;
  }
  log(`transcode bench | generating a ${minutes} min ${width}x${height} lecture (cached for next time) ...`);
  const started = performance.now();
  // Written under a temporary name so an interrupted run never leaves a half file in the cache.
  const partial = `${file}.partial.mp4`;
  await run(ffmpeg, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(minutes * 60),
    '-c:v', 'libx264', '-preset', 'superfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ac', '2', '-b:a', '96k',
    '-movflags', '+faststart',
    partial,
  ]);
  await rename(partial, file);
  log(`transcode bench | generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** Runs argv like a person would, draining the progress pipe. */
function runBaseline(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`baseline ffmpeg exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** CPU ms used so far by this process and the children it has reaped; null off Linux. */
async function cpuMs(clockTicks: number): Promise<number | null> {
  const self = process.cpuUsage();
  const raw = await readFile('/proc/self/stat', 'utf8').catch(() => null);
  if (raw === null) return null;
  // Fields after "(comm)": state is field 3, cutime field 16, cstime field 17.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const children = ((Number(rest[13]) + Number(rest[14])) * 1000) / clockTicks;
  return (self.user + self.system) / 1000 + children;
}

async function timed(task: () => Promise<void>, clockTicks: number): Promise<{ wallMs: number; cpuMs: number | null }> {
  const cpu0 = await cpuMs(clockTicks);
  const started = performance.now();
  await task();
  const wallMs = performance.now() - started;
  const cpu1 = await cpuMs(clockTicks);
  return { wallMs, cpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const input = await ensureLecture();
const probe = await probeMedia(input);
const plan = planLadder(probe);
const work = join(tmpdir(), 'cadre-bench', `run-${process.pid}`);
await mkdir(work, { recursive: true });
const oursDir = join(work, 'ours');
const baseDir = join(work, 'baseline');
const clockTicks = Number((await run('getconf', ['CLK_TCK']).catch(() => ({ stdout: '100' }))).stdout) || 100;
const oursMs: number[] = [];
const baselineMs: number[] = [];
const oursCpuMs: number[] = [];
const baselineCpuMs: number[] = [];

log(
  `transcode bench | ${minutes} min ${width}x${height} -> ${plan.rungs.map((r) => r.name).join(', ')}` +
    ` [preset:${values.preset} cpus:${availableParallelism()} rounds:${rounds}]`,
);

try {
  // The comparison is only fair if both ran the same command.
  const probeJob = await TranscodeJob.create({
    input,
    outDir: join(work, 'argv-check'),
    probe,
    preset: values.preset,
    thumbnails: false,
    ffmpegPath: ffmpeg,
  });
  const jobArgs = [...probeJob.ladderArgs];
  await probeJob.abort();
  const sameArgv =
    JSON.stringify(jobArgs) ===
    JSON.stringify(buildHlsArgs(input, probeJob.partialDir, plan, { preset: values.preset }));
  if (!sameArgv) throw new Error('TranscodeJob runs a different ladder argv than the baseline');

  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
    for (const which of order) {
      await rm(oursDir, { recursive: true, force: true });
      await rm(baseDir, { recursive: true, force: true });
      const t =
        which === 'ours'
          ? await timed(async () => {
              const job = await TranscodeJob.create({
                input,
                outDir: oursDir,
                probe,
                preset: values.preset,
                thumbnails: false,
                ffmpegPath: ffmpeg,
              });
              await job.wait();
            }, clockTicks)
          : await timed(async () => {
              // The argv TranscodeJob runs, pointed at another folder (checked below).
              await mkdir(baseDir, { recursive: true });
              await runBaseline(buildHlsArgs(input, baseDir, plan, { preset: values.preset }));
            }, clockTicks);
      (which === 'ours' ? oursMs : baselineMs).push(t.wallMs);
      if (t.cpuMs !== null) (which === 'ours' ? oursCpuMs : baselineCpuMs).push(t.cpuMs);
      log(
        `transcode bench | round ${round + 1} ${which.padEnd(8)} wall ${(t.wallMs / 1000).toFixed(2)} s` +
          (t.cpuMs === null ? '' : `  cpu ${(t.cpuMs / 1000).toFixed(2)} s`),
      );
    }
  }

  // Best of N: other load only ever adds time, so the fastest run is the least disturbed one.
  const ours = Math.min(...oursMs);
  const baseline = Math.min(...baselineMs);
  const ratio = ours / baseline;
  const medianRatio = median(oursMs) / median(baselineMs);
  const cpuRatio = oursCpuMs.length && baselineCpuMs.length ? Math.min(...oursCpuMs) / Math.min(...baselineCpuMs) : null;
  const { stdout: version } = await run(ffmpeg, ['-hide_banner', '-version']);
  log(
    `transcode bench | best of ${rounds}: ours ${(ours / 1000).toFixed(2)} s, baseline ${(baseline / 1000).toFixed(2)} s,` +
      ` ratio ${ratio.toFixed(3)} (target <= 1.05; median ratio ${medianRatio.toFixed(3)}),` +
      ` ${((minutes * 60 * 1000) / ours).toFixed(2)}x real time` +
      (cpuRatio === null ? '' : `; cpu ratio ${cpuRatio.toFixed(3)}`),
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'transcode',
      minutes,
      width,
      height,
      rungs: plan.rungs.map((r) => r.name),
      preset: values.preset,
      rounds,
      cpus: availableParallelism(),
      ffmpeg: /^ffmpeg version (\S+)/.exec(version)?.[1] ?? null,
      oursMs: oursMs.map(Math.round),
      baselineMs: baselineMs.map(Math.round),
      oursBestMs: Math.round(ours),
      baselineBestMs: Math.round(baseline),
      ratio: Math.round(ratio * 1000) / 1000,
      medianRatio: Math.round(medianRatio * 1000) / 1000,
      oursCpuMs: oursCpuMs.map(Math.round),
      baselineCpuMs: baselineCpuMs.map(Math.round),
      cpuRatio: cpuRatio === null ? null : Math.round(cpuRatio * 1000) / 1000,
      loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
      target: 1.05,
      pass: ratio <= 1.05,
    })}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
