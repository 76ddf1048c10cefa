/**
 * FerretDB's missed `_id` index (server/store/sqlite-id-index.ts), on a real embedded FerretDB:
 * the index is created on every collection table, `EXPLAIN QUERY PLAN` of FerretDB's `_id` query
 * uses it, creating it again changes nothing, FerretDB keeps answering while and after it is
 * made, a collection created again gets it on the next call, and the embedded store adds it at
 * start for every collection of the portal.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { FerretDb } from '../../server/store/ferretdb';
import { openStore } from '../../server/store';
import { ensureIdIndexes, idIndexName } from '../../server/store/sqlite-id-index';
import { testEnv } from '../helpers/build';

const sqlite = (file: string, sql: string) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' });
const silent = { info() {}, warn() {}, debug() {} };

describe('the _id index on a FerretDB database', () => {
  let dir: string;
  let db: FerretDb;
  let client: MongoClient;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadre-id-index-'));
    const cfg = loadConfig({ DATA_DIR: dir });
    db = await FerretDb.start({ bin: cfg.store.ferretdbBin, dataDir: dir, port: 0 });
    client = await MongoClient.connect(db.uri);
    file = join(dir, 'ferretdb', 'idx.sqlite');
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes every collection table answer FerretDB\'s _id query through the index, and making it twice changes nothing', async () => {
    const d = client.db('idx');
    const res = await d.collection('playbacks').insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `pb${i}`, n: i }) as Document));
    expect(res.insertedCount).toBe(300);
    expect((await d.collection('users').insertOne({ name: 'a' })).acknowledged).toBe(true);

    const first = await ensureIdIndexes({ file });
    expect(first.unverified).toEqual([]);
    expect(first.verified.map((v) => v.collection).sort()).toEqual(['playbacks', 'users']);
    const again = await ensureIdIndexes({ file });
    expect(again).toEqual(first);
    const table = first.verified.find((v) => v.collection === 'playbacks')!.table;
    expect(sqlite(file, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '${idIndexName(table)}'`).trim()).toBe('1');

    // FerretDB, unaware of it, still reads and writes by _id, and its own index list is unchanged.
    expect(await d.collection('playbacks').findOne({ _id: 'pb250' } as Document)).toEqual({ _id: 'pb250', n: 250 });
    expect((await d.collection('playbacks').updateOne({ _id: 'pb250' } as Document, { $inc: { n: 1 } })).modifiedCount).toBe(1);
    expect(await d.collection('playbacks').findOne({ _id: 'pb250' } as Document)).toEqual({ _id: 'pb250', n: 251 });
    expect((await d.collection('playbacks').indexes()).map((i) => i.name)).toEqual(['_id_']);
  });

  it('gives a collection dropped and created again its index on the next call', async () => {
    const d = client.db('idx');
    expect(await d.collection('users').drop()).toBe(true);
    expect((await d.collection('users').insertOne({ name: 'b' })).acknowledged).toBe(true);
    const report = await ensureIdIndexes({ file });
    expect(report.unverified).toEqual([]);
    expect(report.verified.map((v) => v.collection).sort()).toEqual(['playbacks', 'users']);
  });

  it('reports a missing database file instead of failing', async () => {
    expect(await ensureIdIndexes({ file: join(dir, 'ferretdb', 'none.sqlite') })).toMatchObject({ verified: [], skipped: expect.stringContaining('no database file') });
  });
});

describe('the embedded store', () => {
  it('adds the _id index to every collection of the portal at start', async () => {
    const env = testEnv({ MONGODB_URI: '' });
    const config = loadConfig(env);
    const store = await openStore(config, silent);
    try {
      expect(store.ferretdb).toBeDefined();
      const file = join(config.dataDir, 'ferretdb', `${config.store.dbName ?? 'cadre_portal'}.sqlite`);
      const tables = sqlite(file, 'SELECT table_name FROM _ferretdb_collections').split('\n').filter(Boolean);
      expect(tables.length).toBeGreaterThanOrEqual(Object.keys(store.models).length);
      const indexed = sqlite(file, "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_\\_id\\_sjson' ESCAPE '\\'").split('\n').filter(Boolean);
      expect(indexed.sort()).toEqual(tables.sort());
    } finally {
      await store.close();
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    }
  }, 60_000);
});
