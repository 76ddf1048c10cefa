// A lecturer live on the real portal without a browser, for the live-recording tests: the app
// built on its own store, a live lecture created and published, the host's socket joined, and
// helpers to start, wait for a part on air, end, and read the parts stored on the lecture.
import { rmSync } from 'node:fs';
import { io as ioClient, type Socket } from 'socket.io-client';
import { expect } from 'vitest';
import { loadConfig } from '../../config';
import type { LiveRoom } from '../../media/live';
import { buildApp, type App } from '../../server/app';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { login, testEnv } from './build';
import { waitUntil } from './live-rtp';

export type Ack = { ok?: true; error?: { code: string; message: string } } & Record<string, any>;
export type StoredPart = { prefix: string; offsetSec?: number | null; durationSec?: number | null; width?: number | null; height?: number | null };

export interface LiveHost {
  app: App;
  socket: Socket;
  lectureId: string;
  /** The lecture's room (after a worker death, the same object rebuilt). */
  room: LiveRoom;
  start(): Promise<void>;
  /** Resolves with the ms from `since` until part `part` has its first segment (the live HLS switches to it). */
  onAir(part: number, since?: number): Promise<number>;
  end(): Promise<void>;
  /** The parts stored on the lecture once `count` of them are described, sorted by offset. */
  parts(count: number): Promise<StoredPart[]>;
  /** Closes the socket, the feeds given to it, the app, and removes the store and data. */
  close(): Promise<void>;
}

/** Env for testEnv(); then builds, seeds, creates the live lecture `title` and joins it as its host. */
export async function liveHost(title: string, envOverrides: Record<string, string> = {}): Promise<LiveHost & { feeds: { source: { stop(): Promise<void> } }[] }> {
  const env = testEnv({ LIVE_SEGMENT_SECONDS: '2', ...envOverrides });
  const app = await buildApp(loadConfig(env));
  const feeds: { source: { stop(): Promise<void> } }[] = [];
  let socket: Socket | undefined;
  const close = async () => {
    socket?.close();
    await Promise.all(feeds.map((f) => f.source.stop()));
    await app.store.conn.dropDatabase().catch(() => {});
    await app.close();
    rmSync(env.DATA_DIR!, { recursive: true, force: true });
  };
  try {
    await app.ready();
    await seedDemo(app.store.models);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const cookie = await login(app, 'lecturer', DEMO_PASSWORD);
    const created = await app.inject({ method: 'POST', url: '/api/lectures', headers: { cookie }, payload: { title, category: 'service', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1 } });
    expect(created.statusCode).toBe(201);
    const lectureId = created.json().id as string;
    expect((await app.inject({ method: 'POST', url: `/api/lectures/${lectureId}/publish`, headers: { cookie } })).statusCode).toBe(200);
    const s = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    socket = s;
    await new Promise<void>((res, rej) => (s.on('connect', () => res()), s.on('connect_error', rej)));
    expect(((await s.timeout(10_000).emitWithAck('live:join', { lectureId })) as Ack).you.role).toBe('host');
    const entry = () => app.live.get(lectureId);
    return {
      app,
      socket: s,
      lectureId,
      feeds,
      get room() {
        return entry()!.room!;
      },
      async start() {
        expect(((await s.timeout(10_000).emitWithAck('live:start', {})) as Ack).state).toMatchObject({ state: 'live' });
      },
      async onAir(part, since = Date.now()) {
        await waitUntil(() => (entry()?.state.hls?.part ?? 0) >= part && entry()!.state.hls!.ready, 25_000, `part ${part} on air`);
        return Date.now() - since;
      },
      async end() {
        expect(((await s.timeout(15_000).emitWithAck('live:end', {})) as Ack).state.state).toBe('ended');
      },
      async parts(count) {
        let parts: StoredPart[] = [];
        await waitUntil(
          async () => {
            parts = ((await app.store.models.Lecture.findById(lectureId).lean<LectureDoc>())!.live!.parts ?? []) as StoredPart[];
            return parts.length >= count && parts.every((p) => p.durationSec !== undefined);
          },
          // Each part is probed after the end: on a busy machine (load 10) that took over 15 s.
          40_000,
          'the parts described',
        );
        return [...parts].sort((x, y) => x.offsetSec! - y.offsetSec!);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
