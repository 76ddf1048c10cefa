/**
 * /api/lectures: the catalog (课程目录). A cadre sees published lectures whose audience is empty
 * (everyone) or includes its unit or a unit above it. Search, filters and editing come with the
 * recorded-lectures work.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StringEnum, errorResponses } from '../../schemas';
import { lectureCategories, lectureKinds } from './lecture.model';

const Lecture = Type.Object({
  id: Type.String(),
  title: Type.String(),
  summary: Type.String(),
  lecturer: Type.String(),
  institution: Type.String(),
  category: StringEnum(lectureCategories),
  topic: Type.String(),
  kind: StringEnum(lectureKinds),
  required: Type.Boolean(),
  durationSec: Type.Number(),
  creditHours: Type.Number(),
  coverUrl: Type.Optional(Type.String()),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { Lecture: Lectures, OrgUnit } = app.store.models;

  app.get(
    '/',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['catalog'],
        summary: '课程目录 / lecture catalog',
        querystring: Type.Object({
          page: Type.Integer({ minimum: 1, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 24 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(Lecture), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() }), ...errorResponses },
      },
    },
    async (req) => {
      const { page, pageSize } = req.query;
      const filter: Record<string, unknown> = { state: 'published' };
      const user = req.user!;
      if (user.role === 'cadre' || user.role === 'station') {
        const unit = user.orgUnitId ? await OrgUnit.findById(user.orgUnitId, { ancestors: 1 }).lean() : null;
        const units = unit ? [unit._id, ...unit.ancestors] : [];
        filter.$or = [{ audienceUnitIds: { $size: 0 } }, { audienceUnitIds: { $in: units } }];
      }
      const [rows, total] = await Promise.all([
        Lectures.find(filter).sort({ publishedAt: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize).lean(),
        Lectures.countDocuments(filter),
      ]);
      return {
        items: rows.map((l) => ({
          id: String(l._id),
          title: l.title,
          summary: l.summary ?? '',
          lecturer: l.lecturer ?? '',
          institution: l.institution ?? '',
          category: l.category,
          topic: l.topic ?? '',
          kind: l.kind ?? 'recorded',
          required: l.required ?? false,
          durationSec: l.durationSec ?? 0,
          creditHours: l.creditHours ?? 0,
          coverUrl: l.coverPath ? `/media/covers/${String(l._id)}` : undefined,
        })),
        total,
        page,
        pageSize,
      };
    },
  );
};
export default routes;
