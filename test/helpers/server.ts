/** startServer(): a real listening portal (demo county seeded, built client served) for Chromium tests. */
import { rmSync } from 'node:fs';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import { build } from './build';
import { seedDemo } from '../../server/seed/demo';

export interface TestServer {
  url: string;
  /** The portal answering now (a new one after `restart()`). */
  readonly app: App;
  /**
   * Stops the portal as a shutdown does and starts a new process-like app on the same store,
   * data folder and port (pages reconnect to it by themselves).
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(overrides: Record<string, string> = {}): Promise<TestServer> {
  const t = await build(overrides);
  await seedDemo(t.app.store.models);
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  let app = t.app;
  let replaced = false;
  return {
    url,
    get app() {
      return app;
    },
    async restart() {
      await app.close();
      app = await buildApp(loadConfig(t.env));
      replaced = true;
      await app.ready();
      await app.listen({ host: '127.0.0.1', port });
    },
    async close() {
      if (!replaced) return t.close();
      // What t.close() does, for the app that replaced its own (closed by the restart).
      await app.store.conn.dropDatabase().catch(() => {});
      await app.close();
      rmSync(t.env.DATA_DIR!, { recursive: true, force: true });
    },
  };
}
