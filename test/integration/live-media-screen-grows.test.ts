// A screen share whose size grows after its recording started: the recording keeps its first
// size (ffmpeg's autoscale) and says `picture-grown` once, so its owner starts a new part, which
// records at the new size. Real mediasoup worker; ffmpeg sends an H.264 share that is 640x360
// for its first seconds and 1280x720 after (a new SPS on a keyframe, as Chromium's encoder does).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveRoomManager, reservedUdpPorts } from '../../media/live';
import type { LiveRecorder, LiveRoom } from '../../media/live';
import type { WorkerPool } from '../../media/worker-pool';
import { growingH264, feedH264 } from '../helpers/live-growing';
import { NETWORK, createLivePool, waitUntil } from '../helpers/live-rtp';
import { colourName, decodeFrame, type FedVideo } from '../helpers/live-screen';
import { processesMatching } from '../helpers/process';

describe('LiveRecorder with a screen share that grows', () => {
  let pool: WorkerPool;
  let manager: LiveRoomManager;
  let room: LiveRoom;
  let root: string;
  let share: FedVideo | undefined;
  const recorders: LiveRecorder[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'live-grow-test-'));
    pool = await createLivePool(1, 44700, 44799);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    room = await manager.getOrCreate('lecture');
  });

  afterAll(async () => {
    await Promise.all(recorders.map((r) => r.stop()));
    manager?.closeAll();
    await share?.source.stop();
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('says picture-grown once when the share grows, and a new recording takes the new size', async () => {
    const file = await growingH264(root, 'blue', [
      { width: 640, height: 360, seconds: 4 },
      { width: 1280, height: 720, seconds: 40 },
    ]);
    share = await feedH264(room, 'lecturer', 'screen', file);
    const first = await room.startRecording({ screenProducerId: share.producer.id, outDir: join(root, 'part-0') });
    recorders.push(first);
    const grown: unknown[] = [];
    first.on('picture-grown', (g) => grown.push(g));
    await first.waitForFirstSegment(20_000);
    await waitUntil(() => grown.length > 0, 20_000, 'picture-grown');
    expect(grown).toEqual([{ from: { width: 640, height: 360 }, to: { width: 1280, height: 720 } }]);

    // The owner's answer: a new part, which starts at the size the share has now.
    const second = await room.startRecording({ screenProducerId: share.producer.id, outDir: join(root, 'part-1') });
    recorders.push(second);
    await second.waitForFirstSegment(20_000);
    await waitUntil(() => first.segments.length >= 3, 20_000, 'three segments of the first part');
    const late = first.segments.at(-1)!;
    const firstFrame = await decodeFrame(join(root, 'part-0', late.name));
    expect(`${firstFrame.width}x${firstFrame.height}`, 'the first part keeps its first size').toBe('640x360');
    const secondFrame = await decodeFrame(join(root, 'part-1', second.segments[0]!.name));
    expect(`${secondFrame.width}x${secondFrame.height}`).toBe('1280x720');
    expect(colourName(secondFrame.rgb(640, 360))).toBe('blue');
    // Still one event: the first part said it once.
    expect(grown).toHaveLength(1);
    let secondGrown = 0;
    second.on('picture-grown', () => secondGrown++);

    await Promise.all(recorders.map((r) => r.stop()));
    expect(secondGrown).toBe(0);
    await share.source.stop();
    expect(processesMatching(root)).toEqual([]);
    expect(reservedUdpPorts()).toEqual([]);
  }, 90_000);
});
