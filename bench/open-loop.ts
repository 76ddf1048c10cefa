/**
 * An open-loop HTTP load generator: requests are scheduled at a fixed rate, spread evenly over
 * each millisecond tick (not in bursts at the start of each second, as autocannon's rate limit
 * does), and each latency is measured from the request's *scheduled* time, so a server that falls
 * behind is charged for the queue it causes (no coordinated omission). Runs in a child process
 * (fork) so it shares no event loop with the server. Loopback targets only; bounded in time.
 */
import http from 'node:http';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface OpenLoopOptions {
  url: string;
  rate: number;
  seconds: number;
  /** Bodies and headers to cycle through, one per logical client (sequence numbers are filled in). */
  clients: { headers: Record<string, string>; playbackId?: string }[];
  /** 'heartbeat' builds heartbeat bodies with increasing seq per client; 'empty' posts {}. */
  body: 'heartbeat' | 'empty';
  maxSockets?: number;
}

export interface OpenLoopResult {
  sent: number;
  done: number;
  errors: number;
  non2xx: number;
  seconds: number;
  achieved: number;
  p50: number;
  p99: number;
  max: number;
  /** Per-10-second achieved rate and p99, to show it is sustained. */
  windows: { t: number; rate: number; p99: number }[];
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

function pct(sorted: number[], p: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

async function run(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(o.url);
  if (!loopback.has(target.hostname)) throw new Error(`open-loop: refusing non-loopback target ${target.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 256 });
  const seqs = o.clients.map(() => 0);
  const latencies: number[] = [];
  const windows: { t: number; rate: number; p99: number }[] = [];
  let winLat: number[] = [];
  let sent = 0;
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  const start = performance.now();
  const started = Date.now();
  const end = start + o.seconds * 1000;
  let next = 0;

  const fire = (scheduled: number) => {
    const i = next++ % o.clients.length;
    const c = o.clients[i]!;
    const seq = ++seqs[i]!;
    const body =
      o.body === 'heartbeat'
        ? JSON.stringify({ beats: [{ playbackId: c.playbackId, seq, position: (seq * 0.5) % 3600, rate: 1, playing: true, visible: true, event: 'tick', clientAt: started + seq * 500 }] })
        : '{}';
    sent++;
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...c.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        if (res.statusCode! >= 300) non2xx++;
        res.resume();
        res.on('end', () => {
          const ms = performance.now() - scheduled;
          latencies.push(ms);
          winLat.push(ms);
          done++;
        });
      },
    );
    req.on('error', () => errors++);
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    let scheduledCount = 0;
    let lastWindow = start;
    let winDone = 0;
    const tick = () => {
      const now = performance.now();
      if (now >= end) return resolve();
      // Everything due up to now, each at its own scheduled time.
      const due = Math.floor(((now - start) / 1000) * o.rate);
      while (scheduledCount < due) {
        const scheduled = start + (scheduledCount / o.rate) * 1000;
        scheduledCount++;
        fire(scheduled);
      }
      if (now - lastWindow >= 10_000) {
        const s = [...winLat].sort((a, b) => a - b);
        windows.push({ t: Math.round((now - start) / 1000), rate: Math.round(((done - winDone) * 1000) / (now - lastWindow)), p99: Math.round(pct(s, 99) * 10) / 10 });
        winLat = [];
        winDone = done;
        lastWindow = now;
      }
      setImmediate(tick);
    };
    tick();
  });
  // Let in-flight requests finish (bounded).
  const drainUntil = performance.now() + 5000;
  while (done + errors < sent && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  agent.destroy();
  const s = latencies.sort((a, b) => a - b);
  const seconds = o.seconds;
  return { sent, done, errors, non2xx, seconds, achieved: Math.round(done / seconds), p50: Math.round(pct(s, 50) * 10) / 10, p99: Math.round(pct(s, 99) * 10) / 10, max: Math.round((s[s.length - 1] ?? 0) * 10) / 10, windows };
}

/** Runs the generator in a child process and returns its result. */
export function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m: { ok: boolean; result?: OpenLoopResult; error?: string }) => (m.ok ? resolve(m.result!) : reject(new Error(m.error))));
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
    child.send(o);
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', (o: OpenLoopOptions) => {
    run(o).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (err: unknown) => process.send!({ ok: false, error: String(err) }, () => process.exit(1)),
    );
  });
}
