/**
 * A transcode that fails for good while its first rung still grows (issue 20's leftover), on the
 * real parts: tus upload, the store, the job queue (one attempt) and real ffmpeg, whose first-pass
 * encoder is slowed (SIGSTOP/SIGCONT) until the growing rung is listed and then killed.
 * - A new lecture: it had no complete rung, so it goes back to having no media: unlisted from the
 *   catalog though its editor had published it while it grew, playback refused, the partial folder
 *   removed, the reason on the lecture.
 * - A published lecture given a new upload: it goes back to the ladder it played before (the
 *   folder kept while the new rung grew), its length with it; a later upload that completes then
 *   removes that ladder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildListening, type TestApp } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { processesMatching } from '../helpers/process';
import { tusUpload } from '../helpers/tus';

let t: TestApp;
let url: string;
let dir: string;
let lecturer: string;
let cadre: string;
let longClip: string;
let shortClip: string;

const api = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await t.app.inject({ method: method as 'GET', url: path, headers: { cookie }, payload: body as object });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};
const lectureDoc = (id: string) => t.app.store.models.Lecture.findById(id).lean();
const uris = (m3u8: string) => m3u8.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const inCatalog = async (id: string) => ((await api('GET', '/api/lectures?pageSize=100', cadre)).body.items as { id: string }[]).some((c) => c.id === id);

/** The first pass's encoder of this test's uploads (its argv names the 360p rung and our data folder). */
const firstPassEncoders = () => processesMatching('name:360p').filter((pid) => cmdline(pid).includes(t.env.DATA_DIR!));
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // ended while we looked
  }
};

/**
 * Holds the first-pass encoder to a fifth of its speed until the lecture lists its growing rung,
 * then stops it there (SIGSTOP) and returns its pids: killing them fails the job's only attempt
 * while the rung grows.
 */
async function holdWhileGrowing(id: string): Promise<number[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`never listed while growing: ${JSON.stringify((await lectureDoc(id))?.processing)}`);
    const pids = firstPassEncoders();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const l = await lectureDoc(id);
    expect(l?.processing?.state, JSON.stringify(l?.processing)).not.toMatch(/failed|ready|rejected/);
    if (l?.media?.growing?.length && pids.length > 0) return pids;
    await sleep(200);
    for (const pid of pids) process.kill(pid, 'SIGCONT');
    await sleep(50);
  }
}

const kill = (pids: number[]) => pids.forEach((pid) => process.kill(pid, 'SIGKILL'));

async function waitProcessing(id: string, state: 'failed' | 'ready') {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const l = await lectureDoc(id);
    if (l?.processing?.state === state) return l;
    if (Date.now() > deadline) throw new Error(`not ${state}: ${JSON.stringify(l?.processing)}`);
    await sleep(200);
  }
}

async function upload(id: string, clip: string) {
  const up = await tusUpload(url, lecturer, clip, { lectureId: id }, { chunkSize: 4 * 1024 * 1024 });
  expect(up.error).toBeUndefined();
  // The job of this upload (a lecture's jobs are never reused).
  await expect.poll(async () => (await lectureDoc(id))?.processing?.state, { timeout: 20_000, interval: 100 }).toMatch(/queued|running/);
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('first-rung-given-up-');
  [longClip, shortClip] = await Promise.all([makeClip(dir, { seconds: 40, width: 1280, height: 720 }), makeClip(dir, { seconds: 12, width: 1280, height: 720 })]);
  ({ t, url, cookies: [lecturer, cadre] } = await buildListening({ TRANSCODE_PRESET: 'ultrafast', JOB_MAX_ATTEMPTS: '1' }, ['lecturer', 'cadre']));
}, 120_000);
afterAll(async () => {
  for (const pid of processesMatching('ffmpeg')) if (t && cmdline(pid).includes(t.env.DATA_DIR!)) process.kill(pid, 'SIGCONT');
  await t?.close();
  await removeDir(dir);
});

