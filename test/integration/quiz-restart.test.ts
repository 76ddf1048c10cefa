/**
 * A credit that waits for a pass stays held across kill -9: the completion is replayed from the
 * study log at the next start, where the ledger's gate is already in place (services.ts), so no
 * credit is written without a pass; the pass after the restart grants it once.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { openStore } from '../../server/store';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { testEnv } from '../helpers/build';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { loginHttp, startServerProcess, type ServerProcess } from '../helpers/process';
import { keyPositions, quizXlsx, sampleRows, watch } from '../helpers/quiz';

// Checkpoints while watching (the progress is stored with its length), none between the end and
// the kill: the completion lives only in the study log and is replayed at the next start.
const env = testEnv({ STUDY_CHECKPOINT_MS: '4000', TRANSCODE_PRESET: 'superfast', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
let server: ServerProcess | undefined;
let dir: string;

afterAll(async () => {
  await server?.kill('SIGKILL');
  if (dir) await removeDir(dir);
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

const call = async (url: string, method: string, path: string, cookie: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await res.json().catch(() => undefined)) as any;
};

describe('a held credit across a crash', () => {
  it('stays held when the completion is replayed after kill -9, and is granted once by a later pass', async () => {
    const store = await openStore(loadConfig(env), { info() {}, warn() {}, debug() {} });
    await seedDemo(store.models);
    await store.close();
    dir = await makeMediaTmpDir('quiz-restart-');
    const clip = await makeClip(dir, { seconds: 12, width: 320, height: 240 });
    server = await startServerProcess(env);
    const lecturer = await loginHttp(server.url, 'lecturer', DEMO_PASSWORD);
    const lectureId = await publishClip(server.url, lecturer, clip, { title: '关键在于落实(重启)', creditHours: 1 });
    const file = await quizXlsx(sampleRows());
    expect((await call(server.url, 'POST', `/api/quiz/lectures/${lectureId}/import`, lecturer, { fileName: 'q.xlsx', contentBase64: file.toString('base64') })).imported).toBe(10);
    await call(server.url, 'PUT', `/api/quiz/lectures/${lectureId}/settings`, lecturer, { needsPass: true, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 });
    const cadre = await loginHttp(server.url, 'cadre', DEMO_PASSWORD);
    expect(await watch(server.url, cadre, lectureId, 0, 12, { end: true })).toMatchObject({ completed: true });
    expect((await call(server.url, 'GET', '/api/study/me', cadre)).earned.total).toBe(0);
    await server.kill('SIGKILL');

    server = await startServerProcess(env);
    const cadre2 = await loginHttp(server.url, 'cadre', DEMO_PASSWORD);
    expect((await call(server.url, 'GET', '/api/study/me', cadre2)).earned.total).toBe(0);
    const mine = await call(server.url, 'GET', `/api/quiz/lectures/${lectureId}/mine`, cadre2);
    expect(mine).toMatchObject({ credit: { state: 'held' }, test: { unlocked: true } });

    const lecturer2 = await loginHttp(server.url, 'lecturer', DEMO_PASSWORD);
    const bank = await call(server.url, 'GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer2);
    const attempt = await call(server.url, 'POST', `/api/quiz/lectures/${lectureId}/attempts`, cadre2);
    const answers = attempt.questions.map((q: any) => ({ questionId: q.id, choice: keyPositions(bank, q, true) }));
    expect(await call(server.url, 'POST', `/api/quiz/attempts/${attempt.id}/submission`, cadre2, { answers })).toMatchObject({ passed: true, credit: { state: 'granted', hours: 1 } });
    expect((await call(server.url, 'GET', '/api/study/me', cadre2)).earned.total).toBe(1);
  }, 180_000);
});
