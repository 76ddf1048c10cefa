/**
 * /api/lecture-stats/:id: what a lecturer learns about their lecture (stats-rules.ts): the
 * retention curve from the cadres' credited watched unions, and each test question's difficulty
 * and discrimination from the end-test results. The lecture's owner (its lecturer) and the
 * organisation department only (canEdit). Read on demand: the stored progress records merged
 * with the study engine's records in memory (written back only once idle); a live lecture and
 * its replay are one content (the live lecture's records). Parts watched again (重看): per minute,
 * the cadres whose media credited more than once covers half of it (Progress.again, noted as the
 * study engine credits media a cadre already had).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Types } from 'mongoose';
import { errors } from '../../errors';
import { errorResponses, ObjectIdParam } from '../../schemas';
import { canEdit } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import { pairs, questionFigures, retention } from './stats-rules';

const Stats = Type.Object({
  title: Type.String(),
  durationSec: Type.Number(),
  viewers: Type.Integer(),
  completed: Type.Integer(),
  retention: Type.Array(Type.Integer(), { description: 'viewers per minute of the lecture' }),
  again: Type.Array(Type.Integer(), { description: 'viewers per minute who watched that minute again (重看)' }),
  rewatchers: Type.Integer({ description: 'viewers who went back over some part' }),
  tests: Type.Integer(),
  questions: Type.Array(
    Type.Object({
      questionId: Type.String(),
      stem: Type.String(),
      kind: Type.String(),
      answered: Type.Integer(),
      right: Type.Integer(),
      difficulty: Type.Union([Type.Number(), Type.Null()]),
      discrimination: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
});

export const lectureStatsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { models } = app.store;
  app.get(
    '/:id',
    { config: { access: ['lecturer', 'unitAdmin', 'orgAdmin'] }, schema: { tags: ['lecture-stats'], summary: '讲座统计:留存曲线与试题分析 / retention curve and question figures of a lecture', params: ObjectIdParam, response: { 200: Stats, ...errorResponses } } },
    async (req) => {
      const lecture = await models.Lecture.findById(req.params.id, { title: 1, createdBy: 1, durationSec: 1, replayOf: 1 }).lean<LectureDoc>();
      if (!lecture) throw errors.notFound('讲座', 'Lecture');
      if (!canEdit(req.user!, lecture)) throw errors.forbidden();
      const contentId = new Types.ObjectId(String(lecture.replayOf ?? lecture._id));
      const durationSec = lecture.durationSec ?? 0;
      // The stored records, and those in memory (written back only once idle): memory wins.
      const byUser = new Map<string, { union: ReturnType<typeof pairs>; again: ReturnType<typeof pairs>; completed: boolean }>();
      for (const p of await models.Progress.find({ lectureId: contentId }, { userId: 1, intervals: 1, again: 1, completedAt: 1 }).lean())
        byUser.set(String(p.userId), { union: pairs(p.intervals ?? []), again: pairs(p.again ?? []), completed: Boolean(p.completedAt) });
      for (const p of app.study.progress.values()) if (p.lectureId === String(contentId)) byUser.set(p.userId, { union: p.intervals.slice(), again: p.again.slice(), completed: p.completedAt !== null });
      const watched = [...byUser.values()].filter((w) => w.union.length > 0);
      const unions = watched.map((w) => w.union);
      const [questions, results] = await Promise.all([
        models.QuizQuestion.find({ lectureId: lecture._id }, { stem: 1, kind: 1 }).lean(),
        models.QuizResult.find({ lectureId: lecture._id, kind: 'test' }, { score: 1, answers: 1 }).lean(),
      ]);
      const figures = questionFigures(
        questions.map((q) => String(q._id)),
        results.map((r) => ({ score: r.score ?? 0, answers: (r.answers ?? []).map((a) => ({ q: String(a.q), correct: Boolean(a.correct) })) })),
      );
      return {
        title: lecture.title,
        durationSec,
        viewers: unions.length,
        completed: watched.filter((w) => w.completed).length,
        retention: durationSec > 0 ? retention(unions, durationSec) : [],
        again: durationSec > 0 ? retention(watched.map((w) => w.again), durationSec) : [],
        rewatchers: watched.filter((w) => w.again.length > 0).length,
        tests: results.length,
        questions: figures.map((f, i) => ({ ...f, stem: questions[i]!.stem, kind: questions[i]!.kind })),
      };
    },
  );
};
