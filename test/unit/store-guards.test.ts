/**
 * The data folder's lock (one portal process per DATA_DIR) and the classification of driver
 * errors as "store unavailable" (503) rather than a bug (500).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../server/store/data-dir-lock';
import { isStoreUnavailable } from '../../server/store/errors';

describe('the data folder lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cadre-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the pid while taken and is gone after release', () => {
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second taker in the same process, naming the folder and the pid', () => {
    const lock = lockDataDir(dir);
    try {
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
      expect(() => lockDataDir(dir)).toThrow(`The data folder ${dir} is in use by another portal process (pid ${process.pid})`);
    } finally {
      lock.release();
    }
    lockDataDir(dir).release();
  });

  it('refuses while another live process holds it', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => other.once('spawn', r));
      writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(`(pid ${other.pid})`);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a lock whose process is gone', async () => {
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    writeFileSync(join(dir, LOCK_FILE), `${gone.pid} 1\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock whose pid now belongs to a process started later (pid reuse)', () => {
    // Our own pid with another start time: written by an earlier process that had this pid.
    writeFileSync(join(dir, LOCK_FILE), `${process.pid} 1\n`);
    const lock = lockDataDir(dir);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('leaves a lock taken over by someone else in place on release', () => {
    const lock = lockDataDir(dir);
    writeFileSync(join(dir, LOCK_FILE), '999999 1\n');
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('999999 1\n');
  });
});

describe('store unavailable errors', () => {
  const named = (name: string, message = 'x') => Object.assign(new Error(message), { name });

  it('counts connection and server-selection failures, also as a cause', () => {
    for (const name of ['MongoServerSelectionError', 'MongoNetworkError', 'MongoNotConnectedError', 'MongoPoolClearedError', 'MongooseServerSelectionError']) {
      expect(isStoreUnavailable(named(name)), name).toBe(true);
    }
    expect(isStoreUnavailable(new Error('wrapped', { cause: named('MongoNetworkTimeoutError') }))).toBe(true);
    expect(isStoreUnavailable(named('MongooseError', 'Operation `users.findOne()` buffering timed out after 10000ms'))).toBe(true);
  });

  it('leaves other errors to be 4xx or 500', () => {
    expect(isStoreUnavailable(Object.assign(named('MongoServerError', 'E11000 duplicate key'), { code: 11000 }))).toBe(false);
    expect(isStoreUnavailable(named('ValidationError'))).toBe(false);
    expect(isStoreUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isStoreUnavailable(undefined)).toBe(false);
  });
});
