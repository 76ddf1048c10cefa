// First rung first (issue 20): how soon a recorded lecture is watchable, and how long the whole
// ladder takes, against the single-pass ladder of the same run.
//
//   node --import tsx bench/first-rung.ts [--minutes 3] [--height 1080] [--rounds 1] [--preset veryfast] [--higher together|each] [--source-kbps N] [--looped] [--watchable-only]
//
// --source-kbps: the generated source at that video bit rate (x264 veryfast, 2-pass-free ABR)
// instead of superfast's own choice (~9.7 Mbit/s at 1080p for testsrc2, a hard case: decoding
// cost grows with the bit rate). A lecture camera or recording box writes 1080p at 4–8 Mbit/s.
// --looped: a source longer than a minute is the 1-minute one (same settings) repeated by stream
// copy (seconds to make, where generating 60 minutes of 1080p would take most of an hour): the
// same pictures again, the same decoding and encoding work per minute.
// --watchable-only: times the progressive job to its lowest rung complete and aborts it there (a
// 60-minute source measured directly, not extrapolated); the baseline of the same run is then
// ffmpeg decoding the same source and nothing else (the floor of any pass over it).
//
// Uses (or generates) the same cached test lecture as bench/transcode.ts (testsrc2 + sine,
// H.264 High yuv420p 25 fps + AAC, $TMPDIR/cadre-bench). Times, alternating the order per round:
// - progressive: ProgressiveTranscodeJob to its first `rungs` event (the master lists the lowest
//   video rung + audio while it grows: watchable from the start, up to what is made), to the
//   lowest rung complete (watchable anywhere: "first playable" in the figures before the rung
//   grew) and to `end` (every rung listed), poster and sprites included;
// - single pass: TranscodeJob (every rung in one ffmpeg, poster and sprites), the portal before.
// Wall time and CPU time (this process plus reaped children) for each, the load average at
// start and end (the machine may be shared), and a linear extrapolation to 60 minutes (encoding
// time grows with the length at a fixed speed). Human lines to stderr, one JSON line to stdout.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ProgressiveTranscodeJob, TranscodeJob, planLadder, planPasses, probeMedia } from '../media/index';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    height: { type: 'string', default: '1080' },
    rounds: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'veryfast' },
    higher: { type: 'string', default: 'together' },
    'skip-baseline': { type: 'boolean', default: false },
    'source-kbps': { type: 'string', default: '' },
    looped: { type: 'boolean', default: false },
    'watchable-only': { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const height = Number(values.height);
const rounds = Number(values.rounds);
const higher = values.higher === 'each' ? 'each' : 'together';
const width = Math.round((height * 16) / 9 / 2) * 2;
const sourceKbps = values['source-kbps'] ? Number(values['source-kbps']) : null;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const watchableOnly = values['watchable-only'];

async function ensureLecture(minutes: number): Promise<string> {
  const dir = join(tmpdir(), 'cadre-bench');
  await mkdir(dir, { recursive: true });
  const looped = values.looped && minutes > 1;
  const file = join(dir, `lecture-${minutes}min-${width}x${height}${sourceKbps ? `-${sourceKbps}k` : ''}${looped ? '-looped' : ''}.mp4`);
  if (await stat(file).then((s) => s.size > 0, () => false)) return file;
  if (looped) {
    const one = await ensureLecture(1);
    log(`first-rung bench | repeating the 1-minute lecture to ${minutes} min (stream copy, cached) ...`);
    const partial = `${file}.partial.mp4`;
    await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', String(minutes - 1), '-i', one, '-t', String(minutes * 60), '-c', 'copy', '-movflags', '+faststart', partial]);
    await rename(partial, file);
    return file;
  }
  log(`first-rung bench | generating a ${minutes} min ${width}x${height} lecture (cached) ...`);
  const partial = `${file}.partial.mp4`;
  await run('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(minutes * 60),
    ...(sourceKbps
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', `${sourceKbps}k`, '-maxrate', `${Math.round(sourceKbps * 1.25)}k`, '-bufsize', `${sourceKbps * 2}k`]
      : ['-c:v', 'libx264', '-preset', 'superfast']),
    '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ac', '2', '-b:a', '96k', '-movflags', '+faststart', partial,
  ]);
  await rename(partial, file);
  return file;
}

