/**
 * /healthz: the process is alive. /readyz: it can serve, naming each dependency (store,
 * mediasoup, ffmpeg) with its state; 503 while any of them is down.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const Check = Type.Object({ state: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('degraded')]), detail: Type.Optional(Type.Unknown()) });
const Ready = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]), checks: Type.Object({ store: Check, mediasoup: Check, ffmpeg: Check }) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok'), uptimeSec: Type.Number() }) } } }, async () => ({
    status: 'ok' as const,
    uptimeSec: Math.round(process.uptime()),
  }));

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const storeUp = await app.store.ping();
    const pool = app.media.pool.status();
    const ff = app.media.ffmpeg;
    const checks = {
      store: { state: storeUp ? ('up' as const) : ('down' as const), detail: { embedded: Boolean(app.store.ferretdb), ferretdbPid: app.store.ferretdb?.pid } },
      mediasoup: { state: pool.state, detail: { alive: pool.alive, total: pool.total, pids: pool.workers.map((w) => w.pid) } },
      ffmpeg: { state: ff.ok && ff.h264 ? ('up' as const) : ('down' as const), detail: { version: ff.version, h264: ff.h264, reason: ff.reason } },
    };
    const ready = checks.store.state === 'up' && checks.mediasoup.state !== 'down' && checks.ffmpeg.state === 'up';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
};
export default routes;
