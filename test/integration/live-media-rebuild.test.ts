// A live room survives the death of its mediasoup worker: real workers, SIGKILL, real ffmpeg.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveRoomManager } from '../../media/live';
import type { LiveRecorderExit } from '../../media/live';
import type { WorkerPool, WorkerReplacedEvent } from '../../media/worker-pool';
import { NETWORK, createLivePool, feedRoom, plainViewer, waitUntil } from '../helpers/live-rtp';
import type { FedProducers, UdpSink } from '../helpers/live-rtp';
import { processesMatching } from '../helpers/process';

describe('LiveRoom rebuild after a worker death', () => {
  let pool: WorkerPool | undefined;
  let manager: LiveRoomManager | undefined;
  const sources: FedProducers[] = [];
  const sinks: UdpSink[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    manager?.closeAll();
    manager = undefined;
    await Promise.all(sources.splice(0).map((s) => s.source.stop()));
    await Promise.all(sinks.splice(0).map((s) => s.close()));
    await pool?.close();
    pool = undefined;
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('rebuilds the room on a live worker, stops its recorders, and serves new producers', async () => {
    pool = await createLivePool(2, 44200, 44299);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    const room = await manager.getOrCreate('lecture');
    const fed = await feedRoom(room, 'presenter', { video: true, audio: true });
    sources.push(fed);
    const viewer = await plainViewer(room, 'viewer', [fed.video!.id]);
    sinks.push(viewer.sink);
    await waitUntil(() => viewer.sink.packets > 20, 10_000, 'RTP before the crash');

    const outDir = await mkdtemp(join(tmpdir(), 'live-rebuild-rec-'));
    dirs.push(outDir);
    const recorder = await room.startRecording({ audioProducerId: fed.audio!.id, outDir });
    const recorderExit = once(recorder, 'exit') as Promise<[LiveRecorderExit]>;

    const perObject: string[] = [];
    for (const event of ['producer-closed', 'consumer-closed', 'close'] as const) room.on(event, () => perObject.push(event));
    const roomRebuilt = once(room, 'rebuilt');
    const managerRebuilt = once(manager, 'room-rebuilt') as Promise<[string]>;

    const [origin] = room.routerLoads();
    const killedAt = Date.now();
    process.kill(origin!.workerPid, 'SIGKILL');
    const [rebuiltId] = await managerRebuilt;
    const rebuildMs = Date.now() - killedAt;
    await roomRebuilt;

    expect(rebuiltId).toBe('lecture');
    expect(rebuildMs).toBeLessThan(5_000);
    expect(manager.get('lecture')).toBe(room);
    const [newOrigin, ...extra] = room.routerLoads();
    expect(extra).toEqual([]);
    expect(newOrigin!.workerPid).not.toBe(origin!.workerPid);
    expect(newOrigin!.consumers).toBe(0);
    // Clients learn it all from 'rebuilt': no per-object events for what the crash took away.
    expect(perObject).toEqual([]);
    expect(room.producers()).toEqual([]);
    expect(room.peerIds()).toEqual([]);
    await expect(room.consume('viewer', viewer.transportId, fed.video!.id, room.rtpCapabilities)).rejects.toMatchObject({ code: 'no-peer' });

    // The recorder was stopped with the room's routers and its ffmpeg reaped.
    await recorderExit;
    expect(recorder.running).toBe(false);
    expect(processesMatching(outDir)).toEqual([]);

    // Everything works again on the new router.
    await fed.source.stop();
    const refed = await feedRoom(room, 'presenter', { video: true });
    sources.push(refed);
    const again = await plainViewer(room, 'viewer', [refed.video!.id]);
    sinks.push(again.sink);
    await waitUntil(() => again.sink.packets > 20, 10_000, 'RTP after the rebuild');
  });

  it('waits for the pool to replace its only worker, and calls made meanwhile land on the new router', async () => {
    pool = await createLivePool(1, 44300, 44399);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    const room = await manager.getOrCreate('lecture');
    await room.createWebRtcTransport('early', 'send');
    const replaced = once(pool, 'worker-replaced') as Promise<[WorkerReplacedEvent]>;
    const rebuilt = once(manager, 'room-rebuilt');

    const died = once(pool, 'worker-died');
    const killedAt = Date.now();
    process.kill(room.routerLoads()[0]!.workerPid, 'SIGKILL');
    await died;
    expect(room.rebuilding).toBe(true);
    expect(pool.status().alive).toBe(0);
    // Issued while no worker is alive: it waits for the rebuild instead of failing.
    const during = room.createWebRtcTransport('late', 'send');
    await rebuilt;
    const rebuildMs = Date.now() - killedAt;
    const [{ newPid }] = await replaced;
    expect(rebuildMs).toBeLessThan(3_000);

    const transport = await during;
    expect(transport.id).toBeTruthy();
    expect(room.routerLoads()).toEqual([expect.objectContaining({ workerPid: newPid })]);
    expect(room.peerIds()).toEqual(['late']);
    await expect(room.connectTransport('early', 'gone', { fingerprints: [] })).rejects.toMatchObject({ code: 'no-peer' });
  });
});
