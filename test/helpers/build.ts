/**
 * build(): the app on a fresh database of the shared test FerretDB, one mediasoup worker and a
 * temporary data folder; closed and dropped after the file's tests (fastify/demo's helper).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cadre-data-'));
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MONGODB_URI: inject('ferretdbUri'),
    MONGODB_DB: `t_${randomBytes(6).toString('hex')}`,
    DATA_DIR: dataDir,
    MEDIASOUP_NUM_WORKERS: '1',
    // Where the end-to-end tests' client build lives (E2E_CLIENT_DIST: one per concurrent runner).
    ...(process.env.E2E_CLIENT_DIST ? { CLIENT_DIST: process.env.E2E_CLIENT_DIST } : {}),
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker',
    ...overrides,
  };
}

export interface TestApp {
  app: App;
  env: Record<string, string>;
  /** Closes the app, drops its database and removes its data folder. */
  close(): Promise<void>;
}

export async function build(overrides: Record<string, string> = {}): Promise<TestApp> {
  const env = testEnv(overrides);
  const app = await buildApp(loadConfig(env));
  await app.ready();
  let closed = false;
  return {
    app,
    env,
    async close() {
      if (closed) return;
      closed = true;
      await app.store.conn.dropDatabase().catch(() => {});
      await app.close();
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    },
  };
}

/** Logs in through the API and returns the session cookie header value. */
export async function login(app: App, username: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'sid');
  if (!cookie) throw new Error('no session cookie');
  return `sid=${cookie.value}`;
}

/**
 * build() with the demo data, listening on a loopback port, and a session of each of `users`
 * (demo accounts) in that order: for files that upload over HTTP (tus) and call the API as them.
 */
export async function buildListening<const U extends readonly string[]>(overrides: Record<string, string>, users: U): Promise<{ t: TestApp; url: string; cookies: { [K in keyof U]: string } }> {
  const t = await build(overrides);
  await seedDemo(t.app.store.models);
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const cookies: string[] = [];
  for (const user of users) cookies.push(await login(t.app, user, DEMO_PASSWORD));
  return { t, url, cookies: cookies as { [K in keyof U]: string } };
}
