/**
 * A screen share whose size grows during a live lecture (Chromium often sends a share small at
 * first and larger once its bandwidth estimate allows it): the part recording it started at the
 * small size keeps it, so the live service starts a new part when ffmpeg decodes the picture
 * larger (`picture-grown`), overlapping the old one until its first segment. The live HLS and the
 * replay then show the share at its full size, with no gap longer than one segment. Real store,
 * mediasoup worker and ffmpeg; frames decoded from the parts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { liveHost, type LiveHost } from '../helpers/live-host';
import { feedH264, growingH264 } from '../helpers/live-growing';
import { feedRoom } from '../helpers/live-rtp';
import { colourName, decodeFrame, feedColour } from '../helpers/live-screen';

let host: (LiveHost & { feeds: { source: { stop(): Promise<void> } }[] }) | undefined;
let fixtures: string | undefined;
afterAll(async () => {
  await host?.close();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

describe('live recording of a screen share that grows', () => {
  it('starts a new part at the larger size, with the camera inset, without a gap longer than a segment', async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'share-grows-'));
    // Small long enough for the lecture to start on it even on a busy machine.
    const file = await growingH264(fixtures, 'blue', [
      { width: 640, height: 360, seconds: 12 },
      { width: 1280, height: 720, seconds: 60 },
    ]);
    host = await liveHost('屏幕共享清晰度提升的直播');
    const { app: a, socket: s, room, feeds, onAir } = host;
    const segSec = a.config.mediasoup.liveSegmentSec;
    feeds.push(await feedColour(room, s.id!, { source: 'camera', color: 'red', width: 320, height: 180 }));
    feeds.push(await feedRoom(room, s.id!, { audio: true }));
    const shareAt = Date.now();
    feeds.push(await feedH264(room, s.id!, 'screen', file));
    await host.start();
    await onAir(1);
    expect(Date.now() - shareAt, 'the first part started while the share was small').toBeLessThan(10_000);
    // At 12 s the share grows: part 2 is on air within a few segments.
    const grewOnAirMs = await onAir(2, shareAt + 12_000);
    await sleep(3_000);
    await host.end();

    const parts = await host.parts(2);
    expect(parts.map((p) => `${p.width}x${p.height}`)).toEqual(['640x360', '1280x720']);
    const [small, large] = parts as [(typeof parts)[0], (typeof parts)[0]];
    const gapSec = large.offsetSec! - (small.offsetSec! + small.durationSec!);
    console.info(`share grows: timeline gap ${gapSec.toFixed(2)} s (negative = overlap); the larger part on air ${grewOnAirMs} ms after the share grew`);
    expect(gapSec).toBeLessThanOrEqual(segSec);
    const frame = await decodeFrame(join(a.storage.path(large.prefix), 'index.m3u8'), 1);
    expect(`${frame.width}x${frame.height}`).toBe('1280x720');
    expect(colourName(frame.rgb(1280 * 0.3, 720 * 0.4))).toBe('blue');
    expect(colourName(frame.rgb(1280 * 0.85, 720 * 0.85)), 'the camera inset').toBe('red');
  }, 120_000);
});
