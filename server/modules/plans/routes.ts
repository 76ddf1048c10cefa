/**
 * /api/plans: learning-plan assignments (学习计划) for the organisation department and, scoped to
 * their unit subtree, unit admins (plans.service.ts keeps the scope); a cadre's own plan (mine).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, ObjectIdParam } from '../../schemas';
import { OrgService } from '../org/org.service';
import { MyPlanService } from './my-plan.service';
import { PlansService } from './plans.service';
import { MyPlan, PlanBody, PlanView, Year } from './schemas';

export const planRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, study, catalog, calendar } = app;
  const plans = new PlansService(store.models, new OrgService(store.models), calendar);
  const mine = new MyPlanService(store.models, study, catalog, calendar);
  const thisYear = () => calendar.year(Date.now());
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const query = Type.Object({ year: Type.Optional(Year) });

  app.get(
    '/mine',
    { config: { access: ['cadre'] }, schema: { tags: ['plans'], summary: '我的学习计划 / my learning plan', querystring: query, response: { 200: MyPlan, ...errorResponses } } },
    async (req) => mine.mine(req.user!, req.query.year ?? thisYear()),
  );

  app.get(
    '/assignments',
    {
      config: admins,
      schema: { tags: ['plans'], summary: '学习计划列表(含完成人数) / plan assignments with completion counts', querystring: query, response: { 200: Type.Object({ year: Type.Integer(), today: Type.String(), items: Type.Array(PlanView) }), ...errorResponses } },
    },
    async (req) => {
      const year = req.query.year ?? thisYear();
      return { year, today: calendar.day(Date.now()), items: await plans.list(req.user!, year) };
    },
  );

  app.post(
    '/assignments',
    { config: admins, schema: { tags: ['plans'], summary: '指定学习计划 / assign required lectures', body: PlanBody, response: { 201: PlanView, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await plans.create(req.user!, req.body)),
  );

  app.patch(
    '/assignments/:id',
    { config: admins, schema: { tags: ['plans'], summary: '修改学习计划(整体替换) / change an assignment (all fields)', params: ObjectIdParam, body: PlanBody, response: { 200: PlanView, ...errorResponses } } },
    async (req) => plans.update(req.user!, req.params.id, req.body),
  );

  app.delete(
    '/assignments/:id',
    { config: admins, schema: { tags: ['plans'], summary: '删除学习计划 / delete an assignment', params: ObjectIdParam, response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await plans.remove(req.user!, req.params.id);
      return reply.code(204).send(null);
    },
  );
};
