/**
 * /api/training (second plugin): the org admin's batch import of external training hours
 * (外出培训学时批量导入: template, upload = check with errors by row, confirm = a queued job with
 * progress) and the year report of training (培训年度统计, JSON and .xlsx). The file travels as
 * base64 inside JSON, as the roster import's does (the CSRF rule: JSON bodies only).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, ObjectIdParam, errorResponses } from '../../schemas';
import { ImportView } from './external-import-schemas';
import { importTemplate } from './external-import-workbooks';
import { EXTERNAL_IMPORT_JOB, ExternalImportService } from './external-import.service';
import { Year } from './schemas';
import { Report } from './training-report-schemas';
import { TrainingReportService } from './training-report.service';

const orgOnly = { access: ['orgAdmin'] as const };
const tags = ['training'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const attachment = (name: string) => `attachment; filename="training.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`;

const YearQuery = Type.Object({ year: Type.Optional(Year) }, { additionalProperties: false });
const ReportQuery = Type.Object({ year: Type.Optional(Year), fresh: Type.Optional(Type.Boolean({ description: 'recompute now instead of the kept figures (at most a minute old)' })) }, { additionalProperties: false });

export const trainingImportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, study, calendar } = app;
  const report = new TrainingReportService(store.models, { dataDir: app.config.dataDir, log: app.log });
  const imports = new ExternalImportService({ models: store.models, calendar, ledger: study.ledger, notices: app.notices, jobs: app.jobs, dataDir: app.config.dataDir, log: app.log, onImported: (years) => report.invalidate(years) });
  app.jobs.register(EXTERNAL_IMPORT_JOB, imports.handler());
  const thisYear = () => calendar.year(Date.now());
  // The current year's figures behind the start (a scan of every enrolment), not in its way.
  app.addHook('onReady', async () => {
    void report.warm(thisYear()).catch((err: Error) => app.log.warn({ err: err.message }, 'trainingReport.warm() | failed'));
  });

  app.get('/external-imports/template', { config: orgOnly, schema: { tags, summary: '外出培训学时导入模板 / the import template (.xlsx)' } }, async (_req, reply) =>
    reply.type(XLSX).header('content-disposition', attachment('外出培训学时导入模板.xlsx')).send(await importTemplate()),
  );

  app.post(
    '/external-imports',
    {
      config: orgOnly,
      bodyLimit: 12 * 1024 * 1024,
      schema: {
        tags,
        summary: '上传并逐行检查 / upload a file (.xlsx as base64): every row checked, nothing imported yet',
        body: Type.Object(
          { fileName: Type.String({ minLength: 1, maxLength: 200 }), contentBase64: Type.String({ minLength: 1, maxLength: 12 * 1024 * 1024, pattern: '^[A-Za-z0-9+/=\\s]+$' }) },
          { additionalProperties: false },
        ),
        response: { 201: ImportView, ...errorResponses, 413: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(await imports.check(req.user!, req.body.fileName, Buffer.from(req.body.contentBase64, 'base64'))),
  );

  app.get('/external-imports/:id', { config: orgOnly, schema: { tags, summary: '检查结果与导入进度 / errors by row and progress', params: ObjectIdParam, response: { 200: ImportView, ...errorResponses } } }, async (req) =>
    imports.get(req.params.id),
  );

  app.post(
    '/external-imports/:id/confirm',
    { config: orgOnly, schema: { tags, summary: '确认导入 / import the rows that passed (a queued job; once, however often confirmed)', params: ObjectIdParam, response: { 202: ImportView, ...errorResponses, 410: ErrorBody } } },
    async (req, reply) => reply.code(202).send(await imports.confirm(req.user!, req.params.id)),
  );

  app.get('/report', { config: orgOnly, schema: { tags, summary: '培训年度统计 / the year report of training', querystring: ReportQuery, response: { 200: Report, ...errorResponses } } }, async (req) =>
    report.report(req.query.year ?? thisYear(), req.query.fresh === true),
  );

  app.get('/report.xlsx', { config: orgOnly, schema: { tags, summary: '培训年度统计导出 / the year report as .xlsx', querystring: YearQuery } }, async (req, reply) => {
    const year = req.query.year ?? thisYear();
    return reply.type(XLSX).header('content-disposition', attachment(`${year}年培训统计.xlsx`)).send(await report.workbook(year));
  });
};
