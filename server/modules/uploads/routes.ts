/**
 * /api/uploads: resumable uploads (tus 1.0, @tus/server with a file store under DATA_DIR/uploads).
 * Only editors of the lecture named in the upload metadata may upload. When the last byte
 * arrives the file is checked with ffprobe before any work: a file that is not playable media
 * is deleted and the upload answered 422 with the reason; a valid one moves into storage,
 * becomes the lecture's source and a `transcode` job is queued.
 * An upload belongs to the user who created it (its `userId` metadata, set by this server in the
 * upload's info file when it is created, never taken from the client): anyone else's HEAD, PATCH,
 * DELETE or GET of it is answered exactly as for an upload that does not exist (404), except that
 * an org admin may DELETE any upload.
 */
import { extname } from 'node:path';
import { rm } from 'node:fs/promises';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ERRORS, Server as TusServer, type Upload } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { ProbeError, probeMedia } from '../../../media';
import type { UserDoc } from '../users/user.model';
import { canEdit, writeLecture } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';

// Headers only this server sets (copies sent by clients are dropped in `handle`).
const USER_HEADER = 'x-portal-user-id';
const ROLE_HEADER = 'x-portal-user-role';
const SERVER_HEADERS = new Set([USER_HEADER, ROLE_HEADER]);

