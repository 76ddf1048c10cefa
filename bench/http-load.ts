/**
 * A small closed-loop HTTP load generator for large responses (HLS segments), run in a child
 * process so it never shares an event loop (or a heap) with the server under test. `connections` keep-alive
 * sockets each send the next GET as soon as the previous body has been read, for `seconds`.
 *
 * Why not autocannon: its pure-JS HTTP parser tops out near 100 req/s (~75 MB/s) on 700 KB
 * bodies on our 2-core machine, below what a plain node:http server delivers (~900 req/s with
 * this client), so it measured itself rather than the server. node:http parses with llhttp.
 * Loopback targets only (refuses anything else); every run is bounded by `seconds`.
 */
import http from 'node:http';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  bytes: number;
  seconds: number;
  rps: number;
  mbps: number;
  p50: number;
  p99: number;
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

async function runLoad({ url, connections, seconds, headers = {} }: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let bytes = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.get(url, { agent, headers }, (res) => {
        if (res.statusCode === undefined || res.statusCode >= 300) non2xx++;
        res.on('data', (chunk: Buffer) => void (bytes += chunk.length));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const loop = async () => {
    while (performance.now() < deadline) await one();
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN) * 100) / 100;
  return {
    requests: latencies.length,
    errors,
    non2xx,
    bytes,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    mbps: (bytes * 8) / elapsed / 1e6,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** Runs one bounded load test against a loopback URL in a child process (this file, under tsx). */
export function httpLoad(opts: LoadOptions): Promise<LoadResult> {
  const { hostname } = new URL(opts.url);
  if (!loopback.has(hostname)) return Promise.reject(new Error(`http-load: loopback targets only, not ${hostname}`));
  if (!(opts.seconds > 0 && opts.seconds <= 120)) return Promise.reject(new Error('http-load: seconds must be in (0, 120]'));
  return new Promise((resolve, reject) => {
    // A fork rather than a worker thread: on Node 20 workers do not get tsx's loader hooks.
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(opts)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LoadResult | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), (opts.seconds + 30) * 1000);
    child.once('message', (r) => void (result = r as LoadResult));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      if (result) resolve(result);
      else reject(new Error(`http-load child exited with ${signal ?? code} and no result`));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const result = await runLoad(JSON.parse(process.argv[2]!) as LoadOptions);
  process.send(result, () => process.disconnect());
}
