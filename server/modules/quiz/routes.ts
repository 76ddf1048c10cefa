/**
 * /api/quiz: effectiveness evaluation (实效测评). Question banks for the lecture's editors (a
 * lecturer only for their own lectures, the org admin for all: BankService checks canEdit and
 * answers 403 otherwise), and the quizzes of a cadre who watches (QuizService). Starting attempts
 * and answering are rate limited per user, besides the attempt limits. Installs the ledger's
 * credit gate (credit-hold.ts).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ErrorBody, errorResponses } from '../../schemas';
import { BankService } from './bank.service';
import { QuizService } from './quiz.service';
import { quizCore } from './quiz-core';
import { assessmentOf } from '../assessment/assessment.service';
import { AttemptParam, AttemptView, BankView, ChoiceBody, EditorQuestion, ImportBody, ImportReply, LectureParam, MineView, QuestionBody, QuestionParam, Settings, SubmitBody, SubmitReply } from './schemas';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const byUser = (req: FastifyRequest) => (req.user ? `quiz:${String(req.user._id)}` : req.ip);
const limited = { ...errorResponses, 429: ErrorBody };

export const quizRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, study, catalog, calendar } = app;
  // The same core as the ledger's gate (installed before the study log's replay: services.ts).
  const { bank: reads, attempts, results, holds } = quizCore(store.models, calendar, app.log);
  study.ledger.creditGate = holds.gate;
  const bank = new BankService(reads, catalog, (lectureId) => holds.releaseAll(study, lectureId));
  const quiz = new QuizService({ bank: reads, attempts, results, holds, study, catalog, random: Math.random, now: Date.now, onTested: assessmentOf(store.models, calendar, app.log).noteTest });
  const editors = { access: ['lecturer:own', 'unitAdmin', 'orgAdmin'] } as const;
  const authors = { access: ['lecturer', 'unitAdmin', 'orgAdmin'] } as const;
  const tags = ['quiz'];

  // ---- banks (editors of the lecture) ----
  app.get('/template', { config: authors, schema: { tags, summary: '题库导入模板 / the question template (.xlsx)' } }, async (_req, reply) =>
    reply.type(XLSX).header('content-disposition', `attachment; filename="quiz.xlsx"; filename*=UTF-8''${encodeURIComponent('题库模板.xlsx')}`).send(await bank.template()),
  );
  app.get('/lectures/:id/bank', { config: editors, schema: { tags, summary: '课程题库 / a lecture’s bank with keys', params: LectureParam, response: { 200: BankView, ...errorResponses } } }, async (req) => bank.view(req.user!, req.params.id));
  app.put('/lectures/:id/settings', { config: editors, schema: { tags, summary: '测评规则 / the lecture’s quiz policy', params: LectureParam, body: Settings, response: { 200: Settings, ...errorResponses } } }, async (req) => bank.saveSettings(req.user!, req.params.id, req.body));
  app.post('/lectures/:id/questions', { config: editors, schema: { tags, summary: '添加试题 / add a question', params: LectureParam, body: QuestionBody, response: { 201: EditorQuestion, ...errorResponses } } }, async (req, reply) =>
    reply.code(201).send(await bank.add(req.user!, req.params.id, { ...req.body, spanFrom: req.body.spanFrom ?? null, spanTo: req.body.spanTo ?? null, explanation: req.body.explanation ?? '' })),
  );
  app.put('/lectures/:id/questions/:questionId', { config: editors, schema: { tags, summary: '修改试题 / change a question', params: QuestionParam, body: QuestionBody, response: { 200: EditorQuestion, ...errorResponses } } }, async (req) =>
    bank.update(req.user!, req.params.id, req.params.questionId, { ...req.body, spanFrom: req.body.spanFrom ?? null, spanTo: req.body.spanTo ?? null, explanation: req.body.explanation ?? '' }),
  );
  app.delete('/lectures/:id/questions/:questionId', { config: editors, schema: { tags, summary: '删除试题 / delete a question', params: QuestionParam, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await bank.remove(req.user!, req.params.id, req.params.questionId);
    return reply.code(204).send(null);
  });
  app.post('/lectures/:id/import', { config: editors, bodyLimit: 6 * 1024 * 1024, schema: { tags, summary: '从 Excel 导入试题(有错误行则不导入) / import questions from the template', params: LectureParam, body: ImportBody, response: { 200: ImportReply, ...errorResponses, 413: ErrorBody } } }, async (req) =>
    bank.import(req.user!, req.params.id, Buffer.from(req.body.contentBase64, 'base64')),
  );

  // ---- a cadre's quizzes ----
  app.get('/lectures/:id/mine', { config: { access: ['cadre'] }, schema: { tags, summary: '我的随堂测验与结课测试 / my quizzes on a lecture', params: LectureParam, response: { 200: MineView, ...errorResponses } } }, async (req) => quiz.mine(req.user!, req.params.id));
  app.post(
    '/lectures/:id/span-answers/:questionId',
    { config: { access: ['cadre'], rateLimit: { max: 30, timeWindow: 60_000, keyGenerator: byUser } }, schema: { tags, summary: '回答随堂题(一次) / answer a span question once', params: QuestionParam, body: ChoiceBody, response: { 200: Type.Object({ correct: Type.Boolean() }), ...limited } } },
    async (req) => quiz.answerSpan(req.user!, req.params.id, req.params.questionId, req.body.choice),
  );
  app.post(
    '/lectures/:id/attempts',
    { config: { access: ['cadre'], rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: byUser } }, schema: { tags, summary: '开始结课测试(或继续未交卷的一次) / start the end test', params: LectureParam, response: { 200: AttemptView, ...limited } } },
    async (req) => quiz.start(req.user!, req.params.id),
  );
  app.post(
    '/attempts/:attemptId/submission',
    { config: { access: ['cadre'], rateLimit: { max: 20, timeWindow: 60_000, keyGenerator: byUser } }, schema: { tags, summary: '交卷,服务器评分 / submit; scored on the server', params: AttemptParam, body: SubmitBody, response: { 200: SubmitReply, ...limited } } },
    async (req) => quiz.submit(req.user!, req.params.attemptId, req.body.answers),
  );
};
