// A live room's peers (LiveRoom.ts): each peer's transports, producers and consumers, looked up
// with the room's errors, and the bytes mediasoup sent to each peer (RTP + RTX on its recv
// transports, sampled; kept after its transports and the peer are gone: the evidence of delivery
// that live 学时 are credited against).
import type { PlainTransport, WebRtcTransport } from 'mediasoup/lib/types';
import { LiveRoomError } from './errors';
import { sampleRecvBytes, type ConsumerEntry, type PeerState, type ProducerEntry, type RouterEntry, type TransportEntry } from './room-state';
import type { TransportDirection } from './types';

export class RoomPeers {
  readonly #roomId: string;
  readonly #peers = new Map<string, PeerState>();
  /** Bytes sent on transports that are gone, per peer. */
  readonly #pastBytes = new Map<string, number>();
  #sampling: Promise<void> | null = null;

  constructor(roomId: string) {
    this.#roomId = roomId;
  }

  get(peerId: string): PeerState | undefined {
    return this.#peers.get(peerId);
  }

  values(): IterableIterator<PeerState> {
    return this.#peers.values();
  }

  /** The peer, or 'no-peer'. */
  peer(peerId: string): PeerState {
    const peer = this.#peers.get(peerId);
    if (!peer) throw new LiveRoomError('no-peer', `no peer ${peerId} in room ${this.#roomId}`);
    return peer;
  }

  transport(peerId: string, transportId: string): TransportEntry {
    const t = this.peer(peerId).transports.get(transportId);
    if (!t) throw new LiveRoomError('no-transport', `no transport ${transportId} for peer ${peerId}`);
    return t;
  }

  ownProducer(peerId: string, producerId: string): ProducerEntry {
    const p = this.peer(peerId).producers.get(producerId);
    if (!p) throw new LiveRoomError('no-producer', `no producer ${producerId} of peer ${peerId}`);
    return p;
  }

  consumer(peerId: string, consumerId: string): ConsumerEntry {
    const c = this.peer(peerId).consumers.get(consumerId);
    if (!c) throw new LiveRoomError('no-transport', `no consumer ${consumerId} for peer ${peerId}`);
    return c;
  }

  /** Registers a transport placed on `router` (the peer too, on its first); `onClosed` runs after it is forgotten. */
  adopt(
    peerId: string,
    router: RouterEntry,
    transport: WebRtcTransport | PlainTransport,
    type: 'webrtc' | 'plain',
    direction: TransportDirection,
    onClosed: () => void,
  ): void {
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = { id: peerId, transports: new Map(), producers: new Map(), consumers: new Map() };
      this.#peers.set(peerId, peer);
    }
    const t: TransportEntry = { peerId, transport, type, direction, router, consumers: 0, bytesSent: 0 };
    peer.transports.set(transport.id, t);
    router.transports.add(transport.id);
    transport.observer.once('close', () => {
      this.forget(t);
      onClosed();
    });
  }

  /** Forgets a closed transport, keeping its bytes; a peer left with nothing is forgotten too. */
  forget(t: TransportEntry): void {
    const peer = this.#peers.get(t.peerId);
    if (!peer || peer.transports.get(t.transport.id) !== t) return;
    peer.transports.delete(t.transport.id);
    t.router.transports.delete(t.transport.id);
    if (t.bytesSent > 0) this.#pastBytes.set(t.peerId, (this.#pastBytes.get(t.peerId) ?? 0) + t.bytesSent);
    // Keep peers that only had closed transports out of ids().
    if (peer.transports.size === 0 && peer.producers.size === 0 && peer.consumers.size === 0) {
      this.#peers.delete(t.peerId);
    }
  }

  /** Closes the peer's transports, and so its producers and consumers. */
  remove(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    for (const t of [...peer.transports.values()]) t.transport.close();
    this.#peers.delete(peerId);
  }

  /** After the routers were closed (a rebuild, close()): forgets every transport and peer, keeping their bytes. */
  clear(): void {
    for (const peer of this.#peers.values()) {
      for (const t of [...peer.transports.values()]) this.forget(t);
    }
    this.#peers.clear();
  }

  /** Peers with at least one open transport. */
  ids(): string[] {
    return [...this.#peers.keys()];
  }

  bytesReceived(peerId: string): number {
    let bytes = this.#pastBytes.get(peerId) ?? 0;
    for (const t of this.#peers.get(peerId)?.transports.values() ?? []) bytes += t.bytesSent;
    return bytes;
  }

  /** Refreshes bytesReceived() now (LiveRoom otherwise samples every statsIntervalMs). */
  sampleBytes(): Promise<void> {
    this.#sampling ??= sampleRecvBytes(this.#peers.values()).finally(() => {
      this.#sampling = null;
    });
    return this.#sampling;
  }
}
