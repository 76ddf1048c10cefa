/**
 * Who may call each route, declared on the route and enforced here, by one `onRoute` hook.
 *
 * Every route under /api and /media declares `config: { access: [...] }` (Fastify's route
 * `config`, typed below through `FastifyContextConfig`); a route there without one throws at
 * startup, naming it, so a new route without a rule fails every test. The words:
 * - `public`: anyone (login, pairing, logout, me);
 * - `signed`: anyone who holds a token the handler checks (media, iCal feeds, check-in links);
 * - `cadre`, `lecturer`, `unitAdmin`, `orgAdmin`, `station`: a logged-in user of that role;
 * - `lecturer:own`: a lecturer, for objects they own (the handler or service checks ownership);
 * - `unitAdmin:own-units`: a unit admin, for their unit subtree (the service scopes or refuses);
 * - `any-user`: any logged-in user;
 * - `kiosk`: a paired terminal browser (the `station` cookie), logged in or not.
 * The words are alternatives: a request passes when it matches one of them. `public` and `signed`
 * add no check. Otherwise: a user of an admitted role passes; a kiosk passes on kiosk routes;
 * no user is 401 (STATION_UNPAIRED on kiosk-only routes); a user of another role is 403. The
 * check runs before the route's own preHandlers, so routes keep none for roles.
 * The `:own` and `:own-units` suffixes are promises the handler keeps; the access-matrix test
 * (test/integration/access-matrix.test.ts) calls every route as every principal and holds them.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest, RouteOptions } from 'fastify';
import { errors } from '../../errors';
import { stationErrors } from '../../modules/stations/station-errors';
import { roles as allRoles, type Role } from '../../modules/users/user.model';

export const accessWords = ['public', 'signed', 'cadre', 'lecturer', 'lecturer:own', 'unitAdmin', 'unitAdmin:own-units', 'orgAdmin', 'station', 'kiosk', 'any-user'] as const;
export type Access = (typeof accessWords)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (server/plugins/app/access.ts). */
    access?: readonly Access[];
  }
  interface FastifyInstance {
    /** Every declared route: `METHOD url` -> its access words (read by the access-matrix test). */
    accessRules: Map<string, readonly Access[]>;
  }
}

/** Routes that must declare access: the API and media. */
const GUARDED = /^\/(api|media)(\/|$)/;
const ROLE_OF: Partial<Record<Access, Role>> = {
  cadre: 'cadre',
  lecturer: 'lecturer',
  'lecturer:own': 'lecturer',
  unitAdmin: 'unitAdmin',
  'unitAdmin:own-units': 'unitAdmin',
  orgAdmin: 'orgAdmin',
  station: 'station',
};
const CHECK = Symbol('access-check');

/** The preHandler a declaration stands for, or null when the handler checks (public, signed). */
export function accessCheck(access: readonly Access[]) {
  if (access.includes('public') || access.includes('signed')) return null;
  const admitted = new Set<Role>(access.includes('any-user') ? allRoles : access.flatMap((a) => (ROLE_OF[a] ? [ROLE_OF[a]] : [])));
  const kiosk = access.includes('kiosk');
  const check = async (req: FastifyRequest) => {
    // Preflight and tus capability requests carry no credentials; no route answers them with data.
    if (req.method === 'OPTIONS') return;
    if (req.user && admitted.has(req.user.role)) return;
    if (kiosk && req.server.stations.fromRequest(req)) return;
    if (admitted.size === 0) throw stationErrors.unpaired();
    if (!req.user) throw errors.unauthenticated();
    throw errors.forbidden();
  };
  return Object.assign(check, { [CHECK]: true });
}

