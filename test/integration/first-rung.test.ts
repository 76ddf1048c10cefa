/**
 * First rung first (issue 20), on the real parts: tus upload, the store, the transcode job with
 * real ffmpeg. A lecture plays at its lowest rung (master lists one video rung, its segments are
 * served and credited) while the higher rungs are still encoding; the master later gains them,
 * and what a player fetched before stays valid after (same rung URI, same segments). While we
 * look, the encoder of the higher rungs is paused (SIGSTOP), as a slow machine would hold it,
 * so "still encoding" does not depend on how fast this machine is.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildListening, type TestApp } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { continuePaused } from '../helpers/process';
import { tusUpload } from '../helpers/tus';

const run = promisify(execFile);
let t: TestApp;
let url: string;
let dir: string;
let lecturer: string;
let cadre: string;
const stopped = new Set<number>();

const api = async (method: string, path: string, cookie: string, body?: unknown) => {
  const res = await t.app.inject({ method: method as 'GET', url: path, headers: { cookie }, payload: body as object });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};
const uris = (m3u8: string) => m3u8.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const durations = (m3u8: string) => [...m3u8.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));

/** ffmpeg children of this test whose argv writes the given rung (a pass of the ladder). */
function encodersOf(rung: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('ffmpeg')) && argv.some((a) => a.includes(t.env.DATA_DIR!)) && argv.some((a) => a.includes(`name:${rung}`))) pids.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

async function resume() {
  continuePaused(stopped);
}

beforeAll(async () => {
  dir = await makeMediaTmpDir('first-rung-');
  ({ t, url, cookies: [lecturer, cadre] } = await buildListening({ TRANSCODE_PRESET: 'ultrafast', JOB_RETRY_BASE_MS: '500' }, ['lecturer', 'cadre']));
}, 120_000);
afterAll(async () => {
  await resume();
  await t?.close();
  await removeDir(dir);
});

