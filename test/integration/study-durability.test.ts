/**
 * An acknowledged heartbeat is never lost: the server process is killed (SIGKILL) right after it
 * answered, long before any checkpoint; after a restart the credited time is there, and sending
 * the same beats again changes nothing.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { openStore } from '../../server/store';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { testEnv } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { fetchAllSegments, publishClip } from '../helpers/lectures';
import { loginHttp, startServerProcess, type ServerProcess } from '../helpers/process';

const env = testEnv({ STUDY_CHECKPOINT_MS: '600000', TRANSCODE_PRESET: 'superfast' });
let server: ServerProcess | undefined;
let dir: string;

afterAll(async () => {
  await server?.kill('SIGKILL');
  if (dir) await removeDir(dir);
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

describe('acknowledged heartbeats', () => {
  it('survive kill -9 right after the ack', async () => {
    const store = await openStore(loadConfig(env), { info() {}, warn() {}, debug() {} });
    await seedDemo(store.models);
    await store.close();
    dir = await makeMediaTmpDir('durable-');
    const clip = await makeClip(dir, { seconds: 8, width: 320, height: 240 });
    server = await startServerProcess(env);
    const lecturer = await loginHttp(server.url, 'lecturer', DEMO_PASSWORD);
    const lectureId = await publishClip(server.url, lecturer, clip, { title: '财务知识管理专题', creditHours: 1 });
    const cadre = await loginHttp(server.url, 'cadre', DEMO_PASSWORD);
    const post = async (path: string, body?: unknown) =>
      (await fetch(server!.url + path, { method: 'POST', headers: body ? { cookie: cadre, 'content-type': 'application/json' } : { cookie: cadre }, body: body ? JSON.stringify(body) : undefined })).json() as Promise<any>;
    const pb = await post(`/api/lectures/${lectureId}/playback`);
    await fetchAllSegments(server.url, pb.masterUrl);
    const beat = (seq: number, position: number) => ({ playbackId: pb.playbackId, seq, position, rate: 1, playing: true, visible: true, event: 'tick', clientAt: Date.now() });
    await post('/api/study/heartbeats', { beats: [beat(1, 0)] });
    await sleep(4000);
    const ack = await post('/api/study/heartbeats', { beats: [beat(2, 4)] });
    expect(ack.acks).toEqual([{ playbackId: pb.playbackId, seq: 2 }]);
    const acked = ack.sessions[pb.playbackId].coveredSec;
    expect(acked).toBeGreaterThanOrEqual(3.9);
    await server.kill('SIGKILL');

    server = await startServerProcess(env);
    const cadre2 = await loginHttp(server.url, 'cadre', DEMO_PASSWORD);
    const again = await (await fetch(`${server.url}/api/study/heartbeats`, { method: 'POST', headers: { cookie: cadre2, 'content-type': 'application/json' }, body: JSON.stringify({ beats: [beat(1, 0), beat(2, 4)] }) })).json() as any;
    expect(again.sessions[pb.playbackId].coveredSec).toBeCloseTo(acked, 5);
    const pb2 = await (await fetch(`${server.url}/api/lectures/${lectureId}/playback`, { method: 'POST', headers: { cookie: cadre2 } })).json() as any;
    expect(pb2.progress).toBeCloseTo(acked / 8, 2);
    expect(pb2.resumeAt).toBe(0); // 4 s: within the first 5 s nothing is resumed
  }, 180_000);
});
