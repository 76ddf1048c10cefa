/**
 * Delivery proven by bytes, on the real store, a real ladder and real ffmpeg segments: a segment
 * is evidence for watch-time credit only for the bytes of it the portal wrote to the playback's
 * connection (HEAD nothing, a 1-byte Range ~nothing, a whole GET the segment, an aborted
 * download what got out), for viewers and stations; live HLS parts land on the live timeline;
 * paths storage would refuse are 404 with a code, never 500.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';

const run = promisify(execFile);
let t: TestApp;
let url: string;
let dir: string;
let admin: string;
let lectureId: string;
let recordDelivery: MockInstance<(playbackId: string, segmentIndex: number) => void>;
let recordDeliveredSpan: MockInstance<(playbackId: string, fromSec: number, toSec: number) => void>;

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path exactly as given (fetch would resolve `.` and `..` before sending). */
function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

let users = 0;
/** A cadre of their own (progress is per cadre and lecture, so each test starts from nothing). */
async function newCadre(): Promise<string> {
  const unit = (await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const username = `bytes${++users}`;
  const r = await t.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username, displayName: `字节${users}`, password: 'xuexi2026', role: 'cadre', orgUnitId: String(unit) } });
  expect(r.statusCode, r.body).toBe(201);
  return login(t.app, username, 'xuexi2026');
}

async function openPlayback(cookie: string, id = lectureId): Promise<{ playbackId: string; masterUrl: string }> {
  const r = await fetch(`${url}/api/lectures/${id}/playback`, { method: 'POST', headers: { cookie } });
  expect(r.status).toBe(200);
  return (await r.json()) as { playbackId: string; masterUrl: string };
}

/** The path of segment `k` of the first rendition, as hls.js would resolve it from the master playlist. */
async function segmentPath(masterUrl: string, k: number): Promise<string> {
  const base = masterUrl.slice(0, masterUrl.lastIndexOf('/') + 1);
  const variant = (await (await fetch(url + masterUrl)).text()).split('\n').find((l) => l && !l.startsWith('#'))!;
  const segs = (await (await fetch(url + base + variant)).text()).split('\n').filter((l) => l && !l.startsWith('#'));
  return base + variant.slice(0, variant.lastIndexOf('/') + 1) + segs[k]!;
}

/** Plays media [from, to] in real time (2x at most counts) and returns the cadre's covered seconds afterwards. */
async function watch(cookie: string, playbackId: string, from: number, to: number): Promise<number> {
  const beat = (seq: number, position: number, event: string) => ({ playbackId, seq, position, rate: 1, playing: true, visible: true, event, clientAt: Date.now() });
  const first = await fetch(`${url}/api/study/heartbeats`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ beats: [beat(1, from, 'play')] }) });
  expect(first.status).toBe(200);
  await sleep(((to - from) / 2) * 1000 + 800);
  const r = await fetch(`${url}/api/study/heartbeats`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ beats: [beat(2, to, 'tick')] }) });
  const body = (await r.json()) as { sessions: Record<string, { coveredSec: number }> };
  return body.sessions[playbackId]!.coveredSec;
}

const callsFor = <A extends unknown[]>(spy: MockInstance<(...args: A) => void>, playbackId: string) => spy.mock.calls.filter((c) => c[0] === playbackId);

