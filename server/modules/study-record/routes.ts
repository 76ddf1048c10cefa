/**
 * /api/study-record: the printable study record (学习档案) of a cadre and county year, its public
 * verification (the code on the paper, rate-limited like the other public routes), and a unit's
 * records as one PDF made by a queued job with its progress and download. Registered with the
 * portal's session secret, from which the verification key is derived (record-rules.ts).
 */
import { existsSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';
import { recordKey } from './record-rules';
import { RECORD_EXPORT_JOB, RecordExports } from './record-export';
import { StudyRecordRepository } from './study-record-repository';
import { assessmentOf } from '../assessment/assessment.service';
import { qrDataUrl, StudyRecordService } from './study-record.service';
import * as S from './schemas';

/** Where verification links point: PUBLIC_URL, else the origin the request came to. */
function origin(req: FastifyRequest): string {
  return (req.server.config.server.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, '');
}

/** Refuses to start without the PDF font, naming the key that points at it. */
export function checkRecordFont(fontPath: string) {
  if (!existsSync(fontPath)) {
    throw new Error(`Invalid configuration: STUDY_RECORD_FONT must name a CJK font file (got "${fontPath}", which does not exist): install fonts-noto-cjk or point STUDY_RECORD_FONT at a .ttc/.otf/.ttf`);
  }
}

export const studyRecordRoutes: FastifyPluginAsyncTypebox<{ secret: string }> = async (app, opts) => {
  const { store, calendar, study, jobs, config } = app;
  checkRecordFont(config.studyRecord.fontPath);
  const service = new StudyRecordService({
    repo: new StudyRecordRepository(store.models, calendar),
    calendar,
    creditPolicy: (rank) => study.creditPolicy(rank),
    key: recordKey(opts.secret),
    assessment: assessmentOf(store.models, calendar, app.log),
  });
  const exports = new RecordExports(store.models, service, jobs, config.dataDir, { path: config.studyRecord.fontPath, face: config.studyRecord.fontFace }, app.log);
  jobs.register(RECORD_EXPORT_JOB, exports.handler());
  // Finished PDFs are kept a week (EXPORT_KEEP_DAYS): swept once an hour and soon after start.
  const prune = () => void exports.prune().catch((err: unknown) => app.log.warn({ err }, 'studyRecord.prune() | failed'));
  const firstPrune = setTimeout(prune, 30_000);
  const hourly = setInterval(prune, 3600_000);
  firstPrune.unref();
  hourly.unref();
  app.addHook('onClose', async () => {
    clearTimeout(firstPrune);
    clearInterval(hourly);
  });

  // The cadre (their own), an admin of the cadre's units, the organisation department: the service decides.
  const readers = { access: ['cadre', 'unitAdmin:own-units', 'orgAdmin'] } as const;
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;

  app.get(
    '/verify/:code',
    {
      config: { access: ['public'], rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: { tags: ['study'], summary: '学习档案验证 / verify a printed study record: the portal\'s current figures and whether the paper\'s still match', params: S.CodeParams, response: { 200: S.Verification, ...errorResponses } },
    },
    async (req) => service.verify(req.params.code, origin(req)),
  );

  app.get(
    '/:userId/:year',
    { config: readers, schema: { tags: ['study'], summary: '学习档案 / a cadre\'s study record of a county year, with its verification code and QR', params: S.RecordParams, response: { 200: S.StudyRecord, ...errorResponses } } },
    async (req) => {
      const record = await service.record(req.user!, req.params.userId, req.params.year, origin(req));
      return { ...record, verification: { ...record.verification, qr: await qrDataUrl(record.verification.url) } };
    },
  );

  app.post(
    '/units/:unitId/exports',
    { config: admins, schema: { tags: ['study'], summary: '导出单位学习档案 PDF / queue one PDF of the records of a unit and its sub-units', params: S.UnitParams, body: S.ExportBody, response: { 202: S.ExportView, ...errorResponses } } },
    async (req, reply) => reply.code(202).send(await exports.start(req.user!, req.params.unitId, req.body.year, origin(req))),
  );

  app.get(
    '/units/:unitId/exports',
    { config: admins, schema: { tags: ['study'], summary: '单位学习档案导出记录 / the latest exports of a unit', params: S.UnitParams, response: { 200: S.ExportList, ...errorResponses } } },
    async (req) => exports.list(req.user!, req.params.unitId),
  );

  app.get(
    '/exports/:id',
    { config: admins, schema: { tags: ['study'], summary: '导出进度 / an export with its progress (done of total)', params: S.ExportParams, response: { 200: S.ExportView, ...errorResponses } } },
    async (req) => exports.get(req.user!, req.params.id),
  );

  app.get(
    '/exports/:id/file',
    { config: admins, schema: { tags: ['study'], summary: '下载学习档案 PDF / the finished PDF', params: S.ExportParams } },
    async (req, reply) => {
      const file = await exports.file(req.user!, req.params.id);
      const ascii = `study-records-${req.params.id}.pdf`;
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .send(createReadStream(file.path));
    },
  );
};
