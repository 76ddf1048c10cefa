// One recorded stream's way from the router to ffmpeg (a "leg" of a LiveRecorder): an RTP/RTCP
// port pair for ffmpeg (udp-ports.ts), a PlainTransport on 127.0.0.1 connect()ed to it (rtcpMux
// off, comedia off), a paused consumer with the codec alone (recording-args.ts), and for video
// the layer follower (recorder-layers.ts). /work/shared/notes/mediasoup-ffmpeg.md says why.
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
