/**
 * Course and class evaluations (教学评估) on the real store: only a cadre the lecture credited (or
 * enrolled in a class that has begun) may answer, once; 30 cadres answering at once are all
 * counted (the tally is changed under the subject's key: FerretDB's $inc is not atomic); nothing
 * stored names who answered; the lecturer sees only the count below the minimum, then means,
 * histograms and comments; another lecturer and cadres may not read it; bad input is a 400.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres } from '../helpers/cadres';

let t: TestApp;
let lecturer: string;
let orgAdmin: string;
let lectureId: string;
const cadres: { id: string; cookie: string }[] = [];

const call = async (method: string, url: string, cookie: string, payload?: object) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
  return { status: res.statusCode, body: res.body ? (res.json() as any) : undefined };
};
const answer = (i: number) => ({ ratings: { content: 1 + (i % 5), lecturer: 5, usefulness: i % 2 ? 4 : 3 }, comment: i % 3 === 0 ? `讲得很实在 ${i}` : '' });
const credit = (userId: string) =>
  t.app.study.ledger.creditOnce({ _id: `${userId}:${lectureId}:${t.app.calendar.year(Date.now())}`, userId: new Types.ObjectId(userId), lectureId: new Types.ObjectId(lectureId), year: t.app.calendar.year(Date.now()), hours: 1, required: false, title: '评价用讲座', at: new Date(), source: 'individual' });

beforeAll(async () => {
  t = await build({ EVALUATION_MIN_ANSWERS: '5', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  const seeded = await seedDemo(t.app.store.models);
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  const created = await call('POST', '/api/lectures', lecturer, { title: '评价用讲座', category: 'service', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1 });
  expect(created.status).toBe(201);
  lectureId = created.body.id;
  cadres.push(...(await makeCadres(t.app, { prefix: 'pj', n: 32, unitId: String(seeded.unitIds.get('苏公坨村党支部')), displayName: (i) => `评价${i}` })));
}, 120_000);
afterAll(() => t?.close());

describe('course evaluations', () => {
  it('lets only a credited cadre answer, once, and keeps no trace of who answered', async () => {
    const [first] = cadres;
    expect((await call('GET', `/api/evaluations/lecture/${lectureId}/mine`, first!.cookie)).body).toEqual({ eligible: false, reason: 'not-credited', answered: false });
    const refused = await call('POST', `/api/evaluations/lecture/${lectureId}`, first!.cookie, answer(0));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('EVALUATION_NOT_ELIGIBLE');

    expect(await credit(first!.id)).toBe(true);
    expect((await call('POST', `/api/evaluations/lecture/${lectureId}`, first!.cookie, answer(0))).body).toEqual({ eligible: true, answered: true });
    const again = await call('POST', `/api/evaluations/lecture/${lectureId}`, first!.cookie, answer(1));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EVALUATION_ANSWERED');
    expect((await call('GET', `/api/evaluations/lecture/${lectureId}/mine`, first!.cookie)).body).toEqual({ eligible: true, answered: true });

    // The live lecture's replay is the same content: already answered there, and one tally.
    const replay = await t.app.store.models.Lecture.create({ title: '评价用讲座(回放)', category: 'service', kind: 'recorded', state: 'published', creditHours: 1, replayOf: new Types.ObjectId(lectureId), createdBy: (await t.app.store.models.Lecture.findById(lectureId).lean())!.createdBy });
    expect((await call('GET', `/api/evaluations/lecture/${String(replay._id)}/mine`, first!.cookie)).body).toEqual({ eligible: true, answered: true });
    expect((await call('POST', `/api/evaluations/lecture/${String(replay._id)}`, first!.cookie, answer(2))).status).toBe(409);

    const stored = await t.app.store.models.CourseEvaluation.find({}).lean();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(first!.id);
  });

  it('refuses bad input with a 400 and stores nothing', async () => {
    const c = cadres[1]!;
    await credit(c.id);
    for (const bad of [{ ratings: { content: 6, lecturer: 5, usefulness: 5 } }, { ratings: { content: 3, lecturer: 5 } }, { ratings: { content: 3, lecturer: 5, usefulness: 5 }, comment: 'x'.repeat(501) }, { ratings: { content: 2.5, lecturer: 5, usefulness: 5 } }]) {
      const r = await call('POST', `/api/evaluations/lecture/${lectureId}`, c.cookie, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await call('POST', `/api/evaluations/class/${lectureId}`, c.cookie, answer(1))).status).toBe(404);
    expect((await call('GET', `/api/evaluations/lecture/not-an-id/mine`, c.cookie)).status).toBe(400);
    expect(await t.app.store.models.CourseEvaluation.countDocuments({})).toBe(1);
  });

  it('shows the lecturer only the count below the minimum, then the tally of 30 simultaneous answers', async () => {
    const below = await call('GET', `/api/evaluations/lecture/${lectureId}/summary`, lecturer);
    expect(below.body).toMatchObject({ title: '评价用讲座', count: 1, minAnswers: 5, missing: 4, items: [], comments: [] });

    const group = cadres.slice(2, 32);
    for (const c of group) await credit(c.id);
    const results = await Promise.all(group.map((c, i) => call('POST', `/api/evaluations/lecture/${lectureId}`, c.cookie, answer(i))));
    expect(results.map((r) => r.status)).toEqual(group.map(() => 200));

    const s = (await call('GET', `/api/evaluations/lecture/${lectureId}/summary`, lecturer)).body;
    expect(s.count).toBe(31);
    expect(s.missing).toBe(0);
    const content = s.items.find((x: any) => x.item === 'content');
    // The first answer (content 1) and 30 more, content 1..5 six times each.
    expect(content.histogram).toEqual([7, 6, 6, 6, 6]);
    expect(s.items.find((x: any) => x.item === 'lecturer')).toMatchObject({ mean: 5, histogram: [0, 0, 0, 0, 31] });
    expect(s.comments).toHaveLength(11);
    expect(s.comments.every((c: string) => c.startsWith('讲得很实在'))).toBe(true);
    expect(await t.app.store.models.CourseEvaluation.countDocuments({})).toBe(31);

    // Scope: the organisation department reads it; a cadre and another lecturer do not.
    expect((await call('GET', `/api/evaluations/lecture/${lectureId}/summary`, orgAdmin)).status).toBe(200);
    expect((await call('GET', `/api/evaluations/lecture/${lectureId}/summary`, cadres[0]!.cookie)).status).toBe(403);
    const other = await call('POST', '/api/users', orgAdmin, { username: 'other-lecturer', displayName: '另一位教师', password: 'Other2026x', role: 'lecturer' });
    expect(other.status).toBe(201);
    expect((await call('GET', `/api/evaluations/lecture/${lectureId}/summary`, await login(t.app, 'other-lecturer', 'Other2026x'))).status).toBe(403);
  }, 60_000);
});
