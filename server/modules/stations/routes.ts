/**
 * The stations API (see docs/stations.md):
 * - /api/stations: registry, pairing codes, revocation, dashboard and statistics (admins), and
 *   `POST /pair` (a kiosk browser enters its one-time code; no login);
 * - /api/kiosk: what a paired station asks (its cookie): state, playback, heartbeats, check-in
 *   code, operator check-in/out, offline sync;
 * - /api/checkin: a logged-in cadre scans a station's code;
 * - /api/timetable: sessions, conflicts, `mine` (a cadre's learning calendar);
 * - /api/calendar: iCalendar feeds behind keyed links, and the links;
 * - /media/station/<lectureId>/...: a station's media, authorised by its cookie (stable URLs, so
 *   replays can be prefetched into the kiosk's cache); the bytes of segments sent are delivery evidence.
 * Routes stay thin: the services hold the rules.
 */
import { Type } from 'typebox';
import { isSafeKey } from '../../../media';
import { delivered, isSegmentKey, segmentSpan } from '../playback/delivery';
import { sendStored, storedPath } from '../playback/send-stored';
import { timedLectures } from '../playback/timed-lectures';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { errors } from '../../errors';
import { ObjectIdParam, errorResponses } from '../../schemas';
import type { UserDoc } from '../users/user.model';
import { buildCalendar } from './calendar';
import { classSessionItems } from '../training/session-calendar';
import * as S from './schemas';
import { stationErrors } from './station-errors';
import { sameKey, urlKey } from './station-rules';
import { STATION_COOKIE, type StationEntry } from './stations.service';
import { briefView as brief, stationView } from './station-view';
import { stationListRoutes, scheduleGroupRoutes } from './list-routes';

const withGone = { ...errorResponses, 410: errorResponses[400] };
const admins = ['orgAdmin', 'unitAdmin'] as const;
/** Admin routes: a unit admin manages and reads the stations of their unit subtree (StationService.scopeOf). */
const adminAccess = { access: ['orgAdmin', 'unitAdmin:own-units'] } as const;

function origin(req: FastifyRequest): string {
  return (req.server.config.server.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, '');
}

// ---- /api/stations -------------------------------------------------------------------------

