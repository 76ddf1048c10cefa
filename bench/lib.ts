/** Shared bench helpers: a throwaway FerretDB + app on loopback, and latency statistics. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config';
import type { Types } from 'mongoose';
import { buildApp, type App } from '../server/app';
import { hashPassword } from '../server/modules/auth/password';
import { FerretDb } from '../server/store/ferretdb';

export async function benchApp(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cadre-bench-'));
  const db = await FerretDb.start({ bin: resolve('.tools/bin/ferretdb'), dataDir: join(dir, 'db') });
  const app = await buildApp(
    loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MONGODB_URI: db.uri, MONGODB_DB: 'bench', DATA_DIR: join(dir, 'data'), MEDIASOUP_NUM_WORKERS: '1', ...env }),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url,
    dir,
    async close() {
      await app.close();
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The county-size store of `scripts/generate-county.ts` in `dataDir`, generated the first time (a minute or so) and reused after. */
export function ensureCounty(dataDir: string, log: (line: string) => void): void {
  if (existsSync(join(dataDir, 'ferretdb'))) return;
  log(`generating the county into ${dataDir} (npm run generate:county) ...`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate-county.ts'], { env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`generate-county exited with ${r.status}`);
  log(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/**
 * The county benches' two admins, added once to a generated county: `benchorg` (org admin of the
 * county) and `benchunit` (unit admin of `committeeId`), logged in over HTTP; their cookies.
 */
export async function countyAdmins(app: App, url: string, ids: { countyId: Types.ObjectId; committeeId: Types.ObjectId }, password: string): Promise<{ org: string; unit: string }> {
  const { models } = app.store;
  const hash = await hashPassword(password);
  for (const [username, role, orgUnitId] of [['benchorg', 'orgAdmin', ids.countyId], ['benchunit', 'unitAdmin', ids.committeeId]] as const) {
    if (!(await models.User.exists({ username }))) await models.User.create({ username, displayName: username, passwordHash: hash, role, orgUnitId });
  }
  const cookieOf = async (username: string) => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
    return res.headers.getSetCookie()[0]!.split(';')[0]!;
  };
  return { org: await cookieOf('benchorg'), unit: await cookieOf('benchunit') };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN) };
}

