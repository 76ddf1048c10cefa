/**
 * A live room's transports on this page, as helpers with no state of their own: the room
 * (live-room.svelte.ts) keeps which transports and consumers exist and when to set them up; these
 * make a transport's requests on the live-room socket (signaling.ts) and read its statistics.
 * - Every transport, receive or send (live-publisher.svelte.ts), is connected through the server
 *   and restarts its ICE when its connection fails or disconnects.
 */
import type { Device } from 'mediasoup-client';
import type { Consumer, Transport } from 'mediasoup-client/types';
import type { Socket } from 'socket.io-client';
import { request } from './signaling.ts';
import type { ProducerSource, RemoteTrack } from './types.ts';

/** The server's answer to `live:consume`: what the receive transport needs to consume a producer. */
export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: never;
  source: ProducerSource;
  peerId: string;
}

export interface VideoFrames {
  producerId: string;
  source: ProducerSource;
  peerId: string;
  framesDecoded: number;
}

/** Connects the transport through the server and restarts its ICE when it fails or disconnects. */
export function wireTransport(socket: Socket, t: Transport): void {
  t.on('connect', ({ dtlsParameters }, callback, errback) => {
    request(socket, 'live:transport:connect', { transportId: t.id, dtlsParameters }).then(() => callback(), (err: Error) => errback(err));
  });
  t.on('connectionstatechange', (state) => {
    if (state === 'failed' || state === 'disconnected') {
      request<{ iceParameters: never }>(socket, 'live:transport:restart-ice', { transportId: t.id }).then(
        ({ iceParameters }) => t.restartIce({ iceParameters }),
        () => {},
      );
    }
  });
}

/** Opens the page's receive transport, wired. */
export async function openRecvTransport(socket: Socket, device: Device): Promise<Transport> {
  const { transport } = await request<{ transport: never }>(socket, 'live:transport:create', { direction: 'recv' });
  const t = device.createRecvTransport(transport);
  wireTransport(socket, t);
  return t;
}

/** Asks the server for a consumer of the producer on the page's receive transport. */
export async function requestConsumer(socket: Socket, recv: Transport, device: Device, producerId: string): Promise<ConsumerInfo> {
  const { consumer } = await request<{ consumer: ConsumerInfo }>(socket, 'live:consume', {
    transportId: recv.id,
    producerId,
    rtpCapabilities: device.rtpCapabilities,
  });
  return consumer;
}

/** Decoded video frames per received producer (WebRTC getStats), for diagnostics and tests. */
export async function decodedFrames(remote: readonly RemoteTrack[], consumers: ReadonlyMap<string, Consumer>): Promise<VideoFrames[]> {
  const out = [];
  for (const r of remote) {
    if (r.kind !== 'video') continue;
    const consumer = consumers.get(r.producerId);
    if (!consumer) continue;
    let frames = 0;
    (await consumer.getStats()).forEach((s: { type: string; framesDecoded?: number }) => {
      // The entry that carries the track has the decoded frames (others can show 0).
      if (s.type === 'inbound-rtp' && typeof s.framesDecoded === 'number') frames = Math.max(frames, s.framesDecoded);
    });
    out.push({ producerId: r.producerId, source: r.source, peerId: r.peerId, framesDecoded: frames });
  }
  return out;
}
