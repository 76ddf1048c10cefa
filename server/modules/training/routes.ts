/**
 * /api/training: training classes (培训班), enrolment, nominations by units (推荐调训:
 * nomination-routes.ts), completion with its rules, certificates and their public verification,
 * sign-in sheets and class reports (completion-routes.ts), and external training hours
 * (学时登记与认定). Classes are the organisation department's to create and edit; their managers
 * (org admins, unit admins given the class) run the roster; unit admins see the classes open to
 * their units and decide their units' cadres' external claims; cadres apply, withdraw and record
 * training taken elsewhere. The services keep the scope (classes.service.ts, enrolment.service.ts,
 * external.service.ts).
 */
import { join } from 'node:path';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, ObjectIdParam, StringEnum } from '../../schemas';
import { OrgService } from '../org/org.service';
import { ClassesService } from './classes.service';
import { EnrolmentService } from './enrolment.service';
import { ExternalTrainingService } from './external.service';
import { AssignBody, ClaimBody, ClaimDecisionBody, ClaimView, ClassBody, ClassView, DecisionBody, MyClass, ReviewView, Roster, StateReply, Year } from './schemas';
import { CertificateService } from './certificate-service';
import { certificateKey } from './certificate-code';
import { classAssessments } from './completion-assessments';
import { completionRoutes } from './completion-routes';
import { CompletionService } from './completion.service';
import { assessmentOf } from '../assessment/assessment.service';
import { nominationRoutes } from './nomination-routes';
import { NominationService } from './nomination.service';
import { SignInSheetService } from './sign-in-sheet.service';
import { claimStates } from './training.model';
import { scopeOf } from './training-scope';

