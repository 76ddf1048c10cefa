/**
 * The publishing side of a live room (推流): what the host, and a viewer brought on stage (连麦),
 * sends. The room owns the socket, the Device and the receive side; this owns the send transport,
 * the producers and the page's captured tracks.
 *
 * - Camera with three simulcast layers, microphone, and a screen share as a second video. Each can
 *   be muted (paused) or stopped and started again; a track the browser ends stops its source.
 * - The page owns its tracks: when the room tears media down (rebuild, reconnection, end) the
 *   producers close but the tracks stay, and `republish()` sends them again on the new transport.
 * - Choosing the devices is the controls' business: they capture a track and hand it here.
 */
import type { Device } from 'mediasoup-client';
import type { Producer, Transport } from 'mediasoup-client/types';
import type { Socket } from 'socket.io-client';
import { request } from './signaling.ts';
import type { ProducerInfo, ProducerSource } from './types.ts';

/** Simulcast layers of the camera: ~180p, ~360p, ~720p. */
const CAMERA_ENCODINGS = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

export interface LocalTrack {
  track: MediaStreamTrack;
  paused: boolean;
  /** Null while not produced (no send transport yet, or torn down for a rebuild). */
  producerId: string | null;
}

export type LocalTracks = Partial<Record<ProducerSource, LocalTrack>>;

/** What the publisher needs from its room. */
export interface PublishLink {
  socket(): Socket | null;
  device(): Device | null;
  /** The page is the host or on stage now. */
  mayPublish(): boolean;
  /** Connects the transport and restarts its ICE when it fails, as the room does for its own. */
  wire(t: Transport): void;
}

export class LivePublisher {
  /** This page's published tracks by source. */
  local = $state<LocalTracks>({});

  readonly #link: PublishLink;
  #send: Transport | null = null;
  /** The send transport being opened: camera, microphone and screen started at once share it. */
  #opening: Promise<Transport | null> | null = null;
  /** Counts tear-downs: a transport opened for media torn down meanwhile is closed, not kept. */
  #generation = 0;
  #producers = new Map<ProducerSource, Producer>();

  constructor(link: PublishLink) {
    this.#link = link;
  }

  /** The send transport, when open. */
  get transport(): Transport | null {
    return this.#send;
  }

  /** Starts (or replaces) a source with a captured track. */
  async publish(source: ProducerSource, track: MediaStreamTrack): Promise<void> {
    this.#producers.get(source)?.close();
    this.#producers.delete(source);
    const old = this.local[source];
    if (old && old.track !== track) old.track.stop();
    this.local = { ...this.local, [source]: { track, paused: false, producerId: null } };
    track.addEventListener('ended', () => {
      if (this.local[source]?.track === track) void this.unpublish(source);
    });
    await this.#produce(source);
  }

  async #produce(source: ProducerSource) {
    const entry = this.local[source];
    if (!entry || !this.#link.device()?.loaded || !this.#link.mayPublish()) return;
    const send = this.#send ?? (await (this.#opening ??= this.#openSend().finally(() => (this.#opening = null))));
    // Unpublished or replaced meanwhile (compared by track: entries are re-proxied state objects).
    if (!send || this.local[source]?.track !== entry.track) return;
    const producer = await send.produce({
      track: entry.track,
      ...(source === 'camera' ? { encodings: CAMERA_ENCODINGS, codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
      // The page owns its tracks: a producer closed by a rebuild must not end them, so they can
      // be published again.
      stopTracks: false,
      appData: { source },
    });
    this.#producers.set(source, producer);
    if (entry.paused) producer.pause();
    this.local = { ...this.local, [source]: { ...entry, producerId: producer.id } };
  }

  async #openSend(): Promise<Transport | null> {
    const generation = this.#generation;
    const socket = this.#link.socket()!;
    const { transport } = await request<{ transport: never }>(socket, 'live:transport:create', { direction: 'send' });
    if (generation !== this.#generation) return null; // the room's media were torn down meanwhile
    const t = this.#link.device()!.createSendTransport(transport);
    this.#link.wire(t);
    t.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      request<{ producer: ProducerInfo }>(socket, 'live:produce', { transportId: t.id, kind, rtpParameters, source: (appData as { source: ProducerSource }).source }).then(
        (res) => callback({ id: res.producer.id }),
        (err: Error) => errback(err),
      );
    });
    this.#send = t;
    return t;
  }

  /** Sends every kept track again (after a rebuild or reconnection). */
  async republish(): Promise<void> {
    for (const source of Object.keys(this.local) as ProducerSource[]) await this.#produce(source);
  }

  async unpublish(source: ProducerSource): Promise<void> {
    const producer = this.#producers.get(source);
    this.#producers.delete(source);
    const socket = this.#link.socket();
    if (producer && socket) {
      producer.close();
      await request(socket, 'live:producer:close', { producerId: producer.id }).catch(() => {});
    }
    this.local[source]?.track.stop();
    const next = { ...this.local };
    delete next[source];
    this.local = next;
  }

  async setPaused(source: ProducerSource, paused: boolean): Promise<void> {
    const entry = this.local[source];
    if (!entry) return;
    const producer = this.#producers.get(source);
    const socket = this.#link.socket();
    if (producer && socket) {
      if (paused) producer.pause();
      else producer.resume();
      await request(socket, paused ? 'live:producer:pause' : 'live:producer:resume', { producerId: producer.id }).catch(() => {});
    }
    this.local = { ...this.local, [source]: { ...entry, paused } };
  }

  /** The host muted this page: the server paused the microphone's producer; follow it here. */
  mutedByHost(): void {
    const mic = this.local.mic;
    if (mic) this.local = { ...this.local, mic: { ...mic, paused: true } };
    this.#producers.get('mic')?.pause();
  }

  /** Brought on stage (连麦): publish camera and microphone at once; either can be stopped. */
  async joinStage(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    for (const track of stream.getTracks()) await this.publish(track.kind === 'audio' ? 'mic' : 'camera', track);
  }

  /** Taken off stage: everything stops and the send transport closes. */
  async leaveStage(): Promise<void> {
    for (const source of Object.keys(this.local) as ProducerSource[]) await this.unpublish(source);
    this.#generation++;
    this.#send?.close();
    this.#send = null;
  }

  /** Media torn down by the room: producers and the send transport close, the tracks stay. */
  closeMedia(): void {
    for (const p of this.#producers.values()) p.close();
    this.#producers.clear();
    this.#generation++;
    this.#send?.close();
    this.#send = null;
    const local = { ...this.local };
    for (const k of Object.keys(local) as ProducerSource[]) local[k] = { ...local[k]!, producerId: null };
    this.local = local;
  }

  /** The page leaves or was removed: its tracks stop too. */
  stopTracks(): void {
    for (const entry of Object.values(this.local)) entry?.track.stop();
    this.local = {};
  }
}
