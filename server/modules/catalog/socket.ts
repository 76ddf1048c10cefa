/**
 * Socket events of the catalog: an editor watches a lecture's processing progress.
 * `lecture:watch` { lectureId } joins the room `lecture:<id>` (editors only); the server then
 * emits `lecture:processing` events there. Payloads are validated at run time; acks answer
 * `{ ok: true }` or `{ error: { code, message, messageEn } }`.
 */
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { FastifyInstance } from 'fastify';
import type { UserDoc } from '../users/user.model';
import { forbiddenAck, mayEmit } from '../../plugins/app/access';
import { canEdit } from './catalog.service';

const WatchPayload = Type.Object({ lectureId: Type.String({ pattern: '^[0-9a-fA-F]{24}$' }) });
type Ack = (res: { ok: true } | { error: { code: string; message: string; messageEn: string } }) => void;

export function registerCatalogSocket(app: FastifyInstance) {
  app.io.on('connection', (socket) => {
    socket.on('lecture:watch', async (payload: unknown, ack?: Ack) => {
      const reply: Ack = typeof ack === 'function' ? ack : () => {};
      if (!mayEmit('lecture:watch', socket.data.user as { role: string } | undefined)) return reply(forbiddenAck);
      if (!Value.Check(WatchPayload, payload)) {
        return reply({ error: { code: 'VALIDATION_ERROR', message: '请求数据不正确', messageEn: 'Invalid payload: { lectureId } expected' } });
      }
      try {
        const user = await app.store.models.User.findById(socket.data.user?.id).lean<UserDoc>();
        const lecture = await app.store.models.Lecture.findById(payload.lectureId, { createdBy: 1 }).lean();
        if (!user || !lecture || !canEdit(user, lecture)) {
          return reply({ error: { code: 'FORBIDDEN', message: '没有权限查看此课程的处理进度', messageEn: 'You may not watch this lecture' } });
        }
        await socket.join(`lecture:${payload.lectureId}`);
        reply({ ok: true });
      } catch (err) {
        app.log.warn({ err, socketId: socket.id }, 'catalog.socket | lecture:watch failed');
        reply({ error: { code: 'INTERNAL', message: '服务器内部错误', messageEn: 'Internal error' } });
      }
    });
    socket.on('lecture:unwatch', (payload: unknown) => {
      if (mayEmit('lecture:unwatch', socket.data.user as { role: string } | undefined) && Value.Check(WatchPayload, payload)) void socket.leave(`lecture:${payload.lectureId}`);
    });
  });
}