export const trainingRoutes: FastifyPluginAsyncTypebox<{ secret?: string }> = async (app, opts) => {
  const { store, study, notices, calendar } = app;
  const org = new OrgService(store.models);
  const scope = (u: Parameters<typeof scopeOf>[1]) => scopeOf(org, u);
  // The class service seats waiting cadres when capacity grows (through the enrolment service).
  let enrol: EnrolmentService | undefined;
  const classes = new ClassesService(store.models, org, calendar, async (c) => void (await enrol!.promote(c)));
  enrol = new EnrolmentService({ models: store.models, calendar, ledger: study.ledger, notices, scope, isManager: (c, s) => classes.isManager(c, s), visible: (c, s) => classes.visible(c, s) });
  const external = new ExternalTrainingService({ models: store.models, calendar, ledger: study.ledger, notices, scope, storage: app.storage, workDir: join(app.config.dataDir, 'work') });
  const thisYear = () => calendar.year(Date.now());
  // Completion, certificates, nominations and the sign-in sheet (completion-routes.ts, nomination-routes.ts).
  const send = (notes: Parameters<EnrolmentService['promote']>[2]) => enrol!.send(notes ?? []);
  const unitName = async (id: string | null) => (id ? ((await org.flat()).find((u) => u.id === id)?.name ?? '') : '');
  const certificates = new CertificateService(store.models, calendar, certificateKey(opts.secret ?? app.playbackSecret), unitName);
  const completion = new CompletionService({ models: store.models, calendar, ledger: study.ledger, progressOf: (u, l) => study.progressOf(u, l), send, scope, isManager: (c, s) => classes.isManager(c, s), visible: (c, s) => classes.visible(c, s), certificates, assessments: classAssessments(store.models, opts.secret ?? app.playbackSecret), onCompleted: assessmentOf(store.models, calendar, app.log).noteClass });
  const nominations = new NominationService({ models: store.models, calendar, send, scope, isManager: (c, s) => classes.isManager(c, s), visible: (c, s) => classes.visible(c, s) });
  await app.register(completionRoutes, { completion, certificates, sheets: new SignInSheetService(store.models, calendar, completion, certificates) });
  await app.register(nominationRoutes, { nominations, thisYear });
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const orgOnly = { access: ['orgAdmin'] } as const;
  const cadre = { access: ['cadre'] } as const;
  const yearQuery = Type.Object({ year: Type.Optional(Year) });
  const tags = ['training'];
  const ClassUser = Type.Object({ id: ObjectIdParam.properties.id, userId: ObjectIdParam.properties.id });

  // ---- classes (admins) ----
  app.get('/classes', { config: admins, schema: { tags, summary: '培训班列表 / training classes of a year', querystring: yearQuery, response: { 200: Type.Object({ year: Type.Integer(), today: Type.String(), items: Type.Array(ClassView) }), ...errorResponses } } }, async (req) => {
    const year = req.query.year ?? thisYear();
    return { year, today: calendar.day(Date.now()), items: await classes.list(req.user!, year) };
  });
  app.post('/classes', { config: orgOnly, schema: { tags, summary: '新建培训班 / create a class', body: ClassBody, response: { 201: ClassView, ...errorResponses } } }, async (req, reply) => reply.code(201).send(await classes.create(req.user!, req.body)));
  app.get('/classes/:id', { config: admins, schema: { tags, summary: '培训班详情 / one class', params: ObjectIdParam, response: { 200: ClassView, ...errorResponses } } }, async (req) => classes.one(req.user!, req.params.id));
  app.put('/classes/:id', { config: orgOnly, schema: { tags, summary: '修改培训班(整体替换) / change a class', params: ObjectIdParam, body: ClassBody, response: { 200: ClassView, ...errorResponses } } }, async (req) => classes.update(req.user!, req.params.id, req.body));
  app.delete('/classes/:id', { config: orgOnly, schema: { tags, summary: '删除培训班 / delete a class', params: ObjectIdParam, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await classes.remove(req.params.id);
    return reply.code(204).send(null);
  });

  // ---- roster (managers) ----
  app.get('/classes/:id/roster', { config: admins, schema: { tags, summary: '学员名单 / the roster', params: ObjectIdParam, response: { 200: Roster, ...errorResponses } } }, async (req) => enrol.roster(req.user!, req.params.id));
  app.post('/classes/:id/assignments', { config: admins, schema: { tags, summary: '调训 / assign cadres', params: ObjectIdParam, body: AssignBody, response: { 200: Type.Object({ assigned: Type.Integer(), already: Type.Integer() }), ...errorResponses } } }, async (req) => enrol.assign(req.user!, req.params.id, req.body.userIds));
  app.post('/classes/:id/enrolments/:userId/decision', { config: admins, schema: { tags, summary: '审核报名 / approve, refuse or remove', params: ClassUser, body: DecisionBody, response: { 200: StateReply, ...errorResponses } } }, async (req) => enrol.decide(req.user!, req.params.id, req.params.userId, req.body.action, req.body.reason));

  // ---- a cadre's classes ----
  app.get('/mine', { config: cadre, schema: { tags, summary: '我的培训班 / classes open to me', querystring: yearQuery, response: { 200: Type.Object({ year: Type.Integer(), today: Type.String(), items: Type.Array(MyClass) }), ...errorResponses } } }, async (req) => {
    const year = req.query.year ?? thisYear();
    return { year, today: calendar.day(Date.now()), items: await enrol.mine(req.user!, year) };
  });
  app.post('/classes/:id/application', { config: cadre, schema: { tags, summary: '报名 / apply', params: ObjectIdParam, response: { 200: StateReply, ...errorResponses } } }, async (req) => enrol.apply(req.user!, req.params.id));
  app.delete('/classes/:id/application', { config: cadre, schema: { tags, summary: '退出报名 / withdraw', params: ObjectIdParam, response: { 200: StateReply, ...errorResponses } } }, async (req) => enrol.withdraw(req.user!, req.params.id));

  // ---- external training (外出培训) ----
  app.get('/external', { config: cadre, schema: { tags, summary: '我的外出培训登记 / my external training', response: { 200: Type.Object({ items: Type.Array(ClaimView) }), ...errorResponses } } }, async (req) => ({ items: await external.mine(req.user!) }));
  // A certificate rides in the body as base64 (at most 4 MB decoded).
  app.post('/external', { config: cadre, bodyLimit: 8 * 1024 * 1024, schema: { tags, summary: '登记外出培训 / record external training', body: ClaimBody, response: { 201: ClaimView, ...errorResponses } } }, async (req, reply) => reply.code(201).send(await external.create(req.user!, req.body)));
  app.delete('/external/:id', { config: cadre, schema: { tags, summary: '撤回未认定的登记 / take back a pending record', params: ObjectIdParam, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await external.remove(req.user!, req.params.id);
    return reply.code(204).send(null);
  });
  app.get('/external/:id/certificate', { config: { access: ['cadre', 'unitAdmin:own-units', 'orgAdmin'] }, schema: { tags, summary: '外出培训证书(JPG、PNG 或 PDF) / the attached certificate', params: ObjectIdParam } }, async (req, reply) => {
    const c = await external.certificate(req.user!, req.params.id);
    const ext = c.type === 'application/pdf' ? 'pdf' : c.type === 'image/png' ? 'png' : 'jpg';
    return reply
      .type(c.type)
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `inline; filename="certificate.${ext}"; filename*=UTF-8''${encodeURIComponent(c.name)}`)
      .send(app.storage.createReadStream(c.key));
  });
  app.get('/external-review', { config: admins, schema: { tags, summary: '外出培训学时认定列表 / claims to decide', querystring: Type.Object({ year: Type.Optional(Year), state: Type.Optional(StringEnum(claimStates)) }), response: { 200: Type.Object({ year: Type.Integer(), items: Type.Array(ReviewView) }), ...errorResponses } } }, async (req) => {
    const year = req.query.year ?? thisYear();
    return { year, items: await external.review(req.user!, year, req.query.state) };
  });
  app.post('/external-review/:id', { config: admins, schema: { tags, summary: '学时认定 / approve or refuse a claim', params: ObjectIdParam, body: ClaimDecisionBody, response: { 200: ClaimView, ...errorResponses } } }, async (req) => external.decide(req.user!, req.params.id, req.body));
};
