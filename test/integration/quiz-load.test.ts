/**
 * 300 cadres who completed a lecture whose credit needs a pass start their end test and submit
 * at the same moment, each submission sent twice: every attempt is scored exactly once (no lost
 * and no doubled attempt or result), every pass grants its credit once, on the real store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { hashPassword } from '../../server/modules/auth/password';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { keyPositions, quizXlsx, sampleRows } from '../helpers/quiz';

const N = 300;
let t: TestApp;
let url: string;
let dir: string;
let lectureId: string;
let bank: any;
const cookies: string[] = [];

const call = async (method: 'GET' | 'POST' | 'PUT', path: string, cookie: string, body?: unknown) => {
  const started = performance.now();
  const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any, ms: performance.now() - started };
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

beforeAll(async () => {
  dir = await makeMediaTmpDir('quiz-load-');
  const clip = await makeClip(dir, { seconds: 4, width: 320, height: 240 });
  t = await build({ TRANSCODE_PRESET: 'superfast', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  lectureId = await publishClip(url, lecturer, clip, { title: '压力测试课程', creditHours: 2 });
  // The clip is 4 s: no spans (the sample's second span lies past its end).
  const file = await quizXlsx(sampleRows().map(({ spanFrom: _f, spanTo: _t, ...r }) => r));
  expect((await call('POST', `/api/quiz/lectures/${lectureId}/import`, lecturer, { fileName: 'q.xlsx', contentBase64: file.toString('base64') })).body.imported).toBe(10);
  expect((await call('PUT', `/api/quiz/lectures/${lectureId}/settings`, lecturer, { needsPass: true, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 })).status).toBe(200);
  bank = (await call('GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer)).body;
  // 300 cadres who watched the whole lecture before (their progress as the study engine stores it).
  const { User, Progress, Lecture } = t.app.store.models;
  const unit = (await User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const duration = (await Lecture.findById(lectureId).lean())!.durationSec || 4;
  const passwordHash = await hashPassword('xuexi2026', { N: 1024 });
  const users = await User.insertMany(Array.from({ length: N }, (_, i) => ({ username: `load${i}`, displayName: `压测${i}`, passwordHash, role: 'cadre', rank: 'township', orgUnitId: unit })));
  const done = new Date(Date.now() - 60_000);
  await Progress.insertMany(users.map((u) => ({ _id: `${String(u._id)}:${lectureId}`, userId: u._id, lectureId: new Types.ObjectId(lectureId), intervals: [0, duration], coveredSec: duration, wallSec: duration, durationSec: duration, lastPosition: duration, lastWatchedAt: done, completedAt: done })));
  for (let i = 0; i < N; i += 20) cookies.push(...(await Promise.all(Array.from({ length: Math.min(20, N - i) }, (_, k) => login(t.app, `load${i + k}`, 'xuexi2026')))));
}, 240_000);
afterAll(async () => {
  await t?.close();
  if (dir) await removeDir(dir);
});

describe('300 concurrent end tests', () => {
  it('scores each attempt exactly once and grants each pass once when every cadre starts twice and submits twice at once', async () => {
    const t0 = performance.now();
    const starts = await Promise.all(cookies.flatMap((c) => [call('POST', `/api/quiz/lectures/${lectureId}/attempts`, c), call('POST', `/api/quiz/lectures/${lectureId}/attempts`, c)]));
    const startWall = performance.now() - t0;
    expect(starts.filter((s) => s.status !== 200).map((s) => s.body)).toEqual([]);
    const attempts = cookies.map((_, i) => starts[2 * i]!.body);
    cookies.forEach((_, i) => expect(starts[2 * i + 1]!.body.id).toBe(attempts[i].id)); // the same attempt, the same draw
    expect(await t.app.store.models.QuizAttempt.countDocuments({})).toBe(N);

    const t1 = performance.now();
    const subs = await Promise.all(
      cookies.flatMap((c, i) => {
        const body = { answers: attempts[i].questions.map((q: any) => ({ questionId: q.id, choice: keyPositions(bank, q, i % 2 === 0) })) };
        return [call('POST', `/api/quiz/attempts/${attempts[i].id}/submission`, c, body), call('POST', `/api/quiz/attempts/${attempts[i].id}/submission`, c, body)];
      }),
    );
    const submitWall = performance.now() - t1;
    const ok = subs.filter((s) => s.status === 200);
    const dup = subs.filter((s) => s.status === 409);
    expect(ok).toHaveLength(N);
    expect(dup).toHaveLength(N);
    expect(dup.every((s) => s.body.error.code === 'QUIZ_ALREADY_SUBMITTED')).toBe(true);
    expect(ok.filter((s) => s.body.passed)).toHaveLength(N / 2);
    expect(ok.filter((s) => s.body.passed).every((s) => s.body.credit.state === 'granted' && s.body.credit.hours === 2)).toBe(true);
    expect(await t.app.store.models.QuizResult.countDocuments({ kind: 'test' })).toBe(N);
    expect(await t.app.store.models.Ledger.countDocuments({ lectureId })).toBe(N / 2);
    const lat = subs.map((s) => s.ms);
    console.log(`quiz load | ${N} cadres: ${2 * N} starts in ${Math.round(startWall)} ms; ${2 * N} submissions in ${Math.round(submitWall)} ms (p50 ${Math.round(pct(lat, 0.5))} ms, p95 ${Math.round(pct(lat, 0.95))} ms, max ${Math.round(Math.max(...lat))} ms)`);
  }, 180_000);
});
