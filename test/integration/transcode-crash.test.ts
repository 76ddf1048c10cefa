/**
 * The persistent job queue survives a crash: the server process is killed (SIGKILL) in the middle
 * of a transcode; its ffmpeg dies with it; after a restart the job is claimed again once its
 * lease runs out and the lecture ends up ready, with the uploaded original intact.
 */
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { openStore } from '../../server/store';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { testEnv } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { loginHttp, processesMatching, startServerProcess, type ServerProcess } from '../helpers/process';
import { tusUpload } from '../helpers/tus';

const env = testEnv({ JOB_LEASE_SECONDS: '3', JOB_POLL_MS: '300', TRANSCODE_PRESET: 'veryfast', MEDIASOUP_NUM_WORKERS: '1' });
let server: ServerProcess | undefined;
let dir: string;

afterAll(async () => {
  await server?.kill('SIGKILL');
  if (dir) await removeDir(dir);
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

async function lecture(url: string, cookie: string, id: string) {
  return (await (await fetch(`${url}/api/lectures/${id}`, { headers: { cookie } })).json()) as { processing: { state: string; percent: number }; state: string };
}

describe('a transcode interrupted by a crash', () => {
  it('completes after restart with nothing lost', async () => {
    const store = await openStore(loadConfig(env), { info() {}, warn() {}, debug() {} });
    await seedDemo(store.models);
    await store.close();
    dir = await makeMediaTmpDir('crash-');
    const clip = await makeClip(dir, { seconds: 40, width: 1280, height: 720 });

    server = await startServerProcess(env);
    const cookie = await loginHttp(server.url, 'lecturer', DEMO_PASSWORD);
    const created = await fetch(`${server.url}/api/lectures`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ title: '县情县策专题研讨', category: 'development' }) });
    const { id } = (await created.json()) as { id: string };
    const up = await tusUpload(server.url, cookie, clip, { lectureId: id }, { chunkSize: 4 * 1024 * 1024 });
    expect(up.error).toBeUndefined();

    // Wait until ffmpeg is really working on it, then kill the server without warning.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const l = await lecture(server.url, cookie, id);
      if (l.processing.state === 'running' && l.processing.percent >= 5) break;
      expect(l.processing.state).not.toBe('ready');
      if (Date.now() > deadline) throw new Error('transcode never got going');
      await sleep(200);
    }
    expect(processesMatching(env.DATA_DIR!).some((pid) => pid !== server!.child.pid)).toBe(true);
    await server.kill('SIGKILL');
    // ffmpeg loses its progress pipe and must not keep running as an orphan.
    await sleep(2000);
    expect(processesMatching(`${env.DATA_DIR!}/work`)).toEqual([]);

    server = await startServerProcess(env);
    const cookie2 = await loginHttp(server.url, 'lecturer', DEMO_PASSWORD);
    const end = Date.now() + 150_000;
    let l = await lecture(server.url, cookie2, id);
    while (l.processing.state !== 'ready') {
      expect(l.processing.state).not.toBe('failed');
      if (Date.now() > end) throw new Error(`not ready after restart: ${JSON.stringify(l)}`);
      await sleep(500);
      l = await lecture(server.url, cookie2, id);
    }
    // One portal process per data folder: stop the server before reading its store directly.
    expect(await server.kill('SIGTERM')).toBe(0);
    const store2 = await openStore(loadConfig(env), { info() {}, warn() {}, debug() {} });
    try {
      const job = await store2.models.Job.findOne({ 'payload.lectureId': id }).lean();
      expect(job).toMatchObject({ state: 'done', attempts: 2 });
      const row = await store2.models.Lecture.findById(id).lean();
      expect(existsSync(`${env.DATA_DIR}/media/${row!.sourceKey}`)).toBe(true);
      expect(row!.media?.master).toBe('master.m3u8');
      expect(existsSync(`${env.DATA_DIR}/media/${row!.media!.prefix}/master.m3u8`)).toBe(true);
    } finally {
      await store2.close();
    }
  }, 300_000);
});
