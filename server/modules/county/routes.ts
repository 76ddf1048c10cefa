/**
 * /api/county: the county dashboard, compliance, reminders (a queued job the screen polls) and the
 * annual report (issue 19),
 * answered from the tallies kept on write (county.service.ts). Unit admins reach the subtree of
 * their own unit only (the service answers 403 outside it); the annual report and the rebuild are
 * the organisation department's.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';
import { annualWorkbook } from './county-export';
import { COUNTY_REMIND_JOB, CountyReminders } from './county-reminders';
import { AnnualReport, Compliance, ComplianceQuery, Dashboard, DashboardQuery, RebuildBody, RebuildResult, ReminderParams, RemindBody, RemindResult, YearQuery } from './schemas';

export const countyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { county, store, jobs } = app;
  const reminders = new CountyReminders(store.models, county, jobs, app.log);
  jobs.register(COUNTY_REMIND_JOB, reminders.handler());
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const orgAdmin = { access: ['orgAdmin'] } as const;

  app.get(
    '/dashboard',
    { config: admins, schema: { tags: ['county'], summary: '县级统计看板 / county dashboard of a node: channels, months, topics, compliance, children (previous year beside)', querystring: DashboardQuery, response: { 200: Dashboard, ...errorResponses } } },
    async (req) => county.dashboard(req.user!, req.query),
  );

  app.get(
    '/compliance',
    { config: admins, schema: { tags: ['county'], summary: '达标进度 / compliance of a node: the rule, units by share, those behind (paged)', querystring: ComplianceQuery, response: { 200: Compliance, ...errorResponses } } },
    async (req) => county.compliance(req.user!, req.query),
  );

  app.post(
    '/compliance/remind',
    { config: admins, schema: { tags: ['county'], summary: '提醒进度落后的干部 / start reminding the cadres behind under a node (a queued job; once per cadre per county day)', body: RemindBody, response: { 202: RemindResult, ...errorResponses } } },
    async (req, reply) => reply.code(202).send(await reminders.start(req.user!, req.body)),
  );

  app.get(
    '/compliance/remind/:id',
    { config: admins, schema: { tags: ['county'], summary: '提醒进度 / a reminder\'s progress: looked at, reminded, state', params: ReminderParams, response: { 200: RemindResult, ...errorResponses } } },
    async (req) => reminders.get(req.user!, req.params.id),
  );

  app.get(
    '/annual-report',
    { config: orgAdmin, schema: { tags: ['county'], summary: '年度干部教育培训统计 / the annual report: channels, committees, categories, topics', querystring: YearQuery, response: { 200: AnnualReport, ...errorResponses } } },
    async (req) => county.annual(req.user!, req.query.year),
  );

  app.get(
    '/annual-report.xlsx',
    { config: orgAdmin, schema: { tags: ['county'], summary: '年度干部教育培训统计 Excel (总表, 按渠道, 按党委, 按类别) / the annual report as a workbook', querystring: YearQuery } },
    async (req, reply) => {
      const r = await county.annual(req.user!, req.query.year);
      const name = encodeURIComponent(`${r.year}年度干部教育培训统计.xlsx`);
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="county-annual-${r.year}.xlsx"; filename*=UTF-8''${name}`)
        .send(await annualWorkbook(r));
    },
  );

  app.post(
    '/rebuild',
    { config: orgAdmin, schema: { tags: ['county'], summary: '重算统计 / recompute the tallies from the credit ledger, repair and list the differences', body: RebuildBody, response: { 200: RebuildResult, ...errorResponses } } },
    async (req) => county.rebuild(req.body?.years?.length ? { years: req.body.years } : {}),
  );
};
