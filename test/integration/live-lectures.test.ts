/**
 * Live lectures through the portal, on the real store, mediasoup worker and ffmpeg: signaling
 * over socket.io with its checks (audience, roles, payloads), the lecturer's media (fed by
 * ffmpeg into plain transports as the host's camera and microphone) recorded to a live HLS
 * playlist that viewers fetch with playback tokens, heartbeats on the live timeline credited
 * from the segments served, and the end: the recording becomes a published replay, verified
 * with ffprobe.
 */
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { feedRoom, type FedProducers } from '../helpers/live-rtp';

const run = promisify(execFile);
let t: TestApp;
let url: string;
let lecturer: string;
let cadre: string;
let lectureId: string;
let fed: FedProducers | undefined;
const sockets: Socket[] = [];

type Ack = { ok?: true; error?: { code: string; message: string; messageEn: string } } & Record<string, any>;

async function connect(cookie: string): Promise<Socket> {
  const s = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
  sockets.push(s);
  await new Promise<void>((res, rej) => {
    s.on('connect', () => res());
    s.on('connect_error', rej);
  });
  return s;
}
const ask = (s: Socket, event: string, payload: unknown = {}) => s.timeout(10_000).emitWithAck(event, payload) as Promise<Ack>;
const api = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
};

beforeAll(async () => {
  t = await build({ TRANSCODE_PRESET: 'ultrafast', LIVE_SEGMENT_SECONDS: '2' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  const created = await api('POST', '/api/lectures', lecturer, { title: '基层党建工作直播论坛', category: 'service', kind: 'live', scheduledAt: new Date().toISOString(), creditHours: 1 });
  expect(created.status).toBe(201);
  lectureId = created.body.id;
  expect(created.body.live).toMatchObject({ state: 'scheduled' });
  expect((await api('POST', `/api/lectures/${lectureId}/publish`, lecturer)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await fed?.source.stop();
  await t?.close();
});

describe('live lectures', () => {
  it('checks who may join and what each role may do', async () => {
    const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    // A lecture for another unit's audience only.
    const other = (await t.app.store.models.OrgUnit.findOne({ name: { $ne: '苏公坨村党支部' }, kind: 'unit' }).lean())!;
    const closed = await api('POST', '/api/lectures', admin, { title: '仅限机关干部的直播', category: 'service', kind: 'live', audienceUnitIds: [String(other._id)] });
    await api('POST', `/api/lectures/${closed.body.id}/publish`, admin);
    const viewer = await connect(cadre);
    expect((await ask(viewer, 'live:join', { lectureId: closed.body.id })).error?.code).toBe('FORBIDDEN');
    expect((await ask(viewer, 'live:join', { lectureId: 'nope' })).error?.code).toBe('VALIDATION_ERROR');
    expect((await ask(viewer, 'live:chat', { text: '你好' })).error?.code).toBe('NOT_IN_ROOM');

    const joined = await ask(viewer, 'live:join', { lectureId });
    expect(joined.ok).toBe(true);
    expect(joined.you).toMatchObject({ role: 'viewer', onStage: false });
    expect(joined.rtpCapabilities.codecs.length).toBeGreaterThan(0);
    expect((await ask(viewer, 'live:transport:create', { direction: 'send' })).error?.code).toBe('FORBIDDEN');
    expect((await ask(viewer, 'live:start')).error?.code).toBe('FORBIDDEN');
    expect((await ask(viewer, 'live:stage', { peerId: viewer.id, onStage: true })).error?.code).toBe('FORBIDDEN');
    expect((await ask(viewer, 'live:chat', { text: '' })).error?.code).toBe('VALIDATION_ERROR');
    const recv = await ask(viewer, 'live:transport:create', { direction: 'recv' });
    expect(recv.transport.iceCandidates.length).toBeGreaterThan(0);
  });

  it('records the lecturer, serves the live HLS, credits the live timeline, and publishes the replay', async () => {
    const host = await connect(lecturer);
    const joined = await ask(host, 'live:join', { lectureId });
    expect(joined.you.role).toBe('host');
    const viewer = sockets[0]!;
    const chatSeen = new Promise<any>((res) => viewer.once('live:chat', res));
    expect((await ask(host, 'live:chat', { text: '各位好，直播即将开始' })).ok).toBe(true);
    expect((await chatSeen).text).toBe('各位好，直播即将开始');

    // The lecturer's camera and microphone, as ffmpeg sends them.
    const room = t.app.live.get(lectureId)!.room!;
    const added = new Promise<any>((res) => viewer.once('live:producer-added', res));
    fed = await feedRoom(room, host.id!);
    expect((await added).peerId).toBe(host.id);
    const started = await ask(host, 'live:start');
    expect(started.state).toMatchObject({ state: 'live' });
    expect((await api('GET', `/api/live/${lectureId}`, cadre)).body).toMatchObject({ state: 'live', participants: 2 });

    // The live HLS output appears within a few seconds of the start.
    const t0 = Date.now();
    let pb: any;
    for (;;) {
      pb = await api('POST', `/api/lectures/${lectureId}/playback`, cadre);
      if (pb.status === 200) break;
      expect(pb.body.error.code).toBe('MEDIA_NOT_READY');
      if (Date.now() - t0 > 20_000) throw new Error('no live HLS after 20 s');
      await sleep(300);
    }
    const firstSegmentMs = Date.now() - t0;
    expect(firstSegmentMs).toBeLessThan(15_000);
    const playlistUrl = url + pb.body.masterUrl;
    // The part's place on the live timeline is on the lecture (media routes map its segments by it), as the player is told.
    const recording = (await t.app.store.models.Lecture.findById(lectureId).lean())!;
    expect(recording.live?.parts).toEqual([{ prefix: recording.media!.prefix, offsetSec: t.app.live.get(lectureId)!.state.hls!.offsetSec }]);
    const head = await fetch(playlistUrl);
    expect(head.headers.get('cache-control')).toBe('private, no-cache');
    // While live, a window of the newest segments (the recorder's file keeps them all for the replay).
    const liveList = await head.text();
    expect(liveList).toContain('#EXT-X-MEDIA-SEQUENCE:');
    expect(liveList).not.toContain('#EXT-X-PLAYLIST-TYPE');
    expect(await readFile(t.app.storage.path(`${recording.media!.prefix}/index.m3u8`), 'utf8')).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');

    // A cadre watching the HLS output beats on the live timeline; served segments are the evidence.
    const playbackId = pb.body.playbackId;
    const fetched = new Set<string>();
    const fetchNew = async () => {
      const list = await (await fetch(playlistUrl)).text();
      for (const seg of list.split('\n').filter((l) => l.endsWith('.ts'))) {
        if (fetched.has(seg)) continue;
        fetched.add(seg);
        await (await fetch(playlistUrl.replace(/index\.m3u8$/, seg))).arrayBuffer();
      }
    };
    const beat = (seq: number, position: number, event = 'tick') => ({ playbackId, seq, position, rate: 1, playing: true, visible: true, event, clientAt: Date.now() });
    await fetchNew();
    expect((await api('POST', '/api/study/heartbeats', cadre, { beats: [beat(1, 0, 'play')] })).status).toBe(200);
    for (let i = 1; i <= 4; i++) {
      await sleep(2000);
      await fetchNew();
      await api('POST', '/api/study/heartbeats', cadre, { beats: [beat(i + 1, i * 2)] });
    }
    const cadreId = String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    expect((await t.app.study.progressOf(cadreId, lectureId)).coveredSec).toBeGreaterThanOrEqual(6);

    // The end: the recording becomes the replay, transcoded and published.
    const states: { replayLectureId?: string; replayReady?: boolean }[] = [];
    host.on('live:state', (st) => states.push(st));
    const ended = await ask(host, 'live:end');
    expect(ended.state.state).toBe('ended');
    // Until the replay can be watched, nobody is told it can (no "观看回放" before it exists).
    expect(ended.state.replayReady).toBeFalsy();
    expect((await api('GET', `/api/live/${lectureId}`, cadre)).body).toMatchObject({ state: 'ended', replayReady: false });
    let replayId: string | undefined;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const l = await api('GET', `/api/lectures/${lectureId}`, lecturer);
      replayId = l.body.live?.replayLectureId;
      const r = replayId ? await api('GET', `/api/lectures/${replayId}`, lecturer) : undefined;
      // Published once its lowest rung is listed while it is made (issue 20); probed once that rung is complete.
      if (r?.body.state === 'published' && !r.body.growingRungs?.length) break;
      if (r?.body.processing?.state === 'failed' || Date.now() > deadline) throw new Error(`replay: ${JSON.stringify(r?.body.processing)}`);
      await sleep(500);
    }
    // The room hears that the replay is ready as soon as its transcode publishes it; /api/live says so too.
    await expect.poll(() => states.find((st) => st.replayReady)?.replayLectureId, { timeout: 10_000 }).toBe(replayId);
    expect(states.filter((st) => st.replayLectureId && !st.replayReady).length).toBeGreaterThan(0);
    expect((await api('GET', `/api/live/${lectureId}`, cadre)).body).toMatchObject({ state: 'ended', replayLectureId: replayId, replayReady: true });
    const live = (await api('GET', `/api/lectures/${lectureId}`, lecturer)).body;
    expect(live.live).toMatchObject({ state: 'ended', replayLectureId: replayId });
    expect(live.durationSec).toBeGreaterThanOrEqual(8);
    const replay = (await api('GET', `/api/lectures/${replayId}`, cadre)).body;
    expect(replay).toMatchObject({ kind: 'recorded', replayOf: lectureId, state: 'published' });

    // ffprobe: the replay's ladder is H.264 + AAC and as long as the lecture was live (±2 s).
    const doc = (await t.app.store.models.Lecture.findById(replayId).lean())!;
    const master = t.app.storage.path(`${doc.media!.prefix}/${doc.media!.master}`);
    const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type:format=duration', '-of', 'json', master])).stdout);
    const codecs = probe.streams.map((s: any) => s.codec_name);
    expect(codecs).toContain('h264');
    expect(codecs).toContain('aac');
    expect(Math.abs(Number(probe.format.duration) - live.durationSec)).toBeLessThan(3);
    // The live HLS recording itself is complete (ENDLIST) and decodable.
    const rec = t.app.storage.path(`${(await t.app.store.models.Lecture.findById(lectureId).lean())!.media!.prefix}/index.m3u8`);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', rec]);
    expect(Number(stdout)).toBeGreaterThan(5);
    console.log(`live integration | first live segment after ${firstSegmentMs} ms; live ${live.durationSec} s, replay ${Number(probe.format.duration).toFixed(1)} s`);
  }, 180_000);
});
