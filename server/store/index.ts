/**
 * Opens the store: MONGODB_URI when given, otherwise an embedded FerretDB child, supervised
 * (restarted on the same port after a crash). First it takes DATA_DIR's lock: one portal process
 * per data folder (data-dir-lock.ts). The first connection is retried with exponential backoff and
 * then fails with one clear message; after that the driver reconnects by itself.
 *
 * While the store is down nothing waits for it: commands are not buffered by mongoose and the
 * driver gives up server selection after STORE_SELECTION_TIMEOUT_MS, so a request fails within
 * about two seconds and the error handler answers 503 STORE_UNAVAILABLE. `downSince()` tells
 * /readyz (down at once) and /healthz (unhealthy after STORE_DOWN_UNHEALTHY_SECONDS).
 * Only features FerretDB 1.24 supports are used anywhere (no transactions, $lookup, $text, TTL).
 * On the embedded store, once the collections exist, every collection table gets the SQLite index
 * FerretDB's `_id` queries can use (sqlite-id-index.ts), checked with `EXPLAIN QUERY PLAN`.
 */
import mongoose, { type Connection } from 'mongoose';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../../config';
import { lockDataDir } from './data-dir-lock';
import { FerretDbSupervisor } from './ferretdb-supervisor';
import { defineModels, type Models } from './models';
import { ensureIdIndexes } from './sqlite-id-index';

export { DataDirLockedError } from './data-dir-lock';

export interface Store {
  conn: Connection;
  models: Models;
  ferretdb?: FerretDbSupervisor;
  /** When the store was last seen going down (ms since epoch), or null while it is up. */
  downSince(): number | null;
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export class StoreUnavailableError extends Error {
  constructor(target: string, attempts: number, cause: unknown) {
    super(`The store at ${target} did not answer after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}. Check MONGODB_URI, or unset it to use the embedded FerretDB.`);
    this.name = 'StoreUnavailableError';
  }
}

/** Hides credentials in a connection string for logs and messages. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, '//***@');
}

export async function openStore(config: AppConfig, log: Log): Promise<Store> {
  const lock = lockDataDir(config.dataDir);
  try {
    return await open(config, log, lock.release);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function open(config: AppConfig, log: Log, releaseLock: () => void): Promise<Store> {
  let ferretdb: FerretDbSupervisor | undefined;
  let uri = config.store.uri;
  if (!uri) {
    ferretdb = await FerretDbSupervisor.start({
      bin: config.store.ferretdbBin,
      dataDir: config.dataDir,
      port: config.store.ferretdbPort,
      maxRestartsPerMinute: config.store.maxRestartsPerMinute,
      restartDelayMs: config.store.restartDelayMs,
      onLog: (line) => log.debug({ ferretdb: line }, 'ferretdb'),
    });
    uri = ferretdb.uri;
    log.info({ port: ferretdb.port, pid: ferretdb.pid }, 'store | embedded FerretDB started');
  }
  const dbName = config.store.dbName ?? (config.store.uri ? undefined : 'cadre_portal');
  const { connectAttempts, connectBackoffMs } = config.store;
  let conn: Connection | undefined;
  let lastError: unknown;
  for (let attempt = 1; attempt <= connectAttempts; attempt++) {
    const candidate = mongoose.createConnection(uri, {
      dbName,
      // Fail fast while the store is down (a 503 within ~2 s), never queue behind it: mongoose
      // would otherwise buffer commands for 10 s, and a buffered command does not make the
      // driver look for the server, so recovery would wait for the next heartbeat.
      bufferCommands: false,
      serverSelectionTimeoutMS: config.store.selectionTimeoutMs,
      connectTimeoutMS: config.store.selectionTimeoutMs,
      heartbeatFrequencyMS: 2000,
      autoIndex: true,
    });
    try {
      await candidate.asPromise();
      conn = candidate;
      break;
    } catch (err) {
      lastError = err;
      await candidate.close(true).catch(() => {});
      if (attempt < connectAttempts) {
        const wait = connectBackoffMs * 2 ** (attempt - 1);
        log.warn({ attempt, waitMs: wait, err: (err as Error).message }, 'store | connect failed, retrying');
        await sleep(wait);
      }
    }
  }
  if (!conn) {
    await ferretdb?.stop();
    throw new StoreUnavailableError(redactUri(uri), connectAttempts, lastError);
  }
  const models = defineModels(conn);
  try {
    await Promise.all(Object.values(models).map((m) => m.init()));
  } catch (err) {
    await conn.close(true).catch(() => {});
    await ferretdb?.stop();
    throw err;
  }
  const c = conn;
  if (ferretdb && dbName) await indexIds(join(config.dataDir, 'ferretdb', `${dbName}.sqlite`), log);

  // Down from the moment the child dies or the driver loses the server, up again once the driver
  // is connected with the child running (the driver may not notice a quick restart at all).
  let downSince: number | null = null;
  const markDown = () => (downSince ??= Date.now());
  const markUp = () => {
    if (downSince === null || (ferretdb && !ferretdb.up) || c.readyState !== 1) return;
    log.info({ downMs: Date.now() - downSince }, 'store | available again');
    downSince = null;
  };
  c.on('disconnected', markDown);
  c.on('connected', markUp);
  c.on('reconnected', markUp);
  ferretdb?.on('exit', (e) => {
    markDown();
    log.warn({ pid: e.pid, code: e.code, signal: e.signal, lastLines: e.lastLines }, 'store | embedded FerretDB exited, restarting it');
  });
  ferretdb?.on('restarted', (e) => {
    log.info({ pid: e.pid, attempt: e.attempt }, 'store | embedded FerretDB restarted');
    markUp();
  });
  ferretdb?.on('restart-failed', (e) => log.warn({ attempt: e.attempt, err: e.err.message, nextInMs: e.nextInMs }, 'store | embedded FerretDB restart failed'));

  let closing: Promise<void> | undefined;
  return {
    conn: c,
    models,
    ferretdb,
    downSince: () => downSince,
    async ping(timeoutMs = 1500) {
      if ((ferretdb && !ferretdb.up) || c.readyState !== 1 || !c.db) return false;
      try {
        await Promise.race([
          c.db.admin().command({ ping: 1 }),
          sleep(timeoutMs).then(() => {
            throw new Error('ping timeout');
          }),
        ]);
        markUp();
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closing ??= (async () => {
        try {
          await c.close();
          await ferretdb?.stop();
        } finally {
          releaseLock();
        }
      })();
      return closing;
    },
  };
}

/** Adds FerretDB's missed `_id` index to every collection table; a failure costs speed, not correctness, so it only warns. */
async function indexIds(file: string, log: Log) {
  const t0 = Date.now();
  try {
    const r = await ensureIdIndexes({ file });
    if (r.skipped) log.warn({ reason: r.skipped }, 'store | _id index not added: reads and updates by _id scan their collection');
    else log.info({ tables: r.verified.length, ms: Date.now() - t0 }, 'store | _id index in place and used');
    if (r.unverified.length) log.warn({ tables: r.unverified }, 'store | _id index not used by these tables: reads and updates by _id scan them');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'store | _id index not added: reads and updates by _id scan their collection');
  }
}
