/**
 * /api/study: heartbeats, my study archive (学习档案), self-selection (选学), credit policies,
 * assignments of required lectures, suspicious-pattern flags and the xAPI export.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, StringEnum } from '../../schemas';
import { OrgService } from '../org/org.service';
import { AppError, errors } from '../../errors';
import type { UserDoc } from '../users/user.model';
import { policyProblem } from './credit-rules';
import { StudyService } from './study.service';
import { FlagReviewService } from './flag-review';
import { ReminderProgressBoard } from './reminder-progress';
import { BeatBatchSchema, checkBeats, FlagSchema } from './schemas';
import { xapiRoutes } from '../xapi/routes';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
const Year = Type.Integer({ minimum: 2000, maximum: 2100 });
const SessionView = Type.Object({
  counting: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  progress: Type.Number(),
  coveredSec: Type.Number(),
  completed: Type.Boolean(),
  creditHours: Type.Optional(Type.Number()),
  attention: Type.Optional(Type.Object({ id: Type.String(), expiresInSec: Type.Number(), overdue: Type.Boolean() })),
});
const PolicyBody = Type.Object({
  yearlyHours: Type.Number({ minimum: 0, maximum: 2000 }),
  windowYears: Type.Integer({ minimum: 1, maximum: 10 }),
  windowHours: Type.Number({ minimum: 0, maximum: 10000 }),
  requiredMinHours: Type.Number({ minimum: 0, maximum: 2000 }),
  maxPerTopicHours: Type.Union([Type.Number({ minimum: 0, maximum: 2000 }), Type.Null()]),
  dailyCapHours: Type.Union([Type.Number({ minimum: 0, maximum: 24 }), Type.Null()]),
});
const Recipient = Type.Object({ userId: Type.String(), name: Type.String(), unitId: Type.Optional(Type.String()), earned: Type.Number(), required: Type.Number() });
const ReminderRunView = Type.Object({
  id: Type.String(),
  at: Type.String(),
  noticeId: Type.String(),
  byName: Type.Optional(Type.String()),
  automatic: Type.Boolean(),
  unitId: Type.Union([Type.String(), Type.Null()]),
  unitName: Type.Optional(Type.String()),
  partial: Type.Boolean(),
  checked: Type.Integer(),
  behind: Type.Integer(),
  reminded: Type.Union([Type.Integer(), Type.Null()]),
  recipients: Type.Array(Recipient),
});
export const studyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { study, catalog, store } = app;
  const org = new OrgService(store.models);
  const service = new StudyService(store.models, study, catalog, org, app.calendar);
  const thisYear = () => app.calendar.year(Date.now());

  app.post(
    '/heartbeats',
    {
      config: { access: ['any-user'] },
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['study'],
        summary: '学习心跳 / watch-time heartbeats (also sent with sendBeacon)',
        body: BeatBatchSchema,
        response: {
          200: Type.Object({
            acks: Type.Array(Type.Object({ playbackId: Type.String(), seq: Type.Integer() })),
            // Beats refused one by one (malformed, not this user's playback): the others are acknowledged.
            rejected: Type.Array(Type.Object({ playbackId: Type.String(), seq: Type.Number(), code: Type.String(), message: Type.String() })),
            sessions: Type.Record(Type.String(), SessionView),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      study.assertOpen();
      const { valid, rejected } = checkBeats(req.body.beats);
      if (!valid.length) return { acks: [], rejected, sessions: {} };
      const answer = await study.ingest(req.user!, valid);
      return { ...answer, rejected: [...rejected, ...answer.rejected] };
    },
  );

  app.post(
    '/attention',
    {
      config: { access: ['any-user'] },
      schema: {
        tags: ['study'],
        summary: '随机签到 / answer an attention check',
        body: Type.Object({ playbackId: Type.String({ minLength: 8, maxLength: 64 }), checkId: Type.String({ minLength: 4, maxLength: 32 }) }),
        response: { 200: Type.Object({ accepted: Type.Boolean(), late: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req) => {
      study.assertOpen();
      return study.answerAttention(req.user!, req.body.playbackId, req.body.checkId);
    },
  );

  app.get(
    '/me',
    {
      config: { access: ['any-user'] },
      schema: { tags: ['study'], summary: '我的学习 / my study archive', querystring: Type.Object({ year: Type.Optional(Year) }) },
    },
    async (req) => service.myStudy(req.user!, req.query.year ?? thisYear()),
  );

  app.get('/selections', { config: { access: ['any-user'] }, schema: { tags: ['study'], summary: '我的选学 / my selections' } }, async (req) => ({ items: await service.selections(req.user!) }));

  app.post(
    '/selections',
    {
      config: { access: ['cadre'] },
      schema: {
        tags: ['study'],
        summary: '选学 / select a lecture or a topic',
        body: Type.Object({ lectureId: Type.Optional(Id), topic: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })), deadline: Type.Optional(Type.String({ format: 'date' })) }, { minProperties: 1 }),
      },
    },
    async (req, reply) => reply.code(201).send(await service.select(req.user!, req.body)),
  );

  app.delete(
    '/selections/:id',
    { config: { access: ['any-user'] }, schema: { tags: ['study'], summary: '取消选学 / drop a selection', params: Type.Object({ id: Type.String({ minLength: 3, maxLength: 200 }) }) } },
    async (req, reply) => {
      await service.drop(req.user!, req.params.id);
      return reply.code(204).send();
    },
  );

  app.get('/policies', { config: { access: ['any-user'] }, schema: { tags: ['study'], summary: '学时要求 / credit policies' } }, async () => ({
    items: [await study.creditPolicy('township'), await study.creditPolicy('county')],
  }));

  app.put(
    '/policies/:rank',
    { config: { access: ['orgAdmin'] }, schema: { tags: ['study'], summary: '修改学时要求 / set a credit policy', params: Type.Object({ rank: StringEnum(['township', 'county'] as const) }), body: PolicyBody } },
    async (req) => {
      const problem = policyProblem(req.body);
      if (problem) throw new AppError(400, 'POLICY_INCONSISTENT', problem.zh, problem.en, { field: problem.field });
      await study.setPolicy({ rank: req.params.rank, ...req.body });
      req.log.info({ rank: req.params.rank, by: String(req.user!._id) }, 'study.policies() | policy changed');
      return study.creditPolicy(req.params.rank);
    },
  );

  app.post(
    '/assignments',
    {
      config: { access: ['unitAdmin:own-units', 'orgAdmin'] },
      schema: {
        tags: ['study'],
        summary: '指定必修 / assign required lectures or topics to a unit',
        body: Type.Object({ unitId: Id, lectureId: Type.Optional(Id), topic: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })), year: Year, dueDate: Type.Optional(Type.String({ format: 'date' })) }),
      },
    },
    async (req, reply) => reply.code(201).send(await service.assign(req.user!, req.body)),
  );

  // 学时提醒: who is behind in the admin's scope, remind them (once a month), and what was sent.
  const scopeOf = async (actor: UserDoc, unitId: string | undefined) => {
    if (actor.role === 'orgAdmin' && !unitId) return undefined;
    const rootId = unitId ?? (actor.orgUnitId ? String(actor.orgUnitId) : undefined);
    if (!rootId) throw errors.forbidden();
    const root = await store.models.OrgUnit.findById(rootId, { name: 1 }).lean();
    if (!root) throw errors.notFound('组织', 'Unit');
    if (actor.role !== 'orgAdmin') {
      const own = actor.orgUnitId ? await org.subtree(actor.orgUnitId) : [];
      if (!own.some((id) => id.equals(root._id))) throw errors.forbidden();
    }
    return { unitId: root._id, unitName: root.name, units: await org.subtree(root._id) };
  };
  const remindAccess = { access: ['orgAdmin', 'unitAdmin:own-units'] } as const;
  const ScopeQuery = Type.Object({ unitId: Type.Optional(Id) });
  /** A run's name of the page's making, to read its progress while the run's request is open. */
  const ProgressKey = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });
  const progress = new ReminderProgressBoard();

  app.get(
    '/reminders/preview',
    {
      config: remindAccess,
      schema: {
        tags: ['study'],
        summary: '学时未达标名单 / cadres below the yearly requirement in the scope (what a reminder now would reach)',
        querystring: ScopeQuery,
        response: { 200: Type.Object({ checked: Type.Integer(), noticeId: Type.Union([Type.String(), Type.Null()]), recipients: Type.Array(Recipient) }), ...errorResponses },
      },
    },
    async (req) => app.reminders.preview(await scopeOf(req.user!, req.query.unitId)),
  );

  app.post(
    '/reminders/run',
    {
      config: remindAccess,
      schema: {
        tags: ['study'],
        summary: '立即发送学时提醒 / remind cadres behind on study hours now (a unit admin: their units; once a month each)',
        querystring: Type.Object({ unitId: Type.Optional(Id), progressKey: Type.Optional(ProgressKey) }),
        response: { 200: Type.Object({ checked: Type.Integer(), behind: Type.Integer(), reminded: Type.Integer(), noticeId: Type.Union([Type.String(), Type.Null()]), runId: Type.Optional(Type.String()) }), ...errorResponses },
      },
    },
    async (req) => {
      const user = req.user!;
      const key = req.query.progressKey;
      const onProgress = key ? progress.begin(String(user._id), key) : undefined;
      try {
        const result = await app.reminders.run({ by: { id: user._id, name: user.displayName || user.username }, scope: await scopeOf(user, req.query.unitId), onProgress });
        req.log.info({ by: String(user._id), unitId: req.query.unitId, reminded: result.reminded }, 'study.reminders() | reminders sent');
        return result;
      } finally {
        if (key) progress.end(String(user._id), key);
      }
    },
  );

  app.get(
    '/reminders/progress',
    {
      config: remindAccess,
      schema: {
        tags: ['study'],
        summary: '学时提醒发送进度 / how far the caller\'s reminder run (named by its progressKey) has got',
        querystring: Type.Object({ key: ProgressKey }),
        response: { 200: Type.Object({ done: Type.Integer(), total: Type.Union([Type.Integer(), Type.Null()]), finished: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req) => {
      const p = progress.get(String(req.user!._id), req.query.key);
      if (!p) throw errors.notFound('提醒进度', 'Reminder progress');
      return p;
    },
  );

  app.get(
    '/reminders',
    {
      config: remindAccess,
      schema: {
        tags: ['study'],
        summary: '学时提醒记录 / reminder runs and whom they reached (a unit admin: their cadres)',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }),
        response: { 200: Type.Object({ items: Type.Array(ReminderRunView) }), ...errorResponses },
      },
    },
    async (req) => {
      const actor = req.user!;
      const scope = actor.role === 'orgAdmin' ? null : actor.orgUnitId ? await org.subtree(actor.orgUnitId) : [];
      return { items: await app.reminders.runs(scope, req.query.limit) };
    },
  );

  const flagReview = new FlagReviewService(store.models, org);

  app.get(
    '/flags',
    {
      config: { access: ['orgAdmin', 'unitAdmin:own-units'] },
      schema: {
        tags: ['study'],
        summary: '可疑学习记录 / suspicious patterns: open (not yet reviewed), reviewed or all',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }), state: Type.Optional(StringEnum(['open', 'reviewed', 'all'] as const)) }),
        response: { 200: Type.Object({ items: Type.Array(FlagSchema) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await flagReview.list(req.user!, req.query.limit, req.query.state ?? 'all') }),
  );

  app.post(
    '/flags/:id/review',
    {
      config: { access: ['orgAdmin', 'unitAdmin:own-units'] },
      schema: {
        tags: ['study'],
        summary: '标记已处理 / mark a flag reviewed with a note (once; a unit admin only their units\' flags)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'what was found or done, 1-500 characters' }) }),
        response: { 200: FlagSchema, ...errorResponses },
      },
    },
    async (req) => flagReview.review(req.user!, req.params.id, req.body.note),
  );

  // xAPI: the export and the delivery to an LRS (server/modules/xapi), same URLs as before.
  await app.register(xapiRoutes, { prefix: '/xapi' });
};
