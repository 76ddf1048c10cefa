/**
 * /api/assessment: the rule of the yearly result (实效测评规则) per county year. Anyone signed in
 * may read it (a cadre sees how their result is graded); only the organisation department sets it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';
import { assessmentOf } from './assessment.service';
import { RuleBody, RuleQuery, RuleView } from './schemas';

export const assessmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, calendar } = app;
  const service = assessmentOf(store.models, calendar, app.log);
  const tags = ['reports'];

  app.get(
    '/rule',
    { config: { access: ['cadre', 'lecturer', 'unitAdmin', 'orgAdmin'] }, schema: { tags, summary: '实效测评规则 / the yearly result’s rule of a county year (default: this year)', querystring: RuleQuery, response: { 200: RuleView, ...errorResponses } } },
    async (req) => service.rule(req.query.year ?? calendar.year(Date.now())),
  );

  app.put(
    '/rule',
    { config: { access: ['orgAdmin'] }, schema: { tags, summary: '设置实效测评规则 / set the rule of a county year (weights add up to 100; pass mark ≤ excellent mark)', body: RuleBody, response: { 200: RuleView, ...errorResponses } } },
    async (req) => service.saveRule(req.body.year, req.body.rule, req.user!._id),
  );
};
