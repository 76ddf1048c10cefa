// One recorded stream's way from the router to ffmpeg (a "leg" of a LiveRecorder): an RTP/RTCP
// port pair for ffmpeg (udp-ports.ts), a PlainTransport on 127.0.0.1 connect()ed to it (rtcpMux
// off, comedia off), a paused consumer with the codec alone (recording-args.ts), and for video
// the layer follower (recorder-layers.ts). /work/shared/notes/mediasoup-ffmpeg.md says why.
import { createSocket } from 'node:dgram';
import type { Consumer, PlainTransport, Producer, Router } from 'mediasoup/lib/types';
import { LiveRecorderError } from './errors';
import { RecorderLayers } from './recorder-layers';
import { recorderRtpCapabilities, type RecorderStream } from './recording-args';
import { allocateUdpPortPair, type PortPair } from './udp-ports';

export interface Leg {
  kind: 'audio' | 'video';
  ports: PortPair;
  transport: PlainTransport;
  consumer: Consumer | null;
  layers: RecorderLayers | null;
}

/**
 * Opens the leg of `producer` and returns what the SDP says of it. The leg is pushed onto `legs`
 * as soon as it holds something to release (releaseLegs), also when a later step fails.
 */
export async function openLeg(
  router: Router,
  producer: Producer,
  legs: Leg[],
  onRaised: (from: number, to: number) => void,
): Promise<RecorderStream> {
  const codec = producer.rtpParameters.codecs[0];
  const caps = codec && recorderRtpCapabilities(router.rtpCapabilities, codec);
  if (!caps || !router.canConsume({ producerId: producer.id, rtpCapabilities: caps })) {
    throw new LiveRecorderError('invalid-options', `producer ${producer.id} (${codec?.mimeType}) cannot be recorded`);
  }
  const ports = await allocateUdpPortPair('127.0.0.1');
  let transport: PlainTransport;
  try {
    transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: false });
  } catch (error) {
    ports.release();
    throw error;
  }
  const leg: Leg = { kind: producer.kind, ports, transport, consumer: null, layers: null };
  legs.push(leg);
  await transport.connect({ ip: '127.0.0.1', port: ports.port, rtcpPort: ports.rtcpPort });
  const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: caps, paused: true });
  leg.consumer = consumer;
  if (producer.kind === 'video') leg.layers = new RecorderLayers(consumer, producer, onRaised);
  const used = consumer.rtpParameters.codecs[0]!;
  return {
    kind: producer.kind,
    port: ports.port,
    rtcpPort: ports.rtcpPort,
    payloadType: used.payloadType,
    mimeType: used.mimeType,
    clockRate: used.clockRate,
    channels: used.channels,
    parameters: used.parameters as Record<string, unknown> | undefined,
  };
}

/** Closes every leg's transport (and so its consumer) and frees its ports. */
export function releaseLegs(legs: readonly Leg[]): void {
  for (const leg of legs) {
    leg.transport.close();
    leg.ports.release();
  }
}

/**
 * Wakes an ffmpeg that was told to stop (one SIGINT) while its RTP input is silent (the worker
 * died, the producers are gone): ffmpeg heeds SIGINT only when its demuxer returns a packet, and
 * a second SIGINT would make every later write fail (no last segment, no ENDLIST). So a few RTP
 * packets of the audio leg's payload type are sent to its port: sequence numbers X, X+1 and
 * X+32768, X+32769 (ffmpeg's RTP demuxer resyncs after two sequential packets of a large jump and
 * queues those ahead of the last one it emitted, releasing them after its reorder delay). Their
 * payload is an Opus packet ffmpeg cannot parse (a code-3 TOC without its frame count): the
 * decoder drops it, so no sound and no timestamp reaches the recording; the demuxer has returned.
 * Only audio legs: VP8/H.264 depacketizers need a whole frame. Resolves once sent.
 */
export async function nudgeLeg(leg: Leg): Promise<void> {
  const consumer = leg.consumer;
  if (leg.kind !== 'audio' || !consumer) return;
  const payloadType = consumer.rtpParameters.codecs[0]?.payloadType ?? 0;
  const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc ?? 0;
  const base = Math.floor(Math.random() * 0x10000);
  const socket = createSocket('udp4');
  try {
    for (const seq of [base, base + 1, base + 0x8000, base + 0x8001]) {
      const packet = Buffer.alloc(13);
      packet[0] = 0x80; // RTP version 2, no padding, extension or CSRC
      packet[1] = payloadType & 0x7f;
      packet.writeUInt16BE(seq & 0xffff, 2);
      packet.writeUInt32BE(0, 4);
      packet.writeUInt32BE(ssrc >>> 0, 8);
      packet[12] = 0xfb; // Opus TOC: config 31, code 3, and no frame count byte follows
      await new Promise<void>((resolve) => socket.send(packet, leg.ports.port, '127.0.0.1', () => resolve()));
    }
  } finally {
    socket.close();
  }
}
