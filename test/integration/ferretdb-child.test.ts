/**
 * The embedded FerretDB child on the real binary: a crash is reported with the child's last words
 * (a Go runtime dump here, as a panic would leave) and the supervisor brings it back on the same
 * port with its data; and the stale-pid reap at start only ever kills a FerretDB of the same data
 * folder, never another one that happens to hold the pid written there (pids are reused).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { FerretDb, type FerretDbExit } from '../../server/store/ferretdb';
import { FerretDbSupervisor } from '../../server/store/ferretdb-supervisor';
import { testEnv } from '../helpers/build';
import { alive, until } from '../helpers/process';

const bin = loadConfig(testEnv()).store.ferretdbBin;
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cadre-ferretdb-child-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

it('reports a crash with the child\'s last lines and restarts it on the same port with its data', async () => {
  const sup = await FerretDbSupervisor.start({ bin, dataDir: tempDir(), maxRestartsPerMinute: 5 });
  cleanup.push(() => sup.stop());
  const conn = await mongoose.createConnection(sup.uri, { dbName: 'child_test', serverSelectionTimeoutMS: 5000 }).asPromise();
  cleanup.push(() => conn.close(true));
  await conn.db!.collection('notes').insertOne({ _id: 'kept' as never, n: 1 });

  const exits: ({ pid: number | undefined } & FerretDbExit)[] = [];
  sup.on('exit', (e) => exits.push(e));
  const first = sup.pid!;
  expect(first).toBeGreaterThan(0);
  // SIGQUIT makes the Go runtime print every goroutine's stack and exit 2: the kind of last words
  // a panic leaves, which the log must carry.
  process.kill(first, 'SIGQUIT');
  await until('the exit reported', () => exits.length === 1);
  expect(exits[0]).toMatchObject({ pid: first, code: 2, signal: null });
  expect(exits[0]!.lastLines.join('\n')).toMatch(/goroutine|SIGQUIT/);

  await until('restarted', () => sup.pid !== undefined && sup.pid !== first && sup.up);
  const back = await until('the data answers again', async () => {
    try {
      return await conn.db!.collection('notes').findOne({ _id: 'kept' as never });
    } catch {
      return undefined;
    }
  });
  expect(back).toMatchObject({ n: 1 });
}, 60_000);

it('a stale pid file naming another folder\'s FerretDB does not kill it', async () => {
  const other = await FerretDb.start({ bin, dataDir: tempDir() });
  cleanup.push(() => other.stop());
  const dir = tempDir();
  mkdirSync(join(dir, 'ferretdb'), { recursive: true });
  // As if this folder's last FerretDB had died and its pid had since gone to the other one.
  writeFileSync(join(dir, 'ferretdb', 'ferretdb.pid'), String(other.pid));
  const mine = await FerretDb.start({ bin, dataDir: dir });
  cleanup.push(() => mine.stop());
  expect(mine.pid).not.toBe(other.pid);
  expect(alive(other.pid!)).toBe(true);
  const conn = await mongoose.createConnection(other.uri, { dbName: 'still_there', serverSelectionTimeoutMS: 5000 }).asPromise();
  cleanup.push(() => conn.close(true));
  expect((await conn.db!.admin().ping()).ok).toBe(1);
}, 60_000);

it('a stale pid file naming this folder\'s own FerretDB left behind reaps it', async () => {
  const dir = tempDir();
  const left = await FerretDb.start({ bin, dataDir: dir });
  cleanup.push(() => left.stop());
  // Not stopped: as if its parent had died without the kernel's help. The next start reaps it.
  const next = await FerretDb.start({ bin, dataDir: dir });
  cleanup.push(() => next.stop());
  await until('the old one reaped', () => !alive(left.pid!) || undefined);
  expect(next.pid).not.toBe(left.pid);
}, 60_000);
