/**
 * /api/live: the state of a live lecture for pages that are not in its room (the catalog, a
 * lecture page deciding between the room and the replay, station kiosks later).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ObjectIdParam, StringEnum, errorResponses } from '../../schemas';
import { AppError } from '../../errors';

export const liveRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:id',
    {
      config: { access: ['any-user'] },
      schema: {
        tags: ['live'],
        summary: '直播状态 / state of a live lecture',
        params: ObjectIdParam,
        response: {
          200: Type.Object({
            state: StringEnum(['scheduled', 'live', 'ended'] as const),
            scheduledAt: Type.Optional(Type.String()),
            startedAt: Type.Optional(Type.String()),
            participants: Type.Integer(),
            hlsReady: Type.Boolean(),
            replayLectureId: Type.Optional(Type.String()),
            replayReady: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const lecture = await app.catalog.loadViewable(req.user!, req.params.id);
      if (lecture.kind !== 'live') throw new AppError(404, 'NOT_FOUND', '直播讲座不存在', 'No such live lecture');
      const e = app.live.get(req.params.id);
      const state = e?.state.state ?? lecture.live?.state ?? 'scheduled';
      const replayLectureId = e?.state.replayLectureId ?? (lecture.live?.replayLectureId ? String(lecture.live.replayLectureId) : undefined);
      return {
        state,
        scheduledAt: lecture.live?.scheduledAt ? new Date(lecture.live.scheduledAt).toISOString() : undefined,
        startedAt: lecture.live?.startedAt ? new Date(lecture.live.startedAt).toISOString() : undefined,
        participants: e?.session.peers.size ?? 0,
        hlsReady: Boolean(e?.state.hls?.ready ?? (state === 'ended' && lecture.media?.master)),
        replayLectureId,
        // Read from the replay itself, not the room's memory: a page polls this until the replay can be watched.
        replayReady: await app.live.replayReady(replayLectureId),
      };
    },
  );
};
