// One live lecture room (直播课堂): its routers, and each peer's transports, producers and
// consumers. Signaling (server/modules/live) translates socket requests into these calls.
// Its options, their defaults and its events are in room-types.ts; its transports are made,
// adopted and connected in room-transports.ts.
//
// Rules:
// - The origin router holds every send transport and so every producer. Recv transports go to
//   the first router with spare capacity (room-routers.ts, router-placement.ts); on an extra
//   router a producer is piped from the origin the first time someone consumes it there, once
//   per router. An extra router is closed when the last transport placed on it is gone.
// - Worker death (LiveRoomManager calls onWorkerDied): the whole room is rebuilt. Everything is
//   closed, recorders are stopped, a new origin router is opened on a live worker (waiting for
//   the pool to replace workers, up to rebuildTimeoutMs), then `rebuilt` is emitted and clients
//   redo their transports. No per-object event (`producer-closed`, ...) is emitted for what a
//   rebuild or close() tears down: `rebuilt` / `close` say it all. Calls made while a rebuild
//   runs wait for it; calls that straddle one fail with code 'rebuilt' (room-generation.ts). If
//   no worker comes back in time, the room closes.
// - peerBytesReceived() is what mediasoup sent on the peer's recv transports (RTP + RTX bytes,
//   from transport stats sampled every statsIntervalMs, kept after the transports and the peer
//   are gone; room-peers.ts): server-side evidence that live media reached the peer (学时).
//   Up to one interval of bytes of a transport that closes is not counted.
import { EventEmitter } from 'node:events';
import type { DtlsParameters, IceParameters, RtpCapabilities, RtpParameters } from 'mediasoup/lib/types';
import type { WorkerPool } from '../worker-pool';
import { LiveRoomError } from './errors';
import { LiveRecorder } from './LiveRecorder';
import { RoomGeneration } from './room-generation';
import { RoomPeers } from './room-peers';
import { openRouter, pipeOnce, producerInfo, safeCanConsume, type ConsumerEntry, type ProducerEntry, type RouterEntry } from './room-state';
import { recordingSources } from './room-recording';
import { RoomRouters } from './room-routers';
import { RoomTransports } from './room-transports';
import { DEFAULT_REBUILD_TIMEOUT_MS, DEFAULT_STATS_INTERVAL_MS, type LiveRoomEvents, type LiveRoomOptions } from './room-types';
import type {
  ConsumerInfo,
  MediaKind,
  PlainTransportInfo,
  PlainTransportOptions,
  ProducerInfo,
  ProducerSource,
  RecordingOptions,
  RouterLoadInfo,
  TransportDirection,
  TransportInfo,
} from './types';

export type { LiveRoomEvents, LiveRoomOptions } from './room-types';
export { DEFAULT_OUTGOING_BITRATE, DEFAULT_STATS_INTERVAL_MS, DEFAULT_REBUILD_TIMEOUT_MS } from './room-types';

const SOURCES: readonly ProducerSource[] = ['camera', 'mic', 'screen'];

export class LiveRoom extends EventEmitter<LiveRoomEvents> {
  readonly id: string;

  readonly #pool: WorkerPool;
  readonly #opts: LiveRoomOptions;
  readonly #routers: RoomRouters;
  readonly #transports: RoomTransports;
  #rtpCapabilities: RtpCapabilities;
  readonly #peers: RoomPeers;
  readonly #producers = new Map<string, ProducerEntry>();
  readonly #recorders = new Set<LiveRecorder>();
  readonly #gen: RoomGeneration;
  #rebuildAgain = false;
  #statsTimer: NodeJS.Timeout | null = null;