function declare(route: RouteOptions, rules: Map<string, readonly Access[]>) {
  const name = `${String(route.method)} ${route.url}`;
  const access = route.config?.access;
  if (!access) {
    if (GUARDED.test(route.url)) throw new Error(`Route ${name} declares no access: add config: { access: [...] } (server/plugins/app/access.ts)`);
    return;
  }
  if (!Array.isArray(access) || access.length === 0) throw new Error(`Route ${name}: config.access must list at least one of ${accessWords.join(', ')}`);
  const unknown = access.filter((a) => !(accessWords as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`Route ${name}: unknown access ${unknown.join(', ')} (known: ${accessWords.join(', ')})`);
  for (const m of [route.method].flat()) rules.set(`${m} ${route.url}`, access);
  const check = accessCheck(access);
  if (!check) return;
  const existing = [route.preHandler ?? []].flat();
  if (existing.some((h) => (h as { [CHECK]?: boolean })[CHECK])) return; // HEAD copies of GET routes
  route.preHandler = [check, ...existing] as RouteOptions['preHandler'];
}

export default fp(
  async (app) => {
    const rules = new Map<string, readonly Access[]>();
    app.decorate('accessRules', rules);
    app.addHook('onRoute', (route) => declare(route, rules));
  },
  { name: 'access', dependencies: ['auth', 'stations'] },
);

// ---- socket.io events ------------------------------------------------------------------------

/**
 * Who may emit each socket event, in one table, checked by the socket modules before a handler
 * runs (an event missing here is refused). The handshake has already admitted a user session or
 * a paired kiosk (plugins/external/socket.ts):
 * - `any`: a user or a kiosk; `user`: a logged-in user (not a bare kiosk);
 * - `editor`: a lecturer, unit admin or org admin (the handler checks the lecture: canEdit);
 * - `member`: any peer of the live room the socket joined (viewer or host; the handler needs the room);
 * - `host`: the host of that room (an editor of the lecture), never a cadre, station or kiosk.
 */
export type EmitterRule = 'any' | 'user' | 'editor' | 'member' | 'host';
export const socketEvents = {
  // catalog/socket.ts: processing progress of a lecture
  'lecture:watch': 'editor',
  'lecture:unwatch': 'user',
  // live/socket.ts: joining, media, chat and questions
  'live:join': 'any',
  'live:track': 'member',
  'live:leave': 'member',
  'live:transport:create': 'member',
  'live:transport:connect': 'member',
  'live:transport:restart-ice': 'member',
  'live:produce': 'member', // on stage only (LiveSession.mayProduce)
  'live:consume': 'member',
  'live:consumer:resume': 'member',
  'live:consumer:layers': 'member',
  'live:producer:pause': 'member',
  'live:producer:resume': 'member',
  'live:producer:close': 'member',
  'live:chat': 'member',
  'live:question:ask': 'member',
  'live:question:upvote': 'member',
  'live:hand': 'member',
  // live/socket.ts: what only the host does
  'live:start': 'host',
  'live:end': 'host',
  'live:question:answer': 'host',
  'live:stage': 'host',
  'live:mute': 'host',
  'live:remove': 'host',
} as const satisfies Record<string, EmitterRule>;
export type SocketEvent = keyof typeof socketEvents;

const EDITOR_ROLES: ReadonlySet<string> = new Set(['lecturer', 'unitAdmin', 'orgAdmin']);

/**
 * May this socket emit this event? `user` is the socket's user (undefined for a kiosk); `room`,
 * when the socket is in a live room, says whether it hosts it.
 */
export function mayEmit(event: string, user: { role: string } | undefined, room?: { host: boolean }): boolean {
  const rule = (socketEvents as Record<string, EmitterRule | undefined>)[event];
  switch (rule) {
    case 'any':
    case 'member':
      return true;
    case 'user':
      return Boolean(user);
    case 'editor':
      return Boolean(user && EDITOR_ROLES.has(user.role));
    case 'host':
      return Boolean(user && EDITOR_ROLES.has(user.role) && (room?.host ?? true));
    default:
      return false;
  }
}

/** The ack of a refused event. */
export const forbiddenAck = { error: { code: 'FORBIDDEN', message: '没有权限执行此操作', messageEn: 'You are not allowed to do this' } } as const;
