// LocalStorage on a real temp folder: key safety and round-trips.
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, StorageKeyError, checkKey, isSafeKey } from '../../media/storage';
import { makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';

let dir: string;
let storage: LocalStorage;
let n = 0;

/** A fresh local file outside the storage root. */
async function localFile(content: string): Promise<string> {
  const file = join(dir, 'incoming', `file-${n++}.bin`);
  await mkdir(join(dir, 'incoming'), { recursive: true });
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('media-storage-');
  storage = await LocalStorage.create({ root: join(dir, 'data', 'media') });
});

afterAll(async () => {
  await removeDir(dir);
});

describe('storage keys', () => {
  it.each([
    ['..', "'..' segment"],
    ['../etc/passwd', "'..' segment"],
    ['lectures/../../secret', "'..' segment"],
    ['lectures/./a.ts', "'.' segment"],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows/win.ini', 'absolute'],
    ['lectures\\..\\x', "'\\'"],
    ['lectures//a.ts', 'empty segment'],
    ['lectures/a.ts/', 'empty segment'],
    ['', 'empty'],
    ['a\0b', 'NUL'],
  ])('rejects %j (%s)', (key, why) => {
    expect(() => checkKey(key)).toThrow(StorageKeyError);
    expect(() => checkKey(key)).toThrow(why);
    expect(isSafeKey(key)).toBe(false);
  });

  it('accepts plain relative keys, dots inside names included', () => {
    for (const key of ['a', 'lectures/6650/hls/720p/seg_00001.ts', 'x/..hidden', 'v1.2/poster.jpg']) {
      expect(isSafeKey(key), key).toBe(true);
    }
  });

  it('refuses unsafe keys on every method, before touching the disk', async () => {
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'secret');
    const key = '../../outside.txt';
    expect(() => storage.path(key)).toThrow(StorageKeyError);
    expect(() => storage.createReadStream(key)).toThrow(StorageKeyError);
    await expect(storage.stat(key)).rejects.toThrow(StorageKeyError);
    await expect(storage.exists(key)).rejects.toThrow(StorageKeyError);
    await expect(storage.remove(key)).rejects.toThrow(StorageKeyError);
    await expect(storage.put(await localFile('x'), key)).rejects.toThrow(StorageKeyError);
    await expect(storage.putDir(join(dir, 'incoming'), '..')).rejects.toThrow(StorageKeyError);
    expect(await readFile(outside, 'utf8')).toBe('secret');
  });

  it('maps keys to paths under the root', () => {
    expect(storage.path('lectures/1/master.m3u8')).toBe(join(storage.root, 'lectures', '1', 'master.m3u8'));
  });

  it('resolves a symlinked root to its real path', async () => {
    const link = join(dir, 'media-link');
    await symlink(join(dir, 'data', 'media'), link);
    const viaLink = await LocalStorage.create({ root: link });
    expect(viaLink.root).toBe(storage.root);
  });
});

describe('LocalStorage round-trips', () => {
  it('moves a file in by default and reads it back', async () => {
    const file = await localFile('第一讲 segment bytes');
    await storage.put(file, 'lectures/1/upload.mp4');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await text(storage.createReadStream('lectures/1/upload.mp4'))).toBe('第一讲 segment bytes');
    const info = await storage.stat('lectures/1/upload.mp4');
    expect(info).toMatchObject({ size: Buffer.byteLength('第一讲 segment bytes'), isDirectory: false });
  });

  it('copies instead when asked, leaving the source in place', async () => {
    const file = await localFile('keep me');
    await storage.put(file, 'copies/a.txt', { copy: true });
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(await text(storage.createReadStream('copies/a.txt'))).toBe('keep me');
  });

  it('replaces a file stored under the same key', async () => {
    await storage.put(await localFile('old'), 'replace/a.txt');
    await storage.put(await localFile('new'), 'replace/a.txt');
    expect(await text(storage.createReadStream('replace/a.txt'))).toBe('new');
  });

  it('reads byte ranges with an inclusive end, as HTTP Range does', async () => {
    await storage.put(await localFile('0123456789'), 'ranges/digits.txt');
    expect(await text(storage.createReadStream('ranges/digits.txt', { start: 2, end: 5 }))).toBe('2345');
    expect(await text(storage.createReadStream('ranges/digits.txt', { start: 7 }))).toBe('789');
    expect(() => storage.createReadStream('ranges/digits.txt', { start: 5, end: 2 })).toThrow(RangeError);
  });

  it('moves a whole HLS folder in and replaces an older one without leftovers', async () => {
    const ladder = join(dir, 'ladder');
    await mkdir(join(ladder, '720p'), { recursive: true });
    await writeFile(join(ladder, 'master.m3u8'), '#EXTM3U\n');
    await writeFile(join(ladder, '720p', 'seg_00000.ts'), 'ts');
    await storage.putDir(ladder, 'lectures/2/hls');
    await expect(stat(ladder)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await storage.exists('lectures/2/hls/720p/seg_00000.ts')).toBe(true);
    expect(await storage.stat('lectures/2/hls')).toMatchObject({ isDirectory: true });

    const again = join(dir, 'ladder-2');
    await mkdir(again, { recursive: true });
    await writeFile(join(again, 'master.m3u8'), '#EXTM3U\n#v2\n');
    await storage.putDir(again, 'lectures/2/hls');
    expect(await storage.exists('lectures/2/hls/720p/seg_00000.ts')).toBe(false);
    expect(await text(storage.createReadStream('lectures/2/hls/master.m3u8'))).toContain('#v2');
    expect(await readdir(storage.path('lectures/2'))).toEqual(['hls']);
  });

  it('says a missing key does not exist, and removing it is fine', async () => {
    expect(await storage.stat('nothing/here.ts')).toBeNull();
    expect(await storage.exists('nothing/here.ts')).toBe(false);
    expect(await storage.exists('lectures/1/upload.mp4/inside')).toBe(false);
    await storage.remove('nothing/here.ts');
  });

  it('removes a prefix with everything under it, and nothing beside it', async () => {
    await storage.put(await localFile('a'), 'course/9/a.ts');
    await storage.put(await localFile('b'), 'course/9/sub/b.ts');
    await storage.put(await localFile('c'), 'course/10/c.ts');
    await storage.remove('course/9');
    expect(await storage.exists('course/9')).toBe(false);
    expect(await storage.exists('course/10/c.ts')).toBe(true);
  });

  it('fails a read stream of a missing key with ENOENT', async () => {
    await expect(text(storage.createReadStream('missing.ts'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
