/** Fastify decorations shared across the server (the `declare module` lives in one place). */
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { Server as IoServer } from 'socket.io';
import type { AppConfig } from '../config';
import type { CountyCalendar } from './calendar';
import type { AuthService } from './modules/auth/auth.service';
import type { Role, UserDoc } from './modules/users/user.model';
import type { MediaBase } from './plugins/external/media';
import type { Store } from './store';
import type { Storage } from '../media';
import type { CatalogService } from './modules/catalog/catalog.service';
import type { Notify } from './modules/catalog/processing';
import type { JobQueue } from './modules/jobs/job-queue';
import type { StudyEngine } from './modules/study/study-engine';
import type { NoticeService } from './modules/notices/notices.service';
import type { ReminderService } from './modules/study/reminders';
import type { CountyService } from './modules/county/county.service';
import type { LiveService } from './modules/live/live.service';
import type { Stations } from './modules/stations/plugin';
import type { StationEntry } from './modules/stations/stations.service';

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig;
    /** The county's calendar (config TIME_ZONE): years, months and days are the county's, never the host's. */
    calendar: CountyCalendar;
    store: Store;
    media: MediaBase;
    io: IoServer;
    auth: AuthService;
    /** preHandler: 401 unless a valid session cookie came with the request. */
    authenticate: preHandlerAsyncHookHandler;
    /** preHandler: 401 without a session, 403 unless the user has one of the roles. */
    requireRole: (...roles: Role[]) => preHandlerAsyncHookHandler;
    storage: Storage;
    catalog: CatalogService;
    jobs: JobQueue;
    study: StudyEngine;
    notices: NoticeService;
    reminders: ReminderService;
    /** County statistics kept on write, the dashboard and the annual report (server/modules/county). */
    county: CountyService;
    live: LiveService;
    notifyProcessing: Notify;
    /** HMAC key for playback tokens, derived from the session secret. */
    playbackSecret: string;
    /** Terminal stations, timetable, group attendance and statistics (server/modules/stations). */
    stations: Stations;
    /** preHandler: 401 STATION_UNPAIRED unless a valid station cookie came with the request. */
    authenticateStation: preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    user: UserDoc | null;
    sessionToken: string | null;
    /** The paired station of the request (stations module): null = not looked up yet, undefined = none. */
    station: StationEntry | null | undefined;
  }
}
export {};
