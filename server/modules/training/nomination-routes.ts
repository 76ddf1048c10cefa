/**
 * Nominations (推荐调训) under /api/training, registered by routes.ts with the service: the org
 * admin opens a class with its quotas; unit admins nominate their units' cadres and see their own
 * nominations; managers confirm (enrol) or refuse with a reason. The service keeps the scope.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, ObjectIdParam } from '../../schemas';
import * as S from './completion-schemas';
import type { NominationService } from './nomination.service';
import { Year } from './schemas';

export const nominationRoutes: FastifyPluginAsyncTypebox<{ nominations: NominationService; thisYear: () => number }> = async (app, { nominations, thisYear }) => {
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const tags = ['training'];

  app.put('/classes/:id/nomination', { config: { access: ['orgAdmin'] }, schema: { tags, summary: '开放推荐与名额 / open a class to nominations with quotas', params: ObjectIdParam, body: S.NominationSettingsBody, response: { 200: S.NominationSettingsBody, ...errorResponses } } }, async (req) => nominations.configure(req.user!, req.params.id, req.body));
  app.get('/classes/:id/nominations', { config: admins, schema: { tags, summary: '推荐名单 / a class’s nominations (a unit admin: their units’)', params: ObjectIdParam, response: { 200: S.ClassNominations, ...errorResponses } } }, async (req) => nominations.ofClass(req.user!, req.params.id));
  app.post('/classes/:id/nominations', { config: admins, schema: { tags, summary: '推荐干部 / nominate cadres of one’s units', params: ObjectIdParam, body: S.NominateBody, response: { 200: Type.Object({ nominated: Type.Integer(), already: Type.Integer() }), ...errorResponses } } }, async (req) => nominations.nominate(req.user!, req.params.id, req.body.userIds));
  app.delete('/classes/:id/nominations/:userId', { config: admins, schema: { tags, summary: '撤回推荐 / take back a pending nomination', params: S.ClassUserParams, response: { 200: S.NominationStateReply, ...errorResponses } } }, async (req) => nominations.withdraw(req.user!, req.params.id, req.params.userId));
  app.post('/classes/:id/nominations/:userId/decision', { config: admins, schema: { tags, summary: '确认或退回推荐 / confirm (enrol) or refuse a nomination', params: S.ClassUserParams, body: S.NominationDecisionBody, response: { 200: S.NominationStateReply, ...errorResponses } } }, async (req) => nominations.decide(req.user!, req.params.id, req.params.userId, req.body.action, req.body.reason));
  app.get('/nominations', { config: admins, schema: { tags, summary: '可推荐的培训班 / classes open to nominations for my units', querystring: Type.Object({ year: Type.Optional(Year) }), response: { 200: S.OpenNominations, ...errorResponses } } }, async (req) => {
    const year = req.query.year ?? thisYear();
    return { year, items: await nominations.open(req.user!, year) };
  });
};
