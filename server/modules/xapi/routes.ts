/**
 * /api/study/xapi (org admins): the export of stored statements by county days (as before the
 * module moved here: same URLs), and the delivery to the LRS: counts, failures, retry now.
 * Registered by the study routes; starts the statements' sweep and the delivery job's handler.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';
import { AppError } from '../../errors';
import { xapiRange } from './range';
import { XapiService, xapiOptions } from './xapi.service';

const Failure = Type.Object({ id: Type.String(), verb: Type.String(), userId: Type.String(), activity: Type.String(), timestamp: Type.String(), attempts: Type.Integer(), error: Type.String() });
const DeliveryView = Type.Object({
  configured: Type.Boolean(),
  lrsUrl: Type.Union([Type.String(), Type.Null()]),
  homePage: Type.String(),
  pending: Type.Integer(),
  sent: Type.Integer(),
  failed: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  failures: Type.Array(Failure),
});

export const xapiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, study, jobs, config } = app;
  const xapi = new XapiService(store.models, study, jobs, xapiOptions(config), app.log);
  study.xapi = xapi;
  await xapi.start();
  app.addHook('preClose', () => xapi.close());

  // xAPI 导出: statements stored in a range of county days (both ends included), counted or downloaded.
  const rangeFields = { from: Type.Optional(Type.String({ format: 'date' })), to: Type.Optional(Type.String({ format: 'date' })) };
  const XapiRange = Type.Object(rangeFields);
  const storedIn = (q: { from?: string; to?: string }) => {
    const range = xapiRange(q, app.calendar);
    if ('error' in range) throw new AppError(400, 'RANGE_INVALID', range.error.zh, range.error.en);
    return range.filter;
  };

  app.get(
    '/count',
    { config: { access: ['orgAdmin'] }, schema: { tags: ['study'], summary: 'xAPI 学习记录条数 / how many statements a range holds', querystring: XapiRange, response: { 200: Type.Object({ count: Type.Integer() }), ...errorResponses } } },
    async (req) => ({ count: await store.models.Xapi.countDocuments(storedIn(req.query)) }),
  );

  app.get(
    '/',
    {
      config: { access: ['orgAdmin'] },
      schema: { tags: ['study'], summary: 'xAPI 学习记录导出 / export xAPI statements', querystring: Type.Object({ ...rangeFields, limit: Type.Integer({ minimum: 1, maximum: 100000, default: 10000 }) }) },
    },
    async (req, reply) => {
      const rows = await store.models.Xapi.find(storedIn(req.query)).sort({ stored: 1 }).limit(req.query.limit).lean();
      const name = `xapi-statements${req.query.from ? `-${req.query.from}` : ''}${req.query.to ? `-${req.query.to}` : ''}.json`;
      return reply.header('content-disposition', `attachment; filename="${name}"`).header('x-total-count', String(rows.length)).send(rows.map((r) => JSON.parse(r.json) as unknown));
    },
  );

  app.get(
    '/delivery',
    {
      config: { access: ['orgAdmin'] },
      schema: { tags: ['study'], summary: 'xAPI 投递状态 / delivery to the LRS: pending, sent, failed', querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }), response: { 200: DeliveryView, ...errorResponses } },
    },
    async (req) => xapi.status(req.query.limit),
  );

  app.post(
    '/delivery/retry',
    { config: { access: ['orgAdmin'] }, schema: { tags: ['study'], summary: 'xAPI 立即重试 / retry failed statements now', response: { 200: Type.Object({ requeued: Type.Integer() }), ...errorResponses } } },
    async () => {
      if (!xapi.opts.lrs) throw new AppError(409, 'LRS_NOT_CONFIGURED', '未配置学习记录库 (XAPI_LRS_URL)', 'No learning record store is configured (XAPI_LRS_URL)');
      return xapi.retryNow();
    },
  );
};