  private constructor(id: string, pool: WorkerPool, opts: LiveRoomOptions, origin: RouterEntry) {
    super();
    this.id = id;
    this.#peers = new RoomPeers(id);
    this.#gen = new RoomGeneration(id);
    this.#pool = pool;
    this.#opts = opts;
    this.#routers = new RoomRouters({ roomId: id, pool, maxConsumersPerRouter: opts.maxConsumersPerRouter, gen: this.#gen, peers: this.#peers, origin });
    this.#transports = new RoomTransports({ gen: this.#gen, routers: this.#routers, peers: this.#peers, opts });
    this.#rtpCapabilities = origin.router.rtpCapabilities;
    const interval = opts.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
    this.#statsTimer = setInterval(() => void this.samplePeerBytes(), interval);
    this.#statsTimer.unref();
  }

  /** Opens the origin router (waiting up to rebuildTimeoutMs for a live worker). */
  static async create(id: string, pool: WorkerPool, opts: LiveRoomOptions): Promise<LiveRoom> {
    if (!(opts.maxConsumersPerRouter >= 1)) {
      throw new RangeError(`maxConsumersPerRouter must be >= 1 (got ${opts.maxConsumersPerRouter})`);
    }
    const origin = await openRouter(pool, Date.now() + (opts.rebuildTimeoutMs ?? DEFAULT_REBUILD_TIMEOUT_MS));
    return new LiveRoom(id, pool, opts, origin);
  }

  get closed(): boolean {
    return this.#gen.state === 'closed';
  }

  /** True while the room waits for a new origin router after a worker death. */
  get rebuilding(): boolean {
    return this.#gen.state === 'rebuilding';
  }

  /** Of the origin router; every router of the room offers the same codecs. */
  get rtpCapabilities(): RtpCapabilities {
    return this.#rtpCapabilities;
  }

  // --- transports ------------------------------------------------------------------------------

  createWebRtcTransport(peerId: string, direction: TransportDirection): Promise<TransportInfo> {
    return this.#transports.createWebRtc(peerId, direction);
  }

  /**
   * A plain RTP transport (addition to the WebRTC API): station terminals with hardware
   * encoders, ffmpeg, tests. Send transports go to the origin router, recv ones are placed like
   * WebRTC recv transports. Connect it with connectPlainTransport() unless `comedia`.
   */
  createPlainTransport(
    peerId: string,
    direction: TransportDirection,
    opts: PlainTransportOptions = {},
  ): Promise<PlainTransportInfo> {
    return this.#transports.createPlain(peerId, direction, opts);
  }

  connectTransport(peerId: string, transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    return this.#transports.connect(peerId, transportId, dtlsParameters);
  }

  /** Where a plain transport (without comedia) sends: the remote RTP (and RTCP) address. */
  connectPlainTransport(
    peerId: string,
    transportId: string,
    remote: { ip: string; port: number; rtcpPort?: number },
  ): Promise<void> {
    return this.#transports.connectPlain(peerId, transportId, remote);
  }

  restartIce(peerId: string, transportId: string): Promise<IceParameters> {
    return this.#transports.restartIce(peerId, transportId);
  }

  // --- producers -------------------------------------------------------------------------------

