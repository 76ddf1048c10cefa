/**
 * The portal's configuration: one table of keys, each read from one environment variable, with a
 * default and a schema. `loadConfig(env)` is the only place that reads the environment; it
 * converts, validates and fails fast with `Invalid configuration: KEY must be ...` so a typo in a
 * deployment stops the process before anything starts.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Type, type TSchema, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'an integer from 0 to 65535' });
const PositiveInt = Type.Integer({ minimum: 1, description: 'a whole number of at least 1' });
const Bool = Type.Boolean({ description: 'true or false' });
const NonEmpty = Type.String({ minLength: 1, description: 'a non-empty string' });
const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  description: 'one of fatal, error, warn, info, debug, trace, silent',
});

interface KeyDef<S extends TSchema = TSchema> {
  schema: S;
  default?: Static<S>;
  optional?: boolean;
}
const key = <S extends TSchema>(schema: S, def?: Static<S>): KeyDef<S> => ({ schema, default: def });
const optional = <S extends TSchema>(schema: S): KeyDef<S> => ({ schema, optional: true });

/** Every environment variable the portal reads, with its default. */
export const configKeys = {
  NODE_ENV: key(Type.Enum(['development', 'production', 'test'], { description: 'development, production or test' }), 'development'),
  HOST: key(NonEmpty, '127.0.0.1'),
  PORT: key(Port, 3000),
  PUBLIC_URL: optional(Type.String({ pattern: '^https?://', description: 'an http(s) URL such as https://study.example.org' })),
  LOG_LEVEL: key(LogLevel, 'info'),
  DATA_DIR: key(NonEmpty, 'data'),
  CLIENT_DIST: key(NonEmpty, 'dist/client'),
  // The county's calendar: years, months, days, caps and schedules (never the host's zone).
  TIME_ZONE: key(Type.String({ minLength: 1, pattern: '^[A-Za-z_+-]+(/[A-Za-z0-9_+-]+)*$', description: 'an IANA time zone such as Asia/Shanghai' }), 'Asia/Shanghai'),

  MONGODB_URI: optional(Type.String({ pattern: '^mongodb(\\+srv)?://', description: 'a MongoDB connection string (mongodb://host:port/db)' })),
  MONGODB_DB: optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,60}$', description: 'a database name of letters, digits, _ or -' })),
  FERRETDB_BIN: key(NonEmpty, '.tools/bin/ferretdb'),
  FERRETDB_PORT: key(Port, 0),
  STORE_CONNECT_ATTEMPTS: key(PositiveInt, 6),
  STORE_CONNECT_BACKOFF_MS: key(PositiveInt, 500),
  // While the store is down a request fails after this long (503), instead of hanging.
  STORE_SELECTION_TIMEOUT_MS: key(Type.Integer({ minimum: 200, maximum: 30000, description: 'milliseconds from 200 to 30000' }), 2000),
  STORE_MAX_RESTARTS_PER_MINUTE: key(PositiveInt, 5),
  // Wait this long before restarting a crashed embedded FerretDB (0: at once).
  STORE_RESTART_DELAY_MS: key(Type.Integer({ minimum: 0, maximum: 60000, description: 'milliseconds from 0 to 60000' }), 0),
  STORE_DOWN_UNHEALTHY_SECONDS: key(PositiveInt, 60),

  SESSION_SECRET: optional(Type.String({ minLength: 32, description: 'at least 32 characters (generated under DATA_DIR when unset)' })),
  SESSION_TTL_SECONDS: key(PositiveInt, 8 * 3600),
  SESSION_CACHE_SECONDS: key(PositiveInt, 30),
  COOKIE_SECURE: key(Bool, false),
  // Wrong passwords per account *and* source before each further try waits LOGIN_DELAY_SECONDS,
  // doubling up to LOGIN_LOCK_SECONDS; a stranger elsewhere cannot lock the account out.
  LOGIN_MAX_FAILURES: key(PositiveInt, 5),
  LOGIN_DELAY_SECONDS: key(PositiveInt, 2),
  LOGIN_LOCK_SECONDS: key(PositiveInt, 15 * 60),
  // Failures from all sources after which the account waits LOGIN_LOCK_SECONDS, except from
  // sources it has logged in from before (0: never).
  LOGIN_ACCOUNT_MAX_FAILURES: key(Type.Integer({ minimum: 0, description: 'a whole number, 0 for never' }), 200),
  LOGIN_RATE_LIMIT_PER_MINUTE: key(PositiveInt, 30),

  MEDIASOUP_WORKER_BIN: key(NonEmpty, '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker'),
  MEDIASOUP_NUM_WORKERS: key(PositiveInt, Math.max(1, cpus().length)),
  MEDIASOUP_LOG_LEVEL: key(Type.Enum(['debug', 'warn', 'error', 'none'], { description: 'debug, warn, error or none' }), 'warn'),
  MEDIASOUP_LISTEN_IP: key(NonEmpty, '127.0.0.1'),
  MEDIASOUP_ANNOUNCED_IP: optional(NonEmpty),
  MEDIASOUP_RTC_MIN_PORT: key(Type.Integer({ minimum: 1024, maximum: 65535, description: 'a port from 1024 to 65535' }), 40000),
  MEDIASOUP_ENABLE_UDP: key(Bool, true),
  MEDIASOUP_ENABLE_TCP: key(Bool, true),
  MEDIASOUP_PREFER_UDP: key(Bool, true),
  MEDIASOUP_MAX_CONSUMERS_PER_ROUTER: key(Type.Integer({ minimum: 1, maximum: 5000, description: 'a whole number from 1 to 5000' }), 400),
  LIVE_SEGMENT_SECONDS: key(Type.Integer({ minimum: 1, maximum: 6, description: 'a whole number of seconds from 1 to 6' }), 1),
  MEDIASOUP_RTC_MAX_PORT: key(Type.Integer({ minimum: 1024, maximum: 65535, description: 'a port from 1024 to 65535' }), 49999),

  /** Answers a lecture's or class's evaluation needs before its readers see more than the count. */
  EVALUATION_MIN_ANSWERS: key(Type.Integer({ minimum: 1, maximum: 100, description: 'a whole number from 1 to 100' }), 5),

  FFMPEG_PATH: key(NonEmpty, 'ffmpeg'),
  FFPROBE_PATH: key(NonEmpty, 'ffprobe'),

  UPLOAD_MAX_BYTES: key(PositiveInt, 4 * 1024 ** 3),
  TRANSCODE_PRESET: key(Type.Enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'], { description: 'an x264 preset: ultrafast, superfast, veryfast, faster, fast or medium' }), 'veryfast'),
  HLS_SEGMENT_SECONDS: key(Type.Integer({ minimum: 2, maximum: 10, description: 'a whole number of seconds from 2 to 10' }), 4),
  JOB_CONCURRENCY: key(PositiveInt, 1),
  JOB_MAX_ATTEMPTS: key(PositiveInt, 3),
  JOB_RETRY_BASE_MS: key(PositiveInt, 10_000),
  JOB_LEASE_SECONDS: key(Type.Integer({ minimum: 2, description: 'a whole number of seconds, at least 2' }), 30),
  JOB_POLL_MS: key(PositiveInt, 1000),
  PLAYBACK_TOKEN_TTL_SECONDS: key(PositiveInt, 4 * 3600),

  STUDY_MAX_RATE: key(Type.Number({ minimum: 1, maximum: 4, description: 'a number from 1 to 4' }), 2),
  STUDY_COMPLETION_THRESHOLD: key(Type.Number({ minimum: 0.5, maximum: 1, description: 'a fraction from 0.5 to 1' }), 0.9),
  STUDY_ATTENTION_INTERVAL_SECONDS: key(Type.Integer({ minimum: 10, maximum: 86400, description: 'seconds from 10 to 86400' }), 600),
  STUDY_ATTENTION_ANSWER_SECONDS: key(Type.Integer({ minimum: 10, maximum: 600, description: 'seconds from 10 to 600' }), 60),
  STUDY_CHECKPOINT_MS: key(Type.Integer({ minimum: 100, description: 'milliseconds, at least 100' }), 5000),
  STUDY_LOG_DB: optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,60}$', description: 'a database name of letters, digits, _ or -' })),
  STUDY_WAL_MAX_DELAY_MS: key(Type.Integer({ minimum: 0, maximum: 1000, description: 'milliseconds from 0 to 1000 (under load, at most one log write per this interval)' }), 10),
  HEARTBEAT_SECONDS: key(Type.Integer({ minimum: 5, maximum: 60, description: 'seconds from 5 to 60' }), 15),
  // Ticks a player sends together: every HEARTBEAT_SECONDS x this (events such as pause or seek go at once).
  STUDY_BEATS_PER_REQUEST: key(Type.Integer({ minimum: 1, maximum: 8, description: 'an integer from 1 to 8' }), 4),
  XAPI_LRS_URL: optional(Type.String({ pattern: '^https?://', description: 'the http(s) URL of an xAPI learning record store' })),
  XAPI_LRS_AUTH: optional(NonEmpty),

  // Terminal stations (终端站点, server/modules/stations).
  STATION_PAIRING_MINUTES: key(Type.Integer({ minimum: 1, maximum: 1440, description: 'minutes from 1 to 1440' }), 15),
  STATION_CREDENTIAL_DAYS: key(Type.Integer({ minimum: 1, maximum: 3650, description: 'days from 1 to 3650' }), 5 * 365),
  STATION_ONLINE_SECONDS: key(Type.Integer({ minimum: 15, maximum: 3600, description: 'seconds from 15 to 3600' }), 90),
  STATION_CHECKIN_ROTATE_SECONDS: key(Type.Integer({ minimum: 10, maximum: 300, description: 'seconds from 10 to 300' }), 30),
  // A QR scan at a station evidences presence this long (unless a later scan or the check-out comes first).
  STATION_PRESENCE_RESCAN_MINUTES: key(Type.Integer({ minimum: 1, maximum: 240, description: 'minutes from 1 to 240' }), 30),

  // The printable study record (学习档案, server/modules/study-record): a CJK font for its PDFs,
  // and the face to use when the file is a collection (.ttc). Checked at start.
  STUDY_RECORD_FONT: key(NonEmpty, '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'),
  STUDY_RECORD_FONT_FACE: key(NonEmpty, 'NotoSansCJKsc-Regular'),
} satisfies Record<string, KeyDef>;

