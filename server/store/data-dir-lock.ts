/**
 * One portal process per data folder. FerretDB 1.24 does not make an update atomic (a
 * read-modify-write, even one `updateOne`, can lose a concurrent one), and SQLite allows one
 * writer per file: the portal is correct only because it serialises its read-modify-writes in one
 * process. So the store is opened only after taking `DATA_DIR/portal.lock`, created with `wx`
 * (fails if it exists) and holding `<pid> <process start time>`.
 *
 * A lock whose process is gone is stale and taken over. The start time (from /proc) tells a pid
 * reused by another process, or by this one after a container restart (pid 1 again), from the
 * process that wrote it. A lock with this process's own pid and start time is held by another
 * app in this process (tests build many): that is a conflict like any other.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'portal.lock';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`The data folder ${dataDir} is in use by another portal process (pid ${pid}): stop that process first, or give this one its own DATA_DIR. One process per data folder keeps the store's updates safe (docs/store-on-ferretdb.md). If no such process runs, remove ${join(dataDir, LOCK_FILE)}.`);
    this.name = 'DataDirLockedError';
  }
}

/** The kernel's start time of a process (clock ticks since boot), or '' where /proc is missing. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock's writer still runs: same pid alive and, where known, the same start time. */
function holderRuns(pid: number, started: string): boolean {
  if (!(pid > 0) || !isAlive(pid)) return false;
  const now = startTime(pid);
  return !started || !now || now === started;
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

/** Takes the data folder's lock or throws DataDirLockedError naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const mine = `${process.pid} ${startTime(process.pid)}`.trim();
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(file, `${mine}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 3) throw err;
    }
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // released meanwhile: try again
    }
    const [pidText = '', started = ''] = text.trim().split(/\s+/);
    const pid = Number(pidText);
    if (holderRuns(pid, started)) throw new DataDirLockedError(dataDir, pid);
    // Stale: its process is gone. Remove it only if it still holds what we judged (another start
    // may have taken it over meanwhile), then retry the exclusive create.
    try {
      if (readFileSync(file, 'utf8') === text) rmSync(file, { force: true });
    } catch {
      // gone already
    }
  }
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      try {
        if (readFileSync(file, 'utf8').trim() === mine) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
