/**
 * Live-room signaling over socket.io (the session cookie authenticated the socket). Every request
 * has an ack: `{ ok: true, ...data }` or `{ error: { code, message, messageEn } }`; payloads are
 * validated. A socket is in at most one live lecture; its peer id is the socket id, so a page
 * that reloads or reconnects simply joins again and sets its media up anew (the room keeps no
 * state a refresh would lose). Broadcasts to the room `live:<lectureId>`:
 * live:peers, live:chat, live:questions, live:producer-added/-closed/-paused/-resumed,
 * live:state, live:rebuild; to one peer: live:stage (brought on / taken off stage),
 * live:muted, live:removed.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'socket.io';
import { LiveRoomError } from '../../../media';
import { AppError } from '../../errors';
import { forbiddenAck, mayEmit, type SocketEvent } from '../../plugins/app/access';
import { canEdit, canView } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import type { UserDoc } from '../users/user.model';
import { LiveSessionError } from './live-session';
import type { LiveEntry, LiveService } from './live.service';

type ErrorBody = { code: string; message: string; messageEn: string };
type Ack = (res: ({ ok: true } & Record<string, unknown>) | { error: ErrorBody }) => void;

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
const Str = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Obj = Type.Object({}, { additionalProperties: true });
const S = {
  join: Type.Object({ lectureId: Id, playbackId: Type.Optional(Str(64)) }),
  transport: Type.Object({ direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]) }),
  connect: Type.Object({ transportId: Str(64), dtlsParameters: Obj }),
  restartIce: Type.Object({ transportId: Str(64) }),
  produce: Type.Object({ transportId: Str(64), kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]), rtpParameters: Obj, source: Type.Union([Type.Literal('camera'), Type.Literal('mic'), Type.Literal('screen')]) }),
  consume: Type.Object({ transportId: Str(64), producerId: Str(64), rtpCapabilities: Obj }),
  consumer: Type.Object({ consumerId: Str(64) }),
  layers: Type.Object({ consumerId: Str(64), spatialLayer: Type.Integer({ minimum: 0, maximum: 2 }), temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })) }),
  producer: Type.Object({ producerId: Str(64) }),
  text: Type.Object({ text: Str(500) }),
  question: Type.Object({ questionId: Str(32) }),
  hand: Type.Object({ raised: Type.Boolean() }),
  peer: Type.Object({ peerId: Str(64) }),
  stage: Type.Object({ peerId: Str(64), onStage: Type.Boolean() }),
  empty: Type.Object({}),
};

const invalid = (detail: string): ErrorBody => ({ code: 'VALIDATION_ERROR', message: '请求数据不正确', messageEn: `Invalid payload: ${detail}` });
const notInRoom: ErrorBody = { code: 'NOT_IN_ROOM', message: '请先进入直播间', messageEn: 'Join the live lecture first' };

function toError(err: unknown): ErrorBody | null {
  if (err instanceof LiveSessionError || err instanceof AppError) return { code: err.code, message: err.message, messageEn: err.messageEn };
  if (err instanceof LiveRoomError) return { code: `ROOM_${err.code.toUpperCase().replace(/-/g, '_')}`, message: '直播媒体操作失败', messageEn: `Media request failed: ${err.message}` };
  return null;
}

export function registerLiveSocket(app: FastifyInstance, live: LiveService) {
  const { models } = app.store;

  app.io.on('connection', (socket: Socket) => {
    const peerId = socket.id;
    let current: LiveEntry | null = null;
    let user: UserDoc | null = null;

    /** Registers a handler with the emitter check (plugins/app/access.ts), validation, the room check and error mapping. */
    function on<T extends TSchema>(event: SocketEvent, schema: T, handler: (payload: Static<T>, e: LiveEntry) => Promise<Record<string, unknown> | void>, opts: { needsRoom?: boolean } = {}) {
      socket.on(event, async (payload: unknown, ack?: Ack) => {
        const reply: Ack = typeof ack === 'function' ? ack : () => {};
        if (!mayEmit(event, socket.data.user as { role: string } | undefined, current ? { host: current.session.isHost(peerId) } : undefined)) return reply(forbiddenAck);
        const body = payload ?? {};
        if (!Value.Check(schema, body)) {
          const first = [...Value.Errors(schema, body)][0];
          return reply({ error: invalid(first ? `${first.instancePath || '/'} ${first.message}` : event) });
        }
        if (opts.needsRoom !== false && !current) return reply({ error: notInRoom });
        try {
          const out = await handler(body as Static<T>, current!);
          reply({ ok: true, ...(out ?? {}) });
        } catch (err) {
          const mapped = toError(err);
          if (!mapped) app.log.warn({ err, event, peerId }, 'live.socket | request failed');
          reply({ error: mapped ?? { code: 'INTERNAL', message: '服务器内部错误', messageEn: 'Internal error' } });
        }
      });
    }

    async function leave() {
      const e = current;
      if (!e) return;
      current = null;
      e.session.leave(peerId);
      e.delivery.delete(peerId);
      e.room?.removePeer(peerId);
      await socket.leave(`live:${e.lectureId}`);
      live.peersChanged(e);
    }

    on(
      'live:join',
      S.join,
      async ({ lectureId, playbackId }) => {
        await leave();
        // Terminal stations (server/modules/stations): a kiosk socket (station cookie, no user)
        // joins, as a viewer, only live lectures scheduled to its station now.
        const station = socket.data.station as { id: string; name: string } | undefined;
        let who: { userId: string; name: string; host: boolean };
        // At a forum's start hundreds join at once: the lecture and the user are read together,
        // and the viewer's units only when the lecture is not open to the whole county.
        const [lecture, joiner] = await Promise.all([
          models.Lecture.findById(lectureId).lean<LectureDoc>(),
          station ? null : models.User.findById(socket.data.user?.id).lean<UserDoc>(),
        ]);
        if (station) {
          if (!lecture || lecture.kind !== 'live') throw new AppError(404, 'NOT_FOUND', '直播讲座不存在', 'No such live lecture');
          if (!app.stations.attendance.mayJoinLive(station.id, lectureId)) throw new AppError(403, 'FORBIDDEN', '本站点课表中没有正在进行的这场直播', 'This live lecture is not on at this station now');
          who = { userId: `station:${station.id}`, name: station.name, host: false };
        } else {
          user = joiner;
          if (!user || user.disabled) throw new AppError(401, 'UNAUTHENTICATED', '请先登录', 'Please log in first');
          if (!lecture || lecture.kind !== 'live') throw new AppError(404, 'NOT_FOUND', '直播讲座不存在', 'No such live lecture');
          const host = canEdit(user, lecture);
          const countyWide = !(lecture.audienceUnitIds ?? []).length;
          if (!host && !canView(user, lecture, countyWide ? [] : await app.catalog.viewerUnits(user))) throw new AppError(403, 'FORBIDDEN', '您不在此讲座的受众范围内', 'This lecture is not open to you');
          who = { userId: String(user._id), name: user.displayName, host };
        }
        const e = await live.entry(lecture);
        const me = e.session.join({ peerId, userId: who.userId, name: who.name, role: who.host ? 'host' : 'viewer' });
        current = e;
        await socket.join(`live:${lectureId}`);
        if (playbackId) live.trackDelivery(e, peerId, playbackId);
        live.peersChanged(e);
        const ended = e.state.state === 'ended';
        const room = ended ? null : await live.room(e);
        return {
          you: me,
          state: e.state,
          serverNow: Date.now(),
          rtpCapabilities: room?.rtpCapabilities ?? null,
          producers: room?.producers() ?? [],
          peers: e.session.list(),
          chat: e.session.chat,
          questions: e.session.questionList(),
          title: lecture.title,
          lecturer: lecture.lecturer ?? '',
          scheduledAt: lecture.live?.scheduledAt ? new Date(lecture.live.scheduledAt).toISOString() : null,
        };
      },
      { needsRoom: false },
    );

    on('live:track', Type.Object({ playbackId: Str(64) }), async ({ playbackId }, e) => {
      live.trackDelivery(e, peerId, playbackId);
    });

    on('live:leave', S.empty, async () => {
      await leave();
    });

    const roomOf = async (e: LiveEntry) => {
      if (e.state.state === 'ended') throw new LiveSessionError('NOT_FOUND', '直播已结束', 'The live lecture has ended');
      return live.room(e);
    };

    on('live:transport:create', S.transport, async ({ direction }, e) => {
      if (direction === 'send' && !e.session.mayProduce(peerId)) throw new LiveSessionError('FORBIDDEN', '请等待主讲人邀请上台', 'Wait for the host to bring you on stage');
      return { transport: await (await roomOf(e)).createWebRtcTransport(peerId, direction) };
    });
    on('live:transport:connect', S.connect, async ({ transportId, dtlsParameters }, e) => {
      await (await roomOf(e)).connectTransport(peerId, transportId, dtlsParameters as never);
    });
    on('live:transport:restart-ice', S.restartIce, async ({ transportId }, e) => ({ iceParameters: await (await roomOf(e)).restartIce(peerId, transportId) }));
    on('live:produce', S.produce, async ({ transportId, kind, rtpParameters, source }, e) => {
      if (!e.session.mayProduce(peerId)) throw new LiveSessionError('FORBIDDEN', '请等待主讲人邀请上台', 'Wait for the host to bring you on stage');
      const producer = await (await roomOf(e)).produce(peerId, transportId, { kind, rtpParameters: rtpParameters as never, source });
      return { producer };
    });
    on('live:consume', S.consume, async ({ transportId, producerId, rtpCapabilities }, e) => ({
      consumer: await (await roomOf(e)).consume(peerId, transportId, producerId, rtpCapabilities as never),
    }));
    on('live:consumer:resume', S.consumer, async ({ consumerId }, e) => {
      await (await roomOf(e)).resumeConsumer(peerId, consumerId);
    });
    on('live:consumer:layers', S.layers, async ({ consumerId, spatialLayer, temporalLayer }, e) => {
      await (await roomOf(e)).setConsumerPreferredLayers(peerId, consumerId, { spatialLayer, temporalLayer });
    });
    on('live:producer:pause', S.producer, async ({ producerId }, e) => {
      await (await roomOf(e)).pauseProducer(peerId, producerId);
    });
    on('live:producer:resume', S.producer, async ({ producerId }, e) => {
      await (await roomOf(e)).resumeProducer(peerId, producerId);
    });
    on('live:producer:close', S.producer, async ({ producerId }, e) => {
      (await roomOf(e)).closeProducer(peerId, producerId);
    });

    on('live:start', S.empty, async (_p, e) => ({ state: await live.start(e, peerId) }));
    on('live:end', S.empty, async (_p, e) => ({ state: await live.end(e, peerId) }));

    on('live:chat', S.text, async ({ text }, e) => {
      const msg = e.session.say(peerId, text, Date.now());
      live.emit(e, 'live:chat', msg);
      return { message: msg };
    });
    on('live:question:ask', S.text, async ({ text }, e) => {
      const q = e.session.ask(peerId, text, Date.now());
      live.emit(e, 'live:questions', e.session.questionList());
      return { question: q };
    });
    on('live:question:upvote', S.question, async ({ questionId }, e) => {
      e.session.upvote(peerId, questionId);
      live.emit(e, 'live:questions', e.session.questionList());
    });
    on('live:question:answer', S.question, async ({ questionId }, e) => {
      e.session.answer(peerId, questionId);
      live.emit(e, 'live:questions', e.session.questionList());
    });
    on('live:hand', S.hand, async ({ raised }, e) => {
      e.session.raiseHand(peerId, raised);
      live.emit(e, 'live:peers', e.session.list());
    });
    on('live:stage', S.stage, async ({ peerId: target, onStage }, e) => {
      e.session.setStage(peerId, target, onStage);
      if (!onStage) {
        // Off stage: their published media stops for everyone.
        const room = e.room;
        for (const p of room?.producers() ?? []) if (p.peerId === target) room!.closeProducer(target, p.id);
      }
      app.io.to(target).emit('live:stage', { onStage });
      live.emit(e, 'live:peers', e.session.list());
    });
    on('live:mute', S.peer, async ({ peerId: target }, e) => {
      e.session.assertHost(peerId);
      const room = e.room;
      for (const p of room?.producers() ?? []) if (p.peerId === target && p.kind === 'audio') await room!.pauseProducer(target, p.id);
      app.io.to(target).emit('live:muted', {});
    });
    on('live:remove', S.peer, async ({ peerId: target }, e) => {
      e.session.remove(peerId, target);
      e.room?.removePeer(target);
      e.delivery.delete(target);
      const sock = app.io.sockets.sockets.get(target);
      sock?.emit('live:removed', {});
      await sock?.leave(`live:${e.lectureId}`);
      live.peersChanged(e);
    });

    socket.on('disconnect', () => {
      void leave();
    });
  });
}