export type ConfigKey = keyof typeof configKeys;
type Raw = { [K in ConfigKey]: (typeof configKeys)[K] extends { optional: true } ? Static<(typeof configKeys)[K]['schema']> | undefined : Static<(typeof configKeys)[K]['schema']> };

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${key} ${detail}`);
    this.name = 'ConfigError';
  }
}

type SchemaInfo = { type?: string; description?: string };

function describe(schema: TSchema): string {
  return (schema as SchemaInfo).description ?? 'a valid value';
}

function parseValue(name: string, def: KeyDef, text: string): unknown {
  const { schema } = def;
  const type = (schema as SchemaInfo).type;
  let value: unknown = text;
  if (type === 'integer' || type === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(text.trim())) throw new ConfigError(name, `must be ${describe(schema)} (got "${text}")`);
    value = Number(text);
  } else if (type === 'boolean') {
    const t = text.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(t)) value = true;
    else if (['false', '0', 'no'].includes(t)) value = false;
    else throw new ConfigError(name, `must be ${describe(schema)} (got "${text}")`);
  }
  if (!Value.Check(schema, value)) throw new ConfigError(name, `must be ${describe(schema)} (got "${text}")`);
  return value;
}

/** Reads, converts and validates every key; throws ConfigError naming the first bad key. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const raw: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(configKeys) as [string, KeyDef][]) {
    const text = env[name];
    if (text === undefined || text === '') {
      raw[name] = def.default;
      continue;
    }
    raw[name] = parseValue(name, def, text);
  }
  const r = raw as Raw;
  if (r.MEDIASOUP_RTC_MIN_PORT >= r.MEDIASOUP_RTC_MAX_PORT) {
    throw new ConfigError('MEDIASOUP_RTC_MAX_PORT', `must be greater than MEDIASOUP_RTC_MIN_PORT (${r.MEDIASOUP_RTC_MIN_PORT})`);
  }
  const portsPerWorker = Math.floor((r.MEDIASOUP_RTC_MAX_PORT - r.MEDIASOUP_RTC_MIN_PORT + 1) / r.MEDIASOUP_NUM_WORKERS);
  if (portsPerWorker < 10) {
    throw new ConfigError('MEDIASOUP_NUM_WORKERS', `leaves fewer than 10 RTC ports per worker in ${r.MEDIASOUP_RTC_MIN_PORT}-${r.MEDIASOUP_RTC_MAX_PORT}`);
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: r.TIME_ZONE });
  } catch {
    throw new ConfigError('TIME_ZONE', `must be an IANA time zone such as Asia/Shanghai (got "${r.TIME_ZONE}")`);
  }
  const dataDir = resolve(r.DATA_DIR);
  return {
    env: r.NODE_ENV,
    server: { host: r.HOST, port: r.PORT, publicUrl: r.PUBLIC_URL, logLevel: r.LOG_LEVEL },
    timeZone: r.TIME_ZONE,
    dataDir,
    clientDist: resolve(r.CLIENT_DIST),
    store: {
      uri: r.MONGODB_URI,
      dbName: r.MONGODB_DB,
      ferretdbBin: resolve(r.FERRETDB_BIN),
      ferretdbPort: r.FERRETDB_PORT,
      connectAttempts: r.STORE_CONNECT_ATTEMPTS,
      connectBackoffMs: r.STORE_CONNECT_BACKOFF_MS,
      selectionTimeoutMs: r.STORE_SELECTION_TIMEOUT_MS,
      maxRestartsPerMinute: r.STORE_MAX_RESTARTS_PER_MINUTE,
      restartDelayMs: r.STORE_RESTART_DELAY_MS,
      downUnhealthySec: r.STORE_DOWN_UNHEALTHY_SECONDS,
    },
    auth: {
      sessionSecret: r.SESSION_SECRET,
      sessionTtlSeconds: r.SESSION_TTL_SECONDS,
      sessionCacheSeconds: r.SESSION_CACHE_SECONDS,
      cookieSecure: r.COOKIE_SECURE,
      maxFailures: r.LOGIN_MAX_FAILURES,
      delaySeconds: r.LOGIN_DELAY_SECONDS,
      lockSeconds: r.LOGIN_LOCK_SECONDS,
      accountMaxFailures: r.LOGIN_ACCOUNT_MAX_FAILURES,
      loginRatePerMinute: r.LOGIN_RATE_LIMIT_PER_MINUTE,
    },
    mediasoup: {
      workerBin: r.MEDIASOUP_WORKER_BIN,
      numWorkers: r.MEDIASOUP_NUM_WORKERS,
      logLevel: r.MEDIASOUP_LOG_LEVEL,
      listenIp: r.MEDIASOUP_LISTEN_IP,
      announcedIp: r.MEDIASOUP_ANNOUNCED_IP,
      rtcMinPort: r.MEDIASOUP_RTC_MIN_PORT,
      rtcMaxPort: r.MEDIASOUP_RTC_MAX_PORT,
      enableUdp: r.MEDIASOUP_ENABLE_UDP,
      enableTcp: r.MEDIASOUP_ENABLE_TCP,
      preferUdp: r.MEDIASOUP_PREFER_UDP,
      maxConsumersPerRouter: r.MEDIASOUP_MAX_CONSUMERS_PER_ROUTER,
      liveSegmentSec: r.LIVE_SEGMENT_SECONDS,
    },
    ffmpeg: { ffmpegPath: r.FFMPEG_PATH, ffprobePath: r.FFPROBE_PATH },
    evaluation: { minAnswers: r.EVALUATION_MIN_ANSWERS },
    media: {
      root: resolve(dataDir, 'media'),
      uploadDir: resolve(dataDir, 'uploads'),
      uploadMaxBytes: r.UPLOAD_MAX_BYTES,
      transcodePreset: r.TRANSCODE_PRESET,
      segmentSec: r.HLS_SEGMENT_SECONDS,
      playbackTokenTtlSeconds: r.PLAYBACK_TOKEN_TTL_SECONDS,
    },
    study: {
      maxRate: r.STUDY_MAX_RATE,
      completionThreshold: r.STUDY_COMPLETION_THRESHOLD,
      checkpointMs: r.STUDY_CHECKPOINT_MS,
      attentionIntervalSec: r.STUDY_ATTENTION_INTERVAL_SECONDS,
      attentionAnswerSec: r.STUDY_ATTENTION_ANSWER_SECONDS,
      walMaxDelayMs: r.STUDY_WAL_MAX_DELAY_MS,
      logDb: r.STUDY_LOG_DB,
      heartbeatSec: r.HEARTBEAT_SECONDS,
      beatsPerRequest: r.STUDY_BEATS_PER_REQUEST,
      lrsUrl: r.XAPI_LRS_URL,
      lrsAuth: r.XAPI_LRS_AUTH,
      timeZone: r.TIME_ZONE,
    },
    stations: {
      pairingMinutes: r.STATION_PAIRING_MINUTES,
      credentialDays: r.STATION_CREDENTIAL_DAYS,
      onlineSec: r.STATION_ONLINE_SECONDS,
      checkinRotateSec: r.STATION_CHECKIN_ROTATE_SECONDS,
      rescanMinutes: r.STATION_PRESENCE_RESCAN_MINUTES,
    },
    studyRecord: { fontPath: resolve(r.STUDY_RECORD_FONT), fontFace: r.STUDY_RECORD_FONT_FACE },
    jobs: {
      concurrency: r.JOB_CONCURRENCY,
      maxAttempts: r.JOB_MAX_ATTEMPTS,
      retryBaseMs: r.JOB_RETRY_BASE_MS,
      leaseSeconds: r.JOB_LEASE_SECONDS,
      pollMs: r.JOB_POLL_MS,
    },
  };
}

export type AppConfig = ReturnType<typeof loadConfig>;
