/**
 * 首次登录须修改密码: a user whose password an administrator handed out (a reset, a roster
 * import: `mustChangePassword`) may, once logged in, only read who they are, change the password
 * and log out; every other API and media request is refused with 403 PASSWORD_CHANGE_REQUIRED,
 * which the client answers by showing the change-password form. Registered after the auth
 * plugin, whose onRequest hook resolves `req.user` first.
 */
import fp from 'fastify-plugin';
import { AppError } from '../../errors';

/** What a user who must change the password may still call (method and path, no query). */
const ALLOWED = new Set(['GET /api/auth/me', 'POST /api/auth/password', 'POST /api/auth/logout', 'POST /api/auth/login']);

export function allowedBeforePasswordChange(method: string, url: string): boolean {
  if (!/^\/(api|media)(\/|$)/.test(url)) return true;
  const path = url.split('?')[0]!.replace(/\/+$/, '');
  return ALLOWED.has(`${method.toUpperCase()} ${path}`);
}

export const passwordChangeRequired = () =>
  new AppError(403, 'PASSWORD_CHANGE_REQUIRED', '请先修改管理员发放的初始密码', 'Please change the password your administrator gave you first');

export default fp(
  async (app) => {
    app.addHook('onRequest', async (req) => {
      if (req.user?.mustChangePassword && !allowedBeforePasswordChange(req.method, req.url)) throw passwordChangeRequired();
    });
  },
  { name: 'password-gate', dependencies: ['auth'] },
);
