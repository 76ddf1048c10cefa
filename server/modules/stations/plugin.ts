/**
 * Wires the stations module: the registry, the timetable, attendance and statistics services,
 * `app.stations`, the `app.authenticateStation` guard and `req.station`, and a flush timer
 * (run figures, fetched segments, last contacts) that also runs once before the app closes.
 * Bookings hear of lecture changes through the catalog index (see below).
 * Check-in tokens and calendar links use keys derived from the playback secret (itself derived
 * from the cookie secret) with their own labels.
 */
import { createHmac } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AttendanceService } from './attendance.service';
import { stationErrors } from './station-errors';
import { StatsService } from './stats.service';
import { STATION_COOKIE, StationService, type StationEntry } from './stations.service';
import { TimetableService } from './timetable.service';
import type { LectureDoc } from '../catalog/lecture.model';

export interface Stations {
  registry: StationService;
  timetable: TimetableService;
  attendance: AttendanceService;
  stats: StatsService;
  /** HMAC key of calendar feed links. */
  calendarSecret: string;
  /** The station a request's `station` cookie stands for, or null (missing, revoked, disabled). */
  fromRequest(req: FastifyRequest): StationEntry | null;
  /** The same for a raw Cookie header (socket handshakes). */
  fromCookieHeader(header: string | undefined): StationEntry | null;
  flush(): Promise<void>;
}

const FLUSH_MS = 5_000;

export default fp(
  async (app) => {
    const { store, config } = app;
    const derive = (label: string) => createHmac('sha256', app.playbackSecret).update(label).digest('base64url');
    const registry = new StationService(store.models, config.stations);
    const timetable = new TimetableService(store.models, registry);
    const attendance = new AttendanceService({
      models: store.models,
      engine: app.study,
      registry,
      timetable,
      secret: derive('station-checkin'),
      cfg: { ...config.stations, heartbeatSec: config.study.heartbeatSec },
      liveState: (lectureId) => (app.hasDecorator('live') ? app.live.get(lectureId)?.state.state : undefined),
      calendar: app.calendar,
      log: app.log,
    });
    const stats = new StatsService(store.models, registry);
    await registry.load();
    await timetable.load();
    await attendance.start();
    // Bookings follow their lecture (withdrawn, live ended early): the catalog's 'lecture-changed'
    // event carries every such change, after it is stored.
    const onLectureChanged = (l: LectureDoc) => {
      void timetable.lectureChanged(l).catch((err: unknown) => app.log.warn({ err, lectureId: String(l._id) }, 'timetable.lectureChanged() | failed; re-checked at the next start'));
    };
    app.catalog.on('lecture-changed', onLectureChanged);
    app.addHook('onClose', async () => {
      app.catalog.off('lecture-changed', onLectureChanged);
    });
    // A credential that stops being valid also ends the station's live sockets.
    registry.onRevoked = (id) => {
      if (app.hasDecorator('io')) app.io.in(`station:${id}`).disconnectSockets(true);
    };

    const fromValue = (raw: string | undefined) => {
      if (!raw) return null;
      const unsigned = app.unsignCookie(raw);
      return unsigned.valid ? registry.resolveCredential(unsigned.value) : null;
    };
    let flushing: Promise<void> | null = null;
    const stations: Stations = {
      registry,
      timetable,
      attendance,
      stats,
      calendarSecret: derive('calendar-feeds'),
      fromRequest(req) {
        if (req.station === null) req.station = fromValue(req.cookies[STATION_COOKIE]) ?? undefined;
        return req.station ?? null;
      },
      fromCookieHeader(header) {
        return fromValue(app.parseCookie(header ?? '')[STATION_COOKIE]);
      },
      flush() {
        flushing ??= (async () => {
          try {
            await attendance.flush();
            await registry.flushSeen();
          } catch (err) {
            app.log.warn({ err }, 'stations.flush() | failed; retried on the next tick');
          } finally {
            flushing = null;
          }
        })();
        return flushing;
      },
    };
    app.decorate('stations', stations);
    // null: not looked up yet; undefined: looked up, no valid station credential.
    app.decorateRequest('station', null);
    app.decorate('authenticateStation', async (req: FastifyRequest) => {
      if (!stations.fromRequest(req)) throw stationErrors.unpaired();
    });

    const timer = setInterval(() => void stations.flush(), FLUSH_MS);
    timer.unref();
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await stations.flush();
    });
  },
  { name: 'stations', dependencies: ['services'] },
);