const tusError = (status: number, code: string, message: string, messageEn: string, details?: unknown) => ({
  status_code: status,
  body: JSON.stringify({ error: { code, message, messageEn, details } }),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, store } = app;
  const { Lecture, User } = store.models;

  const userOf = async (req: Request): Promise<UserDoc> => {
    const id = req.headers.get(USER_HEADER);
    const user = id ? await User.findById(id).lean<UserDoc>() : null;
    if (!user) throw tusError(401, 'UNAUTHENTICATED', '请先登录', 'Please log in first');
    return user;
  };

  const editableLecture = async (user: UserDoc, lectureId: string | undefined | null) => {
    if (!lectureId || !/^[0-9a-f]{24}$/i.test(lectureId)) throw tusError(400, 'VALIDATION_ERROR', '上传缺少课程编号', 'The upload must name its lecture (metadata lectureId)');
    const lecture = await Lecture.findById(lectureId).lean<LectureDoc>();
    if (!lecture) throw tusError(404, 'NOT_FOUND', '课程不存在', 'Lecture not found');
    if (!canEdit(user, lecture)) throw tusError(403, 'FORBIDDEN', '没有权限上传到此课程', 'You may not upload to this lecture');
    return lecture;
  };

  const datastore = new FileStore({ directory: config.media.uploadDir });
  const tus = new TusServer({
    path: '/api/uploads',
    datastore,
    maxSize: config.media.uploadMaxBytes,
    respectForwardedHeaders: Boolean(config.server.publicUrl),
    // Same origin only: no CORS headers for anyone (tus answers `*` by default).
    allowedOrigins: [],
    // Every request that names an upload (HEAD, PATCH, DELETE, GET): only its owner sees it.
    async onIncomingRequest(req, id) {
      if (req.method === 'POST') return; // creating: the id is new, the owner is set below
      const userId = req.headers.get(USER_HEADER);
      if (req.method === 'DELETE' && req.headers.get(ROLE_HEADER) === 'orgAdmin') return;
      const owner = await datastore.getUpload(id).then(
        (u) => u.metadata?.userId,
        () => undefined,
      );
      // The same answer as tus gives for an unknown id: another's upload is not there for you.
      if (!userId || owner !== userId) throw ERRORS.FILE_NOT_FOUND;
    },
    async onUploadCreate(req, upload) {
      const user = await userOf(req);
      await editableLecture(user, upload.metadata?.lectureId);
      return { metadata: { ...upload.metadata, userId: String(user._id) } };
    },
    async onUploadFinish(req, upload: Upload) {
      const user = await userOf(req);
      const lecture = await editableLecture(user, upload.metadata?.lectureId);
      const file = upload.storage?.path ?? `${config.media.uploadDir}/${upload.id}`;
      try {
        const probe = await probeMedia(file, { ffprobePath: config.ffmpeg.ffprobePath });
        const ext = (extname(upload.metadata?.filename ?? '') || (probe.video ? '.mp4' : '.m4a')).toLowerCase().replace(/[^.a-z0-9]/g, '');
        const key = `lectures/${String(lecture._id)}/source/${upload.id}${ext}`;
        await app.storage.put(file, key);
        await rm(`${file}.json`, { force: true });
        // The lecture names its source before the job exists: a job that starts at once must find it.
        // Writes of the lecture go through its lock (FerretDB rewrites the whole document).
        await writeLecture(store.models, String(lecture._id), async () => {
          const now = await Lecture.findById(lecture._id, { state: 1, 'media.prefix': 1 }).lean();
          const state = now?.state ?? lecture.state;
          await Lecture.updateOne(
            { _id: lecture._id },
            {
              $set: {
                sourceKey: key,
                // A lecture still playing its ladder from before keeps that ladder's length until the new one plays.
                ...(now?.media?.prefix ? {} : { durationSec: Math.round(probe.durationSec) }),
                state: state === 'published' ? 'published' : 'processing',
                processing: { state: 'queued', percent: 0, attempts: 0 },
              },
            },
          );
        });
        const job = await app.jobs.enqueue('transcode', { lectureId: String(lecture._id) });
        await writeLecture(store.models, String(lecture._id), () => Lecture.updateOne({ _id: lecture._id, 'processing.state': 'queued' }, { $set: { 'processing.jobId': job._id } }));
        app.notifyProcessing({ lectureId: String(lecture._id), state: 'queued', percent: 0 });
        app.log.info({ lectureId: String(lecture._id), uploadId: upload.id, durationSec: probe.durationSec }, 'uploads.finish() | accepted, transcode queued');
        return {};
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        await rm(file, { force: true });
        await rm(`${file}.json`, { force: true });
        const error = { code: 'MEDIA_REJECTED', message: `文件不是可用的音视频:${err.message}`, messageEn: `The file is not usable media: ${err.messageEn}` };
        await writeLecture(store.models, String(lecture._id), () => Lecture.updateOne({ _id: lecture._id }, { $set: { 'processing.state': 'rejected', 'processing.error': error, 'processing.percent': 0 } }));
        app.notifyProcessing({ lectureId: String(lecture._id), state: 'rejected', percent: 0, error });
        app.log.warn({ lectureId: String(lecture._id), reason: err.reason }, 'uploads.finish() | rejected');
        throw tusError(422, error.code, error.message, error.messageEn, { reason: err.reason });
      }
    },
  });

  // tus bodies are raw bytes: leave the stream untouched for @tus/server.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));

  app.get('/config', { config: { access: ['any-user'] }, schema: { tags: ['uploads'], summary: '上传限制 / upload limits', response: { 200: Type.Object({ maxBytes: Type.Integer() }) } } }, async () => ({
    maxBytes: config.media.uploadMaxBytes,
  }));

  const handle = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    // The user is handed to the tus hooks in a header only this server sets: any copy sent by
    // the client is dropped (tus builds its Request from rawHeaders).
    for (const name of SERVER_HEADERS) delete req.raw.headers[name];
    const raw = req.raw.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (SERVER_HEADERS.has(raw[i]!.toLowerCase())) raw.splice(i, 2);
    if (req.method !== 'OPTIONS') {
      if (!req.user) return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: '请先登录', messageEn: 'Please log in first' } });
      if (!['lecturer', 'orgAdmin', 'unitAdmin'].includes(req.user.role)) {
        return reply.code(403).send({ error: { code: 'FORBIDDEN', message: '没有权限上传', messageEn: 'You may not upload' } });
      }
      req.raw.headers[USER_HEADER] = String(req.user._id);
      req.raw.headers[ROLE_HEADER] = req.user.role;
      raw.push(USER_HEADER, String(req.user._id), ROLE_HEADER, req.user.role);
    }
    reply.hijack();
    await tus.handle(req.raw, reply.raw);
  };
  // An upload belongs to its creator (onIncomingRequest above); editors of the lecture only.
  const uploaders = { access: ['lecturer:own', 'unitAdmin', 'orgAdmin'] } as const;
  app.all('/', { config: uploaders, schema: { hide: true } }, handle);
  app.all('/*', { config: uploaders, schema: { hide: true } }, handle);
};
export default routes;
