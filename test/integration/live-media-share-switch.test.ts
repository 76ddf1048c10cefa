/**
 * What is recorded follows what the room sees when the lecturer starts and stops a screen share
 * with the camera on: camera alone, then the screen with the camera inset at the screen's size;
 * the camera paused, the screen alone (a paused inset would hold the composition still), then
 * the inset again; the share stopped, the camera alone. Each change is a new part that starts
 * before the previous one stops, so the parts stored on the lecture leave no gap longer than one
 * segment. Real store, mediasoup worker and ffmpeg; frames decoded from the parts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { login, testEnv } from '../helpers/build';
import { feedRoom, waitUntil, type FedProducers } from '../helpers/live-rtp';
import { colourName, colourShare, decodeFrame, feedColour, type FedVideo } from '../helpers/live-screen';

type Ack = { ok?: true; error?: { code: string; message: string } } & Record<string, any>;
type StoredPart = { prefix: string; offsetSec?: number | null; durationSec?: number | null; width?: number | null; height?: number | null };

const SCREEN = { width: 1280, height: 720 };
const CAMERA = { width: 640, height: 360 };

const env = testEnv({ LIVE_SEGMENT_SECONDS: '2' });
let app: App | undefined;
let socket: Socket | undefined;
const feeds: { source: { stop(): Promise<void> } }[] = [];

afterAll(async () => {
  socket?.close();
  await Promise.all(feeds.map((f) => f.source.stop()));
  await app?.store.conn.dropDatabase().catch(() => {});
  await app?.close();
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

describe('live recording through a screen share', () => {
  it('follows camera, screen with camera inset, screen alone while the camera is paused, and camera again, with no gap longer than a segment', async () => {
    const a = await buildApp(loadConfig(env));
    app = a;
    await a.ready();
    await seedDemo(a.store.models);
    const url = await a.listen({ host: '127.0.0.1', port: 0 });
    const cookie = await login(a, 'lecturer', DEMO_PASSWORD);
    const created = await a.inject({ method: 'POST', url: '/api/lectures', headers: { cookie }, payload: { title: '带屏幕共享的直播', category: 'service', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1 } });
    const lectureId = created.json().id as string;
    expect((await a.inject({ method: 'POST', url: `/api/lectures/${lectureId}/publish`, headers: { cookie } })).statusCode).toBe(200);

    const s = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    socket = s;
    await new Promise<void>((res, rej) => (s.on('connect', () => res()), s.on('connect_error', rej)));
    expect(((await s.timeout(10_000).emitWithAck('live:join', { lectureId })) as Ack).you.role).toBe('host');
    const room = a.live.get(lectureId)!.room!;
    const segSec = a.config.mediasoup.liveSegmentSec;
    const camera: FedVideo = await feedColour(room, s.id!, { source: 'camera', color: 'red', ...CAMERA });
    feeds.push(camera);
    const mic: FedProducers = await feedRoom(room, s.id!, { audio: true });
    feeds.push(mic);
    expect(((await s.timeout(10_000).emitWithAck('live:start', {})) as Ack).state).toMatchObject({ state: 'live' });
    /** Resolves with the ms from `since` until part `part` has its first segment (the live HLS switches to it). */
    const onAir = async (part: number, since = Date.now()) => {
      await waitUntil(() => (a.live.get(lectureId)?.state.hls?.part ?? 0) >= part && a.live.get(lectureId)!.state.hls!.ready, 25_000, `part ${part} on air`);
      return Date.now() - since;
    };
    await onAir(1);
    await sleep(3_000);

    // The share starts: a new part with the screen as the picture and the camera inset.
    const shareAt = Date.now();
    const screen = await feedColour(room, s.id!, { source: 'screen', color: 'blue', ...SCREEN, fps: 15 });
    feeds.push(screen);
    const shareOnAirMs = await onAir(2, shareAt);
    await sleep(4_000);

    // The camera is paused: the screen alone; resumed: the inset again.
    expect(((await s.timeout(10_000).emitWithAck('live:producer:pause', { producerId: camera.producer.id })) as Ack).error).toBeUndefined();
    await onAir(3);
    await sleep(3_000);
    expect(((await s.timeout(10_000).emitWithAck('live:producer:resume', { producerId: camera.producer.id })) as Ack).error).toBeUndefined();
    await onAir(4);
    await sleep(3_000);

    // The share stops: the camera alone again.
    const stopAt = Date.now();
    expect(((await s.timeout(10_000).emitWithAck('live:producer:close', { producerId: screen.producer.id })) as Ack).error).toBeUndefined();
    await screen.source.stop();
    const stopOnAirMs = await onAir(5, stopAt);
    await sleep(3_000);
    expect(((await s.timeout(15_000).emitWithAck('live:end', {})) as Ack).state.state).toBe('ended');

    let parts: StoredPart[] = [];
    await waitUntil(
      async () => {
        parts = ((await a.store.models.Lecture.findById(lectureId).lean<LectureDoc>())!.live!.parts ?? []) as StoredPart[];
        return parts.length >= 5 && parts.every((p) => p.durationSec !== undefined);
      },
      15_000,
      'the parts described',
    );
    expect(parts).toHaveLength(5);
    const sorted = [...parts].sort((x, y) => x.offsetSec! - y.offsetSec!);
    const [cam1, pip, screenOnly, pip2, cam2] = sorted as [StoredPart, StoredPart, StoredPart, StoredPart, StoredPart];
    const cam = `${CAMERA.width}x${CAMERA.height}`;
    const scr = `${SCREEN.width}x${SCREEN.height}`;
    expect(sorted.map((p) => `${p.width}x${p.height}`)).toEqual([cam, scr, scr, scr, cam]);
    // Each part at least two segments long: none stood still.
    for (const p of sorted.slice(0, -1)) expect(p.durationSec!).toBeGreaterThanOrEqual(2 * segSec);
    const gaps = sorted.slice(1).map((p, i) => p.offsetSec! - (sorted[i]!.offsetSec! + sorted[i]!.durationSec!));
    console.info(`share switch: timeline gaps ${gaps.map((g) => g.toFixed(2)).join(' / ')} s (share on, camera paused, resumed, share off; negative = overlap); live HLS on the new part ${shareOnAirMs} / ${stopOnAirMs} ms after the share started / stopped`);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(segSec);

    // Decoded: the screen with the camera inset at the bottom right, then the camera alone.
    const pipFrame = await decodeFrame(join(a.storage.path(pip.prefix), 'index.m3u8'), 1);
    expect(colourName(pipFrame.rgb(SCREEN.width * 0.85, SCREEN.height * 0.85))).toBe('red');
    expect(colourName(pipFrame.rgb(SCREEN.width * 0.3, SCREEN.height * 0.4))).toBe('blue');
    expect(colourName(pipFrame.rgb(SCREEN.width * 0.85, SCREEN.height * 0.2))).toBe('blue');
    const screenFrame = await decodeFrame(join(a.storage.path(screenOnly.prefix), 'index.m3u8'), 1);
    expect(colourShare(screenFrame, [0, 0, SCREEN.width, SCREEN.height], 'blue')).toBeGreaterThan(0.99);
    const pip2Frame = await decodeFrame(join(a.storage.path(pip2.prefix), 'index.m3u8'), 1);
    expect(colourName(pip2Frame.rgb(SCREEN.width * 0.85, SCREEN.height * 0.85))).toBe('red');
    expect(colourName(pip2Frame.rgb(SCREEN.width * 0.3, SCREEN.height * 0.4))).toBe('blue');
    const camFrame = await decodeFrame(join(a.storage.path(cam2.prefix), 'index.m3u8'), 1);
    expect(colourName(camFrame.rgb(CAMERA.width * 0.3, CAMERA.height * 0.4))).toBe('red');
    expect(colourName(camFrame.rgb(CAMERA.width * 0.85, CAMERA.height * 0.85))).toBe('red');
  }, 120_000);
});
