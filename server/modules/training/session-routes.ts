/**
 * /api/training-sessions: a class's timetable (课程表) and attendance at its in-person sessions.
 * Managers of a class (org admins, unit admins given it) edit its timetable, show the rotating
 * check-in code, mark the roster and upload offline batches; admins who see the class read its
 * timetable; cadres read their classes' timetables and check in by opening the code's link.
 * The services keep the scope (session.service.ts, attendance.service.ts).
 */
import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, ObjectIdParam } from '../../schemas';
import { OrgService } from '../org/org.service';
import { AttendanceService } from './attendance.service';
import { ClassesService } from './classes.service';
import { SessionService } from './session.service';
import { CheckinBody, CheckinReply, CodeView, Direction, MarkBody, MyTimetable, SessionBody, SessionRoster, SessionView, SyncBody, SyncReply, Timetable } from './session-schemas';

function origin(req: FastifyRequest): string {
  return (req.server.config.server.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, '');
}

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, study, notices, calendar } = app;
  const org = new OrgService(store.models);
  // Only its scope and manager checks are used here; seats are the enrolment service's.
  const classes = new ClassesService(store.models, org, calendar, async () => {});
  const sessions = new SessionService({ models: store.models, calendar, notices, study, classes, log: app.log });
  const attendance = new AttendanceService({ models: store.models, sessions, secret: createHmac('sha256', app.playbackSecret).update('training-checkin').digest('base64url') });
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const cadre = { access: ['cadre'] } as const;
  const tags = ['training'];

  // ---- timetables (admins; changes by the class's managers) ----
  app.get('/classes/:id', { config: admins, schema: { tags, summary: '培训班课程表 / a class’s timetable', params: ObjectIdParam, response: { 200: Timetable, ...errorResponses } } }, async (req) => sessions.list(req.user!, req.params.id));
  app.post('/classes/:id', { config: admins, schema: { tags, summary: '新增课程 / add a session', params: ObjectIdParam, body: SessionBody, response: { 201: SessionView, ...errorResponses } } }, async (req, reply) => reply.code(201).send(await sessions.create(req.user!, req.params.id, req.body)));
  app.put('/:id', { config: admins, schema: { tags, summary: '修改课程 / change a session', params: ObjectIdParam, body: SessionBody, response: { 200: SessionView, ...errorResponses } } }, async (req) => sessions.update(req.user!, req.params.id, req.body));
  app.delete('/:id', { config: admins, schema: { tags, summary: '删除课程 / remove a session', params: ObjectIdParam, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await sessions.remove(req.user!, req.params.id);
    return reply.code(204).send(null);
  });

  // ---- attendance (the class's managers) ----
  app.get('/:id/code', { config: admins, schema: { tags, summary: '签到/签退二维码(20 秒轮换) / the rotating code', params: ObjectIdParam, querystring: Type.Object({ direction: Type.Optional(Direction) }), response: { 200: CodeView, ...errorResponses } } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return attendance.code(req.user!, req.params.id, req.query.direction ?? 'in', origin(req));
  });
  app.get('/:id/attendance', { config: admins, schema: { tags, summary: '签到名单 / the roster with attendance', params: ObjectIdParam, response: { 200: SessionRoster, ...errorResponses } } }, async (req) => attendance.roster(req.user!, req.params.id));
  app.post('/:id/attendance', { config: admins, schema: { tags, summary: '按名单确认签到/签退 / mark the roster', params: ObjectIdParam, body: MarkBody, response: { 200: Type.Object({ marked: Type.Integer(), already: Type.Integer() }), ...errorResponses } } }, async (req) => attendance.markRoster(req.user!, req.params.id, req.body.userIds, req.body.direction));
  app.post('/:id/offline', { config: admins, bodyLimit: 1024 * 1024, schema: { tags, summary: '上传离线签到 / upload an offline batch (each scan accepted once)', params: ObjectIdParam, body: SyncBody, response: { 200: SyncReply, ...errorResponses } } }, async (req) => attendance.sync(req.user!, req.params.id, req.body));

  // ---- cadres ----
  app.get('/mine', { config: cadre, schema: { tags, summary: '我的培训班课程表 / my classes’ timetables', response: { 200: MyTimetable, ...errorResponses } } }, async (req) => ({ items: await sessions.mine(req.user!) }));
  app.post('/checkin', { config: cadre, schema: { tags, summary: '扫码签到/签退 / check in or out with a class code', body: CheckinBody, response: { 200: CheckinReply, ...errorResponses } } }, async (req) => attendance.checkinWithToken(req.user!, req.body.token));
};
