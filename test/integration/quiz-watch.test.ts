/**
 * Quizzes that follow watching, on the real store, real HLS delivery and real heartbeats: span
 * questions unlock by the credited watched union (a span not credited stays locked), the end test
 * opens at the completion threshold, draws are random per attempt and kept on the server, attempts
 * are limited (正考 1 + 补考 1) and rate limited, and a credit that needs a pass waits for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { ProgressRepository } from '../../server/modules/study/repositories';
import { keyPositions, quizXlsx, sampleRows, watch } from '../helpers/quiz';

let t: TestApp;
let url: string;
let dir: string;
let lectureId: string;
let lecturer: string;
let bank: any;
const cadres: Record<'a' | 'b' | 'bot', string> = { a: '', b: '', bot: '' };

const call = async (method: 'GET' | 'POST', path: string, cookie: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any, text: '' };
};
const mine = async (who: keyof typeof cadres) => (await call('GET', `/api/quiz/lectures/${lectureId}/mine`, cadres[who])).body;
const earned = async (who: keyof typeof cadres) => (await call('GET', '/api/study/me', cadres[who])).body.earned.total as number;
const answersFor = (attempt: any, right: boolean) => attempt.questions.map((q: any) => ({ questionId: q.id, choice: keyPositions(bank, q, right) }));

beforeAll(async () => {
  dir = await makeMediaTmpDir('quiz-');
  const clip = await makeClip(dir, { seconds: 12, width: 320, height: 240 });
  t = await build({ TRANSCODE_PRESET: 'superfast', STUDY_CHECKPOINT_MS: '500', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  lectureId = await publishClip(url, lecturer, clip, { title: '关键在于落实(测评)', creditHours: 1, topic: '落实能力' });
  const file = await quizXlsx(sampleRows());
  expect((await call('POST', `/api/quiz/lectures/${lectureId}/import`, lecturer, { fileName: 'q.xlsx', contentBase64: file.toString('base64') })).body.imported).toBe(10);
  expect((await fetch(`${url}/api/quiz/lectures/${lectureId}/settings`, { method: 'PUT', headers: { cookie: lecturer, 'content-type': 'application/json' }, body: JSON.stringify({ needsPass: true, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 }) })).status).toBe(200);
  bank = (await call('GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer)).body;
  const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  const unit = String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId);
  for (const who of ['a', 'b', 'bot'] as const) {
    const u = await t.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: `quiz-${who}`, displayName: `测评${who}`, password: 'xuexi2026', role: 'cadre', orgUnitId: unit } });
    expect(u.statusCode, u.body).toBe(201);
    cadres[who] = await login(t.app, `quiz-${who}`, 'xuexi2026');
  }
  // A watches the first half; B the whole lecture; a script beats through the first half without fetching anything.
  await Promise.all([watch(url, cadres.a, lectureId, 0, 6), watch(url, cadres.b, lectureId, 0, 12, { end: true }), watch(url, cadres.bot, lectureId, 0, 6, { fetchMedia: false })]);
}, 180_000);
afterAll(async () => {
  await t?.close();
  if (dir) await removeDir(dir);
});

describe('span questions follow the credited watched union', () => {
  it('unlocks the question of a watched span and keeps the next span locked, showing what to watch', async () => {
    const m = await mine('a');
    expect(JSON.stringify(m)).not.toContain('"answer"');
    expect(m.spans.map((s: any) => [s.from, s.to, s.unlocked])).toEqual([[0, 4, true], [8, 12, false]]);
    expect(m.spans[0].question.options).toHaveLength(4);
    expect(m.spans[1].question).toBeUndefined();
    expect(m.test).toMatchObject({ unlocked: false, attemptsLeft: 2, nextPhase: 'main' });
    const locked = await call('POST', `/api/quiz/lectures/${lectureId}/span-answers/${m.spans[1].id}`, cadres.a, { choice: [0] });
    expect(locked.status).toBe(409);
    expect(locked.body.error.code).toBe('QUIZ_LOCKED');
    const end = await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.a);
    expect(end.body.error.code).toBe('QUIZ_END_LOCKED');
  });

  it('answers an unlocked question once, scored on the server', async () => {
    const span = (await mine('a')).spans[0];
    const res = await call('POST', `/api/quiz/lectures/${lectureId}/span-answers/${span.id}`, cadres.a, { choice: keyPositions(bank, { id: span.id, options: span.question.options }, true) });
    expect(res.body).toEqual({ correct: true });
    const again = await call('POST', `/api/quiz/lectures/${lectureId}/span-answers/${span.id}`, cadres.a, { choice: [0] });
    expect(again.body.error.code).toBe('QUIZ_ALREADY_ANSWERED');
    expect((await mine('a')).spans[0].answered).toEqual({ correct: true });
  });

  it('keeps every span locked for beats whose media was never fetched (not credited)', async () => {
    const m = await mine('bot');
    expect(m.spans.map((s: any) => s.unlocked)).toEqual([false, false]);
    const res = await call('POST', `/api/quiz/lectures/${lectureId}/span-answers/${m.spans[0].id}`, cadres.bot, { choice: [0] });
    expect(res.body.error.code).toBe('QUIZ_LOCKED');
  });

  it('rate limits starting attempts per cadre', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.bot)).status);
    expect(codes.slice(0, 10).every((c) => c === 409)).toBe(true);
    expect(codes.slice(10)).toEqual([429, 429]);
  });
});

describe('the end test and a credit that needs a pass', () => {
  it('holds the credit of a completion, fails the regular test, passes the make-up on a new draw and grants the credit once', async () => {
    const view = await watch(url, cadres.a, lectureId, 6, 12, { end: true });
    expect(view).toMatchObject({ completed: true });
    expect(view.creditHours).toBeUndefined();
    expect(await earned('a')).toBe(0);
    const before = await mine('a');
    expect(before).toMatchObject({ needsPass: true, credit: { state: 'held' }, test: { unlocked: true, attemptsLeft: 2 } });
    const aId = String((await t.app.store.models.User.findOne({ username: 'quiz-a' }).lean())!._id);
    const hold = await t.app.store.models.QuizCreditHold.findOne({ userId: aId }).lean();
    expect(hold).toMatchObject({ reason: 'quiz-pass-required', releasedAt: null });
    // 我的学习 says the hours wait for the test (the player shows that instead of 0 hours).
    const row = (await call('GET', '/api/study/me', cadres.a)).body.lectures.find((l: any) => l.lectureId === lectureId);
    expect(row).toMatchObject({ completed: true, earnedHours: 0, creditHeld: true });
    const answeredSpan = (await mine('a')).spans.find((x: any) => x.answered)!.id as string;

    const first = (await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.a)).body;
    expect(first).toMatchObject({ n: 1, phase: 'main' });
    expect(first.questions).toHaveLength(5);
    // The span question A answered (and so knows the key of) is not drawn while the rest suffice.
    expect(first.questions.map((q: any) => q.id)).not.toContain(answeredSpan);
    expect(JSON.stringify(first)).not.toContain('answer');
    // Asking again hands back the same draw: no new draw by reloading.
    expect((await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.a)).body).toEqual(first);
    const failed = await call('POST', `/api/quiz/attempts/${first.id}/submission`, cadres.a, { answers: answersFor(first, false) });
    expect(failed.body).toMatchObject({ passed: false, score: 0, attemptsLeft: 1, credit: { state: 'none' } });
    expect(JSON.stringify(failed.body)).not.toContain('choice');
    expect((await call('POST', `/api/quiz/attempts/${first.id}/submission`, cadres.a, { answers: answersFor(first, true) })).body.error.code).toBe('QUIZ_ALREADY_SUBMITTED');
    expect(await earned('a')).toBe(0);

    const second = (await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.a)).body;
    expect(second).toMatchObject({ n: 2, phase: 'makeup' });
    expect(second.questions.map((q: any) => q.id)).not.toContain(answeredSpan);
    expect(JSON.stringify(second.questions)).not.toBe(JSON.stringify(first.questions));
    const passed = await call('POST', `/api/quiz/attempts/${second.id}/submission`, cadres.a, { answers: answersFor(second, true) });
    expect(passed.body).toMatchObject({ passed: true, score: 100, credit: { state: 'granted', hours: 1 } });
    expect(await earned('a')).toBe(1);
    expect(await t.app.store.models.Ledger.countDocuments({ lectureId })).toBe(1);
    expect(await t.app.store.models.QuizCreditHold.findById(hold!._id).lean()).toMatchObject({ releasedBy: second.id, hours: 1 });
    expect((await mine('a')).credit).toMatchObject({ state: 'granted', hours: 1 });
    expect((await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.a)).body.error.code).toBe('QUIZ_ALREADY_PASSED');
    // Later completions checks (a replay of the log, another beat) add nothing.
    const info = await t.app.study.content(await t.app.study.lecture(lectureId));
    const p = await t.app.study.loadProgress(aId, lectureId);
    await t.app.study.ledger.checkCompletion(p, info);
    expect(await earned('a')).toBe(1);
  }, 60_000);

  it('allows no attempt past the regular and the make-up, and the credit stays held', async () => {
    for (const n of [1, 2]) {
      const a = (await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.b)).body;
      expect(a.n).toBe(n);
      expect((await call('POST', `/api/quiz/attempts/${a.id}/submission`, cadres.b, { answers: [] })).body).toMatchObject({ passed: false, attemptsLeft: 2 - n });
    }
    const third = await call('POST', `/api/quiz/lectures/${lectureId}/attempts`, cadres.b);
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('QUIZ_NO_ATTEMPTS_LEFT');
    expect((await mine('b'))).toMatchObject({ credit: { state: 'held' }, test: { attemptsLeft: 0, passed: false } });
    expect(await earned('b')).toBe(0);
  });

  it('grants the credits still held when the lecturer turns the pass requirement off, once', async () => {
    const put = (body: object) => fetch(`${url}/api/quiz/lectures/${lectureId}/settings`, { method: 'PUT', headers: { cookie: lecturer, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put({ needsPass: false, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 })).status).toBe(200);
    expect(await earned('b')).toBe(1);
    expect((await mine('b')).credit).toEqual({ state: 'none' });
    const bId = (await t.app.store.models.User.findOne({ username: 'quiz-b' }).lean())!._id;
    expect(await t.app.store.models.QuizCreditHold.findOne({ userId: bId }).lean()).toMatchObject({ releasedBy: 'policy-changed', hours: 1 });
    // Turned on and off again: nothing more is granted.
    await put({ needsPass: true, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 });
    await put({ needsPass: false, drawCount: 5, passPercent: 60, mainAttempts: 1, makeupAttempts: 1 });
    expect(await earned('b')).toBe(1);
    expect(await t.app.store.models.Ledger.countDocuments({ lectureId })).toBe(2);
  });

  it('shows the lecturer the retention from credited watching and each question’s figures, and nobody else', async () => {
    const stats = await call('GET', `/api/lecture-stats/${lectureId}`, lecturer);
    expect(stats.status).toBe(200);
    // A and B watched the whole 12-s lecture (one minute); the script's beats fetched nothing: not counted.
    const results = await t.app.store.models.QuizResult.find({ lectureId, kind: 'test' }).lean();
    expect(results.length).toBeGreaterThanOrEqual(3); // A's two attempts and B's
    expect(stats.body).toMatchObject({ title: '关键在于落实(测评)', viewers: 2, completed: 2, retention: [2], tests: results.length });
    // A watched the two halves one after the other: nothing watched again.
    expect(stats.body).toMatchObject({ again: [0], rewatchers: 0 });
    expect(stats.body.questions).toHaveLength(10);
    // Every answer of every attempt counted once, per question; A's failed attempt all wrong, the pass all right.
    const answers = results.flatMap((r) => r.answers);
    expect(stats.body.questions.reduce((n: number, q: any) => n + q.answered, 0)).toBe(answers.length);
    expect(stats.body.questions.reduce((n: number, q: any) => n + q.right, 0)).toBe(answers.filter((a) => a.correct).length);
    for (const q of stats.body.questions) expect(q.answered).toBe(answers.filter((a) => a.q === q.questionId).length);
    expect(stats.body.questions.every((q: any) => q.discrimination === null)).toBe(true); // fewer than 10 results
    expect((await call('GET', `/api/lecture-stats/${lectureId}`, cadres.a)).status).toBe(403);
    const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    expect((await call('GET', `/api/lecture-stats/${lectureId}`, admin)).status).toBe(200);
  });

  it('shows the parts watched again: B goes back over the first 9 s, counted once for B and not as new credit', async () => {
    const before = await earned('b');
    await watch(url, cadres.b, lectureId, 0, 9);
    const stats = await call('GET', `/api/lecture-stats/${lectureId}`, lecturer);
    expect(stats.body).toMatchObject({ viewers: 2, retention: [2], again: [1], rewatchers: 1 });
    expect(await earned('b')).toBe(before);
    // Kept with the progress when it is written back (the repository's round trip through the store).
    const uid = String((await t.app.store.models.User.findOne({ username: 'quiz-b' }).lean())!._id);
    const inMemory = t.app.study.progress.get(`${uid}:${lectureId}`)!;
    expect(inMemory.again.length).toBeGreaterThan(0);
    const repo = new ProgressRepository(t.app.store.models);
    await repo.writeBack(inMemory);
    expect((await repo.find(uid, lectureId)).again).toEqual(inMemory.again);
  });

  it('refuses another cadre’s attempt as not found', async () => {
    const id = `${'0'.repeat(24)}:${lectureId}:1`;
    expect((await call('POST', `/api/quiz/attempts/${id}/submission`, cadres.b, { answers: [] })).status).toBe(404);
  });
});
