/**
 * Entry point: load config (fail fast, naming the key), build the app (which refuses a DATA_DIR
 * another portal process holds), listen on HOST:PORT, and close gracefully on SIGINT/SIGTERM
 * (HTTP, sockets, mediasoup workers, then the store, whose close releases the DATA_DIR lock).
 * Runs as compiled JavaScript in production (`npm run build && npm start`), through tsx in dev.
 */
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from '../config';
import { buildApp } from './app';
import { FerretDbMissingError } from './store/ferretdb';
import { DataDirLockedError, StoreUnavailableError } from './store';
import { MediaToolError } from './plugins/external/media';

function fail(message: string): never {
  process.stderr.write(`\n✖ ${message}\n\n`);
  process.exit(1);
}

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

let app;
try {
  app = await buildApp(config);
} catch (err) {
  if (err instanceof FerretDbMissingError || err instanceof StoreUnavailableError || err instanceof MediaToolError || err instanceof DataDirLockedError) fail(err.message);
  throw err;
}

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'server | closing after an error');
  else app.log.info({ signal }, 'server | closing');
  await app.close();
});

try {
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  app.log.info({ address }, 'server | listening');
} catch (err) {
  await app.close();
  fail(`Could not listen on ${config.server.host}:${config.server.port}: ${(err as Error).message} (set HOST/PORT)`);
}
