/**
 * /api/roster-imports: 花名册导入 for the org admin (the whole county) and unit admins (their
 * subtree). The file travels as base64 inside JSON, so the CSRF rule (JSON bodies only) holds
 * without an exception; the work runs in the job queue and the page polls GET /:id.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, ObjectIdParam, StringEnum, errorResponses } from '../../schemas';
import { OrgService } from '../org/org.service';
import { UsersService } from '../users/users.service';
import { credentialStates, importStates } from './roster-import.model';
import { IMPORT_JOB, RosterImportService } from './roster-import.service';

const access = { access: ['orgAdmin', 'unitAdmin:own-units'] as const };

const RowError = Type.Object({
  row: Type.Integer(),
  field: Type.String(),
  code: Type.String(),
  message: Type.String(),
  messageEn: Type.String(),
  username: Type.Optional(Type.String()),
});
const ImportView = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  state: StringEnum(importStates),
  totalRows: Type.Integer(),
  processedRows: Type.Integer(),
  created: Type.Integer(),
  skipped: Type.Integer(),
  errorCount: Type.Integer({ description: 'rows with at least one error' }),
  rowErrors: Type.Array(RowError),
  credentials: StringEnum(credentialStates),
  credentialsExpireAt: Type.Optional(Type.String({ format: 'date-time' })),
  failure: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Optional(Type.Integer()),
});
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const attachment = (name: string) => `attachment; filename="roster.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const org = new OrgService(app.store.models);
  const users = new UsersService(app.store.models, org);
  const imports = new RosterImportService(app.store.models, users, org, app.jobs, app.config.dataDir, app.log);
  app.jobs.register(IMPORT_JOB, imports.handler());

  app.get(
    '/template',
    { config: access, schema: { tags: ['users'], summary: '花名册模板 / the roster template (.xlsx)' } },
    async (req, reply) => reply.type(XLSX).header('content-disposition', attachment('花名册模板.xlsx')).send(await imports.template(req.user!)),
  );

  app.post(
    '/',
    {
      config: access,
      bodyLimit: 12 * 1024 * 1024,
      schema: {
        tags: ['users'],
        summary: '导入花名册 / import a roster (.xlsx as base64); a queued job, poll GET /:id',
        body: Type.Object(
          {
            fileName: Type.String({ minLength: 1, maxLength: 200 }),
            contentBase64: Type.String({ minLength: 1, maxLength: 12 * 1024 * 1024, pattern: '^[A-Za-z0-9+/=\\s]+$' }),
          },
          { additionalProperties: false },
        ),
        response: { 202: ImportView, ...errorResponses, 413: ErrorBody },
      },
    },
    async (req, reply) => reply.code(202).send(await imports.start(req.user!, req.body.fileName, Buffer.from(req.body.contentBase64, 'base64'))),
  );

  app.get(
    '/',
    { config: access, schema: { tags: ['users'], summary: '我的导入记录 / my recent imports', response: { 200: Type.Object({ items: Type.Array(ImportView) }), ...errorResponses } } },
    async (req) => imports.list(req.user!),
  );

  app.get(
    '/:id',
    { config: access, schema: { tags: ['users'], summary: '导入进度与逐行错误 / progress and errors by row', params: ObjectIdParam, response: { 200: ImportView, ...errorResponses } } },
    async (req) => imports.get(req.user!, req.params.id),
  );

  app.get(
    '/:id/credentials',
    {
      config: access,
      schema: {
        tags: ['users'],
        summary: '初始密码单 / the one-time passwords of the created accounts (.xlsx), once, to the importer',
        params: ObjectIdParam,
      },
    },
    async (req, reply) => {
      const book = await imports.credentials(req.user!, req.params.id);
      return reply.type(XLSX).header('cache-control', 'no-store').header('content-disposition', attachment('初始密码单.xlsx')).send(book);
    },
  );
};
export default routes;
