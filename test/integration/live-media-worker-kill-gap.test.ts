/**
 * A mediasoup worker killed during a live lecture costs at most one segment of recording: on
 * the real store, workers and ffmpeg. The lecturer's camera and microphone come back one at a
 * time after the rebuild (as a browser's do); the next part waits for both instead of starting
 * on the camera alone, and the parts stored on the lecture leave no gap longer than a segment.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { liveHost, type LiveHost } from '../helpers/live-host';
import { feedRoom } from '../helpers/live-rtp';

let host: (LiveHost & { feeds: { source: { stop(): Promise<void> } }[] }) | undefined;
afterAll(async () => host?.close());

describe('live recording through a worker death', () => {
  it('loses at most one segment when the worker dies and the tracks come back one at a time', async () => {
    host = await liveHost('工作进程重启中的直播', { MEDIASOUP_NUM_WORKERS: '2' });
    const { app: a, socket: s, room, feeds, onAir } = host;
    feeds.push(await feedRoom(room, s.id!));
    await host.start();
    await onAir(1);
    await sleep(3_000);

    // The worker dies; the lecturer's page sets up again: camera first, microphone 0.6 s later.
    const rebuilt = once(room, 'rebuilt');
    process.kill(room.routerLoads()[0]!.workerPid, 'SIGKILL');
    await rebuilt;
    await feeds.pop()!.source.stop();
    feeds.push(await feedRoom(room, s.id!, { video: true }));
    await sleep(600);
    feeds.push(await feedRoom(room, s.id!, { audio: true }));
    await onAir(2);
    await sleep(3_000);
    await host.end();

    const parts = await host.parts(1);
    // One part before the death, one after it: none on the camera alone, stopped when the microphone came.
    expect(parts).toHaveLength(2);
    const [before, after] = parts;
    expect(before!.durationSec!).toBeGreaterThan(2);
    expect(after!.durationSec!).toBeGreaterThan(2);
    const gapSec = after!.offsetSec! - (before!.offsetSec! + before!.durationSec!);
    // At most one segment: the dead part's ffmpeg is woken after its SIGINT (its input is
    // silent) and writes what it had not yet, so the gap is the restart itself.
    console.info(`worker kill: timeline gap ${gapSec.toFixed(2)} s`);
    expect(gapSec).toBeLessThanOrEqual(a.config.mediasoup.liveSegmentSec);
  }, 60_000);
});
