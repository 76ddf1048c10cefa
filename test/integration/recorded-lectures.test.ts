/**
 * Recorded lectures end to end on the real parts: tus upload (chunked, interrupted, resumed)
 * into the real FerretDB, ffprobe checks, the persistent transcode job with real ffmpeg, the
 * HLS ladder verified with ffprobe, catalog search, and guarded delivery (audience, tokens).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeClip, makeEmpty, makeMediaTmpDir, makeTextAsMp4, makeTruncated, removeDir } from '../helpers/media-fixtures';
import { tusUpload } from '../helpers/tus';

const run = promisify(execFile);
let t: TestApp;
let url: string;
let dir: string;
let lecturer: string;
let cadre: string;
let outsider: string;
let clip20: string;
let units: Map<string, unknown>;

const api = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await t.app.inject({ method: method as 'GET', url: path, headers: { cookie }, payload: body as object });
  return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers };
};

async function newLecture(title: string, extra: Record<string, unknown> = {}) {
  const res = await api('POST', '/api/lectures', lecturer, { title, category: 'development', topic: '乡村振兴', tags: ['基层治理'], creditHours: 1, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function waitProcessing(id: string, states: string[], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
    if (states.includes(l.processing.state)) return l;
    if (Date.now() > deadline) throw new Error(`lecture ${id} stuck in ${JSON.stringify(l.processing)}`);
    await sleep(300);
  }
}

async function ffprobeJson(target: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', target]);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('recorded-');
  clip20 = await makeClip(dir, { seconds: 20, width: 1280, height: 720 });
  t = await build({ TRANSCODE_PRESET: 'superfast', JOB_RETRY_BASE_MS: '500' });
  const seeded = await seedDemo(t.app.store.models);
  units = seeded.unitIds;
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  await t.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: 'outsider', displayName: '外单位干部', password: 'xuexi2026', role: 'cadre', orgUnitId: String(units.get('兴隆社区党委')) } });
  outsider = await login(t.app, 'outsider', 'xuexi2026');
}, 120_000);
afterAll(async () => {
  await t?.close();
  await removeDir(dir);
});

describe('upload, processing, catalog and delivery', () => {
  let id: string;
  let master: string;

  it('resumes a chunked tus upload after it was interrupted, then transcodes it', async () => {
    id = await newLecture('乡村振兴与基层治理专题讲座', { summary: '清华大学远程教学站录制', audienceUnitIds: [String(units.get('苏公坨乡党委'))] });
    const first = await tusUpload(url, lecturer, clip20, { lectureId: id, filetype: 'video/mp4' }, { chunkSize: 128 * 1024, abortAtFraction: 0.3 });
    expect(first.url).toBeTruthy();
    const head = await fetch(first.url!, { method: 'HEAD', headers: { cookie: lecturer, 'tus-resumable': '1.0.0' } });
    const offset = Number(head.headers.get('upload-offset'));
    const size = (await readFile(clip20)).length;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(size);
    const resumed = await tusUpload(url, lecturer, clip20, { lectureId: id }, { chunkSize: 128 * 1024, uploadUrl: first.url! });
    expect(resumed.error).toBeUndefined();
    // It continued from where it stopped instead of starting over.
    expect(resumed.progress[0]!).toBeGreaterThanOrEqual(offset / size - 0.01);
    const done = await waitProcessing(id, ['ready', 'failed']);
    expect(done.processing.state).toBe('ready');
    expect(done.durationSec).toBeGreaterThanOrEqual(19);
    expect(done.state).toBe('draft');
    // The studio names the finished rungs (shown in words: 高清 720p, 标清 360p, 仅音频).
    expect(done.renditions).toEqual(['720p', '480p', '360p', 'audio']);
    // The lecture is marked ready inside the job; the queue marks the job done just after it returns.
    await expect.poll(async () => (await t.app.store.models.Job.findOne({ 'payload.lectureId': id }).lean())?.state, { timeout: 10_000 }).toBe('done');
    expect(await t.app.store.models.Job.findOne({ 'payload.lectureId': id }).lean()).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('is found by a Chinese search word only after it is published', async () => {
    const before = await api('GET', `/api/lectures?q=${encodeURIComponent('基层治理')}`, cadre);
    expect(before.body.items.map((l: { id: string }) => l.id)).not.toContain(id);
    const pub = await api('POST', `/api/lectures/${id}/publish`, lecturer);
    expect(pub.status).toBe(200);
    // Also by its category's name (发展能力, in either language), which none of its own fields says.
    for (const q of ['基层治理', '振兴', '远程教学站', '刘教授', '发展能力', 'development capability']) {
      const res = await api('GET', `/api/lectures?q=${encodeURIComponent(q)}`, cadre);
      expect(res.body.items.map((l: { id: string }) => l.id), q).toContain(id);
    }
    const miss = await api('GET', `/api/lectures?q=${encodeURIComponent('治基层')}`, cadre);
    expect(miss.body.items.map((l: { id: string }) => l.id)).not.toContain(id);
    const filtered = await api('GET', `/api/lectures?category=development&topic=${encodeURIComponent('乡村振兴')}&required=false&sort=popular`, cadre);
    expect(filtered.body.items.map((l: { id: string }) => l.id)).toContain(id);
    expect(filtered.body.facets.topics).toContain('乡村振兴');
  });

  it('serves an HLS ladder of H.264/AAC rungs at or below the source, checked with ffprobe', async () => {
    const pb = await api('POST', `/api/lectures/${id}/playback`, cadre);
    expect(pb.status).toBe(200);
    master = pb.body.masterUrl;
    const masterRes = await fetch(url + master, { headers: { cookie: cadre } });
    expect(masterRes.status).toBe(200);
    expect(masterRes.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const text = await masterRes.text();
    const variants = text.split('\n').filter((l) => l && !l.startsWith('#'));
    const resolutions = [...text.matchAll(/RESOLUTION=(\d+)x(\d+)/g)].map((m) => Number(m[2]));
    expect(resolutions.sort((a, b) => b - a)).toEqual([720, 480, 360]);
    expect(text).toMatch(/CODECS="[^"]*avc1/);
    expect(variants.length).toBeGreaterThanOrEqual(4); // three video rungs + audio-only
    const base = url + master.slice(0, master.lastIndexOf('/') + 1);
    for (const v of variants) {
      const playlist = await (await fetch(base + v)).text();
      const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
      expect(durations.length).toBeGreaterThanOrEqual(4);
      durations.slice(0, -1).forEach((d) => expect(Math.abs(d - 4)).toBeLessThanOrEqual(1));
      expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(20, 0);
      const seg = playlist.split('\n').find((l) => l && !l.startsWith('#'))!;
      const segUrl = base + v.slice(0, v.lastIndexOf('/') + 1) + seg;
      const probe = await ffprobeJson(segUrl);
      const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
      const audio = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'audio');
      expect(audio?.codec_name).toBe('aac');
      if (video) {
        expect(video.codec_name).toBe('h264');
        expect(['High', 'Main']).toContain(video.profile);
        expect(video.pix_fmt).toBe('yuv420p');
      }
    }
  });

  it('answers Range requests on segments with 206 and private caching', async () => {
    const base = url + master.slice(0, master.lastIndexOf('/') + 1);
    const variant = (await (await fetch(url + master)).text()).split('\n').find((l) => l && !l.startsWith('#'))!;
    const seg = (await (await fetch(base + variant)).text()).split('\n').find((l) => l && !l.startsWith('#'))!;
    const res = await fetch(base + variant.slice(0, variant.lastIndexOf('/') + 1) + seg, { headers: { range: 'bytes=0-187' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toMatch(/^bytes 0-187\/\d+$/);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+, immutable$/);
    expect((await res.arrayBuffer()).byteLength).toBe(188);
  });

  it('refuses playlists and segments to a user outside the audience', async () => {
    const own = await api('POST', `/api/lectures/${id}/playback`, outsider);
    expect(own.status).toBe(403);
    const variant = (await (await fetch(url + master)).text()).split('\n').find((l) => l && !l.startsWith('#'))!;
    const base = url + master.slice(0, master.lastIndexOf('/') + 1);
    expect((await fetch(url + master, { headers: { cookie: outsider } })).status).toBe(403);
    expect((await fetch(base + variant, { headers: { cookie: outsider } })).status).toBe(403);
    const seg = (await (await fetch(base + variant)).text()).split('\n').find((l) => l && !l.startsWith('#'))!;
    expect((await fetch(base + variant.slice(0, variant.lastIndexOf('/') + 1) + seg, { headers: { cookie: outsider } })).status).toBe(403);
  });

  it('refuses a forged or path-escaping media URL', async () => {
    const token = master.split('/')[3]!;
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const res = await fetch(`${url}/media/hls/${forged}/master.m3u8`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PLAYBACK_INVALID');
    expect((await fetch(`${url}/media/hls/${token}/..%2F..%2Fsource%2Fx.mp4`)).status).toBe(404);
  });

  it('stops serving a withdrawn lecture to viewers', async () => {
    expect((await api('POST', `/api/lectures/${id}/withdraw`, lecturer)).status).toBe(200);
    const res = await api('POST', `/api/lectures/${id}/playback`, cadre);
    expect([403, 404]).toContain(res.status);
    const list = await api('GET', '/api/lectures', cadre);
    expect(list.body.items.map((l: { id: string }) => l.id)).not.toContain(id);
    await api('POST', `/api/lectures/${id}/publish`, lecturer);
  });
});

describe('bad uploads', () => {
  it.each([
    ['a text file named .mp4', 'not-media', (d: string) => makeTextAsMp4(d)],
    ['a truncated mp4', 'corrupt', async (d: string) => makeTruncated(d, await makeClip(d, { seconds: 4, width: 320, height: 240, faststart: false, name: 'cut-src.mp4' }))],
    ['an empty file', 'empty-file', (d: string) => makeEmpty(d)],
  ])('rejects %s with the reason and keeps nothing', async (_name, reason, make) => {
    const id = await newLecture(`坏文件测试 ${reason}`);
    const file = await make(dir);
    const res = await tusUpload(url, lecturer, file, { lectureId: id });
    expect(res.error?.status).toBe(422);
    const body = JSON.parse(res.error!.body!);
    expect(body.error).toMatchObject({ code: 'MEDIA_REJECTED', details: { reason } });
    expect(body.error.message).toMatch(/文件不是可用的音视频/);
    const l = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
    expect(l.processing.state).toBe('rejected');
    expect(l.processing.error.code).toBe('MEDIA_REJECTED');
    expect(await t.app.store.models.Job.countDocuments({ 'payload.lectureId': id })).toBe(0);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(t.app.config.media.uploadDir)).filter((f) => !f.endsWith('.json') && f.length > 10).length).toBeLessThanOrEqual(1);
  });

  it('accepts an audio-only lecture and gives it audio rungs only', async () => {
    const id = await newLecture('党史党性教育音频课');
    const file = await makeClip(dir, { seconds: 10, width: 320, height: 240, video: false });
    const res = await tusUpload(url, lecturer, file, { lectureId: id });
    expect(res.error).toBeUndefined();
    const done = await waitProcessing(id, ['ready', 'failed']);
    expect(done.processing.state).toBe('ready');
    const pb = await api('POST', `/api/lectures/${id}/playback`, lecturer);
    const text = await (await fetch(url + pb.body.masterUrl)).text();
    expect(text).not.toMatch(/RESOLUTION=/);
    expect(text).toMatch(/mp4a/);
  });

  it('refuses uploads from cadres and to lectures of another lecturer', async () => {
    const id = await newLecture('权限测试');
    const asCadre = await tusUpload(url, cadre, clip20, { lectureId: id });
    expect(asCadre.error?.status).toBe(403);
    const noLecture = await tusUpload(url, lecturer, clip20, {});
    expect(noLecture.error?.status).toBe(400);
  });

  it('refuses publishing before the media is ready', async () => {
    const id = await newLecture('尚无视频');
    const res = await api('POST', `/api/lectures/${id}/publish`, lecturer);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('MEDIA_NOT_READY');
  });
});

describe('playback tokens', () => {
  it('refuses an expired token with PLAYBACK_EXPIRED', async () => {
    const short = await build({ PLAYBACK_TOKEN_TTL_SECONDS: '1', TRANSCODE_PRESET: 'superfast' });
    try {
      // Reuse the finished ladder: copy the lecture row into the short-lived app's database.
      const source = await t.app.store.models.Lecture.findOne({ 'processing.state': 'ready', state: 'published' }).lean();
      await short.app.store.models.Lecture.create({ ...source, _id: source!._id });
      short.app.storage.path = t.app.storage.path.bind(t.app.storage);
      short.app.storage.exists = t.app.storage.exists.bind(t.app.storage);
      await seedDemo(short.app.store.models);
      await short.app.catalog.reloadIndex();
      const cookie = await login(short.app, 'orgadmin', DEMO_PASSWORD);
      const pb = await short.app.inject({ method: 'POST', url: `/api/lectures/${source!._id}/playback`, headers: { cookie } });
      expect(pb.statusCode).toBe(200);
      const ok = await short.app.inject({ url: pb.json().masterUrl });
      expect(ok.statusCode).toBe(200);
      // A 1 s token lives between 1 and 2 s (expiry rounded up to the second).
      await sleep(2100);
      const expired = await short.app.inject({ url: pb.json().masterUrl });
      expect(expired.statusCode).toBe(403);
      expect(expired.json().error.code).toBe('PLAYBACK_EXPIRED');
    } finally {
      await short.close();
    }
  });
});
