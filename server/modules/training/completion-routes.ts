/**
 * Completion (结业), certificates (结业证书), the sign-in sheet (签到表) and the class report under
 * /api/training, registered by routes.ts with the services. Managers (org admin, unit admins given
 * the class) check and complete; the cadre opens their own certificate; the org admin revokes;
 * anyone may verify a scanned code (public, rate-limited, like the study record's).
 */
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, ObjectIdParam } from '../../schemas';
import { certificateErrors, type CertificateService } from './certificate-service';
import * as S from './completion-schemas';
import type { CompletionService } from './completion.service';
import { sheetAttachment, sheetWorkbook } from './sign-in-sheet';
import type { SignInSheetService } from './sign-in-sheet.service';

/** Where verification links point: PUBLIC_URL, else the origin the request came to. */
const origin = (req: FastifyRequest) => (req.server.config.server.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, '');

export const completionRoutes: FastifyPluginAsyncTypebox<{ completion: CompletionService; certificates: CertificateService; sheets: SignInSheetService }> = async (app, { completion, certificates, sheets }) => {
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const tags = ['training'];

  app.get('/classes/:id/completion', { config: admins, schema: { tags, summary: '结业审核 / who meets the completion rules, and what is missing', params: ObjectIdParam, response: { 200: S.CompletionCheck, ...errorResponses } } }, async (req) => completion.check(req.user!, req.params.id));
  app.put('/classes/:id/completion-rules', { config: admins, schema: { tags, summary: '结业条件 / the class’s completion rules', params: ObjectIdParam, body: S.Rules, response: { 200: S.Rules, ...errorResponses } } }, async (req) => completion.setRules(req.user!, req.params.id, req.body));
  app.post('/classes/:id/completion', { config: admins, schema: { tags, summary: '结业 / complete those who meet the rules (or the named, overriding with a reason)', params: ObjectIdParam, body: S.CompleteBody, response: { 200: S.CompleteReply, ...errorResponses } } }, async (req) => completion.complete(req.user!, req.params.id, req.body));

  app.get('/classes/:id/sign-in-sheet', { config: admins, schema: { tags, summary: '签到表 / the sign-in sheet', params: ObjectIdParam, response: { 200: S.SignInSheetView, ...errorResponses } } }, async (req) => sheets.sheet(req.user!, req.params.id));
  app.get('/classes/:id/sign-in-sheet.xlsx', { config: admins, schema: { tags, summary: '签到表 Excel / the sign-in sheet as a workbook', params: ObjectIdParam } }, async (req, reply) => {
    const sheet = await sheets.sheet(req.user!, req.params.id);
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').header('content-disposition', sheetAttachment(sheet)).send(await sheetWorkbook(sheet));
  });
  app.get('/classes/:id/report', { config: admins, schema: { tags, summary: '出勤与结业统计 / attendance and completion of a class', params: ObjectIdParam, response: { 200: S.ClassReport, ...errorResponses } } }, async (req) => sheets.report(req.user!, req.params.id));

  // ---- certificates ----
  app.get('/classes/:id/certificate', { config: { access: ['cadre'] }, schema: { tags, summary: '我的结业证书 / my certificate of a class, with its QR code', params: ObjectIdParam, response: { 200: S.CertificateView, ...errorResponses } } }, async (req) => {
    const cert = await certificates.forEnrolment(req.params.id, String(req.user!._id));
    if (!cert) throw certificateErrors.none();
    return certificates.view(cert, origin(req));
  });
  app.get('/classes/:id/certificates/:userId', { config: admins, schema: { tags, summary: '学员结业证书 / a cadre’s certificate (managers)', params: S.ClassUserParams, response: { 200: S.CertificateView, ...errorResponses } } }, async (req) => {
    await completion.managed(req.user!, req.params.id);
    const cert = await certificates.forEnrolment(req.params.id, req.params.userId);
    if (!cert) throw certificateErrors.none();
    return certificates.view(cert, origin(req));
  });
  app.post('/classes/:id/certificates/:userId/revoke', { config: { access: ['orgAdmin'] }, schema: { tags, summary: '撤销结业证书 / revoke a certificate', params: S.ClassUserParams, body: S.RevokeBody, response: { 200: Type.Object({ serial: Type.String(), valid: Type.Boolean() }), ...errorResponses } } }, async (req) => {
    await completion.managed(req.user!, req.params.id);
    const cert = await completion.classes.serial(req.params.id, () => certificates.revoke(req.params.id, req.params.userId, req.user!._id, req.body.reason.trim(), Date.now()));
    return { serial: cert._id, valid: false };
  });
  app.get(
    '/certificates/verify/:code',
    { config: { access: ['public'], rateLimit: { max: 30, timeWindow: 60_000 } }, schema: { tags, summary: '结业证书验证 / verify a scanned certificate code', params: S.CertCodeParams, response: { 200: S.CertificateCheck, ...errorResponses } } },
    async (req) => certificates.verify(req.params.code, origin(req)),
  );
};
