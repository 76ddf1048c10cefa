/** Shared bench helpers: a throwaway FerretDB + app on loopback, and latency statistics. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config';
import { buildApp } from '../server/app';
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

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN) };
}