describe('an upload given up on while its first rung grows', () => {
  it('leaves a new lecture without media: unlisted, playback refused, the partial folder gone', async () => {
    const created = await api('POST', '/api/lectures', lecturer, { title: '首档失败：乡村治理案例', category: 'service', creditHours: 1 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await upload(id, longClip);

    // Growing: watchable from its start, and its editor publishes it.
    const encoders = await holdWhileGrowing(id);
    expect((await api('POST', `/api/lectures/${id}/publish`, lecturer)).status).toBe(200);
    expect(await inCatalog(id)).toBe(true);
    const partial = t.app.storage.path((await lectureDoc(id))!.media!.prefix!);
    expect(existsSync(partial)).toBe(true);

    kill(encoders);
    const failed = await waitProcessing(id, 'failed');
    expect(failed.processing?.error?.code).toBe('TRANSCODE_FAILED');
    expect(failed.media).toBeUndefined();
    expect(failed.mediaBefore).toBeUndefined();
    expect(failed.state).toBe('processing');
    await expect.poll(() => existsSync(partial), { timeout: 10_000, interval: 100 }).toBe(false);
    expect(await inCatalog(id)).toBe(false);
    const view = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
    expect(view).toMatchObject({ renditions: [], growingRungs: [], state: 'processing', processing: { state: 'failed', error: { code: 'TRANSCODE_FAILED' } } });
    const pb = await api('POST', `/api/lectures/${id}/playback`, cadre);
    expect(pb.status).toBeGreaterThanOrEqual(400);
    expect(pb.status).toBeLessThan(500);
    // Publishing again needs a new upload.
    const again = await api('POST', `/api/lectures/${id}/publish`, lecturer);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'MEDIA_NOT_READY' } } });
  }, 240_000);

  it('puts a published lecture back on the ladder it played before; a later upload that completes removes that ladder', async () => {
    const created = await api('POST', '/api/lectures', lecturer, { title: '重新上传：基层党建讲座', category: 'implementation', creditHours: 1 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await upload(id, shortClip);
    const first = await waitProcessing(id, 'ready');
    expect((await api('POST', `/api/lectures/${id}/publish`, lecturer)).status).toBe(200);
    const oldMedia = first.media!;
    const oldFolder = t.app.storage.path(oldMedia.prefix!);
    expect(first.durationSec).toBe(12);

    // A longer source replaces it: the old ladder's length stays until the new one plays, and its
    // folder while the new first rung grows.
    await upload(id, longClip);
    expect((await lectureDoc(id))!.durationSec).toBe(12);
    const encoders = await holdWhileGrowing(id);
    const growing = (await lectureDoc(id))!;
    expect(growing.media!.prefix).not.toBe(oldMedia.prefix);
    expect(growing.durationSec).toBeGreaterThanOrEqual(39);
    expect(growing.mediaBefore?.media?.prefix).toBe(oldMedia.prefix);
    expect(growing.mediaBefore?.durationSec).toBe(12);
    expect(existsSync(oldFolder)).toBe(true);
    const partial = t.app.storage.path(growing.media!.prefix!);

    kill(encoders);
    const failed = await waitProcessing(id, 'failed');
    expect(failed.media).toMatchObject({ prefix: oldMedia.prefix, master: oldMedia.master });
    expect(failed.media!.renditions!.map((r) => r.name)).toEqual(oldMedia.renditions!.map((r) => r.name));
    expect(failed.media!.growing).toBeUndefined();
    expect(failed.mediaBefore).toBeUndefined();
    expect(failed.durationSec).toBe(12);
    expect(failed.state).toBe('published');
    expect(failed.processing?.error).toMatchObject({ code: 'TRANSCODE_FAILED', message: expect.stringContaining('课程继续播放原来的视频'), messageEn: expect.stringContaining('plays its previous video') });
    await expect.poll(() => existsSync(partial), { timeout: 10_000, interval: 100 }).toBe(false);
    expect(await inCatalog(id)).toBe(true);
    // It plays its old ladder, every rung there.
    const pb = await api('POST', `/api/lectures/${id}/playback`, cadre);
    expect(pb.status).toBe(200);
    const master = await fetch(url + pb.body.masterUrl);
    expect(master.status).toBe(200);
    const rungs = uris(await master.text());
    expect(rungs.length).toBe(oldMedia.renditions!.length);
    const base = (url + pb.body.masterUrl).replace(/[^/]+$/, '');
    for (const rung of rungs) {
      const res = await fetch(base + rung);
      expect(res.status, rung).toBe(200);
      expect(await res.text()).toContain('#EXT-X-ENDLIST');
    }

    // An upload that completes: the ladder before goes, nothing is kept aside.
    await upload(id, shortClip);
    const done = await waitProcessing(id, 'ready');
    expect(done.media!.prefix).not.toBe(oldMedia.prefix);
    expect(done.mediaBefore).toBeUndefined();
    expect(done.state).toBe('published');
    await expect.poll(() => existsSync(oldFolder), { timeout: 10_000, interval: 100 }).toBe(false);
    expect(existsSync(t.app.storage.path(done.media!.prefix!))).toBe(true);
  }, 300_000);
});
