/** /api/auth: login, logout, me, change password. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../../errors';
import { clearSessionCookie, setSessionCookie } from '../../plugins/app/auth';
import { ErrorBody, errorResponses } from '../../schemas';
import { PublicUser, toPublicUser } from '../users/public-user';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, config } = app;

  const orgName = async (id: unknown) =>
    id ? ((await app.store.models.OrgUnit.findById(id).lean())?.name ?? undefined) : undefined;

  app.post(
    '/login',
    {
      config: { rateLimit: { max: config.auth.loginRatePerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: '登录 / log in',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 200: Type.Object({ user: PublicUser }), ...errorResponses, 423: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const { token, user } = await auth.login(req.body.username, req.body.password, {
        ip: req.ip,
        userAgent: req.headers['user-agent'],
      });
      setSessionCookie(reply, token, config.auth.sessionTtlSeconds, config.auth.cookieSecure);
      req.log.info({ userId: String(user._id), role: user.role }, 'auth.login() | logged in');
      return { user: toPublicUser(user, await orgName(user.orgUnitId)) };
    },
  );

  app.post('/logout', { schema: { tags: ['auth'], summary: '退出 / log out', response: { 204: Type.Null() } } }, async (req, reply) => {
    if (req.sessionToken) await auth.logout(req.sessionToken);
    clearSessionCookie(reply);
    return reply.code(204).send(null);
  });

  app.get(
    '/me',
    { schema: { tags: ['auth'], summary: '当前用户 / current user', response: { 200: Type.Object({ user: PublicUser }), 401: ErrorBody } } },
    async (req) => {
      if (!req.user) throw errors.unauthenticated();
      return { user: toPublicUser(req.user, await orgName(req.user.orgUnitId)) };
    },
  );

  app.post(
    '/password',
    {
      preHandler: app.authenticate,
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
};
export default routes;
