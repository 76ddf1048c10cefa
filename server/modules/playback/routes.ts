/**
 * Playback: POST /api/lectures/:id/playback opens a playback session for a viewer allowed to see
 * the lecture and returns a signed URL of its HLS master playlist. GET /media/hls/<token>/... serves
 * the playlists, segments, thumbnails and subtitles of that lecture only, with Range support and
 * private caching bounded by the token's expiry (HEAD answers the same headers, no body). A bad
 * token is 403 PLAYBACK_INVALID; an expired one 403 PLAYBACK_EXPIRED (the player asks for a new
 * one); a path storage would refuse (`\`, `.`, `..`, NUL, empty segments) is 404. What a segment
 * response carried, in bytes written, is the playback's delivery evidence (delivery.ts).
 * Posters use the session cookie.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isSafeKey } from '../../../media';
import { AppError, errors } from '../../errors';
import { ObjectIdParam, errorResponses } from '../../schemas';
import { canView } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import { delivered, segmentSpan } from './delivery';
import { sendLiveWindow, sendStored, storedPath } from './send-stored';
import { signPlayback, verifyPlayback, type PlaybackClaims } from './token';
import type { UserDoc } from '../users/user.model';

/**
 * How much of a live playlist a viewer is given: enough for a station on a weak link that has
 * fallen behind the live edge to go on (hls.js keeps its place while its segment is listed).
 */
const LIVE_WINDOW_SEC = 60;

