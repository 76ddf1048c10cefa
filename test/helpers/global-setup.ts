/**
 * Starts one real FerretDB (the embedded store, SQLite backend) for the integration and e2e
 * projects; each test app gets its own database on it (see build.ts). For the e2e project it also
 * builds the SPA once (browser.ts buildClient then skips its own build).
 *
 * The store is supervised as the portal's is (ferretdb-supervisor.ts): should it die, it comes
 * back on the same port with its files, rather than failing every later file. Its exits and last
 * output lines go to test-results/ferretdb-<project>.log and to stderr: a crash is reported, not
 * hidden (one CI run lost the store a third of the way in, with nothing saying why).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FerretDbSupervisor } from '../../server/store/ferretdb-supervisor';
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
  mkdirSync('test-results', { recursive: true });
  const logFile = resolve('test-results', `ferretdb-${project.name}.log`);
  const note = (what: string) => {
    const line = `${new Date().toISOString()} ${what}\n`;
    appendFileSync(logFile, line);
    process.stderr.write(`[test store, ${project.name}] ${line}`);
  };
  const db = await FerretDbSupervisor.start({
    bin: resolve(process.env.FERRETDB_BIN ?? '.tools/bin/ferretdb'),
    dataDir: dir,
    maxRestartsPerMinute: 10,
  });
  db.on('exit', (e) => note(`FerretDB ${e.pid} exited (code ${e.code}, signal ${e.signal}); last lines:\n  ${e.lastLines.join('\n  ') || '(none)'}`));
  db.on('restarted', (e) => note(`FerretDB restarted on ${db.uri} as ${e.pid} (attempt ${e.attempt})`));
  db.on('restart-failed', (e) => note(`FerretDB restart ${e.attempt} failed: ${e.err.message}`));
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
