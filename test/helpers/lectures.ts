/** Creates a lecture through the HTTP API, uploads a clip with tus, waits for the ladder and publishes it. */
import { setTimeout as sleep } from 'node:timers/promises';
import { tusUpload } from './tus';

export async function publishClip(url: string, cookie: string, file: string, fields: Record<string, unknown>, timeoutMs = 120_000): Promise<string> {
  const res = await fetch(`${url}/api/lectures`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ category: 'service', ...fields }) });
  if (res.status !== 201) throw new Error(`create lecture: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const up = await tusUpload(url, cookie, file, { lectureId: id }, { chunkSize: 4 * 1024 * 1024 });
  if (up.error) throw new Error(`upload: ${up.error.message}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = (await (await fetch(`${url}/api/lectures/${id}`, { headers: { cookie } })).json()) as { processing: { state: string } };
    if (l.processing.state === 'ready') break;
    if (l.processing.state === 'failed' || l.processing.state === 'rejected' || Date.now() > deadline) throw new Error(`processing: ${JSON.stringify(l.processing)}`);
    await sleep(300);
  }
  const pub = await fetch(`${url}/api/lectures/${id}/publish`, { method: 'POST', headers: { cookie } });
  if (pub.status !== 200) throw new Error(`publish: ${pub.status}`);
  return id;
}

/** Fetches a playback's master playlist, the first video rendition and all of its segments, as a player would. */
export async function fetchAllSegments(url: string, masterUrl: string, cookie?: string): Promise<number> {
  const headers = cookie ? { cookie } : undefined;
  const master = await (await fetch(url + masterUrl, { headers })).text();
  const base = url + masterUrl.slice(0, masterUrl.lastIndexOf('/') + 1);
  const variant = master.split('\n').find((l) => l && !l.startsWith('#'))!;
  const playlist = await (await fetch(base + variant, { headers })).text();
  const vbase = base + variant.slice(0, variant.lastIndexOf('/') + 1);
  let n = 0;
  for (const seg of playlist.split('\n').filter((l) => l && !l.startsWith('#'))) {
    const res = await fetch(vbase + seg, { headers });
    await res.arrayBuffer();
    if (res.status === 200) n++;
  }
  return n;
}
