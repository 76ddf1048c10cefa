/**
 * Opens the store: MONGODB_URI when given, otherwise an embedded FerretDB child. The first
 * connection is retried with exponential backoff and then fails with one clear message; after
 * that the driver reconnects by itself and `ping()` tells /readyz whether the store answers.
 * Only features FerretDB 1.24 supports are used anywhere (no transactions, $lookup, $text, TTL).
 */
import mongoose, { type Connection } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../../config';
import { FerretDb } from './ferretdb';
import { defineModels, type Models } from './models';

export interface Store {
  conn: Connection;
  models: Models;
  ferretdb?: FerretDb;
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
  let ferretdb: FerretDb | undefined;
  let uri = config.store.uri;
  if (!uri) {
    ferretdb = await FerretDb.start({
      bin: config.store.ferretdbBin,
      dataDir: config.dataDir,
      port: config.store.ferretdbPort,
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
      serverSelectionTimeoutMS: 3000,
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
  await Promise.all(Object.values(models).map((m) => m.init()));
  const c = conn;
  return {
    conn: c,
    models,
    ferretdb,
    async ping(timeoutMs = 1500) {
      if (c.readyState !== 1 || !c.db) return false;
      try {
        await Promise.race([
          c.db.admin().command({ ping: 1 }),
          sleep(timeoutMs).then(() => {
            throw new Error('ping timeout');
          }),
        ]);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await c.close();
      await ferretdb?.stop();
    },
  };
}
