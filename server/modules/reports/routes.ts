/**
 * /api/reports/units/:unitId/...: the unit report (单位学时报表) over a range of county days, as
 * JSON, an Excel workbook of three sheets and CSV, and reminding the cadres behind. The
 * organisation department reads any unit, a unit admin their own subtree (ReportsService).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';
import { attachment, csvOf, workbookOf } from './report-export';
import { ReportsRepository } from './reports-repository';
import { ReportsService } from './reports.service';
import { assessmentOf } from '../assessment/assessment.service';
import { RangeQuery, RemindResult, SheetQuery, UnitParams, UnitReport } from './schemas';

const WARM_AFTER_MS = 15_000;

export const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, calendar, study, notices } = app;
  const repo = new ReportsRepository(store.models, calendar, study.ledger.summaries.changes);
  const service = new ReportsService({ repo, calendar, study, notices, assessment: assessmentOf(store.models, calendar, app.log) });
  // The county year's figures are read into memory behind the start (reports-repository.ts warm),
  // once the start's own work is done: the year-end admin's first report does not wait for them.
  let warming: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    warming = setTimeout(() => {
      const started = Date.now();
      repo.warm(calendar.year(Date.now())).then(
        (n) => app.log.info({ ...n, ms: Date.now() - started }, 'reports | year read into memory'),
        (error: unknown) => app.log.warn({ err: error }, 'reports | warming failed: reports read as they go'),
      );
    }, WARM_AFTER_MS);
    warming.unref();
  });
  app.addHook('preClose', async () => clearTimeout(warming));
  // A unit admin reaches their unit subtree only: the service refuses other units.
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;

  app.get(
    '/units/:unitId/report',
    {
      config: admins,
      schema: {
        tags: ['reports'],
        summary: '单位学时报表 / unit report: members with their unit, totals, by sub-unit, by lecture (county-day range, default the county year)',
        params: UnitParams,
        querystring: RangeQuery,
        response: { 200: UnitReport, ...errorResponses },
      },
    },
    async (req) => service.unitReport(req.user!, req.params.unitId, req.query),
  );

  app.get(
    '/units/:unitId/report.xlsx',
    { config: admins, schema: { tags: ['reports'], summary: '单位学时报表 Excel (成员明细, 下属单位汇总, 课程统计) / unit report workbook', params: UnitParams, querystring: RangeQuery } },
    async (req, reply) => {
      const r = await service.unitReport(req.user!, req.params.unitId, req.query);
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', attachment(r, 'xlsx'))
        .send(await workbookOf(r));
    },
  );

  app.get(
    '/units/:unitId/report.csv',
    { config: admins, schema: { tags: ['reports'], summary: '单位学时报表 CSV (one sheet) / unit report as CSV', params: UnitParams, querystring: SheetQuery } },
    async (req, reply) => {
      const { sheet, ...range } = req.query;
      const r = await service.unitReport(req.user!, req.params.unitId, range);
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', attachment(r, 'csv', sheet)).send(csvOf(r, sheet));
    },
  );

  app.post(
    '/units/:unitId/reminders',
    {
      config: admins,
      schema: {
        tags: ['reports'],
        summary: '提醒未达标干部 / remind the cadres behind in the range (once a day per unit and range)',
        params: UnitParams,
        body: RangeQuery,
        response: { 200: RemindResult, ...errorResponses },
      },
    },
    async (req) => service.remindBehind(req.user!, req.params.unitId, req.body ?? {}),
  );
};
