/**
 * Spawning helper programs (ffmpeg, FerretDB) so they cannot outlive us. A child process keeps
 * running when its parent is SIGKILLed or crashes; an orphaned ffmpeg would go on writing a
 * ladder nobody will use (and hold CPU on a 2-core machine). On Linux, util-linux's `setpriv
 * --pdeathsig KILL` makes the kernel kill the child when its parent dies. Where setpriv is
 * missing the program runs directly (callers still reap their children on orderly exits).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';
let setprivUsable: boolean | undefined;

function hasSetpriv(): boolean {
  if (setprivUsable === undefined) {
    try {
      accessSync(SETPRIV, constants.X_OK);
      setprivUsable = process.platform === 'linux';
    } catch {
      setprivUsable = false;
    }
  }
  return setprivUsable;
}

/** The argv that runs `command args` tied to this process's life (pure apart from the setpriv probe). */
export function tiedArgv(command: string, args: readonly string[], tie = hasSetpriv()): [string, string[]] {
  return tie ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
}

/** spawn(), but the child is killed by the kernel if this process dies. */
export function spawnTied(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, argv] = tiedArgv(command, args);
  return spawn(cmd, argv, options);
}
