// A live room's transports (LiveRoom.ts): WebRTC and plain RTP transports, made on the router
// RoomRouters places them on (send: the origin; recv: the first router with spare capacity),
// registered with their peer (RoomPeers), then connected or ICE-restarted on request.
// - The place reserved on a router is given back when the transport cannot be made.
// - A transport made while the room was rebuilt or closed is closed at once, and the call fails
//   with 'rebuilt' / 'closed' (room-generation.ts).
import type {
  DtlsParameters,
  IceParameters,
  PlainTransport,
  Router,
  WebRtcTransport,
} from 'mediasoup/lib/types';
import { LiveRoomError } from './errors';
import type { RoomGeneration } from './room-generation';
import type { RoomPeers } from './room-peers';
import type { RoomRouters } from './room-routers';
import type { RouterEntry } from './room-state';
import { DEFAULT_OUTGOING_BITRATE } from './room-types';
import type { LiveNetworkOptions, PlainTransportInfo, PlainTransportOptions, TransportDirection, TransportInfo } from './types';

export class RoomTransports {
  readonly #gen: RoomGeneration;
  readonly #routers: RoomRouters;
  readonly #peers: RoomPeers;
  readonly #opts: LiveNetworkOptions;

  constructor(o: { gen: RoomGeneration; routers: RoomRouters; peers: RoomPeers; opts: LiveNetworkOptions }) {
    this.#gen = o.gen;
    this.#routers = o.routers;
    this.#peers = o.peers;
    this.#opts = o.opts;
  }

  async createWebRtc(peerId: string, direction: TransportDirection): Promise<TransportInfo> {
    const transport = await this.#open(peerId, direction, 'webrtc', (router) =>
      router.createWebRtcTransport({
        listenIps: [{ ip: this.#opts.listenIp, announcedIp: this.#opts.announcedIp }],
        enableUdp: this.#opts.enableUdp,
        enableTcp: this.#opts.enableTcp,
        preferUdp: this.#opts.preferUdp,
        initialAvailableOutgoingBitrate: this.#opts.initialAvailableOutgoingBitrate ?? DEFAULT_OUTGOING_BITRATE,
        appData: { peerId, direction },
      }),
    );
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async createPlain(peerId: string, direction: TransportDirection, opts: PlainTransportOptions): Promise<PlainTransportInfo> {
    const transport = await this.#open(peerId, direction, 'plain', (router) =>
      router.createPlainTransport({
        listenIp: { ip: this.#opts.listenIp, announcedIp: this.#opts.announcedIp },
        rtcpMux: opts.rtcpMux ?? false,
        comedia: opts.comedia ?? false,
        appData: { peerId, direction },
      }),
    );
    return {
      id: transport.id,
      ip: transport.tuple.localIp,
      port: transport.tuple.localPort,
      ...(transport.rtcpTuple ? { rtcpPort: transport.rtcpTuple.localPort } : {}),
    };
  }

  async connect(peerId: string, transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    const gen = await this.#gen.enter();
    const t = this.#peers.transport(peerId, transportId);
    if (t.type !== 'webrtc') throw new LiveRoomError('no-transport', `transport ${transportId} is not a WebRTC transport`);
    await this.#gen.guard(gen, (t.transport as WebRtcTransport).connect({ dtlsParameters }));
  }

  async connectPlain(peerId: string, transportId: string, remote: { ip: string; port: number; rtcpPort?: number }): Promise<void> {
    const gen = await this.#gen.enter();
    const t = this.#peers.transport(peerId, transportId);
    if (t.type !== 'plain') throw new LiveRoomError('no-transport', `transport ${transportId} is not a plain transport`);
    await this.#gen.guard(gen, (t.transport as PlainTransport).connect(remote));
  }

  async restartIce(peerId: string, transportId: string): Promise<IceParameters> {
    const gen = await this.#gen.enter();
    const t = this.#peers.transport(peerId, transportId);
    if (t.type !== 'webrtc') throw new LiveRoomError('no-transport', `transport ${transportId} is not a WebRTC transport`);
    return this.#gen.guard(gen, (t.transport as WebRtcTransport).restartIce());
  }

  // -------------------------------------------------------------------------------------------

  /** Places a new transport, makes it with `create` on that router and adopts it. */
  async #open<T extends WebRtcTransport | PlainTransport>(
    peerId: string,
    direction: TransportDirection,
    type: 'webrtc' | 'plain',
    create: (router: Router) => Promise<T>,
  ): Promise<T> {
    const gen = await this.#gen.enter();
    const entry = await this.#routers.place(direction, gen);
    let transport: T;
    try {
      transport = await create(entry.router);
    } catch (error) {
      this.#routers.unreserve(entry);
      throw this.#gen.late(gen) ?? error;
    }
    this.#adopt(gen, peerId, entry, transport, type, direction);
    return transport;
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
    const late = this.#gen.late(gen);
    if (late) {
      transport.close();
      throw late;
    }
    this.#peers.adopt(peerId, router, transport, type, direction, () => this.#routers.closeIfIdle(router));
  }
}
