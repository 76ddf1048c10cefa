// The live recording takes the best simulcast layer the lecturer sends: real mediasoup worker,
// ffmpeg sending two VP8 layers (the top one held back at first, as a browser does right after
// its camera comes on), ffmpeg recording, ffprobe reading the segments.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LiveRoomManager, reservedUdpPorts } from '../../media/live';
import type { LiveRecorder, LiveRoom } from '../../media/live';
import type { WorkerPool } from '../../media/worker-pool';
import { NETWORK, createLivePool, waitUntil } from '../helpers/live-rtp';
import { simulcastCamera, type SimulcastCamera } from '../helpers/live-simulcast';
import { processesMatching } from '../helpers/process';

const run = promisify(execFile);

async function frameSize(file: string): Promise<string> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', file]);
  // MPEG-TS lists the stream again under its program: the first line is enough.
  return stdout.split('\n').find(Boolean) ?? '';
}

describe('LiveRecorder on a simulcast camera', () => {
  let pool: WorkerPool;
  let manager: LiveRoomManager;
  let room: LiveRoom;
  let root: string;
  const cameras: SimulcastCamera[] = [];
  const started: LiveRecorder[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'live-simulcast-test-'));
    pool = await createLivePool(1, 44500, 44599);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    room = await manager.getOrCreate('lecture');
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
    await Promise.all(cameras.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    manager?.closeAll();
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('records at the top resolution when the top layer arrives just after the recording is asked for', async () => {
    const camera = await simulcastCamera(room, 'presenter');
    cameras.push(camera);
    // Only the low layer for a while: the camera has just come on.
    await new Promise((r) => setTimeout(r, 1_500));
    const outDir = join(root, 'late-top');
    const recording = room.startRecording({ videoProducerId: camera.producer.id, outDir });
    setTimeout(() => camera.openTop(), 700);
    const recorder = await recording;
    started.push(recorder);
    await recorder.waitForFirstSegment(15_000);
    // The point is the size, not the pace: a busy machine's ffmpeg may fall behind real time.
    await waitUntil(() => recorder.segments.length >= 3, 25_000, 'three segments');
    const result = await recorder.stop();
    // Every segment, the later ones included, is at the top layer's size.
    const later = join(outDir, recorder.segments[2]!.name);
    expect(await frameSize(later)).toBe(`${camera.top.width}x${camera.top.height}`);
    expect(await frameSize(result.playlistPath)).toBe(`${camera.top.width}x${camera.top.height}`);
    expect(processesMatching(outDir)).toEqual([]);
    expect(reservedUdpPorts()).toEqual([]);
  }, 60_000);

  it('says when the top layer arrives only after the recording began on the low one', async () => {
    const camera = await simulcastCamera(room, 'late-presenter');
    cameras.push(camera);
    const recorder = await room.startRecording({ videoProducerId: camera.producer.id, outDir: join(root, 'raised') });
    started.push(recorder);
    const raised = new Promise((resolve) => recorder.once('layers-raised', resolve));
    await recorder.waitForFirstSegment(15_000);
    camera.openTop();
    // The consumer moves up to the top layer, and the owner learns that this part is pinned lower.
    expect(await raised).toEqual({ from: 0, to: 1 });
  }, 30_000);
});
