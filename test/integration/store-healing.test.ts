/**
 * A store that heals, and one process per data folder, on the real embedded FerretDB (the app is
 * built without MONGODB_URI, so it runs its own child): under a stream of heartbeats and reads the
 * FerretDB child is killed with SIGKILL; meanwhile requests answer 503 with Retry-After (never a
 * 500), the child comes back by itself on the same port, requests succeed again, and every
 * acknowledged heartbeat is in the store after a restart of the app. A second app on the same
 * DATA_DIR is refused while the first runs, and starts once it has closed.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { LOCK_FILE } from '../../server/store/data-dir-lock';
import { login, testEnv } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { fetchAllSegments, publishClip } from '../helpers/lectures';
import { alive, until } from '../helpers/process';

// Requests give up on a dead store after 300 ms and the child is restarted 1.5 s after it dies, so
// the outage (kill, restart, reconnect) is always visible as 503s rather than as slower answers.
const env = testEnv({ MONGODB_URI: '', TRANSCODE_PRESET: 'superfast', STORE_SELECTION_TIMEOUT_MS: '300', STORE_RESTART_DELAY_MS: '1500' });
const CLIP_SEC = 30;
let app: App | undefined;
let url: string;
let dir: string;
let lectureId: string;

beforeAll(async () => {
  dir = await makeMediaTmpDir('heal-');
  const clip = await makeClip(dir, { seconds: CLIP_SEC, width: 320, height: 240 });
  app = await buildApp(loadConfig(env), { logger: false });
  expect(app.store.ferretdb).toBeDefined();
  await seedDemo(app.store.models);
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  const lecturer = await login(app, 'lecturer', DEMO_PASSWORD);
  lectureId = await publishClip(url, lecturer, clip, { title: '基层治理能力提升专题', creditHours: 1 });
}, 180_000);

afterAll(async () => {
  await app?.close();
  if (dir) await removeDir(dir);
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

describe('one portal process per data folder', () => {
  it('refuses a second app on the same DATA_DIR, naming the folder and the holder', async () => {
    await expect(buildApp(loadConfig(env), { logger: false })).rejects.toThrow(`The data folder ${env.DATA_DIR} is in use by another portal process (pid ${process.pid})`);
    // The refused start touched nothing of the first: its FerretDB still answers.
    expect((await app!.inject('/readyz')).statusCode).toBe(200);
  });
});

describe('a FerretDB crash under load', () => {
  it('answers 503 with Retry-After while the store is down, heals by itself, and keeps every acknowledged heartbeat', async () => {
    const cadre = await login(app!, 'cadre', DEMO_PASSWORD);
    const pbRes = await fetch(`${url}/api/lectures/${lectureId}/playback`, { method: 'POST', headers: { cookie: cadre } });
    expect(pbRes.status).toBe(200);
    const pb = (await pbRes.json()) as { playbackId: string; masterUrl: string };
    expect(await fetchAllSegments(url, pb.masterUrl, cadre)).toBeGreaterThanOrEqual(5);

    const fd = app!.store.ferretdb!;
    const firstPid = fd.pid!;
    const port = fd.port;
    const t0 = Date.now();
    let seq = 0;
    let lastAckedCovered = 0;
    const seen: { at: number; status: number; code?: string; retryAfter: string | null }[] = [];
    let stop = false;

    const beats = (async () => {
      while (!stop) {
        const position = Math.min(CLIP_SEC, (Date.now() - t0) / 1000);
        const beat = { playbackId: pb.playbackId, seq: ++seq, position, rate: 1, playing: true, visible: true, event: seq === 1 ? 'play' : 'tick', clientAt: Date.now() };
        const res = await fetch(`${url}/api/study/heartbeats`, { method: 'POST', headers: { cookie: cadre, 'content-type': 'application/json' }, body: JSON.stringify({ beats: [beat] }) });
        const body = (await res.json()) as any;
        seen.push({ at: Date.now(), status: res.status, code: body?.error?.code, retryAfter: res.headers.get('retry-after') });
        if (res.status === 200) {
          expect(body.acks).toEqual([{ playbackId: pb.playbackId, seq: beat.seq }]);
          lastAckedCovered = body.sessions[pb.playbackId].coveredSec;
        }
        await sleep(100);
      }
    })();
    const reads = (async () => {
      while (!stop) {
        const res = await fetch(`${url}/api/study/me`, { headers: { cookie: cadre } });
        const body = (await res.json()) as any;
        seen.push({ at: Date.now(), status: res.status, code: body?.error?.code, retryAfter: res.headers.get('retry-after') });
        await sleep(50);
      }
    })();

    try {
      // A few acknowledged beats before the crash.
      await until('acks before the crash', async () => lastAckedCovered >= 1);
      const killedAt = Date.now();
      process.kill(firstPid, 'SIGKILL');
      const ready = await app!.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.store.state).toBe('down');

      // Back by itself, on the same port, as a new process.
      await until('FerretDB restarted', async () => fd.pid !== undefined && fd.pid !== firstPid && alive(fd.pid));
      expect(fd.port).toBe(port);
      expect(fd.restarts).toBe(1);
      await until('ready again', async () => (await app!.inject('/readyz')).statusCode === 200);
      // Requests succeed again: ten more answered without error after recovery.
      const healedAt = Date.now();
      await until('acks after recovery', async () => seen.filter((s) => s.at > healedAt && s.status === 200).length >= 10);
      // Heartbeats are acknowledged again too (reads may heal a few beats sooner).
      await until('beats acknowledged after recovery', async () => lastAckedCovered > 2);
      stop = true;
      await Promise.all([beats, reads]);

      const failures = seen.filter((s) => s.status !== 200);
      expect(seen.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) {
        expect(f.status).toBe(503);
        expect(['STORE_UNAVAILABLE', 'STUDY_LOG_UNAVAILABLE']).toContain(f.code);
        expect(Number(f.retryAfter)).toBeGreaterThan(0);
        expect(f.at).toBeGreaterThanOrEqual(killedAt);
      }
      expect((await app!.inject('/healthz')).statusCode).toBe(200);
    } finally {
      stop = true;
      await Promise.allSettled([beats, reads]);
    }
    expect(lastAckedCovered).toBeGreaterThan(2);

    // Close (releases the lock), start again on the same DATA_DIR, and read the progress back.
    await app!.close();
    expect(existsSync(join(env.DATA_DIR!, LOCK_FILE))).toBe(false);
    app = await buildApp(loadConfig(env), { logger: false });
    const cadre2 = await login(app, 'cadre', DEMO_PASSWORD);
    const again = await app.inject({ method: 'POST', url: `/api/lectures/${lectureId}/playback`, headers: { cookie: cadre2 } });
    expect(again.statusCode).toBe(200);
    expect(again.json().progress * CLIP_SEC).toBeGreaterThanOrEqual(lastAckedCovered - 0.01);
  }, 90_000);
});

describe('the health check', () => {
  it('turns unhealthy once the store has been down longer than the limit', async () => {
    const e = testEnv({ MONGODB_URI: '', STORE_DOWN_UNHEALTHY_SECONDS: '1', STORE_MAX_RESTARTS_PER_MINUTE: '1', STORE_SELECTION_TIMEOUT_MS: '300' });
    const a = await buildApp(loadConfig(e), { logger: false });
    try {
      const fd = a.store.ferretdb!;
      // The first restart is allowed; the crash right after it waits for the next minute.
      const first = fd.pid!;
      process.kill(first, 'SIGKILL');
      await until('first restart', async () => fd.pid !== undefined && fd.pid !== first);
      await until('ready again', async () => (await a.inject('/readyz')).statusCode === 200);
      expect(a.store.downSince()).toBeNull();
      process.kill(fd.pid!, 'SIGKILL');
      await until('store seen down', async () => a.store.downSince() !== null);
      expect((await a.inject('/healthz')).statusCode).toBe(200);
      const res = await until('healthz 503', async () => {
        const r = await a.inject('/healthz');
        return r.statusCode === 503 && r;
      }, 5000);
      expect(res.json()).toMatchObject({ status: 'unhealthy' });
      const api = await a.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody', password: 'whatever1' } });
      expect(api.statusCode).toBe(503);
      expect(api.json().error.code).toBe('STORE_UNAVAILABLE');
      expect(api.headers['retry-after']).toBeDefined();
    } finally {
      await a.close();
      rmSync(e.DATA_DIR!, { recursive: true, force: true });
    }
  }, 30_000);
});
