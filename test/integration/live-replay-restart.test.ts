/**
 * A portal restart during a live lecture, on the real store, mediasoup worker and ffmpeg: the
 * recording's folder and parts are in the store, so the lecture goes on recording into the next
 * part of the same folder (the earlier part left in place), and the replay, made by the
 * `live-replay` job, covers the whole live timeline, the parts from before the restart included.
 */
import { rmSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { login, testEnv } from '../helpers/build';
import { feedRoom, waitUntil, type FedProducers } from '../helpers/live-rtp';

const run = promisify(execFile);
type Ack = { ok?: true; error?: { code: string; message: string } } & Record<string, any>;

const env = testEnv({ TRANSCODE_PRESET: 'ultrafast', LIVE_SEGMENT_SECONDS: '2', JOB_POLL_MS: '200' });
let app: App | undefined;
let socket: Socket | undefined;
let fed: FedProducers | undefined;

async function start(seed = false): Promise<{ app: App; url: string; cookie: string }> {
  const a = await buildApp(loadConfig(env));
  await a.ready();
  app = a;
  if (seed) await seedDemo(a.store.models);
  const url = await a.listen({ host: '127.0.0.1', port: 0 });
  return { app: a, url, cookie: await login(a, 'lecturer', DEMO_PASSWORD) };
}

/** The lecturer in the room, with camera and microphone (ffmpeg over plain RTP). */
async function joinAsHost(a: App, url: string, cookie: string, lectureId: string) {
  const s = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
  socket = s;
  await new Promise<void>((res, rej) => (s.on('connect', () => res()), s.on('connect_error', rej)));
  const joined = (await s.timeout(10_000).emitWithAck('live:join', { lectureId })) as Ack;
  expect(joined.you.role).toBe('host');
  fed = await feedRoom(a.live.get(lectureId)!.room!, s.id!);
  return s;
}

async function leave() {
  socket?.close();
  socket = undefined;
  await fed?.source.stop();
  fed = undefined;
}

/** Mean luma (0-255) of the frame at `atSec`: the slate is about 39, the test picture about 120. */
async function lumaAt(file: string, atSec: number): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-ss', String(atSec), '-i', file, '-frames:v', '1', '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG', '-f', 'null', '-']);
  return Number(/YAVG=([\d.]+)/.exec(stderr)?.[1]);
}

/** A part numbered `part` or later is on air (camera and microphone arrive one at a time: the first may be cut short). */
const hlsReady = (a: App, lectureId: string, part: number) => waitUntil(() => (a.live.get(lectureId)?.state.hls?.part ?? 0) >= part && a.live.get(lectureId)!.state.hls!.ready, 25_000, `part ${part} on air`);

afterAll(async () => {
  await leave();
  await app?.store.conn.dropDatabase().catch(() => {});
  await app?.close();
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

describe('live recording through a portal restart', () => {
  it('records the next part into the same folder after a restart, and the replay keeps the parts from before it', async () => {
    let { app: a, url, cookie } = await start(true);
    const created = await a.inject({ method: 'POST', url: '/api/lectures', headers: { cookie }, payload: { title: '重启中的直播', category: 'service', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1 } });
    const lectureId = created.json().id as string;
    expect((await a.inject({ method: 'POST', url: `/api/lectures/${lectureId}/publish`, headers: { cookie } })).statusCode).toBe(200);

    let host = await joinAsHost(a, url, cookie, lectureId);
    expect(((await host.timeout(10_000).emitWithAck('live:start', {})) as Ack).state).toMatchObject({ state: 'live' });
    await hlsReady(a, lectureId, 1);
    await sleep(2_000); // a second segment or so in part 1
    const before = (await a.store.models.Lecture.findById(lectureId).lean<LectureDoc>())!;
    const folder = before.live!.recordingPrefix!;
    expect(folder).toMatch(new RegExp(`^live/${lectureId}/\\d+$`));

    // The portal restarts (the lecturer's page reconnects to the new process).
    await leave();
    await a.close();
    app = undefined;
    ({ app: a, url, cookie } = await start());
    host = await joinAsHost(a, url, cookie, lectureId);
    await hlsReady(a, lectureId, 2);
    const stored = (await a.store.models.Lecture.findById(lectureId).lean<LectureDoc>())!.live!.parts!;
    const onAir = a.live.get(lectureId)!.state.hls!.part;
    expect(stored.map((p) => p.prefix)).toEqual(Array.from({ length: onAir }, (_, i) => `${folder}/part-${i + 1}`));
    // Part 1 was stopped by the shutdown and described before the store closed.
    expect(stored[0]).toMatchObject({ index: 1, durationSec: expect.any(Number), width: expect.any(Number), height: expect.any(Number) });
    expect(stored[0]!.durationSec!).toBeGreaterThanOrEqual(2);
    const parts = [stored[0]!, stored.at(-1)!];
    expect(parts[1]!.offsetSec!).toBeGreaterThan(parts[0]!.offsetSec! + 2);
    await access(a.storage.path(`${folder}/part-1/index.m3u8`));
    await sleep(2_000);

    const ended = (await host.timeout(15_000).emitWithAck('live:end', {})) as Ack;
    expect(ended.state.state).toBe('ended');
    let replay: LectureDoc | null = null;
    await waitUntil(
      async () => {
        const live = await a.store.models.Lecture.findById(lectureId).lean<LectureDoc>();
        replay = live?.live?.replayLectureId ? await a.store.models.Lecture.findById(live.live.replayLectureId).lean<LectureDoc>() : null;
        if (replay?.processing?.state === 'failed') throw new Error(`replay: ${JSON.stringify(replay.processing)}`);
        // Published once its lowest rung is listed while it grows (issue 20); measured once that rung is complete.
        return replay?.state === 'published' && !replay.media?.growing?.length;
      },
      60_000,
      'the published replay',
    );
    // The whole live timeline, within one segment: part 1, the restart's gap as slate, part 2.
    const durationSec = (await a.store.models.Lecture.findById(lectureId).lean<LectureDoc>())!.durationSec;
    const master = a.storage.path(`${replay!.media!.prefix}/${replay!.media!.master}`);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', master]);
    expect(Math.abs(Number(stdout) - durationSec)).toBeLessThanOrEqual(a.config.media.segmentSec);
    expect(durationSec).toBeGreaterThan(parts[1]!.offsetSec!);
    // Part 1 (before the restart) is in the replay: its picture, not the slate, at its place.
    const source = a.storage.path(replay!.sourceKey!);
    expect(await lumaAt(source, parts[0]!.offsetSec! + 1)).toBeGreaterThan(80);
    expect(await lumaAt(source, parts[1]!.offsetSec! + 1)).toBeGreaterThan(80);
  }, 120_000);
});
