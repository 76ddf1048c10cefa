/**
 * The registry and the monitor at county scale (206 stations), and scheduling by groups:
 * - GET /api/stations, /api/stations/dashboard: search, township/type/state filters, counts by
 *   state and pages (station-query.ts); without `pageSize` every match is answered;
 * - GET /api/stations/brief: every station in scope, small, for choosing where to schedule;
 * - POST /api/timetable/preview: what a schedule would book, and the stations already booked then;
 * - GET /api/timetable/warnings: bookings whose lecture was withdrawn or whose live lecture ended early.
 * Registered inside the stations and timetable route plugins (their prefixes and access rules).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';
import * as L from './list-schemas';
import { queryStations } from './station-query';
import { stationRows, townships } from './station-view';

const adminAccess = { access: ['orgAdmin', 'unitAdmin:own-units'] } as const;

export const stationListRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { stations } = app;

  app.get(
    '/',
    { config: adminAccess, schema: { tags: ['stations'], summary: '终端站点（搜索、筛选、分页）/ stations: search, filters, pages', querystring: L.ListQuery, response: { 200: L.StationList, ...errorResponses } } },
    async (req) => {
      const rows = await stationRows(stations, req.user!);
      const { items, ...page } = queryStations(rows, req.query);
      return { items: items.map((r) => r.view), ...page, townships: await townships(stations, rows) };
    },
  );

  app.get(
    '/brief',
    { config: adminAccess, schema: { tags: ['stations'], summary: '站点简表（排课选择）/ every station in scope, brief, for scheduling', response: { 200: L.BriefList, ...errorResponses } } },
    async (req) => {
      const rows = await stationRows(stations, req.user!);
      return {
        items: rows.map((r) => ({ id: r.id, name: r.name, type: r.type, unitName: r.unitName, townshipId: r.townshipId ?? '', disabled: r.view.disabled })),
        townships: await townships(stations, rows),
      };
    },
  );

  app.get(
    '/dashboard',
    { config: adminAccess, schema: { tags: ['stations'], summary: '站点监控（搜索、筛选、分页）/ monitoring: search, filters, pages', querystring: L.ListQuery, response: { 200: L.DashboardList, ...errorResponses } } },
    async (req) => {
      const rows = await stationRows(stations, req.user!);
      // Trouble first: offline during a session, then by name.
      const { items, ...page } = queryStations(rows, { ...req.query, troubleFirst: true });
      return {
        items: items.map((r) => ({ ...r.view, flags: r.flagged ? ['offline-during-session' as const] : [], ...(r.current ? { current: r.current } : {}) })),
        ...page,
        townships: await townships(stations, rows),
        summary: { total: rows.length, online: rows.filter((r) => r.online).length, playing: rows.filter((r) => r.playing).length, offlineDuringSession: rows.filter((r) => r.flagged).length },
      };
    },
  );
};

export const scheduleGroupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { timetable } = app.stations;

  app.post(
    '/preview',
    { config: adminAccess, schema: { tags: ['timetable'], summary: '排课预检：站点数与冲突 / preview a schedule: stations and conflicts', body: L.PreviewBody, response: { 200: L.Preview, ...errorResponses } } },
    async (req) => timetable.preview(req.user!, req.body),
  );

  app.get(
    '/warnings',
    { config: adminAccess, schema: { tags: ['timetable'], summary: '预约提醒：已下架或直播提前结束 / bookings of withdrawn lectures or live lectures that ended early', response: { 200: L.WarningList, ...errorResponses } } },
    async (req) => ({ items: await timetable.warnings(req.user!) }),
  );
};
