/**
 * The server as a whole: health and readiness naming each dependency, security headers, OpenAPI,
 * the SPA fallback, login rate limit, socket authentication, a store that is down, and a real
 * `npm start` process that starts its own FerretDB and leaves nothing running after SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp } from '../../server/app';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, testEnv, type TestApp } from '../helpers/build';
import { alive } from '../helpers/process';

describe('a running app', () => {
  let t: TestApp;
  let clientDir: string;
  beforeAll(async () => {
    clientDir = mkdtempSync(join(tmpdir(), 'cadre-client-'));
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>通榆县干部教育培训</title>');
    t = await build({ CLIENT_DIST: clientDir, LOGIN_RATE_LIMIT_PER_MINUTE: '3' });
    await seedDemo(t.app.store.models);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it('reports store, mediasoup and ffmpeg ready', async () => {
    expect((await t.app.inject('/healthz')).json().status).toBe('ok');
    const res = await t.app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.store.state).toBe('up');
    expect(body.checks.mediasoup).toMatchObject({ state: 'up', detail: { alive: 1, total: 1 } });
    expect(body.checks.ffmpeg.state).toBe('up');
    expect(body.checks.ffmpeg.detail.h264).toBe(true);
  });

  it('sends security headers', async () => {
    const res = await t.app.inject('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('publishes the API as OpenAPI under /docs', async () => {
    const res = await t.app.inject('/docs/json');
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/users/', '/readyz']));
  });

  it('serves the client for page URLs and a JSON 404 for unknown API routes', async () => {
    const page = await t.app.inject('/study/my-archive');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('通榆县干部教育培训');
    const api = await t.app.inject('/api/nothing-here');
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('NOT_FOUND');
  });

  it('turns malformed JSON into a 400 with a code', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBeTruthy();
  });

  it('rate-limits logins per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody', password: 'x' }, remoteAddress: '10.9.9.9' })).statusCode);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    const limited = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'cadre', password: DEMO_PASSWORD }, remoteAddress: '10.9.9.9' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
  });

  it('accepts sockets with a session and refuses them without', async () => {
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const refused = ioClient(url, { transports: ['websocket'], reconnection: false });
    const refusal = await new Promise<string>((res) => refused.on('connect_error', (e) => res(e.message)));
    expect(refusal).toBe('UNAUTHENTICATED');
    refused.close();
    const cookie = await login(t.app, 'cadre', DEMO_PASSWORD);
    const ok = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    await new Promise<void>((res, rej) => {
      ok.on('connect', () => res());
      ok.on('connect_error', rej);
    });
    expect(ok.connected).toBe(true);
    ok.close();
  });
});

describe('store failures', () => {
  it('gives up on an unreachable store with one clear error after retrying', async () => {
    const env = testEnv({ MONGODB_URI: 'mongodb://127.0.0.1:9/portal', STORE_CONNECT_ATTEMPTS: '2', STORE_CONNECT_BACKOFF_MS: '100' });
    const started = Date.now();
    await expect(buildApp(loadConfig(env), { logger: false })).rejects.toThrow(/store at mongodb:\/\/127\.0\.0\.1:9\/portal did not answer after 2 attempts/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('reports 503 with the store down when the embedded FerretDB dies', async () => {
    const env = testEnv({ MONGODB_URI: '' });
    const app = await buildApp(loadConfig(env), { logger: false });
    try {
      const before = (await app.inject('/readyz')).json();
      expect(before.checks.store.detail.embedded).toBe(true);
      // Polled closely: the supervisor restarts the child within about a second.
      process.kill(before.checks.store.detail.ferretdbPid, 'SIGKILL');
      const deadline = Date.now() + 5_000;
      let res = await app.inject('/readyz');
      while (res.statusCode !== 503 && Date.now() < deadline) {
        await sleep(20);
        res = await app.inject('/readyz');
      }
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'not-ready', checks: { store: { state: 'down' }, mediasoup: { state: 'up' } } });
    } finally {
      await app.close();
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    }
  });
});

describe('npm start', () => {
  it('starts on the embedded store, answers, and leaves nothing running after SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cadre-start-'));
    mkdirSync(dataDir, { recursive: true });
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MONGODB_URI: '', MEDIASOUP_NUM_WORKERS: '2', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 30_000;
      let address: string | undefined;
      while (!address && Date.now() < deadline) {
        address = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
        await sleep(100);
      }
      expect(address, out).toBeTruthy();
      const ready = (await (await fetch(`${address}/readyz`)).json()) as { status: string; checks: { store: { detail: { ferretdbPid: number } }; mediasoup: { detail: { pids: number[] } } } };
      expect(ready.status).toBe('ready');
      const pids = [ready.checks.store.detail.ferretdbPid, ...ready.checks.mediasoup.detail.pids];
      expect(pids.every(alive)).toBe(true);
      const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      await sleep(200);
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops with a message naming the key when the config is invalid', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    expect(code).toBe(1);
    expect(err).toContain('Invalid configuration: PORT must be an integer from 0 to 65535 (got "eighty")');
    expect(err).not.toMatch(/\n\s+at /);
  });
});
