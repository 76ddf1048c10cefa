/**
 * buildApp(config): the one factory that main.ts and every test use.
 * Order: external plugins (cookie, helmet, rate limit, store, media, swagger) -> app plugins
 * (auth, sockets) -> module routes -> static client with SPA fallback -> error handler.
 * Shutdown order on close(): HTTP stops accepting, sockets are dropped, then the mediasoup
 * workers, then the store (and the embedded FerretDB child).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyReply, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import type { AppConfig } from '../config';
import { CountyCalendar } from './calendar';
import { AppError, errors } from './errors';
import authPlugin from './plugins/app/auth';
import csrfPlugin from './plugins/app/csrf';
import accessPlugin from './plugins/app/access';
import mediaPlugin from './plugins/external/media';
import socketPlugin from './plugins/external/socket';
import authRoutes from './modules/auth/routes';
import catalogRoutes from './modules/catalog/routes';
import healthRoutes from './modules/health/routes';
import orgRoutes from './modules/org/routes';
import userRoutes from './modules/users/routes';
import rosterImportRoutes from './modules/roster-import/routes';
import passwordGate from './modules/auth/password-gate';
import { openStore } from './store';
import { isStoreUnavailable } from './store/errors';
import { describeValidation, partAwareValidator } from './validation';
import servicesPlugin from './plugins/app/services';
import { mediaRoutes, playbackRoutes } from './modules/playback/routes';
import uploadRoutes from './modules/uploads/routes';
import { studyRoutes } from './modules/study/routes';
import { noticeRoutes } from './modules/notices/routes';
import { reportsRoutes } from './modules/reports/routes';
import { planRoutes } from './modules/plans/routes';
import { studyRecordRoutes } from './modules/study-record/routes';
import { trainingRoutes } from './modules/training/routes';
import { evaluationRoutes } from './modules/evaluation/routes';
import { lectureStatsRoutes } from './modules/lecture-stats/routes';
import { registerCatalogSocket } from './modules/catalog/socket';
import { LiveService } from './modules/live/live.service';
import { registerLiveSocket } from './modules/live/socket';
import { liveRoutes } from './modules/live/routes';
import stationsPlugin from './modules/stations/plugin';
import { calendarRoutes, checkinRoutes, kioskRoutes, stationMediaRoutes, stationRoutes, timetableRoutes } from './modules/stations/routes';
import './types';

/** The cookie-signing secret: from config, else generated once and kept in DATA_DIR (mode 600). */
export function sessionSecret(config: AppConfig): string {
  if (config.auth.sessionSecret) return config.auth.sessionSecret;
  const file = join(config.dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Retry-After (seconds) on a 503: the embedded store restarts within about a second. */
const STORE_RETRY_AFTER_SEC = '2';

/**
 * The router's own refusals, in the portal's error shape like every other 4xx: a URL it cannot
 * decode (400), a path parameter past maxParamLength (414).
 */
const routerErrors: FastifyServerOptions['frameworkErrors'] = (err, _req, res) => {
  const reply = res as FastifyReply; // generic over the route's types, which no route has here
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(414).send({ error: { code: 'URL_TOO_LONG', message: '请求地址过长', messageEn: 'The request URL is too long' } });
  }
  return reply.code(400).send({ error: { code: 'BAD_URL', message: '请求地址不正确', messageEn: 'The request URL is not valid' } });
};

export async function buildApp(config: AppConfig, opts: { logger?: FastifyServerOptions['logger'] } = {}) {
  const app = Fastify({
    logger: opts.logger ?? {
      level: config.server.logLevel,
      redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
      ...(config.env === 'development' && process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {}),
    },
    trustProxy: Boolean(config.server.publicUrl),
    // A plugin that starts the store's study log, the media workers or the job queue can take
    // more than fastify's 10 s on a busy 2-core machine (seen restarting next to other work):
    // a start that is slow is not one that hangs.
    pluginTimeout: 60_000,
    // Playback tokens travel in the media path (so relative HLS URLs carry them).
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors: routerErrors,
    // Query strings, params and headers are text and coerce; JSON bodies never do (validation.ts).
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: partAwareValidator() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  // The county's calendar (TIME_ZONE): every module counts years, months and days with this one.
  app.decorate('calendar', new CountyCalendar(config.timeZone));

  // External plugins.
  const cookieSecret = sessionSecret(config);
  await app.register(cookie, { secret: cookieSecret });
  // Heartbeats (every viewer, every 15 s) answer JSON to our own script, never a page: helmet's
  // page headers, rebuilt per request by @fastify/helmet, would only cost time there (as on media).
  app.addHook('onRoute', (route) => {
    if (route.url === '/api/study/heartbeats') route.helmet = false;
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        workerSrc: ["'self'", 'blob:'],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => errors.rateLimited(Math.ceil(ctx.ttl / 1000)),
  });
  const store = await openStore(config, app.log);
  app.decorate('store', store);
  await app.register(fp(async () => {}, { name: 'store' }));
  try {
    await app.register(mediaPlugin);
  } catch (err) {
    await store.close();
    throw err;
  }
  await app.register(swagger, {
    openapi: {
      info: { title: '干部远程教育与自主选学平台 API / Cadre distance-learning portal API', version: '0.1.0' },
      tags: [{ name: 'auth' }, { name: 'users' }, { name: 'org' }, { name: 'catalog' }, { name: 'playback' }, { name: 'uploads' }, { name: 'study' }, { name: 'reports' }, { name: 'county' }, { name: 'notices' }, { name: 'live' }, { name: 'stations' }, { name: 'kiosk' }, { name: 'timetable' }, { name: 'health' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });

  // Set before any route plugin: encapsulated contexts inherit the handler at registration.
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      // A 503 is temporary (the store, the study log): tell clients when to try again.
      if (err.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', STORE_RETRY_AFTER_SEC);
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message, messageEn: err.messageEn, details: err.details } });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const { field, detail } = describeValidation(fe.validation, fe.validationContext);
      return reply.code(400).send({ error: { code: 'VALIDATION_ERROR', message: `请求数据不正确:${detail}`, messageEn: `Invalid request: ${detail}`, details: { field } } });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: { code: fe.code ?? 'BAD_REQUEST', message: '请求无法处理', messageEn: fe.message } });
    }
    if (isStoreUnavailable(err)) {
      req.log.warn({ err: (err as Error).message }, 'request failed: store unavailable');
      return reply
        .code(503)
        .header('retry-after', STORE_RETRY_AFTER_SEC)
        .send({ error: { code: 'STORE_UNAVAILABLE', message: '数据存储暂时不可用,请稍后重试', messageEn: 'The data store is temporarily unavailable; please try again shortly' } });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: '服务器内部错误,请稍后再试', messageEn: 'Internal server error; please try again later' } });
  });

  // App plugins.
  await app.register(authPlugin);
  await app.register(csrfPlugin);
  // 首次登录须修改密码: after auth has resolved req.user.
  await app.register(passwordGate);
  await app.register(servicesPlugin, { cookieSecret });
  // Terminal stations (终端站点): before the sockets, whose handshake also accepts a station cookie.
  await app.register(stationsPlugin);
  await app.register(socketPlugin);
  // Access declared on every /api and /media route, checked by one hook (before any route).
  await app.register(accessPlugin);

  // Routes.
  await app.register(healthRoutes);
  await app.register(authRoutes, { prefix: '/api/auth' });
  await app.register(userRoutes, { prefix: '/api/users' });
  await app.register(rosterImportRoutes, { prefix: '/api/roster-imports' });
  await app.register(orgRoutes, { prefix: '/api/org' });
  await app.register(catalogRoutes, { prefix: '/api/lectures' });
  await app.register(playbackRoutes, { prefix: '/api/lectures' });
  await app.register(uploadRoutes, { prefix: '/api/uploads' });
  await app.register(mediaRoutes, { prefix: '/media' });
  await app.register(studyRoutes, { prefix: '/api/study' });
  await app.register(reportsRoutes, { prefix: '/api/reports' });
  await app.register(noticeRoutes, { prefix: '/api/notices' });
  await app.register(planRoutes, { prefix: '/api/plans' });
  await app.register(studyRecordRoutes, { prefix: '/api/study-record', secret: cookieSecret });
  await app.register(trainingRoutes, { prefix: '/api/training', secret: cookieSecret });
  await app.register(evaluationRoutes, { prefix: '/api/evaluations', secret: cookieSecret });
  await app.register(lectureStatsRoutes, { prefix: '/api/lecture-stats' });
  await app.register((await import('./modules/county/routes')).countyRoutes, { prefix: '/api/county' });
  await app.register((await import('./modules/quiz/routes')).quizRoutes, { prefix: '/api/quiz' });
  await app.register((await import('./modules/assessment/routes')).assessmentRoutes, { prefix: '/api/assessment' });
  await app.register((await import('./modules/training/session-routes')).sessionRoutes, { prefix: '/api/training-sessions' });
  await app.register((await import('./modules/training/import-routes')).trainingImportRoutes, { prefix: '/api/training' });
  registerCatalogSocket(app);
  const live = new LiveService({ models: store.models, pool: app.media.pool, storage: app.storage, catalog: app.catalog, study: app.study, jobs: app.jobs, config, io: () => app.io, log: app.log });
  app.decorate('live', live);
  registerLiveSocket(app, live);
  await app.register(liveRoutes, { prefix: '/api/live' });
  // Terminal stations, the air-classroom timetable, group attendance (server/modules/stations).
  await app.register(stationRoutes, { prefix: '/api/stations' });
  await app.register(kioskRoutes, { prefix: '/api/kiosk' });
  await app.register(checkinRoutes, { prefix: '/api/checkin' });
  await app.register(timetableRoutes, { prefix: '/api/timetable' });
  await app.register(calendarRoutes, { prefix: '/api/calendar' });
  await app.register(stationMediaRoutes, { prefix: '/media/station' });

  // The built client, with history-API fallback to index.html for non-API GETs.
  const hasClient = existsSync(join(config.clientDist, 'index.html'));
  if (hasClient) {
    await app.register(fastifyStatic, { root: config.clientDist, prefix: '/', wildcard: false, index: false, maxAge: '1h' });
  }
  app.setNotFoundHandler((req, reply) => {
    const isPage = req.method === 'GET' && !/^\/(api|media|socket\.io|docs)(\/|$)/.test(req.url) && !/\.[a-z0-9]{1,5}(\?|$)/i.test(req.url);
    if (isPage && hasClient) return reply.header('cache-control', 'no-cache').sendFile('index.html', config.clientDist);
    return reply.code(404).send({ error: { code: 'NOT_FOUND', message: '页面或接口不存在', messageEn: `No route for ${req.method} ${req.url.split('?')[0]}` } });
  });

  // Shutdown, after HTTP and sockets (closed by their own hooks): flush and checkpoint the study
  // log while the store is open, then the media workers, then the store. One hook, so the order
  // does not depend on how Fastify orders hooks of different plugins.
  app.addHook('onClose', async () => {
    await app.live.close();
    await app.study.close();
    await app.media.pool.close();
    await store.close();
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
