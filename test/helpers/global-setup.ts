/**
 * Starts one real FerretDB (the embedded store, SQLite backend) for the integration and e2e
 * projects; each test app gets its own database on it (see build.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FerretDb } from '../../server/store/ferretdb';

declare module 'vitest' {
  export interface ProvidedContext {
    ferretdbUri: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'cadre-ferretdb-'));
  const db = await FerretDb.start({ bin: resolve(process.env.FERRETDB_BIN ?? '.tools/bin/ferretdb'), dataDir: dir });
  project.provide('ferretdbUri', db.uri);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
