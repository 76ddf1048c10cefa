// Live rooms on real mediasoup workers, fed by ffmpeg over RTP, watched by UDP sockets
// (mediasoup-client needs a browser; a plain transport carries the same RTP).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RtpCapabilities } from 'mediasoup/lib/types';
import { LiveRoomError, LiveRoomManager } from '../../media/live';
import type { LiveRoom } from '../../media/live';
import type { WorkerPool } from '../../media/worker-pool';
import { NETWORK, createLivePool, feedRoom, plainViewer, waitUntil } from '../helpers/live-rtp';
import type { FedProducers, UdpSink } from '../helpers/live-rtp';

describe('LiveRoom media', () => {
  let pool: WorkerPool;
  let manager: LiveRoomManager | undefined;
  const sources: FedProducers[] = [];
  const sinks: UdpSink[] = [];

  beforeAll(async () => {
    pool = await createLivePool(2, 44000, 44199);
  });

  afterEach(async () => {
    manager?.closeAll();
    manager = undefined;
    await Promise.all(sources.splice(0).map((s) => s.source.stop()));
    await Promise.all(sinks.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await pool?.close();
  });

  async function openRoom(maxConsumersPerRouter: number): Promise<LiveRoom> {
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter, statsIntervalMs: 250 });
    return manager.getOrCreate(`room-${Math.random().toString(36).slice(2, 8)}`);
  }

  it('delivers an RTP-fed producer to a plain consumer and counts the bytes sent to that peer', async () => {
    const room = await openRoom(100);
    const fed = await feedRoom(room, 'presenter', { video: true, audio: true });
    sources.push(fed);
    expect(room.producers().map((p) => [p.kind, p.source, p.peerId]).sort()).toEqual([
      ['audio', 'mic', 'presenter'],
      ['video', 'camera', 'presenter'],
    ]);

    const viewer = await plainViewer(room, 'viewer-1', [fed.video!.id, fed.audio!.id]);
    sinks.push(viewer.sink);
    await waitUntil(() => viewer.sink.packets > 60, 10_000, 'RTP at the viewer');

    await waitUntil(() => room.peerBytesReceived('viewer-1') > 0, 5_000, 'first byte sample');
    const first = room.peerBytesReceived('viewer-1');
    await waitUntil(() => room.peerBytesReceived('viewer-1') > first, 5_000, 'bytes rising');
    // What mediasoup says it sent cannot exceed by far what the socket got (same host, no loss).
    await room.samplePeerBytes();
    expect(room.peerBytesReceived('viewer-1')).toBeLessThanOrEqual(viewer.sink.bytes * 1.2 + 5_000);
    expect(room.peerBytesReceived('presenter')).toBe(0);
    expect(room.peerBytesReceived('nobody')).toBe(0);

    // The evidence stays once the peer has left.
    const before = room.peerBytesReceived('viewer-1');
    room.removePeer('viewer-1');
    expect(room.peerBytesReceived('viewer-1')).toBe(before);
    expect(room.peerIds()).toEqual(['presenter']);
  });

  it('creates consumers paused and refuses capabilities that cannot consume the producer', async () => {
    const room = await openRoom(100);
    const fed = await feedRoom(room, 'presenter', { video: true });
    sources.push(fed);
    const t = await room.createPlainTransport('viewer', 'recv', { rtcpMux: true });
    const audioOnly: RtpCapabilities = {
      codecs: room.rtpCapabilities.codecs!.filter((c) => c.kind === 'audio'),
      headerExtensions: [],
    };
    const refused = await room.consume('viewer', t.id, fed.video!.id, audioOnly).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LiveRoomError);
    expect(refused).toMatchObject({ code: 'cannot-consume' });

    await expect(room.consume('viewer', t.id, 'no-such-producer', room.rtpCapabilities)).rejects.toMatchObject({ code: 'no-producer' });
    await expect(room.consume('ghost', t.id, fed.video!.id, room.rtpCapabilities)).rejects.toMatchObject({ code: 'no-peer' });
    await expect(room.consume('viewer', 'no-such-transport', fed.video!.id, room.rtpCapabilities)).rejects.toMatchObject({ code: 'no-transport' });

    const consumer = await room.consume('viewer', t.id, fed.video!.id, room.rtpCapabilities);
    expect(consumer).toMatchObject({ producerId: fed.video!.id, kind: 'video', type: 'simple', source: 'camera', peerId: 'presenter' });
    // Paused until resumed: nothing is sent.
    await new Promise((r) => setTimeout(r, 600));
    await room.samplePeerBytes();
    expect(room.peerBytesReceived('viewer')).toBe(0);
  });

  it('pipes producers to a router on the other worker once the origin router is full', async () => {
    const room = await openRoom(1);
    const fed = await feedRoom(room, 'presenter', { video: true });
    sources.push(fed);

    const first = await plainViewer(room, 'viewer-1', [fed.video!.id]);
    sinks.push(first.sink);
    expect(room.routerLoads()).toHaveLength(1);

    const second = await plainViewer(room, 'viewer-2', [fed.video!.id]);
    sinks.push(second.sink);
    const loads = room.routerLoads();
    expect(loads).toHaveLength(2);
    expect(new Set(loads.map((l) => l.workerPid)).size).toBe(2);
    // Origin: viewer-1's consumer and the pipe consumer; extra router: viewer-2's consumer.
    expect(loads.map((l) => l.consumers)).toEqual([2, 1]);
    expect(manager!.stats()).toEqual({ rooms: 1, routers: 2, consumers: 3 });
    await waitUntil(() => first.sink.packets > 30 && second.sink.packets > 30, 10_000, 'RTP at both viewers');

    // A producer added later is piped to the extra router when consumed there.
    const late = await feedRoom(room, 'co-presenter', { audio: true });
    sources.push(late);
    const before = second.sink.packets;
    const audio = await room.consume('viewer-2', second.transportId, late.audio!.id, room.rtpCapabilities);
    await room.resumeConsumer('viewer-2', audio.id);
    expect(room.routerLoads().map((l) => l.consumers)).toEqual([3, 2]);
    await waitUntil(() => second.sink.packets > before + 60, 10_000, 'piped audio at viewer-2');
  });

  it('tells consumers on every router when a producer closes, and closes an extra router left idle', async () => {
    const room = await openRoom(1);
    const fed = await feedRoom(room, 'presenter', { video: true });
    sources.push(fed);
    const first = await plainViewer(room, 'viewer-1', [fed.video!.id]);
    const second = await plainViewer(room, 'viewer-2', [fed.video!.id]);
    sinks.push(first.sink, second.sink);
    expect(room.routerLoads()).toHaveLength(2);

    const producerClosed: unknown[] = [];
    const consumerClosed: { peerId: string; producerId: string }[] = [];
    room.on('producer-closed', (e) => producerClosed.push(e));
    room.on('consumer-closed', (e) => consumerClosed.push(e));
    room.closeProducer('presenter', fed.video!.id);
    expect(producerClosed).toEqual([{ id: fed.video!.id, peerId: 'presenter' }]);
    expect(room.producers()).toEqual([]);
    await waitUntil(() => consumerClosed.length === 2, 5_000, 'consumer-closed on both routers');
    expect(consumerClosed.map((e) => e.peerId).sort()).toEqual(['viewer-1', 'viewer-2']);
    expect(consumerClosed.every((e) => e.producerId === fed.video!.id)).toBe(true);

    room.removePeer('viewer-2');
    expect(room.routerLoads()).toHaveLength(1);
    expect(() => room.closeProducer('presenter', fed.video!.id)).toThrow(LiveRoomError);
  });

  it('shares one room between concurrent getOrCreate calls and forgets it once closed', async () => {
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 10 });
    const [a, b] = await Promise.all([manager.getOrCreate('same'), manager.getOrCreate('same')]);
    expect(a).toBe(b);
    expect(manager.get('same')).toBe(a);
    const closed: string[] = [];
    manager.on('room-closed', (id) => closed.push(id));
    let roomCloses = 0;
    a.on('close', () => roomCloses++);
    manager.close('same');
    a.close();
    expect(roomCloses).toBe(1);
    expect(closed).toEqual(['same']);
    expect(manager.get('same')).toBeUndefined();
    expect(manager.stats()).toEqual({ rooms: 0, routers: 0, consumers: 0 });
    await expect(a.createWebRtcTransport('p', 'send')).rejects.toMatchObject({ code: 'closed' });
  });

  it('creates WebRTC transports with ICE candidates on the listen IP', async () => {
    const room = await openRoom(10);
    const send = await room.createWebRtcTransport('peer', 'send');
    const recv = await room.createWebRtcTransport('peer', 'recv');
    expect(send.id).not.toBe(recv.id);
    expect(send.iceCandidates.length).toBeGreaterThan(0);
    expect((send.iceCandidates[0] as { ip: string }).ip).toBe('127.0.0.1');
    expect(send.dtlsParameters).toHaveProperty('fingerprints');
    const ice = await room.restartIce('peer', send.id);
    expect(ice).toHaveProperty('usernameFragment');
    room.removePeer('peer');
    expect(room.peerIds()).toEqual([]);
  });
});
