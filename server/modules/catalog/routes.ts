/** /api/lectures: the catalog (课程目录) for everyone logged in, and lecture editing for lecturers and admins. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ObjectIdParam, StringEnum, errorResponses } from '../../schemas';
import { toAdminView } from './catalog.service';
import { lectureCategories, lectureKinds, lectureStates, processingStates } from './lecture.model';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
const Card = {
  id: Type.String(),
  title: Type.String(),
  summary: Type.String(),
  lecturer: Type.String(),
  institution: Type.String(),
  category: StringEnum(lectureCategories),
  topic: Type.String(),
  tags: Type.Array(Type.String()),
  kind: StringEnum(lectureKinds),
  required: Type.Boolean(),
  attentionChecks: Type.Optional(Type.Boolean()),
  durationSec: Type.Number(),
  creditHours: Type.Number(),
  coverUrl: Type.Optional(Type.String()),
  watchCount: Type.Integer(),
  publishedAt: Type.Optional(Type.String()),
  seatLimit: Type.Optional(Type.Integer()),
  seatsTaken: Type.Optional(Type.Integer()),
  selected: Type.Optional(Type.Boolean()),
  live: Type.Optional(
    Type.Object({
      scheduledAt: Type.Optional(Type.String()),
      state: StringEnum(['scheduled', 'live', 'ended'] as const),
      startedAt: Type.Optional(Type.String()),
      endedAt: Type.Optional(Type.String()),
      replayLectureId: Type.Optional(Type.String()),
    }),
  ),
  replayOf: Type.Optional(Type.String()),
  higherRungsPending: Type.Optional(Type.Boolean()),
  stillEncoding: Type.Optional(Type.Boolean()),
};
const LectureCard = Type.Object(Card);
const ErrorInfo = Type.Object({ code: Type.String(), message: Type.String(), messageEn: Type.String() });
const LectureAdmin = Type.Object({
  ...Card,
  state: StringEnum(lectureStates),
  audienceUnitIds: Type.Array(Type.String()),
  processing: Type.Object({
    state: StringEnum(processingStates),
    percent: Type.Number(),
    etaSec: Type.Optional(Type.Number()),
    stage: Type.Optional(Type.String()),
    attempts: Type.Optional(Type.Integer()),
    error: Type.Optional(ErrorInfo),
  }),
  createdAt: Type.String(),
  renditions: Type.Optional(Type.Array(Type.String())),
  pendingRungs: Type.Optional(Type.Array(Type.String())),
  growingRungs: Type.Optional(Type.Array(Type.String())),
});
const editable = {
  summary: Type.Optional(Type.String({ maxLength: 4000 })),
  lecturer: Type.Optional(Type.String({ maxLength: 60 })),
  institution: Type.Optional(Type.String({ maxLength: 80 })),
  topic: Type.Optional(Type.String({ maxLength: 80 })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 30 }), { maxItems: 20 })),
  creditHours: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  required: Type.Optional(Type.Boolean()),
  attentionChecks: Type.Optional(Type.Boolean()),
  audienceUnitIds: Type.Optional(Type.Array(Id, { maxItems: 500 })),
  seatLimit: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100000 }), Type.Null()])),
  scheduledAt: Type.Optional(Type.String({ format: 'date-time' })),
};
const Title = Type.String({ minLength: 1, maxLength: 120 });
const Category = StringEnum(lectureCategories);

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { catalog } = app;
  // Lecturers edit their own lectures (canEdit in catalog.service.ts); admins edit all.
  const editors = { access: ['lecturer:own', 'unitAdmin', 'orgAdmin'] } as const;
  const authors = { access: ['lecturer', 'unitAdmin', 'orgAdmin'] } as const;

  app.get(
    '/',
    {
      config: { access: ['any-user'] },
      schema: {
        tags: ['catalog'],
        summary: '课程目录:筛选、搜索、排序 / browse, filter, search the catalog',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 60 })),
          category: Type.Optional(Category),
          topic: Type.Optional(Type.String({ maxLength: 80 })),
          institution: Type.Optional(Type.String({ maxLength: 80 })),
          lecturer: Type.Optional(Type.String({ maxLength: 60 })),
          required: Type.Optional(Type.Boolean()),
          kind: Type.Optional(StringEnum(lectureKinds)),
          sort: Type.Optional(StringEnum(['newest', 'popular'] as const)),
          page: Type.Integer({ minimum: 1, maximum: 10000, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 24 }),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(LectureCard),
            total: Type.Integer(),
            page: Type.Integer(),
            pageSize: Type.Integer(),
            facets: Type.Object({ topics: Type.Array(Type.String()), institutions: Type.Array(Type.String()), lecturers: Type.Array(Type.String()) }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const res = await catalog.browse(req.user!, req.query);
      return { ...res, page: req.query.page, pageSize: req.query.pageSize };
    },
  );

  app.get('/mine', { config: authors, schema: { tags: ['catalog'], summary: '我的课程 / lectures I manage', response: { 200: Type.Object({ items: Type.Array(LectureAdmin) }), ...errorResponses } } }, async (req) => ({
    items: await catalog.mine(req.user!),
  }));

  app.post(
    '/',
    { config: authors, schema: { tags: ['catalog'], summary: '新建课程 / create a lecture', body: Type.Object({ title: Title, category: Category, kind: Type.Optional(StringEnum(lectureKinds)), ...editable }), response: { 201: LectureAdmin, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await catalog.create(req.user!, req.body)),
  );

  app.get('/:id', { config: { access: ['any-user'] }, schema: { tags: ['catalog'], summary: '课程详情 / a lecture', params: ObjectIdParam, response: { 200: LectureAdmin, ...errorResponses } } }, async (req) => {
    return toAdminView(await catalog.loadViewable(req.user!, req.params.id));
  });

  app.patch(
    '/:id',
    {
      config: editors,
      schema: {
        tags: ['catalog'],
        summary: '修改课程 / edit a lecture',
        params: ObjectIdParam,
        body: Type.Object({ title: Type.Optional(Title), category: Type.Optional(Category), ...editable }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: LectureAdmin, ...errorResponses },
      },
    },
    async (req) => catalog.update(req.user!, req.params.id, req.body),
  );

  app.post('/:id/publish', { config: editors, schema: { tags: ['catalog'], summary: '发布 / publish', params: ObjectIdParam, response: { 200: LectureAdmin, ...errorResponses } } }, async (req) =>
    catalog.publish(req.user!, req.params.id),
  );
  app.post('/:id/withdraw', { config: editors, schema: { tags: ['catalog'], summary: '下架 / withdraw', params: ObjectIdParam, response: { 200: LectureAdmin, ...errorResponses } } }, async (req) =>
    catalog.withdraw(req.user!, req.params.id),
  );

  app.put(
    '/:id/subtitles/:lang',
    {
      config: editors,
      schema: {
        tags: ['catalog'],
        summary: '上传字幕 (WebVTT) / attach WebVTT subtitles',
        params: Type.Object({ id: Id, lang: Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z]{2,4})?$' }) }),
        body: Type.Object({ label: Type.String({ minLength: 1, maxLength: 30 }), vtt: Type.String({ minLength: 6, maxLength: 2_000_000, pattern: '^\\uFEFF?WEBVTT' }) }),
        response: { 200: LectureAdmin, ...errorResponses },
      },
    },
    async (req) => catalog.attachSubtitles(req.user!, req.params.id, req.params.lang, req.body.label, req.body.vtt, app.storage),
  );
};
export default routes;
