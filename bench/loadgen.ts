/**
 * Runs bench/loadgen (Go, standard library only): open-loop POSTs at a constant rate, latency
 * counted from each request's due time (no coordinated omission), a fixed pool of keep-alive
 * connections. A compiled generator with a minimal HTTP/1.1 client costs 0.1-0.35 of a core at
 * 5,000 req/s, where a Node one on the same 2 cores took as much CPU as the server it measured. The binary is built into
 * .tools/bin/loadgen on first use (and again when its source changes); it needs the Go toolchain
 * (`go` on PATH, $GO, or /usr/local/go/bin/go) but no network. Loopback targets only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface LoadgenJob {
  url: string;
  rate: number;
  seconds: number;
  /** Seconds at the same rate before the measured part, reported apart. */
  warmup: number;
  conns: number;
  body: 'heartbeat' | 'empty';
  /** One logical client per entry, used round-robin (each on a fixed cadence). */
  clients: { headers: Record<string, string>; playbackId?: string }[];
  /** Heartbeat positions and client clocks advance with wall time from here (ms since epoch). */
  epochMs: number;
  /** Beats per heartbeat request (default 1), spread over the time since the client's previous request. */
  beatsPerRequest?: number;
}

export interface LoadgenPhase {
  scheduled: number;
  done: number;
  errors: number;
  non2xx: number;
  achieved: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  windows: { t: number; rate: number; p50: number; p99: number; max: number }[];
}

export interface LoadgenResult extends LoadgenPhase {
  warmup: LoadgenPhase;
  maxDispatchLagMs: number;
  cpuSeconds: number;
  conns: number;
  reconnects: number;
  firstError?: string;
  /** Per client (job order): highest sequence number answered 2xx, and requests scheduled. */
  maxAcked: number[];
  sent: number[];
}

const src = resolve('bench/loadgen');
const bin = resolve('.tools/bin/loadgen');
const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

function goBinary(): string {
  for (const candidate of [process.env.GO, 'go', '/usr/local/go/bin/go']) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error('bench/loadgen needs the Go toolchain (1.22+) to build: install it, or set GO=/path/to/go');
}

/** Builds .tools/bin/loadgen unless it is newer than its source. */
export function ensureLoadgen(): string {
  const newest = Math.max(...['main.go', 'go.mod'].map((f) => statSync(join(src, f)).mtimeMs));
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return bin;
  mkdirSync(resolve('.tools/bin'), { recursive: true });
  process.stderr.write(`building ${bin} from bench/loadgen ...\n`);
  execFileSync(goBinary(), ['build', '-o', bin, '.'], { cwd: src, stdio: 'inherit', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' } });
  return bin;
}

/**
 * Runs one job; `wrap` prefixes the command (e.g. ['taskset', '-c', '0']). Resolves with the
 * generator's result; bounded by the job's length plus a minute.
 */
export function runLoadgen(job: LoadgenJob, jobFile: string, wrap: string[] = []): Promise<LoadgenResult> {
  const { hostname } = new URL(job.url);
  if (!loopback.has(hostname)) return Promise.reject(new Error(`loadgen: loopback targets only, not ${hostname}`));
  writeFileSync(jobFile, JSON.stringify(job));
  const argv = [...wrap, ensureLoadgen(), '-job', jobFile];
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), (job.warmup + job.seconds + 60) * 1000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      if (code === 0) resolveRun(JSON.parse(out) as LoadgenResult);
      else reject(new Error(`loadgen exited with ${signal ?? code}`));
    });
  });
}
