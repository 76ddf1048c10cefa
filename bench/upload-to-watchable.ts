/**
 * First rung first, through the whole portal (issue 20): how long after a lecturer's upload of an
 * hour of 1080p ends can a cadre watch it. A real portal on loopback (FerretDB, the job queue,
 * ffmpeg): the lecturer creates a lecture and uploads the cached hour (bench/first-rung.ts
 * `--looped` source, made if missing) with tus; from the upload's last byte acknowledged the
 * bench polls the lecture until a rung is listed, publishes it, and as a cadre opens a playback
 * and fetches the master, the rung's playlist and its first segment, as hls.js does:
 * **upload end → a cadre's first segment**. Baseline in the same run: upload end → the lowest
 * rung complete (when it was first listed before it grew, and when it can be sought anywhere).
 * The higher rungs are not waited for (bench/first-rung.ts times the whole ladder).
 * Human lines to stderr, one JSON line to stdout.
 *
 *   node --import tsx bench/upload-to-watchable.ts [--minutes 60]
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import * as tus from 'tus-js-client';
import { benchApp } from './lib';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '60' } } });
const minutes = Number(values.minutes);
const log = (line: string) => process.stderr.write(`${line}\n`);
const load = () => loadavg().map((l) => l.toFixed(2));

const source = join(tmpdir(), 'cadre-bench', `lecture-${minutes}min-1920x1080-4000k${minutes > 1 ? '-looped' : ''}.mp4`);
if (!(await stat(source).catch(() => null))) {
  log(`upload bench | making the source with bench/first-rung.ts (once)`);
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/first-rung.ts', '--minutes', String(minutes), '--source-kbps', '4000', '--looped', '--watchable-only', '--skip-baseline'], { maxBuffer: 1 << 24 });
}
const bytes = (await stat(source)).size;

/** The lecturer's upload, with tus-js-client as the studio does (64 MiB chunks: loopback). */
async function upload(url: string, cookie: string, lectureId: string, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    new tus.Upload(data, {
      endpoint: `${url}/api/uploads/`,
      chunkSize: 64 * 1024 * 1024,
      retryDelays: [],
      headers: { cookie },
      metadata: { filename: 'lecture-1080p.mp4', lectureId },
      storeFingerprintForResuming: false,
      onSuccess: () => resolve(),
      onError: reject,
    }).start();
  });
}

const bench = await benchApp();
try {
  const { app, url } = bench;
  await seedDemo(app.store.models);
  const login = async (username: string) => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
    return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  };
  const call = async (method: string, path: string, cookie: string, body?: unknown) => {
    const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json().catch(() => undefined)) as any;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const lecturer = await login('lecturer');
  const cadre = await login('cadre');
  const { id } = await call('POST', '/api/lectures', lecturer, { title: '基层党组织建设专题（一小时）', category: 'service', creditHours: 1 });
  log(`upload bench | ${minutes} min 1080p, ${(bytes / 1e9).toFixed(2)} GB [cpus:${availableParallelism()} load:${load().join(' ')}]`);

  const data = await readFile(source);
  const t0 = performance.now();
  await upload(url, lecturer, id, data);
  const uploaded = performance.now();
  log(`upload bench | upload ${((uploaded - t0) / 1000).toFixed(1)} s (${((bytes * 8) / ((uploaded - t0) / 1000) / 1e6).toFixed(0)} Mbit/s on loopback)`);
  const since = () => (performance.now() - uploaded) / 1000;

  let listedSec: number | null = null;
  let firstSegmentSec: number | null = null;
  let completeSec: number | null = null;
  let published = false;
  const deadline = uploaded + minutes * 60_000;
  while (completeSec === null) {
    if (performance.now() > deadline) throw new Error('the lowest rung was not complete within real time');
    const l = await call('GET', `/api/lectures/${id}`, lecturer);
    if (l.processing?.state === 'failed' || l.processing?.state === 'rejected') throw new Error(`processing ${JSON.stringify(l.processing)}`);
    if (l.renditions?.length && listedSec === null) {
      listedSec = since();
      log(`upload bench | +${listedSec.toFixed(1)} s: listed ${l.renditions.join(',')} (growing ${(l.growingRungs ?? []).join(',') || '-'})`);
    }
    if (l.renditions?.length && !published) {
      await call('POST', `/api/lectures/${id}/publish`, lecturer);
      published = true;
      const pb = await call('POST', `/api/lectures/${id}/playback`, cadre);
      const master = await (await fetch(url + pb.masterUrl)).text();
      const base = url + pb.masterUrl.slice(0, pb.masterUrl.lastIndexOf('/') + 1);
      const rung = master.split('\n').find((line) => line && !line.startsWith('#'))!;
      const playlist = await (await fetch(base + rung)).text();
      const seg = playlist.split('\n').find((line) => line && !line.startsWith('#'))!;
      const res = await fetch(base + rung.slice(0, rung.lastIndexOf('/') + 1) + seg);
      const size = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200 || size < 1000) throw new Error(`first segment: ${res.status}, ${size} bytes`);
      firstSegmentSec = since();
      log(`upload bench | +${firstSegmentSec.toFixed(1)} s: a cadre has the first segment (${size} bytes; ${playlist.includes('#EXT-X-ENDLIST') ? 'finished' : 'growing'} playlist)`);
    }
    if (l.renditions?.length && !l.growingRungs?.length) {
      completeSec = since();
      log(`upload bench | +${completeSec.toFixed(1)} s: lowest rung complete (${l.renditions.join(',')}, pending ${(l.pendingRungs ?? []).join(',') || '-'})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log(
    `upload bench | upload end -> a cadre's first segment ${firstSegmentSec!.toFixed(1)} s; ` +
      `baseline, same run: -> lowest rung complete ${completeSec.toFixed(1)} s (${(completeSec / 60).toFixed(2)} min); ratio ${(firstSegmentSec! / completeSec).toFixed(4)} [load:${load().join(' ')}]`,
  );
  process.stdout.write(`${JSON.stringify({ bench: 'upload-to-watchable', minutes, bytes, cpus: availableParallelism(), uploadSec: (uploaded - t0) / 1000, listedSec, firstSegmentSec, completeSec })}\n`);
} finally {
  await bench.close();
}
