/**
 * Starts one real FerretDB (the embedded store, SQLite backend) for the integration and e2e
 * projects; each test app gets its own database on it (see build.ts). For the e2e project it also
 * builds the SPA once (browser.ts buildClient then skips its own build).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FerretDb } from '../../server/store/ferretdb';
import { runViteBuild } from './browser';

declare module 'vitest' {
  export interface ProvidedContext {
    ferretdbUri: string;
    /** The e2e project's client is built (once for the run, not once per test file). */
    clientBuilt: boolean;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'cadre-ferretdb-'));
  const db = await FerretDb.start({ bin: resolve(process.env.FERRETDB_BIN ?? '.tools/bin/ferretdb'), dataDir: dir });
  project.provide('ferretdbUri', db.uri);
  // Every e2e file serves the same SPA: built here once, not by each file's own process.
  const e2e = project.name === 'e2e' && process.env.E2E_SKIP_BUILD !== '1';
  if (e2e) await runViteBuild();
  project.provide('clientBuilt', e2e);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
