/** startServer(): a real listening portal (demo county seeded, built client served) for Chromium tests. */
import { build, type TestApp } from './build';
import { seedDemo } from '../../server/seed/demo';

export async function startServer(overrides: Record<string, string> = {}): Promise<{ url: string; app: TestApp['app']; close(): Promise<void> }> {
  const t = await build(overrides);
  await seedDemo(t.app.store.models);
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { url: address, app: t.app, close: t.close };
}
