/** /api/notices: the signed-in user's notices (消息), newest first, and marking them read. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../schemas';

const NoticeView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  at: Type.String(),
  title: Type.String(),
  titleEn: Type.String(),
  body: Type.String(),
  bodyEn: Type.String(),
  link: Type.Optional(Type.String()),
  read: Type.Boolean(),
});

export const noticeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { notices } = app;
  app.get(
    '/',
    { config: { access: ['any-user'] }, schema: { tags: ['notices'], summary: '我的消息 / my notices', response: { 200: Type.Object({ items: Type.Array(NoticeView), unread: Type.Integer() }), ...errorResponses } } },
    async (req) => {
      const r = await notices.list(String(req.user!._id));
      return { unread: r.unread, items: r.items.map((n) => ({ ...n, at: new Date(n.at).toISOString() })) };
    },
  );
  app.post(
    '/read',
    {
      config: { access: ['any-user'] },
      schema: {
        tags: ['notices'],
        summary: '标记已读 / mark notices read (all when no ids are given)',
        body: Type.Object({ ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 80 }), { maxItems: 100 })) }),
        response: { 200: Type.Object({ unread: Type.Integer() }), ...errorResponses },
      },
    },
    async (req) => {
      await notices.markRead(String(req.user!._id), req.body.ids);
      return { unread: (await notices.list(String(req.user!._id))).unread };
    },
  );
};
