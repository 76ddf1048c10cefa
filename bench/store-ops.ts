/**
 * What single-document operations cost on the embedded store (FerretDB 1.24, SQLite backend) as a
 * collection grows: the figures behind the study engine's design (docs/store-on-ferretdb.md).
 * For collections of each size (playback-like documents, string `_id`s) it times, one at a time,
 * an `_id` read, a read by another field, `updateOne` by `_id` with and without `upsert` and with
 * one more condition, `replaceOne`, `deleteOne` +
 * `insertOne`, and the log's insert of one batch (a JSON string of 50 entries) in a database of
 * its own. Reports wall and FerretDB CPU (from /proc) per operation; the baseline is the `_id`
 * read in the same run (ratio = op / read). Loopback only, throwaway data folder.
 * With --id-index, it times the `_id` operations and an insert at each size twice in the same run:
 * as FerretDB leaves the table, then with the SQLite expression index the portal adds at start
 * (server/store/sqlite-id-index.ts); the ratio is before / after.
 *
 * Run: node --import tsx bench/store-ops.ts [--sizes 200,2000,11265] [--ops 100] [--id-index]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient, type Document } from 'mongodb';
import { loadConfig } from '../config';
import { FerretDb } from '../server/store/ferretdb';
import { ensureIdIndexes } from '../server/store/sqlite-id-index';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '200,2000,11265' }, ops: { type: 'string', default: '100' }, 'id-index': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const nOps = Number(values.ops);

const dir = mkdtempSync(join(tmpdir(), 'cadre-store-ops-'));
const cfg = loadConfig({ DATA_DIR: dir });
const db = await FerretDb.start({ bin: cfg.store.ferretdbBin, dataDir: dir, port: 0 });
const client = await MongoClient.connect(db.uri);
const cpuMs = () => {
  const f = readFileSync(`/proc/${db.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, 100 Hz ticks
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const playback = (i: number, seq = 1): Document => ({
  _id: `pb${i}`,
  userId: `u${i}`,
  lectureId: 'l1',
  openedAt: new Date(),
  kind: 'recorded',
  lastSeq: seq,
  lastPosition: seq * 15,
  lastClientAt: Date.now(),
  playing: true,
  visible: true,
  clientElapsedMs: seq * 15_000,
  delivered: Array.from({ length: 25 }, (_, k) => k),
  ip: '127.0.0.1',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
});
const set = (i: number) => ({ $set: { lastSeq: i, lastPosition: i * 15, lastClientAt: Date.now(), playing: true, visible: true, clientElapsedMs: i * 15_000 } });
const logEntries = (i: number) => JSON.stringify(Array.from({ length: 50 }, (_, k) => ({ k: 'b', p: `pb${k}`, seq: i, pos: i * 0.2, ca: Date.now(), pl: true, v: true, el: 12_345 })));

const results: { size: number; op: string; wallMs: number; storeCpuMs: number; ratioToRead: number }[] = [];
const indexed: { size: number; op: string; scanMs: number; indexMs: number; scanCpuMs: number; indexCpuMs: number; ratio: number }[] = [];
try {
  for (const size of sizes) {
    const main = client.db(`ops${size}`);
    const col = main.collection(`playbacks`);
    for (let i = 0; i < size; i += 500) await col.insertMany(Array.from({ length: Math.min(500, size - i) }, (_, k) => playback(i + k)));
    const log = client.db(`ops${size}_studywal`).collection('studywal_x');
    let logSeq = 0;
    const ops: [string, (i: number) => Promise<unknown>][] = [
      ['findOne {_id}', (i) => col.findOne({ _id: `pb${i % size}` } as Document)],
      // Only a filter that is exactly { _id: <string or ObjectId> } reaches SQLite; any other is
      // applied by FerretDB to every decoded document (a login by username, a conditional update).
      ['findOne {userId} (not _id)', (i) => col.findOne({ userId: `u${i % size}` })],
      ['updateOne {_id} $set', (i) => col.updateOne({ _id: `pb${i % size}` } as Document, set(i))],
      ['updateOne {_id, lastSeq $ne} $set', (i) => col.updateOne({ _id: `pb${i % size}`, lastSeq: { $ne: -1 } } as Document, set(i))],
      ['updateOne {_id} $set, upsert', (i) => col.updateOne({ _id: `pb${i % size}` } as Document, set(i), { upsert: true })],
      ['replaceOne {_id}, upsert', (i) => col.replaceOne({ _id: `pb${i % size}` } as Document, playback(i % size, i), { upsert: true })],
      ['deleteOne {_id} + insertOne', async (i) => {
        await col.deleteOne({ _id: `pb${i % size}` } as Document);
        await col.insertOne(playback(i % size, i));
      }],
      ['log insert (50 entries as JSON text)', (i) => log.insertOne({ _id: `${size}:${++logSeq}`, at: new Date(), e: logEntries(i) } as Document)],
    ];
    const time = async (run: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < 5; i++) await run(size + i); // warm
      const c0 = cpuMs();
      const t0 = performance.now();
      // Documents spread over the whole collection: a read stops scanning at its match (LIMIT 1),
      // so reading only early documents would hide the scan.
      for (let i = 0; i < nOps; i++) await run(Math.floor(((i * 37) % nOps + 0.5) * (size / nOps)));
      return { wallMs: (performance.now() - t0) / nOps, storeCpuMs: (cpuMs() - c0) / nOps };
    };
    if (values['id-index']) {
      let fresh = size + 1_000_000;
      const idOps = ops.filter(([op]) => op.includes('{_id}'));
      idOps.push(['insertOne', () => col.insertOne(playback(fresh++))]);
      const before = new Map<string, { wallMs: number; storeCpuMs: number }>();
      for (const [op, run] of idOps) before.set(op, await time(run));
      const report = await ensureIdIndexes({ file: join(dir, 'ferretdb', `ops${size}.sqlite`) });
      if (!report.verified.some((t) => t.collection === 'playbacks')) throw new Error(`the _id index is not used: ${JSON.stringify(report)}`);
      for (const [op, run] of idOps) {
        const a = before.get(op)!;
        const b = await time(run);
        indexed.push({ size, op, scanMs: round(a.wallMs), indexMs: round(b.wallMs), scanCpuMs: round(a.storeCpuMs), indexCpuMs: round(b.storeCpuMs), ratio: round(a.wallMs / b.wallMs, 1) });
        console.error(`  ${String(size).padStart(6)} documents  ${op.padEnd(38)} ${round(a.wallMs).toFixed(2).padStart(7)} ms as is  ${round(b.wallMs).toFixed(2).padStart(7)} ms with the _id index  ×${round(a.wallMs / b.wallMs, 1)}`);
      }
      await main.dropDatabase();
      continue;
    }
    let readMs = 0;
    for (const [op, run] of ops) {
      const { wallMs, storeCpuMs } = await time(run);
      if (op === 'findOne {_id}') readMs = wallMs;
      results.push({ size, op, wallMs: round(wallMs), storeCpuMs: round(storeCpuMs), ratioToRead: round(wallMs / readMs, 1) });
      console.error(`  ${String(size).padStart(6)} documents  ${op.padEnd(38)} ${round(wallMs).toFixed(2).padStart(7)} ms wall  ${round(storeCpuMs).toFixed(2).padStart(7)} ms FerretDB CPU  ×${round(wallMs / readMs, 1)} of an _id read`);
    }
    await main.dropDatabase();
  }
} finally {
  await client.close();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: 'store-ops', at: new Date().toISOString(), ops: nOps, ...(values['id-index'] ? { indexed } : { results }) }));
