/**
 * /api/study: heartbeats, my study archive (学习档案), self-selection (选学), credit policies,
 * assignments of required lectures, suspicious-pattern flags and the xAPI export.
 * /api/reports: the unit admin's member table, as JSON, Excel and CSV.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { errorResponses, StringEnum } from '../../schemas';
import { OrgService } from '../org/org.service';
import { StudyService } from './study.service';
import { BeatBatchSchema, checkBeats } from './schemas';

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
const Member = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  rank: StringEnum(['township', 'county'] as const),
  requiredHours: Type.Number(),
  earned: Type.Number(),
  requiredEarned: Type.Number(),
  electiveEarned: Type.Number(),
  percent: Type.Number(),
  behind: Type.Boolean(),
});

export const studyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { study, catalog, store } = app;
  const service = new StudyService(store.models, study, catalog, new OrgService(store.models), app.calendar);
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
      await study.setPolicy({ rank: req.params.rank, ...req.body });
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

  app.post(
    '/reminders/run',
    {
      config: { access: ['orgAdmin'] },
      schema: {
        tags: ['study'],
        summary: '立即发送学时提醒 / remind cadres behind on study hours now (once a month from October)',
        response: { 200: Type.Object({ checked: Type.Integer(), behind: Type.Integer(), reminded: Type.Integer(), noticeId: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async () => app.reminders.run(),
  );

  app.get(
    '/flags',
    { config: { access: ['orgAdmin', 'unitAdmin:own-units'] }, schema: { tags: ['study'], summary: '可疑学习记录 / suspicious patterns', querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) }) } },
    async (req) => ({ items: await service.flags(req.user!, req.query.limit) }),
  );

  app.get(
    '/xapi',
    { config: { access: ['orgAdmin'] }, schema: { tags: ['study'], summary: 'xAPI 学习记录导出 / export xAPI statements', querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100000, default: 10000 }) }) } },
    async (req, reply) => {
      const rows = await store.models.Xapi.find({}).limit(req.query.limit).lean();
      return reply.header('content-disposition', 'attachment; filename="xapi-statements.json"').send(rows.map((r) => JSON.parse(r.json) as unknown));
    },
  );
};

export const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { study, catalog, store } = app;
  const service = new StudyService(store.models, study, catalog, new OrgService(store.models), app.calendar);
  const thisYear = () => app.calendar.year(Date.now());
  // A unit admin reads their unit subtree only (StudyService.unitMembers refuses other units).
  const admins = { access: ['unitAdmin:own-units', 'orgAdmin'] } as const;
  const params = Type.Object({ unitId: Id });
  const query = Type.Object({ year: Type.Optional(Year) });
  const header = ['用户名 Username', '姓名 Name', '职级 Rank', '要求学时 Required', '已获学时 Earned', '必修 Required part', '选修 Elective', '完成率 % Percent', '未达标 Behind'];
  const rowOf = (m: { username: string; displayName: string; rank: string; requiredHours: number; earned: number; requiredEarned: number; electiveEarned: number; percent: number; behind: boolean }) => [
    m.username, m.displayName, m.rank === 'county' ? '县处级及以上' : '乡科级及以下', m.requiredHours, m.earned, m.requiredEarned, m.electiveEarned, m.percent, m.behind ? '是' : '否',
  ];

  app.get(
    '/units/:unitId/members',
    { config: admins, schema: { tags: ['reports'], summary: '单位学习统计 / unit members and credits', params, querystring: query, response: { 200: Type.Object({ unit: Type.Object({ id: Type.String(), name: Type.String() }), year: Type.Integer(), items: Type.Array(Member) }), ...errorResponses } } },
    async (req) => service.unitMembers(req.user!, req.params.unitId, req.query.year ?? thisYear()),
  );

  app.get('/units/:unitId/members.csv', { config: admins, schema: { tags: ['reports'], summary: 'CSV export', params, querystring: query } }, async (req, reply) => {
    const r = await service.unitMembers(req.user!, req.params.unitId, req.query.year ?? thisYear());
    const csv = '\ufeff' + stringify([header, ...r.items.map(rowOf)]);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="members-${r.year}.csv"; filename*=UTF-8''${encodeURIComponent(`${r.unit.name}-${r.year}学时统计.csv`)}`)
      .send(csv);
  });

  app.get('/units/:unitId/members.xlsx', { config: admins, schema: { tags: ['reports'], summary: 'Excel export', params, querystring: query } }, async (req, reply) => {
    const r = await service.unitMembers(req.user!, req.params.unitId, req.query.year ?? thisYear());
    const wb = new ExcelJS.Workbook();
    wb.creator = '干部远程教育与自主选学平台';
    const ws = wb.addWorksheet(`${r.year}学时`);
    ws.addRow([`${r.unit.name} ${r.year} 年度干部学时统计`]);
    ws.addRow(header).font = { bold: true };
    r.items.forEach((m) => ws.addRow(rowOf(m)));
    ws.columns.forEach((c) => (c.width = 16));
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    return reply
      .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="members-${r.year}.xlsx"; filename*=UTF-8''${encodeURIComponent(`${r.unit.name}-${r.year}学时统计.xlsx`)}`)
      .send(buf);
  });
};
