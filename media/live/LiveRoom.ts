// One live lecture room (直播课堂): its routers, and each peer's transports, producers and
// consumers. Signaling (server/modules/live) translates socket requests into these calls.
//
// Rules:
// - The origin router holds every send transport and so every producer. Recv transports go to
//   the first router with spare capacity (router-placement.ts); on an extra router a producer
//   is piped from the origin the first time someone consumes it there, once per router.
// - A router's load, for placement, is its consumers plus one for each recv transport placed on
//   it that has no consumer yet (a viewer who just joined is about to consume): a burst of
//   joins spreads out before anyone consumes. routerLoads() reports real consumers only.
// - An extra router is closed when the last transport the room placed on it is gone.
// - Worker death (LiveRoomManager calls onWorkerDied): the whole room is rebuilt. Everything is
//   closed, recorders are stopped, a new origin router is opened on a live worker (waiting for
//   the pool to replace workers, up to rebuildTimeoutMs), then `rebuilt` is emitted and clients
//   redo their transports. No per-object event (`producer-closed`, ...) is emitted for what a
//   rebuild or close() tears down: `rebuilt` / `close` say it all. Calls made while a rebuild
//   runs wait for it; calls that straddle one fail with code 'rebuilt'. If no worker comes
//   back in time, the room closes.
// - peerBytesReceived() is what mediasoup sent on the peer's recv transports (RTP + RTX bytes,
//   from transport stats sampled every statsIntervalMs, kept after the transports and the peer
//   are gone): server-side evidence that live media reached the peer (study credits, 学时).
//   Up to one interval of bytes of a transport that closes is not counted.
import { EventEmitter } from 'node:events';
import type {
  DtlsParameters,
  IceParameters,
  PlainTransport,
  RtpCapabilities,
  RtpParameters,
  WebRtcTransport,
} from 'mediasoup/lib/types';
import type { WorkerPool } from '../worker-pool';
import { LiveRoomError } from './errors';
import { LiveRecorder } from './LiveRecorder';
import {
  countConsumers,
  openRouter,
  pipeOnce,
  sampleRecvBytes,
  placementLoad,
  producerInfo,
  safeCanConsume,
  type ConsumerEntry,
  type PeerState,
  type ProducerEntry,
  type RouterEntry,
  type TransportEntry,
} from './room-state';
import { recordingSources } from './room-recording';
import { pickRecvRouter } from './router-placement';
import type {
  ConsumerInfo,
  LiveNetworkOptions,
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

export interface LiveRoomEvents {
  'producer-added': [ProducerInfo];
  'producer-closed': [{ id: string; peerId: string }];
  'producer-paused': [{ id: string; peerId: string }];
  'producer-resumed': [{ id: string; peerId: string }];
  'consumer-closed': [{ peerId: string; consumerId: string; producerId: string }];
  'consumer-layers': [{ peerId: string; consumerId: string; spatialLayer: number; temporalLayer?: number }];
  rebuilt: [];
  close: [];
}

export interface LiveRoomOptions extends LiveNetworkOptions {
  maxConsumersPerRouter: number;
  statsIntervalMs?: number;
  rebuildTimeoutMs?: number;
}

export const DEFAULT_OUTGOING_BITRATE = 1_000_000;
export const DEFAULT_STATS_INTERVAL_MS = 5_000;
export const DEFAULT_REBUILD_TIMEOUT_MS = 10_000;

type RoomState = 'open' | 'rebuilding' | 'closed';

const SOURCES: readonly ProducerSource[] = ['camera', 'mic', 'screen'];

export class LiveRoom extends EventEmitter<LiveRoomEvents> {
  readonly id: string;

  readonly #pool: WorkerPool;
  readonly #opts: LiveRoomOptions;
  #routers: RouterEntry[] = [];
  #rtpCapabilities: RtpCapabilities;
  readonly #peers = new Map<string, PeerState>();
  readonly #producers = new Map<string, ProducerEntry>();
  /** Bytes sent on transports that are gone, per peer. */
  readonly #pastBytes = new Map<string, number>();
  readonly #recorders = new Set<LiveRecorder>();
  #state: RoomState = 'open';
  #generation = 0;
  #ready: Promise<void> = Promise.resolve();
  #rebuildAgain = false;
  #placing: Promise<unknown> = Promise.resolve();
  #statsTimer: NodeJS.Timeout | null = null;
  #sampling: Promise<void> | null = null;

  private constructor(id: string, pool: WorkerPool, opts: LiveRoomOptions, origin: RouterEntry) {
    super();
    this.id = id;
    this.#pool = pool;
    this.#opts = opts;
    this.#routers = [origin];
    this.#rtpCapabilities = origin.router.rtpCapabilities;
    countConsumers(origin);
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
    return this.#state === 'closed';
  }

  /** True while the room waits for a new origin router after a worker death. */
  get rebuilding(): boolean {
    return this.#state === 'rebuilding';
  }

  /** Of the origin router; every router of the room offers the same codecs. */
  get rtpCapabilities(): RtpCapabilities {
    return this.#rtpCapabilities;
  }

  // --- transports ------------------------------------------------------------------------------

  async createWebRtcTransport(peerId: string, direction: TransportDirection): Promise<TransportInfo> {
    const gen = await this.#enter();
    const entry = await this.#place(direction, gen);
    let transport: WebRtcTransport;
    try {
      transport = await entry.router.createWebRtcTransport({
        listenIps: [{ ip: this.#opts.listenIp, announcedIp: this.#opts.announcedIp }],
        enableUdp: this.#opts.enableUdp,
        enableTcp: this.#opts.enableTcp,
        preferUdp: this.#opts.preferUdp,
        initialAvailableOutgoingBitrate: this.#opts.initialAvailableOutgoingBitrate ?? DEFAULT_OUTGOING_BITRATE,
        appData: { peerId, direction },
      });
    } catch (error) {
      this.#unreserve(entry);
      throw this.#late(gen) ?? error;
    }
    this.#adopt(gen, peerId, entry, transport, 'webrtc', direction);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /**
   * A plain RTP transport (addition to the WebRTC API): station terminals with hardware
   * encoders, ffmpeg, tests. Send transports go to the origin router, recv ones are placed like
   * WebRTC recv transports. Connect it with connectPlainTransport() unless `comedia`.
   */
  async createPlainTransport(
    peerId: string,
    direction: TransportDirection,
    opts: PlainTransportOptions = {},
  ): Promise<PlainTransportInfo> {
    const gen = await this.#enter();
    const entry = await this.#place(direction, gen);
    let transport: PlainTransport;
    try {
      transport = await entry.router.createPlainTransport({
        listenIp: { ip: this.#opts.listenIp, announcedIp: this.#opts.announcedIp },
        rtcpMux: opts.rtcpMux ?? false,
        comedia: opts.comedia ?? false,
        appData: { peerId, direction },
      });
    } catch (error) {
      this.#unreserve(entry);
      throw this.#late(gen) ?? error;
    }
    this.#adopt(gen, peerId, entry, transport, 'plain', direction);
    return {
      id: transport.id,
      ip: transport.tuple.localIp,
      port: transport.tuple.localPort,
      ...(transport.rtcpTuple ? { rtcpPort: transport.rtcpTuple.localPort } : {}),
    };
  }

  async connectTransport(peerId: string, transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    const gen = await this.#enter();
    const t = this.#transport(peerId, transportId);
    if (t.type !== 'webrtc') throw new LiveRoomError('no-transport', `transport ${transportId} is not a WebRTC transport`);
    await this.#guard(gen, (t.transport as WebRtcTransport).connect({ dtlsParameters }));
  }

  /** Where a plain transport (without comedia) sends: the remote RTP (and RTCP) address. */
  async connectPlainTransport(
    peerId: string,
    transportId: string,
    remote: { ip: string; port: number; rtcpPort?: number },
  ): Promise<void> {
    const gen = await this.#enter();
    const t = this.#transport(peerId, transportId);
    if (t.type !== 'plain') throw new LiveRoomError('no-transport', `transport ${transportId} is not a plain transport`);
    await this.#guard(gen, (t.transport as PlainTransport).connect(remote));
  }

  async restartIce(peerId: string, transportId: string): Promise<IceParameters> {
    const gen = await this.#enter();
    const t = this.#transport(peerId, transportId);
    if (t.type !== 'webrtc') throw new LiveRoomError('no-transport', `transport ${transportId} is not a WebRTC transport`);
    return this.#guard(gen, (t.transport as WebRtcTransport).restartIce());
  }

  // --- producers -------------------------------------------------------------------------------

  async produce(
    peerId: string,
    transportId: string,
    p: { kind: MediaKind; rtpParameters: RtpParameters; source: ProducerSource },
  ): Promise<ProducerInfo> {
    const gen = await this.#enter();
    const t = this.#transport(peerId, transportId);
    if (t.direction !== 'send') throw new LiveRoomError('no-transport', `transport ${transportId} is not a send transport`);
    if (!SOURCES.includes(p.source)) throw new TypeError(`unknown producer source: ${String(p.source)}`);
    const producer = await this.#guard(
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
    const gen = await this.#enter();
    const { producer } = this.#ownProducer(peerId, producerId);
    await this.#guard(gen, producer.pause());
    this.emit('producer-paused', { id: producerId, peerId });
  }

  async resumeProducer(peerId: string, producerId: string): Promise<void> {
    const gen = await this.#enter();
    const { producer } = this.#ownProducer(peerId, producerId);
    await this.#guard(gen, producer.resume());
    this.emit('producer-resumed', { id: producerId, peerId });
  }

  closeProducer(peerId: string, producerId: string): void {
    this.#open();
    this.#ownProducer(peerId, producerId).producer.close();
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
    const gen = await this.#enter();
    const t = this.#transport(peerId, transportId);
    if (t.direction !== 'recv') throw new LiveRoomError('no-transport', `transport ${transportId} is not a recv transport`);
    const source = this.#producers.get(producerId);
    if (!source) throw new LiveRoomError('no-producer', `no producer ${producerId} in room ${this.id}`);
    const origin = this.#origin();
    if (!safeCanConsume(origin.router, producerId, rtpCapabilities)) {
      throw new LiveRoomError('cannot-consume', `these capabilities cannot consume producer ${producerId}`);
    }
    if (t.router !== origin) {
      await this.#guard(gen, pipeOnce(this.#origin().router, t.router, producerId));
    }
    if (t.transport.closed) throw new LiveRoomError('no-transport', `transport ${transportId} closed while consuming`);
    if (!this.#producers.has(producerId)) throw new LiveRoomError('no-producer', `producer ${producerId} closed`);
    const consumer = await this.#guard(
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
    const gen = await this.#enter();
    await this.#guard(gen, this.#consumer(peerId, consumerId).consumer.resume());
  }

  async setConsumerPreferredLayers(
    peerId: string,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    const gen = await this.#enter();
    const { consumer } = this.#consumer(peerId, consumerId);
    // A simple consumer has one layer: nothing to prefer.
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') return;
    await this.#guard(gen, consumer.setPreferredLayers(layers));
  }

  /** Addition: a peer stops watching one producer. */
  closeConsumer(peerId: string, consumerId: string): void {
    this.#open();
    this.#consumer(peerId, consumerId).consumer.close();
  }

  // --- peers, stats ----------------------------------------------------------------------------

  /** Closes the peer's transports, and so its producers and consumers. */
  removePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    for (const t of [...peer.transports.values()]) t.transport.close();
    this.#peers.delete(peerId);
  }

  /** Peers with at least one open transport. */
  peerIds(): string[] {
    return [...this.#peers.keys()];
  }

  peerBytesReceived(peerId: string): number {
    let bytes = this.#pastBytes.get(peerId) ?? 0;
    for (const t of this.#peers.get(peerId)?.transports.values() ?? []) bytes += t.bytesSent;
    return bytes;
  }

  /** Refreshes peerBytesReceived() now (it is otherwise sampled every statsIntervalMs). */
  samplePeerBytes(): Promise<void> {
    this.#sampling ??= sampleRecvBytes(this.#peers.values()).finally(() => {
      this.#sampling = null;
    });
    return this.#sampling;
  }

  routerLoads(): RouterLoadInfo[] {
    return this.#routers.map((e) => ({ routerId: e.router.id, workerPid: e.workerPid, consumers: e.consumers }));
  }

  // --- recording -------------------------------------------------------------------------------

  async startRecording(opts: RecordingOptions): Promise<LiveRecorder> {
    const gen = await this.#enter();
    const sources = recordingSources(this.id, opts, (id) => this.#producers.get(id)?.producer);
    const recorder = await this.#guard(gen, LiveRecorder.create(this.#origin().router, sources, opts), (late) => {
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
    if (this.#state === 'closed') return;
    this.#state = 'closed';
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
    if (this.#state === 'closed') return false;
    const hit = this.#routers.some((e) => e.workerPid === pid || e.router.closed);
    if (hit) void this.#rebuild();
    return hit;
  }

  // -------------------------------------------------------------------------------------------

  async #rebuild(): Promise<void> {
    if (this.#state === 'rebuilding') {
      this.#rebuildAgain = true;
      return;
    }
    this.#state = 'rebuilding';
    let resolveReady!: () => void;
    this.#ready = new Promise((resolve) => (resolveReady = resolve));
    const deadline = Date.now() + (this.#opts.rebuildTimeoutMs ?? DEFAULT_REBUILD_TIMEOUT_MS);
    try {
      do {
        this.#rebuildAgain = false;
        this.#generation++;
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
        if ((this.#state as RoomState) === 'closed') {
          origin.router.close();
          return;
        }
        this.#routers = [origin];
        this.#rtpCapabilities = origin.router.rtpCapabilities;
        countConsumers(origin);
        // A worker may have died again while we waited (the new router with it).
        if (origin.router.closed) this.#rebuildAgain = true;
      } while (this.#rebuildAgain);
      this.#state = 'open';
      this.emit('rebuilt');
    } finally {
      resolveReady();
    }
  }

  /** Stops recorders and closes every router (and with them every transport), quietly. */
  #teardown(): void {
    for (const recorder of this.#recorders) void recorder.stop();
    const routers = this.#routers;
    this.#routers = [];
    for (const e of routers) e.router.close();
    // Router close cascades synchronously through the observers below; clear what is left.
    for (const peer of this.#peers.values()) {
      for (const t of [...peer.transports.values()]) this.#forgetTransport(t);
    }
    this.#peers.clear();
    this.#producers.clear();
  }

  /** Router for a new transport; reserves a place on it (undone by #unreserve or #adopt). */
  async #place(direction: TransportDirection, gen: number): Promise<RouterEntry> {
    if (direction !== 'send' && direction !== 'recv') throw new TypeError(`unknown direction: ${String(direction)}`);
    if (direction === 'send') {
      const origin = this.#origin();
      origin.reservations++;
      return origin;
    }
    // One placement at a time, so that a burst of joins sees each other's reservations.
    const run = this.#placing.then(async () => {
      this.#check(gen);
      const loads = this.#routers.map((e) => ({ routerId: e.router.id, consumers: placementLoad(e, this.#peers) }));
      const id = pickRecvRouter(loads, this.#opts.maxConsumersPerRouter);
      let entry = this.#routers.find((e) => e.router.id === id);
      if (!entry) {
        let opened: RouterEntry;
        try {
          opened = await openRouter(this.#pool, Date.now());
        } catch (error) {
          throw this.#late(gen) ?? error;
        }
        if (this.#late(gen) || opened.router.closed) {
          opened.router.close();
          throw this.#late(gen) ?? new LiveRoomError('no-live-worker', 'the new router closed at once');
        }
        this.#routers.push(opened);
        countConsumers(opened);
        entry = opened;
      }
      entry.reservations++;
      return entry;
    });
    this.#placing = run.catch(() => undefined);
    return run;
  }

  #unreserve(entry: RouterEntry): void {
    entry.reservations--;
    this.#closeIfIdle(entry);
  }

  #adopt(
    gen: number,
    peerId: string,
    router: RouterEntry,
    transport: WebRtcTransport | PlainTransport,
    type: 'webrtc' | 'plain',
    direction: TransportDirection,
  ): void {
    router.reservations--;
    const late = this.#late(gen);
    if (late) {
      transport.close();
      throw late;
    }
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = { id: peerId, transports: new Map(), producers: new Map(), consumers: new Map() };
      this.#peers.set(peerId, peer);
    }
    const t: TransportEntry = { peerId, transport, type, direction, router, consumers: 0, bytesSent: 0 };
    peer.transports.set(transport.id, t);
    router.transports.add(transport.id);
    transport.observer.once('close', () => {
      this.#forgetTransport(t);
      this.#closeIfIdle(router);
    });
  }

  #forgetTransport(t: TransportEntry): void {
    const peer = this.#peers.get(t.peerId);
    if (!peer || peer.transports.get(t.transport.id) !== t) return;
    peer.transports.delete(t.transport.id);
    t.router.transports.delete(t.transport.id);
    if (t.bytesSent > 0) this.#pastBytes.set(t.peerId, (this.#pastBytes.get(t.peerId) ?? 0) + t.bytesSent);
    // Keep peers that only had closed transports out of peerIds().
    if (peer.transports.size === 0 && peer.producers.size === 0 && peer.consumers.size === 0) {
      this.#peers.delete(t.peerId);
    }
  }

  #closeIfIdle(entry: RouterEntry): void {
    if (this.#state !== 'open') return;
    const index = this.#routers.indexOf(entry);
    if (index <= 0) return; // the origin stays, and entries already gone need nothing
    // A router that died is kept: onWorkerDied must still find it and rebuild the room.
    if (entry.router.closed) return;
    if (entry.transports.size > 0 || entry.reservations > 0) return;
    this.#routers.splice(index, 1);
    entry.router.close();
  }

  /** Waits out a rebuild in progress; throws when the room is closed. Returns the generation. */
  async #enter(): Promise<number> {
    if (this.#state === 'rebuilding') await this.#ready;
    this.#open();
    return this.#generation;
  }

  #open(): void {
    if (this.#state === 'closed') throw new LiveRoomError('closed', `room ${this.id} is closed`);
  }

  /** The error to throw when the room changed under a call begun in generation `gen`. */
  #late(gen: number): LiveRoomError | undefined {
    if (this.#state === 'closed') return new LiveRoomError('closed', `room ${this.id} closed meanwhile`);
    if (gen !== this.#generation || this.#state === 'rebuilding') {
      return new LiveRoomError('rebuilt', `room ${this.id} was rebuilt meanwhile: redo transports`);
    }
    return undefined;
  }

  #check(gen: number): void {
    const late = this.#late(gen);
    if (late) throw late;
  }

  /**
   * Awaits a mediasoup call begun in generation `gen`. When the room was rebuilt or closed
   * meanwhile, its result is disposed of and the call fails with 'rebuilt' / 'closed' (the
   * mediasoup error, if any, is only the symptom).
   */
  async #guard<T>(gen: number, pending: Promise<T>, dispose?: (late: T) => void): Promise<T> {
    let value: T;
    try {
      value = await pending;
    } catch (error) {
      throw this.#late(gen) ?? error;
    }
    const late = this.#late(gen);
    if (late) {
      dispose?.(value);
      throw late;
    }
    return value;
  }

  /** Per-object events are not emitted while the room is torn down or a router died under it. */
  #quiet(): boolean {
    return this.#state !== 'open' || this.#routers.some((e) => e.router.closed);
  }

  #origin(): RouterEntry {
    const origin = this.#routers[0];
    if (!origin) throw new LiveRoomError('closed', `room ${this.id} has no router`);
    return origin;
  }

  #peer(peerId: string): PeerState {
    const peer = this.#peers.get(peerId);
    if (!peer) throw new LiveRoomError('no-peer', `no peer ${peerId} in room ${this.id}`);
    return peer;
  }

  #transport(peerId: string, transportId: string): TransportEntry {
    const t = this.#peer(peerId).transports.get(transportId);
    if (!t) throw new LiveRoomError('no-transport', `no transport ${transportId} for peer ${peerId}`);
    return t;
  }

  #ownProducer(peerId: string, producerId: string): ProducerEntry {
    const p = this.#peer(peerId).producers.get(producerId);
    if (!p) throw new LiveRoomError('no-producer', `no producer ${producerId} of peer ${peerId}`);
    return p;
  }

  #consumer(peerId: string, consumerId: string): ConsumerEntry {
    const c = this.#peer(peerId).consumers.get(consumerId);
    if (!c) throw new LiveRoomError('no-transport', `no consumer ${consumerId} for peer ${peerId}`);
    return c;
  }
}