export const playbackRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { catalog, config } = app;

  app.post(
    '/:id/playback',
    {
      config: { access: ['any-user'] },
      schema: {
        tags: ['playback'],
        summary: '开始播放 / open a playback session',
        params: ObjectIdParam,
        response: {
          200: Type.Object({
            playbackId: Type.String(),
            masterUrl: Type.String(),
            posterUrl: Type.Optional(Type.String()),
            thumbnailsUrl: Type.Optional(Type.String()),
            subtitles: Type.Array(Type.Object({ lang: Type.String(), label: Type.String(), url: Type.String() })),
            durationSec: Type.Number(),
            expiresAt: Type.String(),
            counting: Type.Boolean(),
            reason: Type.Optional(Type.String()),
            resumeAt: Type.Number(),
            heartbeatSec: Type.Integer(),
            beatsPerRequest: Type.Integer({ description: 'ticks the player sends together (STUDY_BEATS_PER_REQUEST)' }),
            required: Type.Boolean(),
            progress: Type.Number(),
            completed: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const user = req.user!;
      const lecture = await catalog.loadViewable(user, req.params.id);
      if (!lecture.media?.master) throw new AppError(409, 'MEDIA_NOT_READY', '课程视频尚未处理完成', 'The lecture media is not ready yet');
      const opened = await app.study.open(user, lecture, { ip: req.ip, userAgent: req.headers['user-agent'] });
      const { playbackId } = opened;
      // Rounded up: a token lives at least the configured TTL (up to one second more), never less.
      const expires = Math.ceil(Date.now() / 1000) + Math.max(config.media.playbackTokenTtlSeconds, 0);
      const token = signPlayback({ l: String(lecture._id), u: String(user._id), p: playbackId, e: expires }, app.playbackSecret);
      const base = `/media/hls/${token}`;
      if (lecture.state === 'published') await catalog.countWatch(String(lecture._id));
      return {
        playbackId,
        masterUrl: `${base}/${lecture.media.master}`,
        posterUrl: lecture.media.poster ? `${base}/${lecture.media.poster}` : undefined,
        thumbnailsUrl: lecture.media.thumbnails ? `${base}/${lecture.media.thumbnails}` : undefined,
        subtitles: (lecture.subtitles ?? []).map((s) => ({ lang: s.lang ?? 'zh', label: s.label ?? s.lang ?? '', url: `${base}/subs/${s.lang}.vtt` })),
        durationSec: lecture.durationSec ?? 0,
        expiresAt: new Date(expires * 1000).toISOString(),
        counting: opened.counting,
        reason: opened.reason,
        resumeAt: opened.resumeAt,
        heartbeatSec: config.study.heartbeatSec,
        beatsPerRequest: config.study.beatsPerRequest,
        required: lecture.required ?? false,
        progress: opened.view.progress,
        completed: opened.view.completed,
      };
    },
  );
};

export const mediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { catalog, storage, store } = app;

  // Re-checks, at most every 30 s per playback, that the token's user may still see the lecture
  // (withdrawn, audience changed, account disabled), without three store reads per segment.
  const access = {
    cache: new Map<string, { until: number; lecture: LectureDoc }>(),
    async check(claims: PlaybackClaims): Promise<LectureDoc> {
      const now = Date.now();
      const hit = this.cache.get(claims.p);
      if (hit && hit.until > now) return hit.lecture;
      const lecture = await store.models.Lecture.findById(claims.l, { state: 1, kind: 1, durationSec: 1, media: 1, live: 1, subtitles: 1, audienceUnitIds: 1, createdBy: 1 }).lean<LectureDoc>();
      if (!lecture?.media?.prefix) throw errors.notFound('课程媒体', 'Lecture media');
      const user = await store.models.User.findById(claims.u).lean<UserDoc>();
      if (!user || user.disabled || !canView(user, lecture, await catalog.viewerUnits(user))) throw errors.forbidden();
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(claims.p, { until: now + 30_000, lecture });
      return lecture;
    },
  };

  app.get(
    '/hls/:token/*',
    // Segments are bytes, not pages: helmet's page headers would only cost time on every segment.
    { helmet: false, config: { access: ['signed'] }, schema: { hide: true, params: Type.Object({ token: Type.String({ maxLength: 1024 }), '*': Type.String({ maxLength: 300 }) }) } },
    async (req, reply) => {
      const verdict = verifyPlayback(req.params.token, app.playbackSecret);
      if (!verdict.ok) {
        throw verdict.reason === 'expired'
          ? new AppError(403, 'PLAYBACK_EXPIRED', '播放授权已过期,请重新打开课程', 'This playback link has expired; open the lecture again')
          : new AppError(403, 'PLAYBACK_INVALID', '播放授权无效', 'Invalid playback link');
      }
      const { claims } = verdict;
      // A token is personal: a request that carries someone else's session is refused.
      if (req.user && String(req.user._id) !== claims.u) throw errors.forbidden();
      const lecture = await access.check(claims);
      // The path as sent: `\`, `.`, `..`, NUL and empty segments (a trailing '/') name no file.
      const rel = req.params['*'];
      if (!isSafeKey(rel)) throw errors.notFound('文件', 'File');
      let key: string;
      const sub = /^subs\/([A-Za-z-]{2,12})\.vtt$/.exec(rel);
      if (sub) {
        const entry = (lecture.subtitles ?? []).find((s) => s.lang === sub[1]);
        if (!entry?.key) throw errors.notFound('字幕', 'Subtitles');
        key = entry.key;
      } else {
        key = `${lecture.media!.prefix}/${rel}`;
      }
      const remaining = Math.max(0, claims.e - Math.floor(Date.now() / 1000));
      const isPlaylist = rel.endsWith('.m3u8') || rel.endsWith('.vtt');
      // A live lecture's playlist grows every couple of seconds, and so does a lowest rung still
      // being made (media.growing): never cached.
      const growing = lecture.kind === 'live' || Boolean(lecture.media?.growing?.length);
      const playlistCache = growing ? 'private, no-cache' : `private, max-age=${Math.min(60, remaining)}`;
      // While live: the newest LIVE_WINDOW_SEC of the playlist, not every segment since the start.
      if (isPlaylist && lecture.kind === 'live' && rel.endsWith('.m3u8') && !req.headers.range) {
        if (await sendLiveWindow(reply, storedPath(storage, key), LIVE_WINDOW_SEC, playlistCache)) return reply;
      }
      // Evidence for watch-time credit: the part of this segment's media that reached this playback.
      const seg = sub ? null : segmentSpan(key, lecture);
      return sendStored(req, reply, storedPath(storage, key), isPlaylist ? playlistCache : `private, max-age=${remaining}, immutable`, seg ? (carried) => {
        const d = delivered(seg, carried);
        if (!d) return;
        if ('segment' in d) app.study.recordDelivery(claims.p, d.segment);
        else app.study.recordDeliveredSpan(claims.p, d.fromSec, d.toSec);
      } : undefined);
    },
  );

  app.get('/posters/:id', { config: { access: ['any-user'] }, schema: { hide: true, params: ObjectIdParam } }, async (req, reply) => {
    const lecture = await catalog.loadViewable(req.user!, req.params.id);
    if (!lecture.media?.prefix || !lecture.media.poster) throw errors.notFound('封面', 'Poster');
    return sendStored(req, reply, storedPath(storage, `${lecture.media.prefix}/${lecture.media.poster}`), 'private, max-age=3600');
  });
};