beforeAll(async () => {
  dir = await makeMediaTmpDir('delivery-');
  const clip = await makeClip(dir, { seconds: 12, width: 320, height: 240 });
  t = await build({ TRANSCODE_PRESET: 'superfast' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  lectureId = await publishClip(url, await login(t.app, 'lecturer', DEMO_PASSWORD), clip, { title: '关键在于落实(字节)', creditHours: 1 });
  recordDelivery = vi.spyOn(t.app.study, 'recordDelivery');
  recordDeliveredSpan = vi.spyOn(t.app.study, 'recordDeliveredSpan');
}, 120_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await t?.close();
  if (dir) await removeDir(dir);
});

describe('segments for viewers', () => {
  it('answers HEAD with the headers of a GET and no body, records no delivery, and beats over the segment earn nothing', async () => {
    const cookie = await newCadre();
    const pb = await openPlayback(cookie);
    const seg = await segmentPath(pb.masterUrl, 0);
    const head = await raw('HEAD', seg);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const get = await fetch(url + seg);
    const bytes = (await get.arrayBuffer()).byteLength;
    for (const h of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges']) expect(head.headers[h], h).toBe(get.headers.get(h));
    // max-age is what is left of the signed URL's validity: the two answers may lie a second apart.
    const maxAge = (v: unknown) => Number(/max-age=(\d+)/.exec(String(v))?.[1]);
    expect(String(head.headers['cache-control']).replace(/max-age=\d+/, '')).toBe(String(get.headers.get('cache-control')).replace(/max-age=\d+/, ''));
    expect(Math.abs(maxAge(head.headers['cache-control']) - maxAge(get.headers.get('cache-control')))).toBeLessThanOrEqual(1);
    expect(Number(head.headers['content-length'])).toBe(bytes);
    // HEAD of a ranged or conditional request, of a playlist and of a poster: no 500 either.
    expect((await raw('HEAD', seg, { range: 'bytes=0-99' })).status).toBe(206);
    expect((await raw('HEAD', seg, { 'if-none-match': String(head.headers.etag) })).status).toBe(304);
    expect((await raw('HEAD', pb.masterUrl)).status).toBe(200);
    const poster = await raw('HEAD', `/media/posters/${lectureId}`, { cookie });
    expect([poster.status, poster.headers['content-type'], poster.body.length]).toEqual([200, 'image/jpeg', 0]);

    // The GET above was someone else's fetch of the same URL: the playback of this test only had the HEADs.
    recordDelivery.mockClear();
    recordDeliveredSpan.mockClear();
    const mine = await openPlayback(cookie);
    const headOnly = await segmentPath(mine.masterUrl, 0);
    expect((await raw('HEAD', headOnly)).status).toBe(200);
    expect((await raw('HEAD', headOnly, { range: 'bytes=0-0' })).status).toBe(206);
    await sleep(100);
    expect(callsFor(recordDelivery, mine.playbackId)).toEqual([]);
    expect(callsFor(recordDeliveredSpan, mine.playbackId)).toEqual([]);
    expect(await watch(cookie, mine.playbackId, 0, 4)).toBe(0);
  }, 30_000);

  it('takes a 1-byte Range as ~1/size of the segment time, so beats over it earn ~nothing', async () => {
    const cookie = await newCadre();
    const pb = await openPlayback(cookie);
    const seg = await segmentPath(pb.masterUrl, 1);
    const size = Number((await raw('HEAD', seg)).headers['content-length']);
    const r = await raw('GET', seg, { range: 'bytes=0-0' });
    expect(r.status).toBe(206);
    expect(r.body.length).toBe(1);
    await expect.poll(() => callsFor(recordDeliveredSpan, pb.playbackId).length).toBe(1);
    const [, from, to] = callsFor(recordDeliveredSpan, pb.playbackId)[0]!;
    expect(from).toBe(4);
    expect(to - from).toBeCloseTo(4 / size, 9);
    expect(callsFor(recordDelivery, pb.playbackId)).not.toContainEqual([pb.playbackId, 1]);
    expect(await watch(cookie, pb.playbackId, 4, 8)).toBeLessThan(0.01);
  }, 30_000);

  it('takes a whole GET as the whole segment, so beats over it earn its span', async () => {
    const cookie = await newCadre();
    const pb = await openPlayback(cookie);
    const r = await raw('GET', await segmentPath(pb.masterUrl, 1));
    expect(r.status).toBe(200);
    await expect.poll(() => callsFor(recordDelivery, pb.playbackId)).toEqual([[pb.playbackId, 1]]);
    expect(callsFor(recordDeliveredSpan, pb.playbackId)).toEqual([]);
    expect(await watch(cookie, pb.playbackId, 4, 8)).toBeCloseTo(4, 1);
  }, 30_000);

  it('takes a download aborted half-way as the part that was written, never the whole segment', async () => {
    // One 4-s segment of 64 MB: far more than the kernel buffers between server and client hold.
    const { Lecture } = t.app.store.models;
    const big = await Lecture.create({ title: '大分片', category: 'service', state: 'published', publishedAt: new Date(), durationSec: 4, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
    const prefix = `lectures/${String(big._id)}/hls`;
    const file = t.app.storage.path(`${prefix}/720p/seg_00000.ts`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(64 * 1024 * 1024));
    writeFileSync(t.app.storage.path(`${prefix}/master.m3u8`), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\n720p/index.m3u8\n');
    await Lecture.updateOne({ _id: big._id }, { $set: { 'media.prefix': prefix } });
    const cookie = await newCadre();
    const pb = await openPlayback(cookie, String(big._id));
    const path = pb.masterUrl.replace('master.m3u8', '720p/seg_00000.ts');
    const u = new URL(url);
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path }, (res) => {
        expect(res.statusCode).toBe(200);
        res.on('data', (c: Buffer) => {
          received += c.length;
          if (received < 512 * 1024) return;
          // The player stops reading (the viewer left), then the connection goes.
          res.pause();
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 500);
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    await expect.poll(() => callsFor(recordDeliveredSpan, pb.playbackId).length, { timeout: 5_000 }).toBe(1);
    const [, from, to] = callsFor(recordDeliveredSpan, pb.playbackId)[0]!;
    expect(from).toBe(0);
    expect(to).toBeGreaterThan(0);
    console.log(`aborted download: ${received} bytes read by the client, media [0, ${to.toFixed(3)}] s of 4 recorded`);
    expect(to).toBeLessThan(2); // under half of the 64 MB got out before the client went
    expect(callsFor(recordDelivery, pb.playbackId)).not.toContainEqual([pb.playbackId, 0]);
    expect(await watch(cookie, pb.playbackId, 0, 4)).toBeLessThan(2);
  }, 30_000);

  it('refuses backslash, dot, dot-dot, NUL, trailing-slash and empty segments in media paths with 404 and a code', async () => {
    const pb = await openPlayback(await newCadre());
    const base = pb.masterUrl.slice(0, pb.masterUrl.lastIndexOf('/') + 1);
    const seg = (await segmentPath(pb.masterUrl, 0)).slice(base.length);
    const [rendition, name] = seg.split('/') as [string, string];
    expect((await raw('GET', base + seg)).status).toBe(200);
    for (const bad of [`${rendition}%5C${name}`, `${rendition}\\${name}`, '.', `${rendition}/./${name}`, `${rendition}/%2E/${name}`, '..', `${rendition}/../${rendition}/${name}`, `..%2F..%2Fsource%2Fx.mp4`, `${name}%00`, `${rendition}/${name}/`, `${rendition}/`, `${rendition}//${name}`]) {
      for (const method of ['GET', 'HEAD']) {
        const r = await raw(method, base + bad);
        expect(r.status, `${method} ${bad}`).toBe(404);
        if (method === 'GET') expect(JSON.parse(r.body.toString()).error.code, bad).toBe('NOT_FOUND');
      }
    }
  });
});

describe('live HLS on the live timeline', () => {
  it('places a segment of recording part 2 at the part offset, where the player reports it, and credits beats there', async () => {
    const { Lecture } = t.app.store.models;
    const startedAt = new Date(Date.now() - 60_000);
    const doc = await Lecture.create({ title: '直播(第二段)', category: 'service', state: 'published', publishedAt: new Date(), kind: 'live', live: { state: 'live', scheduledAt: startedAt, startedAt } });
    const stamp = String(startedAt.getTime());
    const part = (n: number) => `live/${String(doc._id)}/${stamp}/part-${n}`;
    // Part 2 began 37.5 s into the lecture (the camera was turned off and on); its segments count from 0 again.
    const offsetSec = 37.5;
    const outDir = t.app.storage.path(part(2));
    mkdirSync(outDir, { recursive: true });
    await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'event', '-hls_segment_filename', `${outDir}/seg_%05d.ts`, `${outDir}/index.m3u8`]);
    expect((await readdir(outDir)).filter((f) => f.endsWith('.ts')).length).toBeGreaterThanOrEqual(4);
    await Lecture.updateOne({ _id: doc._id }, { $set: { 'live.parts': [{ prefix: part(1), offsetSec: 0.4 }, { prefix: part(2), offsetSec }], media: { prefix: part(2), master: 'index.m3u8', segmentSec: 2 } } });
    const cookie = await newCadre();
    const pb = await openPlayback(cookie, String(doc._id));
    const path = pb.masterUrl.replace(/index\.m3u8$/, 'seg_00003.ts');
    const r = await raw('GET', path);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe((await stat(`${outDir}/seg_00003.ts`)).size);
    await expect.poll(() => callsFor(recordDeliveredSpan, pb.playbackId)).toEqual([[pb.playbackId, offsetSec + 6, offsetSec + 8]]);
    // Never as a part-local segment index (segment 3 would be 6-8 s on the timeline).
    expect(callsFor(recordDelivery, pb.playbackId)).not.toContainEqual([pb.playbackId, 3]);
    // The player reports part offset + its own time: 43.5 -> 45.5 on the live timeline.
    expect(await watch(cookie, pb.playbackId, offsetSec + 6, offsetSec + 8)).toBeCloseTo(2, 1);
  }, 60_000);
});

describe('segments for stations', () => {
  it('records a station fetch only for bytes sent: nothing for HEAD, ~1/size for a byte, the segment for a whole GET', async () => {
    const unit = (await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
    const st = await t.app.inject({ method: 'POST', url: '/api/stations', headers: { cookie: admin }, payload: { name: '字节测试站', type: 'village', unitId: String(unit), address: '通榆县', contact: { name: '站长', phone: '0436-1234567' } } });
    expect(st.statusCode, st.body).toBe(201);
    const stationId = st.json().id as string;
    const code = (await t.app.inject({ method: 'POST', url: `/api/stations/${stationId}/pairing`, headers: { cookie: admin } })).json().code as string;
    const paired = await t.app.inject({ method: 'POST', url: '/api/stations/pair', payload: { code } });
    const station = `station=${paired.cookies.find((c) => c.name === 'station')!.value}`;
    const sched = await t.app.inject({ method: 'POST', url: '/api/timetable', headers: { cookie: admin }, payload: { lectureId, startAt: new Date(Date.now() - 1_000).toISOString(), stationIds: [stationId] } });
    expect(sched.statusCode, sched.body).toBeLessThan(300);
    const pb = await t.app.inject({ method: 'POST', url: '/api/kiosk/playback', headers: { cookie: station }, payload: { sessionId: sched.json().session.id } });
    expect(pb.statusCode, pb.body).toBe(200);
    const playbackId = pb.json().playbackId as string;
    const master = pb.json().masterUrl as string;
    const variant = (await t.app.inject({ url: master, headers: { cookie: station } })).body.split('\n').find((l) => l && !l.startsWith('#'))!;
    const seg = `${master.slice(0, master.lastIndexOf('/') + 1)}${variant.slice(0, variant.lastIndexOf('/') + 1)}seg_00001.ts`;
    const fetched = vi.spyOn(t.app.stations.attendance, 'recordFetch');
    const span = vi.spyOn(t.app.stations.attendance, 'recordFetchedSpan');
    const ask = (method: string, path: string, headers: Record<string, string> = {}) => raw(method, path, { cookie: station, ...headers });

    const head = await ask('HEAD', seg);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const size = Number(head.headers['content-length']);
    await sleep(100);
    expect(fetched).not.toHaveBeenCalled();
    expect(span).not.toHaveBeenCalled();

    expect((await ask('GET', seg, { range: 'bytes=0-0' })).status).toBe(206);
    await expect.poll(() => span.mock.calls.length).toBe(1);
    const [, , from, to] = span.mock.calls[0]!;
    expect([span.mock.calls[0]![0], span.mock.calls[0]![1], from]).toEqual([stationId, lectureId, 4]);
    expect(to - from).toBeCloseTo(4 / size, 9);
    expect(callsFor(recordDeliveredSpan, playbackId)).toEqual([[playbackId, from, to]]);
    expect(fetched).not.toHaveBeenCalled();

    expect((await ask('GET', seg)).status).toBe(200);
    await expect.poll(() => fetched.mock.calls).toEqual([[stationId, lectureId, 1]]);
    expect(callsFor(recordDelivery, playbackId)).toContainEqual([playbackId, 1]);

    const base = seg.slice(0, seg.lastIndexOf('/') + 1);
    for (const bad of ['seg_00001.ts/', '%5Cseg_00001.ts', './seg_00001.ts', '%2E', '/seg_00001.ts', '..%2Findex.m3u8']) {
      const r = await ask('GET', base + bad);
      expect(r.status, bad).toBe(404);
      expect(JSON.parse(r.body.toString()).error.code, bad).toBe('NOT_FOUND');
    }
  }, 30_000);
});
