/**
 * The embedded store: FerretDB (SQLite backend) as a child process on a free loopback port, with
 * its files under DATA_DIR/ferretdb and telemetry off. One FerretDB per data folder: a pid file
 * lets the next start reap one left behind by a crashed parent (SQLite files must not have two
 * writers), and the child is tied to our life (setpriv --pdeathsig). `stop()` is idempotent and always reaps the child (SIGTERM, then SIGKILL).
 * One instance is one child: restarting after a crash is `FerretDbSupervisor`'s job (ferretdb-supervisor.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTied } from '../../media';

export interface FerretDbOptions {
  bin: string;
  dataDir: string;
  port?: number;
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export class FerretDbMissingError extends Error {
  constructor(bin: string) {
    super(`FerretDB is not installed at ${bin}: run "bash scripts/setup.sh" (it builds FerretDB v1.24.2 into .tools/bin), or set MONGODB_URI to a MongoDB server`);
    this.name = 'FerretDbMissingError';
  }
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      done(true);
    });
    sock.once('error', () => done(false));
  });
}

/** True when `pid` is a FerretDB serving `dir` (pids are reused: pid_max may be as low as 32768). */
function isFerretDbFor(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('ferretdb') && cmdline.includes(`--state-dir=${dir}\0`);
  } catch {
    return false;
  }
}

export interface FerretDbExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child's last lines of output (a Go panic, a fatal error): why it stopped, if it said. */
  lastLines: string[];
}

/**
 * What the child said last: its last 20 lines, and the first lines of a Go crash report (`panic:`,
 * `fatal error:`, `SIGQUIT: quit`), which a goroutine dump would push out of any short tail.
 */
export class LastWords {
  private readonly tail: string[] = [];
  private crash: string[] = [];
  private inCrash = false;

  push(line: string): void {
    if (/^(panic: |fatal error: |SIG[A-Z]+: )/.test(line)) {
      this.crash = [];
      this.inCrash = true;
    }
    if (this.inCrash) {
      this.crash.push(line);
      if (this.crash.length >= 8) this.inCrash = false;
    }
    this.tail.push(line);
    if (this.tail.length > 20) this.tail.shift();
  }

  lines(): string[] {
    const rest = this.tail.filter((l) => !this.crash.includes(l));
    return this.crash.length && rest.length ? [...this.crash, '…', ...rest] : [...this.crash, ...rest];
  }
}

export class FerretDb {
  /** Resolves when the child has exited, for whatever reason (the supervisor watches it). */
  readonly exited: Promise<FerretDbExit>;
  private stopping?: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly pidFile: string,
    private readonly words: LastWords,
  ) {
    // 'close' rather than 'exit': by then the pipes are drained, so the last words are all in.
    this.exited = new Promise((r) => child.once('close', (code, signal) => r({ code, signal, lastLines: words.lines() })));
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once stop() was called: an exit after it is expected, not a crash. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  static async start(opts: FerretDbOptions): Promise<FerretDb> {
    if (!existsSync(opts.bin)) throw new FerretDbMissingError(opts.bin);
    const dir = join(opts.dataDir, 'ferretdb');
    mkdirSync(dir, { recursive: true });
    const pidFile = join(dir, 'ferretdb.pid');
    if (existsSync(pidFile)) {
      const stale = Number(readFileSync(pidFile, 'utf8'));
      if (stale > 0 && isFerretDbFor(stale, dir)) {
        process.kill(stale, 'SIGKILL');
        await sleep(200);
      }
    }
    const port = opts.port || (await freePort());
    // Tied to this process: if the server is killed, the kernel stops FerretDB too.
    const child = spawnTied(
      opts.bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dir}/`,
        `--state-dir=${dir}`,
        `--listen-addr=127.0.0.1:${port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DO_NOT_TRACK: '1' } },
    );
    const words = new LastWords();
    const onData = (buf: Buffer) => {
      for (const line of buf.toString().split('\n')) {
        if (!line.trim()) continue;
        words.push(line);
        opts.onLog?.(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const db = new FerretDb(child, port, pidFile, words);
    let exitedEarly = false;
    void db.exited.then(() => (exitedEarly = true));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
    while (!(await canConnect(port))) {
      if (exitedEarly) throw new Error(`FerretDB exited at start: ${words.lines().join(' | ') || 'no output'}`);
      if (Date.now() > deadline) {
        await db.stop();
        throw new Error(`FerretDB did not answer on 127.0.0.1:${port} within ${opts.startTimeoutMs ?? 20_000} ms`);
      }
      await sleep(100);
    }
    writeFileSync(pidFile, String(child.pid));
    return db;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
        await this.exited;
        clearTimeout(timer);
      }
      rmSync(this.pidFile, { force: true });
    })();
    return this.stopping;
  }
}
