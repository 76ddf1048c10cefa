// Media storage: where uploads, HLS ladders, posters and sprites live once they are done.
//
// Rules:
// - Callers name things by key ("lectures/6650.../hls/720p/seg_00001.ts"), never by path. A key
//   is a relative, '/'-separated path of plain segments: no '..', no '.', no empty segment, no
//   leading '/', no backslash, no NUL, no drive letter. Anything else is a StorageKeyError, so
//   a key built from user input can never reach outside the root.
// - LocalStorage keeps files under one root folder (DATA_DIR/media). After the key check the
//   resolved path is checked once more to lie inside the root. Symlinks inside the root are the
//   operator's business and are not followed specially.
// - put()/putDir() move by default (rename, or copy + delete across file systems); an existing
//   file or folder at the key is replaced. putDir() moves the folder in whole, so readers see
//   the old folder or the new one, never a mix (the old one is swapped out, then removed).
// - Keys may name folders: stat() tells them apart, remove() deletes a key and everything
//   under it. The root itself (empty key) can be neither replaced nor removed.
import { createReadStream as fsCreateReadStream } from 'node:fs';
import type { ReadStream } from 'node:fs';
import { copyFile, cp, mkdir, realpath, rename, rm, stat as fsStat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface StorageStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface PutOptions {
  /** Copy and leave the source in place instead of moving it. Default false. */
  copy?: boolean;
}

export interface ReadRange {
  /** First byte, inclusive (default 0). */
  start?: number;
  /** Last byte, inclusive, as in an HTTP Range header. */
  end?: number;
}

export interface Storage {
  /** Moves (or copies) one local file in at `key`. */
  put(localFile: string, key: string, opts?: PutOptions): Promise<void>;
  /** Moves (or copies) a local folder in at `keyPrefix`, replacing what was there. */
  putDir(localDir: string, keyPrefix: string, opts?: PutOptions): Promise<void>;
  /** Local path of a key, for serving with sendFile/static; the file need not exist. */
  path(key: string): string;
  /** null when nothing is stored at the key. */
  stat(key: string): Promise<StorageStat | null>;
  exists(key: string): Promise<boolean>;
  /** Removes a file, or a folder with everything under it; missing keys are fine. */
  remove(keyOrPrefix: string): Promise<void>;
  createReadStream(key: string, range?: ReadRange): ReadStream;
}

export class StorageKeyError extends Error {
  override readonly name = 'StorageKeyError';
  readonly code = 'invalid-storage-key';
  readonly key: string;

  constructor(key: string, why: string) {
    super(`Invalid storage key ${JSON.stringify(key)}: ${why}`);
    this.key = key;
  }
}

/** Throws StorageKeyError unless `key` is a safe relative key; returns its segments. */
export function checkKey(key: string): string[] {
  if (typeof key !== 'string' || key === '') throw new StorageKeyError(String(key), 'empty');
  if (key.includes('\0')) throw new StorageKeyError(key, 'contains NUL');
  if (key.includes('\\')) throw new StorageKeyError(key, "contains '\\'");
  if (key.startsWith('/') || isAbsolute(key) || /^[a-zA-Z]:/.test(key)) {
    throw new StorageKeyError(key, 'absolute path');
  }
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') throw new StorageKeyError(key, 'empty segment');
    if (segment === '.' || segment === '..') throw new StorageKeyError(key, `'${segment}' segment`);
  }
  return segments;
}

export function isSafeKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}

export interface LocalStorageOptions {
  /** Root folder; created when missing. */
  root: string;
}

async function moveOrCopy(from: string, to: string, copy: boolean, isDir: boolean): Promise<void> {
  if (!copy) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      // Across file systems (an upload dir on tmpfs, media on a disk) rename cannot work.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
  }
  if (isDir) await cp(from, to, { recursive: true, errorOnExist: false, force: true });
  else await copyFile(from, to);
  if (!copy) {
    if (isDir) await rm(from, { recursive: true, force: true });
    else await unlink(from);
  }
}

export class LocalStorage implements Storage {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(opts: LocalStorageOptions): Promise<LocalStorage> {
    await mkdir(opts.root, { recursive: true });
    // The real path, so the containment check is not fooled by a symlinked root.
    return new LocalStorage(await realpath(resolve(opts.root)));
  }

  path(key: string): string {
    const full = join(this.root, ...checkKey(key));
    const rel = relative(this.root, full);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      throw new StorageKeyError(key, 'outside the storage root');
    }
    return full;
  }

  async put(localFile: string, key: string, opts: PutOptions = {}): Promise<void> {
    const target = this.path(key);
    const info = await fsStat(localFile);
    if (!info.isFile()) throw new Error(`LocalStorage.put: ${localFile} is not a file`);
    await mkdir(dirname(target), { recursive: true });
    // rename() replaces a file atomically; copyFile() overwrites in place.
    await moveOrCopy(localFile, target, opts.copy ?? false, false);
  }

  async putDir(localDir: string, keyPrefix: string, opts: PutOptions = {}): Promise<void> {
    const target = this.path(keyPrefix);
    const info = await fsStat(localDir);
    if (!info.isDirectory()) throw new Error(`LocalStorage.putDir: ${localDir} is not a folder`);
    await mkdir(dirname(target), { recursive: true });
    // Stage next to the target (same file system), then swap it in.
    const staging = `${target}.incoming-${process.pid}-${Date.now()}`;
    await moveOrCopy(localDir, staging, opts.copy ?? false, true);
    const old = `${target}.old-${process.pid}-${Date.now()}`;
    let hadOld = false;
    try {
      await rename(target, old);
      hadOld = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
    }
    await rename(staging, target);
    if (hadOld) await rm(old, { recursive: true, force: true });
  }

  async stat(key: string): Promise<StorageStat | null> {
    try {
      const info = await fsStat(this.path(key));
      return { size: info.size, mtimeMs: info.mtimeMs, isDirectory: info.isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async remove(keyOrPrefix: string): Promise<void> {
    await rm(this.path(keyOrPrefix), { recursive: true, force: true });
  }

  createReadStream(key: string, range: ReadRange = {}): ReadStream {
    const { start, end } = range;
    if (start !== undefined && !(Number.isInteger(start) && start >= 0)) {
      throw new RangeError(`createReadStream: start must be an integer >= 0 (got ${start})`);
    }
    if (end !== undefined && !(Number.isInteger(end) && end >= (start ?? 0))) {
      throw new RangeError(`createReadStream: end must be an integer >= start (got ${end})`);
    }
    return fsCreateReadStream(this.path(key), { start, end });
  }
}