const clockTicks = Number((await run('getconf', ['CLK_TCK']).catch(() => ({ stdout: '100' }))).stdout) || 100;
/** CPU ms of this process plus the children it has reaped. */
async function cpuMs(): Promise<number> {
  const self = process.cpuUsage();
  const rest = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  return (self.user + self.system) / 1000 + ((Number(rest[13]) + Number(rest[14])) * 1000) / clockTicks;
}

const input = await ensureLecture(minutes);
const probe = await probeMedia(input);
const plan = planLadder(probe);
const work = join(tmpdir(), 'cadre-bench', `first-rung-${process.pid}`);
const scale = 60 / minutes;
interface Row { which: string; listedMs: number | null; firstMs: number | null; firstCpuMs: number | null; fullMs: number; cpuMs: number; loadStart: number[]; loadEnd: number[] }
const rows: Row[] = [];
log(`first-rung bench | ${minutes} min ${width}x${height} at ${Math.round((probe.bitRate ?? 0) / 1000)} kbit/s, passes ${JSON.stringify(planPasses(plan, higher))} [preset:${values.preset} cpus:${availableParallelism()} load:${load().join(' ')}]`);

try {
  for (let round = 0; round < rounds; round++) {
    const baseline = watchableOnly ? 'decode' : 'single';
    const order = values['skip-baseline'] ? ['progressive'] : round % 2 === 0 ? ['progressive', baseline] : [baseline, 'progressive'];
    for (const which of order) {
      await rm(work, { recursive: true, force: true });
      const loadStart = load();
      const cpu0 = await cpuMs();
      const t0 = performance.now();
      // listedMs: the lowest rung listed while it grows (watchable from its start); firstMs: complete.
      let listedMs: number | null = null;
      let firstMs: number | null = null;
      let firstCpuMs: number | null = null;
      let firstCpu: Promise<unknown> = Promise.resolve();
      if (which === 'progressive') {
        const job = await ProgressiveTranscodeJob.create({ input, probe, outDir: join(work, 'out'), workDir: join(work, 'tmp'), preset: values.preset, higherRungs: higher });
        job.on('rungs', (s) => {
          listedMs ??= performance.now() - t0;
          log(`first-rung bench | ${((performance.now() - t0) / 1000).toFixed(1)} s: listed ${s.renditions.map((r) => r.name).join(',')} (growing ${s.growing.join(',') || '-'}, pending ${s.pending.join(',') || '-'})`);
          if (s.growing.length > 0) return;
          // The first pass's ffmpeg children have been reaped by now, so their CPU time counts.
          if (firstMs === null) firstCpu = cpuMs().then((c) => (firstCpuMs = c - cpu0));
          firstMs ??= performance.now() - t0;
          if (watchableOnly) void job.abort();
        });
        await job.wait().catch((error: unknown) => {
          if (!(watchableOnly && firstMs !== null)) throw error;
        });
        await firstCpu;
      } else if (which === 'decode') {
        await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0:v:0', '-f', 'null', '-']);
      } else {
        const job = await TranscodeJob.create({ input, probe, outDir: join(work, 'single'), preset: values.preset });
        await job.wait();
      }
      const fullMs = performance.now() - t0;
      const row = { which, listedMs, firstMs, firstCpuMs, fullMs, cpuMs: (await cpuMs()) - cpu0, loadStart, loadEnd: load() };
      rows.push(row);
      log(
        `first-rung bench | round ${round + 1} ${which.padEnd(11)} ` +
          (listedMs === null ? '' : `watchable from the start ${(listedMs / 1000).toFixed(1)} s, `) +
          (firstMs === null ? '' : `first rung complete ${(firstMs / 1000).toFixed(1)} s (${((minutes * 60000) / firstMs).toFixed(2)}x real time, cpu ${((firstCpuMs ?? 0) / 1000).toFixed(1)} s), `) +
          `full ladder ${(fullMs / 1000).toFixed(1)} s (${((minutes * 60000) / fullMs).toFixed(2)}x), cpu ${(row.cpuMs / 1000).toFixed(1)} s, load ${loadStart.join(' ')} -> ${row.loadEnd.join(' ')}`,
      );
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const best = (w: string, f: (r: Row) => number | null) => Math.min(...rows.filter((r) => r.which === w).map(f).filter((x): x is number => x !== null));
const prog = { listedMs: best('progressive', (r) => r.listedMs), firstMs: best('progressive', (r) => r.firstMs), firstCpuMs: best('progressive', (r) => r.firstCpuMs), fullMs: best('progressive', (r) => r.fullMs), cpuMs: best('progressive', (r) => r.cpuMs) };
const single = values['skip-baseline'] || watchableOnly ? null : { fullMs: best('single', (r) => r.fullMs), cpuMs: best('single', (r) => r.cpuMs) };
const decode = watchableOnly && !values['skip-baseline'] ? { ms: best('decode', (r) => r.fullMs), cpuMs: best('decode', (r) => r.cpuMs) } : null;
if (watchableOnly) {
  log(
    `first-rung bench | best: watchable from the start ${(prog.listedMs / 1000).toFixed(1)} s, lowest rung complete ${(prog.firstMs / 60000).toFixed(2)} min (${((minutes * 60000) / prog.firstMs).toFixed(1)}x real time: a viewer from the start never reaches what is being made) for ${minutes} min (cpu ${(prog.firstCpuMs / 60000).toFixed(2)} min)` +
      (decode ? `; decoding the source alone ${(decode.ms / 60000).toFixed(2)} min (cpu ${(decode.cpuMs / 60000).toFixed(2)} min): first playable at ${(prog.firstMs / decode.ms).toFixed(2)}x the decode` : ''),
  );
  process.stdout.write(`${JSON.stringify({ bench: 'first-rung', watchableOnly, minutes, width, height, sourceKbps, looped: values.looped, preset: values.preset, cpus: availableParallelism(), rows, listedMs: prog.listedMs, firstMs: prog.firstMs, firstCpuMs: prog.firstCpuMs, decode })}\n`);
  process.exit(0);
}
const min = (ms: number) => `${((ms * scale) / 60000).toFixed(1)} min`;
log(
  `first-rung bench | best: watchable from the start ${(prog.listedMs / 1000).toFixed(1)} s, lowest rung complete ${(prog.firstMs / 1000).toFixed(1)} s, full ${(prog.fullMs / 1000).toFixed(1)} s` +
    (single ? `; single pass ${(single.fullMs / 1000).toFixed(1)} s (full ratio ${(prog.fullMs / single.fullMs).toFixed(3)}, cpu ratio ${(prog.cpuMs / single.cpuMs).toFixed(3)}, first playable at ${(prog.firstMs / single.fullMs).toFixed(3)} of single)` : '') +
    `; for 60 min: first playable ~${min(prog.firstMs)}, full ~${min(prog.fullMs)}` + (single ? `, single pass ~${min(single.fullMs)}` : '') +
    // CPU time over the cores: what an otherwise idle machine of this kind would take (ffmpeg keeps both cores busy).
    `; idle-machine estimate from cpu/${availableParallelism()}: first ~${min(prog.firstCpuMs / availableParallelism())}, full ~${min(prog.cpuMs / availableParallelism())}` + (single ? `, single ~${min(single.cpuMs / availableParallelism())}` : ''),
);
process.stdout.write(`${JSON.stringify({ bench: 'first-rung', minutes, width, height, sourceKbps, preset: values.preset, higher, cpus: availableParallelism(), rows, progressive: prog, single, extrapolated60: { firstMin: (prog.firstMs * scale) / 60000, fullMin: (prog.fullMs * scale) / 60000, singleMin: single ? (single.fullMs * scale) / 60000 : null } })}\n`);
