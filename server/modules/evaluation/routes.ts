/**
 * /api/evaluations: course and class evaluations (教学评估). Cadres answer once per lecture or
 * class they completed or attended; lecturers (their own lectures), class managers (their
 * classes) and the organisation department read the tallies, anonymous and only from a minimum
 * number of answers (EVALUATION_MIN_ANSWERS). The service decides scope (evaluation.service.ts).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, StringEnum } from '../../schemas';
import { ratedItems, subjectKinds } from './evaluation.model';
import { evaluationKey } from './evaluation-rules';
import { EvaluationService } from './evaluation.service';

const Rating = Type.Integer({ minimum: 1, maximum: 5 });
const Params = Type.Object({ kind: StringEnum(subjectKinds), id: Type.String({ pattern: '^[0-9a-fA-F]{24}$' }) });
const Mine = Type.Object({ eligible: Type.Boolean(), reason: Type.Optional(StringEnum(['not-credited', 'not-enrolled', 'not-begun'] as const)), answered: Type.Boolean() });
const Answer = Type.Object(
  {
    ratings: Type.Object({ content: Rating, lecturer: Rating, usefulness: Rating }, { additionalProperties: false }),
    comment: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
const Summary = Type.Object({
  title: Type.String(),
  count: Type.Integer(),
  minAnswers: Type.Integer(),
  missing: Type.Integer(),
  items: Type.Array(Type.Object({ item: StringEnum(ratedItems), mean: Type.Number(), histogram: Type.Array(Type.Integer()) })),
  comments: Type.Array(Type.String()),
});

export const evaluationRoutes: FastifyPluginAsyncTypebox<{ secret: string }> = async (app, opts) => {
  const service = new EvaluationService(app.store.models, app.calendar, evaluationKey(opts.secret), app.config.evaluation.minAnswers);
  const tags = ['evaluation'];

  app.get('/:kind/:id/mine', { config: { access: ['cadre'] }, schema: { tags, summary: '我能否评价、是否已评价 / may I evaluate, have I', params: Params, response: { 200: Mine, ...errorResponses } } }, async (req) =>
    service.mine(req.user!, req.params.kind, req.params.id),
  );
  app.post(
    '/:kind/:id',
    { config: { access: ['cadre'] }, schema: { tags, summary: '提交教学评估(匿名,每人一次) / evaluate, once, anonymously', params: Params, body: Answer, response: { 200: Mine, ...errorResponses } } },
    async (req) => service.answer(req.user!, req.params.kind, req.params.id, req.body),
  );
  app.get(
    '/:kind/:id/summary',
    { config: { access: ['lecturer', 'unitAdmin', 'orgAdmin'] }, schema: { tags, summary: '评估汇总(达到最少份数后显示) / the tally, shown from a minimum number of answers', params: Params, response: { 200: Summary, ...errorResponses } } },
    async (req) => service.summary(req.user!, req.params.kind, req.params.id),
  );
};
