/** /api/auth: login, logout, me, change password, and the login locks an org admin lifts. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, errors } from '../../errors';
import { clearSessionCookie, setSessionCookie } from '../../plugins/app/auth';
import { ErrorBody, errorResponses } from '../../schemas';
import { PublicUser, toPublicUser } from '../users/public-user';

/** The county's zone, year and day now (TIME_ZONE), so pages default to the county's year, not the browser's. */
const CountyToday = Type.Object({ timeZone: Type.String(), year: Type.Integer(), day: Type.String({ format: 'date' }) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, config } = app;

  const orgName = async (id: unknown) =>
    id ? ((await app.store.models.OrgUnit.findById(id).lean())?.name ?? undefined) : undefined;

  app.post(
    '/login',
    {
      config: { access: ['public'], rateLimit: { max: config.auth.loginRatePerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: '登录 / log in',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 200: Type.Object({ user: PublicUser, county: CountyToday }), ...errorResponses, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      let session;
      try {
        session = await auth.login(req.body.username, req.body.password, { ip: req.ip, userAgent: req.headers['user-agent'] });
      } catch (err) {
        const retryAfter = err instanceof AppError && err.statusCode === 429 ? (err.details as { retryAfter?: number } | undefined)?.retryAfter : undefined;
        if (retryAfter) reply.header('retry-after', String(retryAfter));
        throw err;
      }
      const { token, user } = session;
      setSessionCookie(reply, token, config.auth.sessionTtlSeconds, config.auth.cookieSecure);
      req.log.info({ userId: String(user._id), role: user.role }, 'auth.login() | logged in');
      return { user: toPublicUser(user, await orgName(user.orgUnitId)), county: app.calendar.today() };
    },
  );

  app.post('/logout', { config: { access: ['public'] }, schema: { tags: ['auth'], summary: '退出 / log out', response: { 204: Type.Null() } } }, async (req, reply) => {
    if (req.sessionToken) await auth.logout(req.sessionToken);
    clearSessionCookie(reply);
    return reply.code(204).send(null);
  });

  app.get(
    '/me',
    { config: { access: ['any-user'] }, schema: { tags: ['auth'], summary: '当前用户 / current user', response: { 200: Type.Object({ user: PublicUser, county: CountyToday }), 401: ErrorBody } } },
    async (req) => {
      if (!req.user) throw errors.unauthenticated();
      return { user: toPublicUser(req.user, await orgName(req.user.orgUnitId)), county: app.calendar.today() };
    },
  );

  app.post(
    '/password',
    {
      config: { access: ['any-user'] },
      schema: {
        tags: ['auth'],
        summary: '修改密码 / change own password',
        body: Type.Object({
          currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
          newPassword: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await auth.changePassword(req.user!._id, req.body.currentPassword, req.body.newPassword, req.sessionToken ?? undefined);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/locks',
    {
      config: { access: ['orgAdmin'] },
      schema: {
        tags: ['auth'],
        summary: '登录锁定 / login failures counted and waits imposed, per account and source',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                key: Type.String(),
                kind: Type.Union([Type.Literal('source'), Type.Literal('account')]),
                username: Type.String(),
                ip: Type.Optional(Type.String()),
                failures: Type.Integer(),
                sources: Type.Optional(Type.Integer()),
                lastFailureAt: Type.String({ format: 'date-time' }),
                blockedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({ items: auth.throttle.list() }),
  );

  app.delete(
    '/locks/:key',
    {
      config: { access: ['orgAdmin'] },
      schema: {
        tags: ['auth'],
        summary: '解除登录锁定 / lift a login lock (its count is forgotten)',
        params: Type.Object({ key: Type.String({ minLength: 1, maxLength: 400 }) }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!auth.throttle.clear(req.params.key)) throw errors.notFound('登录锁定', 'Login lock');
      req.log.info({ key: req.params.key, by: String(req.user!._id) }, 'auth.locks() | lock lifted');
      return reply.code(204).send(null);
    },
  );
};
export default routes;
