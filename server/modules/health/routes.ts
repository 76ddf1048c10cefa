/**
 * /healthz: the process is alive and can heal. It turns 503 once the store has been down longer
 * than STORE_DOWN_UNHEALTHY_SECONDS (the embedded FerretDB keeps crashing, MongoDB is gone), so
 * a supervisor restarts the whole process; a short outage that the store supervisor heals stays
 * 200. /readyz: it can serve now, naming each dependency (store, mediasoup, ffmpeg) with its
 * state; 503 at once while any of them is down (a load balancer stops sending traffic).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const Check = Type.Object({ state: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('degraded')]), detail: Type.Optional(Type.Unknown()) });
const Ready = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]), checks: Type.Object({ store: Check, mediasoup: Check, ffmpeg: Check }) });
const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unhealthy')]),
  uptimeSec: Type.Number(),
  storeDownSec: Type.Optional(Type.Number()),
  reason: Type.Optional(Type.String()),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const limitSec = app.config.store.downUnhealthySec;

  app.get('/healthz', { config: { access: ['public'] }, schema: { tags: ['health'], response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const uptimeSec = Math.round(process.uptime());
    const since = app.store.downSince();
    if (since === null) return { status: 'ok' as const, uptimeSec };
    const downSec = (Date.now() - since) / 1000;
    // Past the limit, ask the store itself before failing: a missed reconnect event must not
    // get a healthy process restarted.
    if (downSec <= limitSec || (await app.store.ping())) return { status: 'ok' as const, uptimeSec, storeDownSec: Math.round(downSec) };
    return reply.code(503).send({ status: 'unhealthy', uptimeSec, storeDownSec: Math.round(downSec), reason: `the store has been down for more than ${limitSec} s` });
  });

  app.get('/readyz', { config: { access: ['public'] }, schema: { tags: ['health'], response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const storeUp = await app.store.ping();
    const pool = app.media.pool.status();
    const ff = app.media.ffmpeg;
    const fd = app.store.ferretdb;
    const checks = {
      store: { state: storeUp ? ('up' as const) : ('down' as const), detail: { embedded: Boolean(fd), ferretdbPid: fd?.pid, restarts: fd?.restarts, downSince: app.store.downSince() } },
      mediasoup: { state: pool.state, detail: { alive: pool.alive, total: pool.total, pids: pool.workers.map((w) => w.pid) } },
      ffmpeg: { state: ff.ok && ff.h264 ? ('up' as const) : ('down' as const), detail: { version: ff.version, h264: ff.h264, reason: ff.reason } },
    };
    const ready = checks.store.state === 'up' && checks.mediasoup.state !== 'down' && checks.ffmpeg.state === 'up';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
};
export default routes;