  async produce(
    peerId: string,
    transportId: string,
    p: { kind: MediaKind; rtpParameters: RtpParameters; source: ProducerSource },
  ): Promise<ProducerInfo> {
    const gen = await this.#gen.enter();
    const t = this.#peers.transport(peerId, transportId);
    if (t.direction !== 'send') throw new LiveRoomError('no-transport', `transport ${transportId} is not a send transport`);
    if (!SOURCES.includes(p.source)) throw new TypeError(`unknown producer source: ${String(p.source)}`);
    const producer = await this.#gen.guard(
      gen,
      t.transport.produce({ kind: p.kind, rtpParameters: p.rtpParameters, appData: { peerId, source: p.source } }),
      (late) => late.close(),
    );
    const peer = this.#peers.get(peerId);
    if (!peer || t.transport.closed) {
      producer.close();
      throw new LiveRoomError('no-transport', `transport ${transportId} closed while producing`);
    }
    const entry: ProducerEntry = { producer, peerId, source: p.source };
    peer.producers.set(producer.id, entry);
    this.#producers.set(producer.id, entry);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.#producers.delete(producer.id);
      if (!this.#quiet()) this.emit('producer-closed', { id: producer.id, peerId });
    });
    const info = producerInfo(entry);
    this.emit('producer-added', info);
    return info;
  }

  async pauseProducer(peerId: string, producerId: string): Promise<void> {
    const gen = await this.#gen.enter();
    const { producer } = this.#peers.ownProducer(peerId, producerId);
    await this.#gen.guard(gen, producer.pause());
    this.emit('producer-paused', { id: producerId, peerId });
  }

  async resumeProducer(peerId: string, producerId: string): Promise<void> {
    const gen = await this.#gen.enter();
    const { producer } = this.#peers.ownProducer(peerId, producerId);
    await this.#gen.guard(gen, producer.resume());
    this.emit('producer-resumed', { id: producerId, peerId });
  }

  closeProducer(peerId: string, producerId: string): void {
    this.#gen.open();
    this.#peers.ownProducer(peerId, producerId).producer.close();
  }

  producers(): ProducerInfo[] {
    return [...this.#producers.values()].map(producerInfo);
  }

  // --- consumers -------------------------------------------------------------------------------

  /** Created paused: resume once the client's consumer exists (resumeConsumer). */
  async consume(
    peerId: string,
    transportId: string,
    producerId: string,
    rtpCapabilities: RtpCapabilities,
  ): Promise<ConsumerInfo> {
    const gen = await this.#gen.enter();
    const t = this.#peers.transport(peerId, transportId);
    if (t.direction !== 'recv') throw new LiveRoomError('no-transport', `transport ${transportId} is not a recv transport`);
    const source = this.#producers.get(producerId);
    if (!source) throw new LiveRoomError('no-producer', `no producer ${producerId} in room ${this.id}`);
    const origin = this.#routers.origin();
    if (!safeCanConsume(origin.router, producerId, rtpCapabilities)) {
      throw new LiveRoomError('cannot-consume', `these capabilities cannot consume producer ${producerId}`);
    }
    if (t.router !== origin) {
      await this.#gen.guard(gen, pipeOnce(this.#routers.origin().router, t.router, producerId));
    }
    if (t.transport.closed) throw new LiveRoomError('no-transport', `transport ${transportId} closed while consuming`);
    if (!this.#producers.has(producerId)) throw new LiveRoomError('no-producer', `producer ${producerId} closed`);
    const consumer = await this.#gen.guard(
      gen,
      t.transport.consume({ producerId, rtpCapabilities, paused: true, appData: { peerId, producerId } }),
      (late) => late.close(),
    );
    const peer = this.#peers.get(peerId);
    if (!peer || t.transport.closed) {
      consumer.close();
      throw new LiveRoomError('no-transport', `transport ${transportId} closed while consuming`);
    }
    const entry: ConsumerEntry = { consumer, transport: t, source: source.source, producerPeerId: source.peerId };
    peer.consumers.set(consumer.id, entry);
    t.consumers++;
    consumer.observer.once('close', () => {
      peer.consumers.delete(consumer.id);
      t.consumers--;
      // A consumer closed with its own transport concerns nobody: its peer is leaving.
      if (!this.#quiet() && !t.transport.closed) {
        this.emit('consumer-closed', { peerId, consumerId: consumer.id, producerId });
      }
    });
    consumer.on('layerschange', (layers) => {
      if (layers && !this.#quiet()) {
        this.emit('consumer-layers', { peerId, consumerId: consumer.id, ...layers });
      }
    });
    return {
      id: consumer.id,
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      source: source.source,
      peerId: source.peerId,
    };
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const gen = await this.#gen.enter();
    await this.#gen.guard(gen, this.#peers.consumer(peerId, consumerId).consumer.resume());
  }

  async setConsumerPreferredLayers(
    peerId: string,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    const gen = await this.#gen.enter();
    const { consumer } = this.#peers.consumer(peerId, consumerId);
    // A simple consumer has one layer: nothing to prefer.
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') return;
    await this.#gen.guard(gen, consumer.setPreferredLayers(layers));
  }

  /** Addition: a peer stops watching one producer. */
  closeConsumer(peerId: string, consumerId: string): void {
    this.#gen.open();
    this.#peers.consumer(peerId, consumerId).consumer.close();
  }

  // --- peers, stats ----------------------------------------------------------------------------

  /** Closes the peer's transports, and so its producers and consumers. */
  removePeer(peerId: string): void {
    this.#peers.remove(peerId);
  }

  /** Peers with at least one open transport. */
  peerIds(): string[] {
    return this.#peers.ids();
  }

  /** What mediasoup sent to the peer (room-peers.ts), sampled every statsIntervalMs. */
  peerBytesReceived(peerId: string): number {
    return this.#peers.bytesReceived(peerId);
  }

  /** Refreshes peerBytesReceived() now (it is otherwise sampled every statsIntervalMs). */
  samplePeerBytes(): Promise<void> {
    return this.#peers.sampleBytes();
  }

  routerLoads(): RouterLoadInfo[] {
    return this.#routers.loads();
  }

  // --- recording -------------------------------------------------------------------------------

  async startRecording(opts: RecordingOptions): Promise<LiveRecorder> {
    const gen = await this.#gen.enter();
    const sources = recordingSources(this.id, opts, (id) => this.#producers.get(id)?.producer);
    const recorder = await this.#gen.guard(gen, LiveRecorder.create(this.#routers.origin().router, sources, opts), (late) => {
      void late.stop();
    });
    this.#recorders.add(recorder);
    recorder.once('exit', () => this.#recorders.delete(recorder));
    if (!recorder.running) this.#recorders.delete(recorder);
    return recorder;
  }

  recorders(): LiveRecorder[] {
    return [...this.#recorders];
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Idempotent. Stops recorders (without waiting for ffmpeg), closes every router, emits `close`. */
  close(): void {
    if (this.#gen.state === 'closed') return;
    this.#gen.state = 'closed';
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#teardown();
    this.emit('close');
  }

  /**
   * Called by LiveRoomManager when a worker of the pool died. Rebuilds the room if one of its
   * routers was on that worker (or is closed for any other reason). Returns whether it does.
   */
  onWorkerDied(pid: number): boolean {
    if (this.#gen.state === 'closed') return false;
    const hit = this.#routers.hit(pid);
    if (hit) void this.#rebuild();
    return hit;
  }

  // -------------------------------------------------------------------------------------------

  async #rebuild(): Promise<void> {
    if (this.#gen.state === 'rebuilding') {
      this.#rebuildAgain = true;
      return;
    }
    this.#gen.beginRebuild();
    const deadline = Date.now() + (this.#opts.rebuildTimeoutMs ?? DEFAULT_REBUILD_TIMEOUT_MS);
    try {
      do {
        this.#rebuildAgain = false;
        this.#gen.generation++;
        this.#teardown();
        let origin: RouterEntry;
        try {
          origin = await openRouter(this.#pool, deadline);
        } catch {
          // No worker came back in time, or the pool is closing: the room cannot go on.
          this.close();
          return;
        }
        // close() may have run while we waited (TypeScript keeps the narrowing across await).
        if (this.#gen.state === 'closed') {
          origin.router.close();
          return;
        }
        this.#routers.reset(origin);
        this.#rtpCapabilities = origin.router.rtpCapabilities;
        // A worker may have died again while we waited (the new router with it).
        if (origin.router.closed) this.#rebuildAgain = true;
      } while (this.#rebuildAgain);
      this.#gen.state = 'open';
      this.emit('rebuilt');
    } finally {
      this.#gen.endRebuild();
    }
  }

  /** Stops recorders and closes every router (and with them every transport), quietly. */
  #teardown(): void {
    for (const recorder of this.#recorders) void recorder.stop();
    this.#routers.closeAll();
    // Router close cascades synchronously through the observers; clear what is left.
    this.#peers.clear();
    this.#producers.clear();
  }

  /** Per-object events are not emitted while the room is torn down or a router died under it. */
  #quiet(): boolean {
    return this.#gen.state !== 'open' || this.#routers.anyClosed();
  }
}