export const stationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { stations, config } = app;
  const { registry, attendance } = stations;

  // GET / (search, filters, paging), /brief and /dashboard: list-routes.ts.
  await app.register(stationListRoutes);

  app.post(
    '/',
    { config: adminAccess, schema: { tags: ['stations'], summary: '新建站点 / create a station', body: S.StationCreate, response: { 201: S.Station, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await stationView(stations, await registry.create(req.user!, req.body))),
  );

  app.patch(
    '/:id',
    { config: adminAccess, schema: { tags: ['stations'], summary: '修改或停用站点 / edit or disable a station', params: ObjectIdParam, body: S.StationPatch, response: { 200: S.Station, ...errorResponses } } },
    async (req) => stationView(stations, await registry.update(req.user!, req.params.id, req.body)),
  );

  app.post(
    '/:id/pairing',
    { config: adminAccess, schema: { tags: ['stations'], summary: '生成配对码 / one-time pairing code and QR', params: ObjectIdParam, response: { 200: S.Pairing, ...errorResponses } } },
    async (req) => {
      const { code, expiresAt } = await registry.createPairing(req.user!, req.params.id);
      const pairUrl = `/kiosk?code=${code}`;
      return { code, expiresAt: new Date(expiresAt).toISOString(), pairUrl, qrSvg: await QRCode.toString(origin(req) + pairUrl, { type: 'svg', margin: 1 }) };
    },
  );

  app.get(
    '/:id/roster',
    { config: adminAccess, schema: { tags: ['stations'], summary: '站点签到名单 / a station’s roster (current or last session)', params: ObjectIdParam, querystring: Type.Object({ sessionId: Type.Optional(S.Id) }), response: { 200: S.Roster, ...errorResponses } } },
    async (req) => attendance.rosterOf(await registry.manageable(req.user!, req.params.id), req.query.sessionId),
  );

  app.post(
    '/:id/roster',
    { config: adminAccess, schema: { tags: ['stations'], summary: '确认名单 / a unit admin confirms who stayed at a station', params: ObjectIdParam, body: S.RosterConfirm, response: { 200: S.RosterConfirmed, ...errorResponses } } },
    async (req) => attendance.confirmRoster(await registry.manageable(req.user!, req.params.id), req.body.sessionId, req.body.userIds),
  );

  app.post(
    '/:id/revoke',
    { config: adminAccess, schema: { tags: ['stations'], summary: '撤销站点凭证 / revoke the station credential', params: ObjectIdParam, response: { 200: S.Station, ...errorResponses } } },
    async (req) => stationView(stations, await registry.revoke(req.user!, req.params.id)),
  );

  app.post(
    '/pair',
    {
      config: { access: ['public'], rateLimit: { max: 20, timeWindow: 60_000 } },
      schema: {
        tags: ['stations'],
        summary: '终端配对 / a kiosk pairs with its one-time code (sets the station cookie)',
        body: Type.Object({ code: Type.String({ minLength: 4, maxLength: 20 }) }),
        response: { 200: Type.Object({ station: S.StationBrief }), ...withGone },
      },
    },
    async (req, reply) => {
      const { station, credential } = await registry.pair(req.body.code);
      reply.setCookie(STATION_COOKIE, credential, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.auth.cookieSecure, signed: true, maxAge: config.stations.credentialDays * 86400 });
      return { station: await brief(stations, station) };
    },
  );

  // The default period is the last twelve months up to today, in county days (StationDay keys).
  const statsQuery = (q: { from?: string; to?: string; groupBy?: 'station' | 'type' | 'unit' | 'month' }) => {
    const today = app.calendar.day(Date.now());
    return { from: q.from ?? app.calendar.addDays(today, 1, -1), to: q.to ?? today, groupBy: q.groupBy ?? 'station' };
  };
  app.get(
    '/stats',
    { config: adminAccess, schema: { tags: ['stations'], summary: '空中课堂统计 / statistics by station, type, unit or month', querystring: S.StatsQuery, response: { 200: S.StatsAnswer, ...errorResponses } } },
    async (req) => stations.stats.stats(req.user!, statsQuery(req.query)),
  );
  app.get(
    '/stats.xlsx',
    { config: adminAccess, schema: { tags: ['stations'], summary: '导出统计 (Excel) / export statistics', querystring: S.StatsQuery } },
    async (req, reply) => {
      const q = statsQuery(req.query);
      const buf = await stations.stats.xlsx(req.user!, q);
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="air-classroom-${q.from}-${q.to}.xlsx"; filename*=UTF-8''${encodeURIComponent(`空中课堂统计-${q.from}-${q.to}.xlsx`)}`)
        .send(buf);
    },
  );
};

// ---- /api/kiosk ----------------------------------------------------------------------------

export const kioskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { stations } = app;
  const { attendance } = stations;
  const station = (req: FastifyRequest) => stations.fromRequest(req)!;
  // The station's own network, against which learners' check-in scans are compared (a flag only).
  app.addHook('preHandler', async (req) => {
    const st = stations.fromRequest(req);
    if (st) attendance.noteStationAddress(st.id, req.ip);
  });

  app.get('/state', { config: { access: ['kiosk'] }, schema: { tags: ['kiosk'], summary: '终端状态 / what the kiosk shows: timetable, current session, present learners', response: { 200: S.KioskState, ...errorResponses } } }, async (req) =>
    attendance.kioskState(station(req)),
  );

  app.post(
    '/playback',
    { config: { access: ['kiosk'] }, schema: { tags: ['kiosk'], summary: '开始播放 / open the station playback of a session', body: Type.Object({ sessionId: S.Id }), response: { 200: S.KioskPlayback, ...errorResponses } } },
    async (req) => {
      app.study.assertOpen();
      return attendance.openPlayback(station(req), req.body.sessionId, { ip: req.ip, userAgent: req.headers['user-agent'] });
    },
  );

  app.post(
    '/heartbeats',
    {
      config: { access: ['kiosk'] },
      bodyLimit: 256 * 1024,
      schema: { tags: ['kiosk'], summary: '站点心跳 / the station player heartbeats (credits every learner present)', body: Type.Object({ beats: Type.Array(S.Beat, { minItems: 1, maxItems: 200 }) }), response: { 200: S.BeatsAnswer, ...errorResponses } },
    },
    async (req) => {
      app.study.assertOpen();
      return attendance.heartbeats(station(req), req.body.beats);
    },
  );

  app.get(
    '/checkin-code',
    { config: { access: ['kiosk'] }, schema: { tags: ['kiosk'], summary: '签到二维码 / the rotating check-in code (30 s)', response: { 200: S.CheckinCode, ...errorResponses } } },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return attendance.checkinCode(station(req), origin(req));
    },
  );

  app.post(
    '/checkin',
    {
      config: { access: ['kiosk'] },
      schema: {
        tags: ['kiosk'],
        summary: '代签到 / the station operator checks a learner in by username',
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), sessionId: Type.Optional(S.Id) }),
        response: { 200: Type.Object({ ok: Type.Literal(true), user: Type.Object({ id: Type.String(), name: Type.String() }), sessionId: Type.String() }), ...errorResponses },
      },
    },
    async (req) => attendance.operatorCheckin(station(req), req.body.username, req.body.sessionId),
  );

  app.post(
    '/checkout',
    { config: { access: ['kiosk'] }, schema: { tags: ['kiosk'], summary: '签退 / check a learner out', body: Type.Object({ userId: S.Id }), response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errorResponses } } },
    async (req) => attendance.checkout(station(req), req.body.userId),
  );

  app.get(
    '/roster',
    { config: { access: ['kiosk'] }, schema: { tags: ['kiosk'], summary: '签到名单 / who checked in (current or last session), for the roster confirmation', querystring: Type.Object({ sessionId: Type.Optional(S.Id) }), response: { 200: S.Roster, ...errorResponses } } },
    async (req) => attendance.rosterOf(station(req), req.query.sessionId),
  );

  app.post(
    '/roster',
    { config: { access: ['kiosk'] }, schema: { tags: ['kiosk'], summary: '确认名单 / the operator confirms who stayed (credits their presence retroactively)', body: S.RosterConfirm, response: { 200: S.RosterConfirmed, ...errorResponses } } },
    async (req) => attendance.confirmRoster(station(req), req.body.sessionId, req.body.userIds),
  );

  app.post(
    '/sync',
    { config: { access: ['kiosk'] }, bodyLimit: 4 * 1024 * 1024, schema: { tags: ['kiosk'], summary: '离线补传 / upload what was buffered offline (accepted once)', body: S.SyncBody, response: { 200: S.SyncAnswer, ...errorResponses } } },
    async (req) => {
      app.study.assertOpen();
      return attendance.sync(station(req), req.body);
    },
  );
};

// ---- /api/checkin --------------------------------------------------------------------------

export const checkinRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/',
    {
      config: { access: ['any-user'], rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: {
        tags: ['kiosk'],
        summary: '扫码签到/签退 / a learner checks in (again: re-scan) or out with the station code',
        body: Type.Object({ token: Type.String({ minLength: 10, maxLength: 200 }), action: Type.Optional(S.CheckinAction) }),
        response: { 200: S.CheckinAnswer, ...withGone },
      },
    },
    async (req) => app.stations.attendance.checkinWithToken(req.user!, req.body.token, { ip: req.ip, action: req.body.action }),
  );
};

// ---- /api/timetable ------------------------------------------------------------------------

export const timetableRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { stations } = app;
  const { timetable } = stations;
  const DAY = 24 * 3600_000;
  const span = (q: { from?: string; to?: string }, back: number, ahead: number) => {
    const now = Date.now();
    return { from: q.from ? new Date(q.from).getTime() : now - back, to: q.to ? new Date(q.to).getTime() : now + ahead };
  };

  app.get(
    '/',
    { config: { access: ['orgAdmin', 'unitAdmin:own-units', 'kiosk'] }, schema: { tags: ['timetable'], summary: '课表 / timetable (admins; a station for itself)', querystring: S.Range, response: { 200: Type.Object({ items: Type.Array(S.SessionItem) }), ...errorResponses } } },
    async (req) => {
      const { from, to } = span(req.query, 7 * DAY, 35 * DAY);
      if (req.user && (admins as readonly string[]).includes(req.user.role)) {
        return { items: (await timetable.forAdmin(req.user, from, to, req.query.stationId)).map((s) => timetable.view(s)) };
      }
      const st = stations.fromRequest(req);
      if (st) return { items: timetable.range(from, to, st.id).map((s) => timetable.view(s)) };
      if (req.user) throw errors.forbidden();
      throw errors.unauthenticated();
    },
  );

  app.get(
    '/mine',
    { config: { access: ['any-user'] }, schema: { tags: ['timetable'], summary: '我的学习台历 / sessions at my unit’s stations and my selected live lectures', querystring: S.Range, response: { 200: Type.Object({ items: Type.Array(S.SessionItem) }), ...errorResponses } } },
    async (req) => {
      const { from, to } = span(req.query, 7 * DAY, 35 * DAY);
      const classes = (await classSessionItems(app.store.models, app.calendar, String(req.user!._id), from, to)).map((c) => ({ ...c, lectureId: '', startAt: new Date(c.startAt).toISOString(), endAt: new Date(c.endAt).toISOString(), durationSec: (c.endAt - c.startAt) / 1000, status: 'scheduled' as const, stationIds: [], stationNames: c.location ? [c.location] : [], conflicts: [] }));
      return { items: [...(await timetable.forLearner(req.user!, from, to)), ...classes].sort((a, b) => a.startAt.localeCompare(b.startAt)) };
    },
  );

  app.post(
    '/',
    {
      config: adminAccess,
      schema: { tags: ['timetable'], summary: '排课 / schedule a session at stations (conflicts are listed)', body: S.ScheduleBody, response: { 201: Type.Object({ session: S.SessionItem, conflicts: Type.Array(S.Conflict), skipped: Type.Array(Type.String()) }), ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await timetable.create(req.user!, req.body)),
  );

  // POST /preview and GET /warnings: list-routes.ts.
  await app.register(scheduleGroupRoutes);

  app.delete(
    '/:id',
    { config: adminAccess, schema: { tags: ['timetable'], summary: '删除排课 / delete a session', params: ObjectIdParam, response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await timetable.remove(req.user!, req.params.id);
      return reply.code(204).send(null);
    },
  );
};

// ---- /api/calendar -------------------------------------------------------------------------

export const calendarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { stations } = app;
  const { registry, timetable } = stations;
  const key = (scope: string) => urlKey(stations.calendarSecret, scope);
  const DAY = 24 * 3600_000;
  const ics = (name: string) => ({ 'content-type': 'text/calendar; charset=utf-8', 'content-disposition': `inline; filename="${name}.ics"`, 'cache-control': 'private, max-age=300' });
  const File = Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{24}\\.ics$' }) });
  const Key = Type.Object({ key: Type.String({ minLength: 10, maxLength: 64 }) });
  const check = (scope: string, given: string) => {
    if (!sameKey(key(scope), given)) throw stationErrors.calendarKey();
  };

  app.get('/station/:file', { config: { access: ['signed'] }, schema: { tags: ['timetable'], summary: '站点日历 (iCalendar) / a station’s feed', params: File, querystring: Key } }, async (req, reply) => {
    const id = req.params.file.slice(0, 24);
    check(`station:${id}`, req.query.key);
    const s = registry.get(id);
    if (!s) throw stationErrors.stationNotFound();
    const now = Date.now();
    const items = timetable.range(now - 60 * DAY, now + 180 * DAY, id).map((x) => ({ ...x, stationNames: [s.name] }));
    return reply.headers(ics(`station-${id}`)).send(buildCalendar(`空中课堂 · ${s.name}`, items, app.calendar, now));
  });

  app.get('/user/:file', { config: { access: ['signed'] }, schema: { tags: ['timetable'], summary: '学习台历 (iCalendar) / a cadre’s feed', params: File, querystring: Key } }, async (req, reply) => {
    const id = req.params.file.slice(0, 24);
    check(`user:${id}`, req.query.key);
    const user = await app.store.models.User.findById(id).lean<UserDoc>();
    if (!user || user.disabled) throw errors.notFound('用户', 'User');
    const now = Date.now();
    const items = [...(await timetable.forLearner(user, now - 60 * DAY, now + 180 * DAY)), ...(await classSessionItems(app.store.models, app.calendar, id, now - 60 * DAY, now + 180 * DAY))];
    return reply.headers(ics(`user-${id}`)).send(buildCalendar(`学习台历 · ${user.displayName}`, items, app.calendar, now));
  });

  app.get(
    '/links',
    {
      config: { access: ['any-user', 'kiosk'] },
      schema: {
        tags: ['timetable'],
        summary: '日历订阅链接 / calendar feed links (a user, or a station cookie)',
        response: { 200: Type.Object({ user: Type.Optional(Type.String()), stations: Type.Optional(Type.Array(Type.Object({ id: Type.String(), name: Type.String(), url: Type.String() }))) }), ...errorResponses },
      },
    },
    async (req) => {
      const base = `${origin(req)}/api/calendar`;
      const link = (s: StationEntry) => ({ id: s.id, name: s.name, url: `${base}/station/${s.id}.ics?key=${key(`station:${s.id}`)}` });
      const station = stations.fromRequest(req);
      if (req.user) {
        const u = req.user;
        const units = u.orgUnitId ? await registry.upward(String(u.orgUnitId)) : new Set<string>();
        const visible = (admins as readonly string[]).includes(u.role) ? await registry.visibleTo(u) : registry.all().filter((s) => units.has(s.unitId));
        return { user: `${base}/user/${String(u._id)}.ics?key=${key(`user:${String(u._id)}`)}`, stations: visible.map(link) };
      }
      if (station) return { stations: [link(station)] };
      throw errors.unauthenticated();
    },
  );
};

// ---- /media/station ------------------------------------------------------------------------


export const stationMediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { stations, storage } = app;
  const timings = timedLectures(app.store.models);
  app.get(
    '/:lectureId/*',
    { helmet: false, config: { access: ['kiosk'] }, schema: { hide: true, params: Type.Object({ lectureId: S.Id, '*': Type.String({ maxLength: 300 }) }) } },
    async (req, reply) => {
      const st = stations.fromRequest(req)!;
      const { lectureId } = req.params;
      if (!stations.attendance.mayFetch(st.id, lectureId)) throw stationErrors.notScheduledHere();
      const info = await stations.attendance.lectureMedia(lectureId);
      if (!info?.prefix) throw errors.notFound('课程媒体', 'Lecture media');
      const rel = req.params['*'];
      if (!isSafeKey(rel)) throw errors.notFound('文件', 'File');
      const sub = /^subs\/([A-Za-z-]{2,12})\.vtt$/.exec(rel);
      const key = sub ? info.subtitles.find((s) => s.lang === sub[1])?.key : `${info.prefix}/${rel}`;
      if (!key) throw errors.notFound('字幕', 'Subtitles');
      const isPlaylist = rel.endsWith('.m3u8') || rel.endsWith('.vtt');
      // Stable URLs: a replay's files may sit in the kiosk's cache for days (prefetch); a live playlist grows.
      const cache = isPlaylist ? (info.kind === 'live' ? 'private, no-cache' : 'private, max-age=3600') : 'private, max-age=691200, immutable';
      // Evidence: the part of this segment's media the bytes sent carried (playback/delivery.ts).
      const timed = !sub && isSegmentKey(key) ? await timings.fetch(lectureId) : undefined;
      const seg = timed ? segmentSpan(key, timed) : null;
      return sendStored(req, reply, storedPath(storage, key), cache, seg ? (carried) => {
        const d = delivered(seg, carried);
        if (!d) return;
        if ('segment' in d) stations.attendance.recordFetch(st.id, lectureId, d.segment);
        else stations.attendance.recordFetchedSpan(st.id, lectureId, d.fromSec, d.toSec);
      } : undefined);
    },
  );
};
