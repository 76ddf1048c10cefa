/**
 * An `_id` index FerretDB 1.24 uses without knowing it (embedded store only).
 *
 * FerretDB's SQLite backend pushes a filter `{ _id: x }` down as `_ferretdb_sjson->'$._id' = ?`,
 * but indexes `_id` on another expression (`_ferretdb_sjson->"_id"`). SQLite uses an expression
 * index only for the same expression, so every read, update and delete by `_id` scans its table
 * (359 ms per update at 11,265 documents). An index on the exact expression FerretDB queries makes
 * them flat (docs/store-on-ferretdb.md, docs/benchmarks.md).
 *
 * FerretDB keeps each database in `<state dir>/<db>.sqlite`; collection tables have hashed names,
 * listed in its `_ferretdb_collections` table. We add the index to every table that exists, in
 * WAL mode beside the running FerretDB (it waits for the writer lock), idempotently
 * (`IF NOT EXISTS`), and verify each with `EXPLAIN QUERY PLAN`. FerretDB never lists, drops or
 * maintains it otherwise; dropping a collection drops the table and its indexes with it, and a
 * table created later gets the index at the next start. Node 20 has no SQLite of its own: this
 * runs Debian's `sqlite3` (installed by scripts/setup.sh); without it the store still works, and
 * `_id` operations scan as before.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The index's name on a table: FerretDB's own `_id` index is `<table>__id_`. */
export const idIndexName = (table: string) => `${table}__id_sjson`;

export interface IdIndexReport {
  /** Collection tables that have the index and whose `_id` plan uses it. */
  verified: { collection: string; table: string }[];
  /** Tables whose `_id` plan does not use it (the index is not used: reads scan). */
  unverified: { collection: string; table: string; plan: string }[];
  /** Why nothing was done (no sqlite3, no database file), when so. */
  skipped?: string;
}

export interface IdIndexOptions {
  /** The database's SQLite file, `<DATA_DIR>/ferretdb/<db>.sqlite`. */
  file: string;
  sqlite3?: string;
  /** How long to wait for FerretDB's writer lock (ms). */
  busyTimeoutMs?: number;
}

const SAFE_TABLE = /^[A-Za-z0-9_]+$/;

async function sql(opts: IdIndexOptions, script: string): Promise<string> {
  const { stdout } = await run(opts.sqlite3 ?? 'sqlite3', ['-bail', '-cmd', `.timeout ${opts.busyTimeoutMs ?? 10_000}`, opts.file, script], { maxBuffer: 8 << 20 });
  return stdout;
}

/** Creates (if missing) and verifies the `_id` expression index on every collection table of one FerretDB database. */
export async function ensureIdIndexes(opts: IdIndexOptions): Promise<IdIndexReport> {
  if (!existsSync(opts.file)) return { verified: [], unverified: [], skipped: `no database file at ${opts.file}` };
  let listed: string;
  try {
    listed = await sql(opts, "SELECT name || char(9) || table_name FROM _ferretdb_collections ORDER BY name;");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { verified: [], unverified: [], skipped: 'sqlite3 is not installed (run scripts/setup.sh)' };
    throw err;
  }
  const tables = listed
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [collection = '', table = ''] = line.split('\t');
      return { collection, table };
    })
    .filter((t) => SAFE_TABLE.test(t.table));
  if (!tables.length) return { verified: [], unverified: [] };
  await sql(opts, tables.map(({ table }) => `CREATE INDEX IF NOT EXISTS "${idIndexName(table)}" ON "${table}" (_ferretdb_sjson->'$._id');`).join('\n'));
  // The statement FerretDB sends for a find, update or delete by `_id` (internal/backends/sqlite).
  const plans = await sql(opts, tables.map(({ table }) => `SELECT '@${table}'; EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "${table}" WHERE _ferretdb_sjson->'$._id' = '"x"';`).join('\n'));
  const byTable = new Map<string, string>();
  let current = '';
  for (const line of plans.split('\n')) {
    if (line.startsWith('@')) current = line.slice(1);
    else if (current) byTable.set(current, `${byTable.get(current) ?? ''}${line.trim()} `);
  }
  const report: IdIndexReport = { verified: [], unverified: [] };
  for (const t of tables) {
    const plan = (byTable.get(t.table) ?? '').trim();
    if (plan.includes(`USING INDEX ${idIndexName(t.table)}`)) report.verified.push(t);
    else report.unverified.push({ ...t, plan });
  }
  return report;
}