describe('a lecture is watchable at its first rung', () => {
  it('plays at 360p while 720p and 480p encode, then the master gains them without breaking the first playlist', async () => {
    const clip = await makeClip(dir, { seconds: 24, width: 1280, height: 720 });
    const created = await api('POST', '/api/lectures', lecturer, { title: '首档先行：基层治理专题', category: 'service', creditHours: 1 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const up = await tusUpload(url, lecturer, clip, { lectureId: id }, { chunkSize: 4 * 1024 * 1024 });
    expect(up.error).toBeUndefined();

    // The higher rungs' encoder starts right after the first rung is listed: hold it there.
    const deadline = Date.now() + 120_000;
    let l = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
    // Complete, not while it grows (first-rung-growing tests that): its pass is then over.
    while (!l.renditions?.length || l.growingRungs?.length) {
      expect(l.processing.state, JSON.stringify(l.processing)).not.toMatch(/failed|rejected|ready/);
      if (Date.now() > deadline) throw new Error(`first rung never listed: ${JSON.stringify(l.processing)}`);
      const pids = encodersOf('720p');
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      for (const pid of pids) stopped.add(pid);
      await sleep(50);
      l = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
    }
    await expect.poll(() => encodersOf('720p').length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(0);
    for (const pid of encodersOf('720p').filter((p) => !stopped.has(p))) {
      process.kill(pid, 'SIGSTOP');
      stopped.add(pid);
    }
    try {
      l = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
      expect(l.renditions).toEqual(['360p']);
      expect(l.pendingRungs).toEqual(['720p', '480p', 'audio']);
      expect(l.processing.state).toBe('running');
      expect(l.state).toBe('draft');
      expect(l.durationSec).toBeGreaterThanOrEqual(23);
      expect(l.coverUrl).toBeTruthy();
      expect((await api('POST', `/api/lectures/${id}/publish`, lecturer)).status).toBe(200);
      // The catalog card says the higher qualities are still coming (高清版本处理中).
      const card = async () => ((await api('GET', '/api/lectures?pageSize=100', cadre)).body.items as { id: string; higherRungsPending?: boolean }[]).find((c) => c.id === id);
      expect((await card())?.higherRungsPending).toBe(true);

      // A cadre opens it: one video rung, its segments served and counted as delivered.
      const recordDelivery = vi.spyOn(t.app.study, 'recordDelivery');
      const pb = await api('POST', `/api/lectures/${id}/playback`, cadre);
      expect(pb.status).toBe(200);
      const masterUrl = url + pb.body.masterUrl;
      const base = masterUrl.slice(0, masterUrl.lastIndexOf('/') + 1);
      const before = await (await fetch(masterUrl)).text();
      expect([...before.matchAll(/RESOLUTION=\d+x(\d+)/g)].map((m) => m[1])).toEqual(['360']);
      expect(uris(before)).toEqual(['360p/index.m3u8']);
      const rungBefore = await (await fetch(base + '360p/index.m3u8')).text();
      expect(rungBefore).toContain('#EXT-X-ENDLIST');
      const segs = uris(rungBefore);
      expect(segs.length).toBeGreaterThanOrEqual(6);
      for (const seg of segs) {
        const res = await fetch(base + '360p/' + seg);
        expect(res.status).toBe(200);
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
      }
      await expect.poll(() => recordDelivery.mock.calls.filter((c) => c[0] === pb.body.playbackId).map((c) => c[1]).sort((a, b) => a - b), { timeout: 5000 }).toEqual(segs.map((_, i) => i));
      const firstProbe = JSON.parse((await run('ffprobe', ['-v', 'error', '-of', 'json', '-show_entries', 'stream=codec_name,pix_fmt,height', base + '360p/' + segs[0]])).stdout) as { streams: { codec_name: string; pix_fmt?: string; height?: number }[] };
      expect(firstProbe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(firstProbe.streams.find((s) => s.codec_name === 'h264')).toMatchObject({ pix_fmt: 'yuv420p', height: 360 });
      // Still encoding: nothing more listed yet.
      expect((await api('GET', `/api/lectures/${id}`, lecturer)).body.pendingRungs).toEqual(['720p', '480p', 'audio']);

      await resume();
      const done = await waitReady(id);
      expect(done.renditions).toEqual(['720p', '480p', '360p', 'audio']);
      expect(done.pendingRungs).toEqual([]);
      expect(done.state).toBe('published');
      expect((await card())?.higherRungsPending).toBeUndefined();

      // The same playback (a player that started before) and a new one both see a valid ladder.
      const after = await (await fetch(masterUrl)).text();
      expect(uris(after)).toEqual(['720p/index.m3u8', '480p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8']);
      expect(await (await fetch(base + '360p/index.m3u8')).text()).toBe(rungBefore);
      for (const seg of segs) {
        const res = await fetch(base + '360p/' + seg);
        expect(res.status).toBe(200);
        await res.arrayBuffer(); // a body left unread would hold the connection open past close()
      }
      for (const rung of ['720p', '480p']) {
        const text = await (await fetch(base + `${rung}/index.m3u8`)).text();
        // Cut at the same times as the first rung, so a player switches at any boundary.
        expect(durations(text)).toEqual(durations(rungBefore));
        const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-of', 'json', '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'packet=pts_time,flags:stream=codec_name,pix_fmt,profile', base + `${rung}/${uris(text)[1]}`])).stdout) as { streams: { codec_name: string; pix_fmt: string; profile: string }[]; packets: { pts_time: string; flags: string }[] };
        expect(probe.streams[0]).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
        expect(probe.packets[0]!.flags).toMatch(/^K/);
      }
      const fresh = await api('POST', `/api/lectures/${id}/playback`, cadre);
      expect(uris(await (await fetch(url + fresh.body.masterUrl)).text())).toHaveLength(4);
      const job = await t.app.store.models.Job.findOne({ 'payload.lectureId': id }).lean();
      expect(job?.attempts).toBe(1);
    } finally {
      await resume();
    }
  }, 240_000);
});

async function waitReady(id: string) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const l = (await api('GET', `/api/lectures/${id}`, lecturer)).body;
    if (l.processing.state === 'ready') return l;
    expect(l.processing.state).not.toBe('failed');
    if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(l.processing)}`);
    await sleep(200);
  }
}
