/**
 * Cross-site request forgery defence for /api (beyond the cookies' SameSite=Lax). Every
 * state-changing request (POST, PUT, PATCH, DELETE) must:
 * - come from the portal's own origin when the browser says where it comes from:
 *   `Sec-Fetch-Site`, when sent (browsers set it, pages cannot), must be same-origin (or none:
 *   typed by the user); `Origin`, or `Referer` when Origin is absent, must be the request's host
 *   or PUBLIC_URL. `Origin: null` passes only with Sec-Fetch-Site: same-origin — the pages are
 *   served with Referrer-Policy: no-referrer, under which a browser may send a same-origin POST
 *   with Origin "null";
 * - carry its body as JSON. A cross-site form or `text/plain` fetch cannot send
 *   application/json without a CORS preflight, which this server never grants; so a request with
 *   neither Origin nor Referer (curl, scripts, `app.inject`: browsers always send Origin on
 *   cross-site POSTs) is let through when its body, if any, is JSON.
 * Exceptions: tus uploads (/api/uploads) send raw bytes as application/offset+octet-stream; a
 * heartbeat beacon (POST /api/study/heartbeats, `navigator.sendBeacon` with a string body) is
 * text/plain and is read as JSON, but only with a same-origin Origin or Referer. Kiosks need no
 * exception: they authenticate by a station cookie and send JSON from the portal's own pages.
 * Refused requests get 403 CSRF_REJECTED. Sockets (/socket.io) are not covered here.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UPLOADS = '/api/uploads';
const HEARTBEATS = '/api/study/heartbeats';

const rejected = (reason: 'origin' | 'content-type') =>
  new AppError(
    403,
    'CSRF_REJECTED',
    reason === 'origin' ? '请求来自其他网站,已拒绝' : '请求格式不被接受(需为 JSON),已拒绝',
    reason === 'origin' ? 'Refused: the request comes from another site' : 'Refused: the request body must be JSON',
    { reason },
  );

/** The origin of an Origin or Referer value, or null when it has none ("null", garbage). */
function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export default fp(
  async (app) => {
    const publicOrigin = app.config.server.publicUrl ? originOf(app.config.server.publicUrl) : null;

    /** True for the portal's own origin: PUBLIC_URL, or the host this request was sent to. */
    const sameOrigin = (req: FastifyRequest, origin: string): boolean => {
      if (origin === publicOrigin) return true;
      // The scheme is not compared: behind a TLS proxy without PUBLIC_URL the server sees http.
      // An origin never names a default port; a Host header may (`example.org:443`).
      const host = new URL(origin).host;
      return host === req.host || host === req.host.replace(/:(80|443)$/, '');
    };

    app.addHook('onRequest', async (req) => {
      if (!UNSAFE.has(req.method)) return;
      const path = req.url.split('?', 1)[0]!;
      if (!path.startsWith('/api/')) return;

      const site = req.headers['sec-fetch-site'];
      const claimed = req.headers.origin ?? req.headers.referer;
      const origin = claimed === undefined ? undefined : originOf(claimed);
      const siteOk = site === undefined || site === 'same-origin' || site === 'none';
      const originOk = origin === undefined || (origin === null ? site === 'same-origin' : sameOrigin(req, origin));
      if (!siteOk || !originOk) {
        req.log.info({ method: req.method, url: path, origin: claimed, site }, 'csrf | refused a request from another origin');
        throw rejected('origin');
      }
      // The browser vouched for this request coming from one of the portal's own pages.
      const fromOwnPage = site === 'same-origin' || (origin !== undefined && origin !== null);

      if (!hasBody(req)) return;
      const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return;
      if ((path === UPLOADS || path.startsWith(`${UPLOADS}/`)) && type === 'application/offset+octet-stream') return;
      if (path === HEARTBEATS && type === 'text/plain' && fromOwnPage) {
        // sendBeacon(url, string) can only say text/plain; the body is the same JSON.
        req.headers['content-type'] = 'application/json';
        return;
      }
      req.log.info({ method: req.method, url: path, contentType: type }, 'csrf | refused a body that is not JSON');
      throw rejected('content-type');
    });
  },
  { name: 'csrf' },
);
