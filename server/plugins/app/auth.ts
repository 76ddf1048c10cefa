/**
 * Session cookie -> request.user, and the guards routes use (`authenticate`, `requireRole`).
 * The cookie is signed with the session secret, httpOnly and SameSite=Lax; only API and socket
 * requests look the session up.
 */
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors';
import { AuthService } from '../../modules/auth/auth.service';
import type { Role } from '../../modules/users/user.model';

export const SESSION_COOKIE = 'sid';

export default fp(
  async (app) => {
    const auth = new AuthService(app.store.models, app.config.auth);
    app.decorate('auth', auth);
    // Logins then read users by id (see AuthService.ids); a failure only means slower logins.
    app.addHook('onReady', async () => {
      void auth.warmUsernames().catch((err: unknown) => app.log.warn({ err }, 'auth.warmUsernames() | failed; logins look users up by name'));
    });
    app.decorateRequest('user', null);
    app.decorateRequest('sessionToken', null);
    // Checking a cookie's signature is an HMAC per request (6 % of a heartbeat's CPU): a cookie seen
    // before unsigns the same way (one secret per app), so the token is remembered by the cookie.
    const unsignedCookies = new LRUCache<string, string>({ max: 20_000 });

    app.addHook('onRequest', async (req) => {
      if (!req.url.startsWith('/api/') && !req.url.startsWith('/media/')) return;
      const raw = req.cookies[SESSION_COOKIE];
      if (!raw) return;
      let token = unsignedCookies.get(raw);
      if (token === undefined) {
        const unsigned = req.unsignCookie(raw);
        if (!unsigned.valid || !unsigned.value) return;
        token = unsigned.value;
        unsignedCookies.set(raw, token);
      }
      req.sessionToken = token;
      req.user = await auth.resolve(token);
    });

    app.decorate('authenticate', async (req: FastifyRequest) => {
      if (!req.user) throw errors.unauthenticated();
    });
    app.decorate('requireRole', (...roles: Role[]) => async (req: FastifyRequest) => {
      if (!req.user) throw errors.unauthenticated();
      if (!roles.includes(req.user.role)) throw errors.forbidden();
    });

    const sweep = setInterval(() => {
      auth.throttle.prune();
      auth.sweepExpired().then(
        (n) => n && app.log.info({ deleted: n }, 'auth | expired sessions swept'),
        (err: unknown) => app.log.warn({ err }, 'auth | session sweep failed'),
      );
    }, 10 * 60_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
  },
  { name: 'auth', dependencies: ['store'] },
);

export function setSessionCookie(reply: FastifyReply, token: string, ttlSeconds: number, secure: boolean) {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    signed: true,
    maxAge: ttlSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
