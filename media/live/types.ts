// Shapes shared by the live-room layer and its callers (server/modules/live, the browser
// client through signaling). Plain data only: nothing here holds a mediasoup object.

export interface LiveNetworkOptions {
  /** Address the WebRTC transports listen on, e.g. '127.0.0.1' or '0.0.0.0'. */
  listenIp: string;
  /** Public IP announced in ICE candidates (when listenIp is private or 0.0.0.0). */
  announcedIp?: string;
  enableUdp: boolean;
  /** TCP fallback for sites whose firewall drops UDP (config decides). */
  enableTcp: boolean;
  preferUdp: boolean;
  /** Bit/s; default 1_000_000. */
  initialAvailableOutgoingBitrate?: number;
}

export interface LiveRoomManagerOptions extends LiveNetworkOptions {
  /**
   * When the router chosen for a new recv transport carries this many consumers, the transport
   * goes to another router (on another worker when there is one), fed by pipeToRouter.
   */
  maxConsumersPerRouter: number;
  /** How often peerBytesReceived() is refreshed from transport stats; default 5000 ms. */
  statsIntervalMs?: number;
  /** How long a rebuild (or getOrCreate) waits for a live worker; default 10_000 ms. */
  rebuildTimeoutMs?: number;
}

export interface TransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}

/**
 * A plain RTP transport (no ICE/DTLS): station terminals (终端站点) with hardware encoders,
 * ffmpeg, tests. `rtcpPort` is set when RTCP is not multiplexed.
 */
export interface PlainTransportInfo {
  id: string;
  ip: string;
  port: number;
  rtcpPort?: number;
}

export interface PlainTransportOptions {
  /** Learn the remote address from the first packet (senders behind NAT, ffmpeg). Default false. */
  comedia?: boolean;
  /** Default false: ffmpeg sends RTCP from another port than RTP. */
  rtcpMux?: boolean;
}

export type TransportDirection = 'send' | 'recv';
export type ProducerSource = 'camera' | 'mic' | 'screen';
export type MediaKind = 'audio' | 'video';

export interface ProducerInfo {
  id: string;
  peerId: string;
  kind: MediaKind;
  source: ProducerSource;
  paused: boolean;
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  /** mediasoup consumer type: 'simple' | 'simulcast' | 'svc' | 'pipe'. */
  type: string;
  source: ProducerSource;
  /** The producing peer. */
  peerId: string;
}

export interface RouterLoadInfo {
  routerId: string;
  workerPid: number;
  consumers: number;
}

export interface RecordingOptions {
  audioProducerId?: string;
  videoProducerId?: string;
  /**
   * A screen share. With videoProducerId too, the recording is picture-in-picture: the screen is
   * the picture and the camera (videoProducerId) a small inset at the bottom right.
   */
  screenProducerId?: string;
  /** Absolute; receives index.m3u8 and seg_NNNNN.ts. Must not contain '%'. */
  outDir: string;
  /** Default 'ffmpeg'. */
  ffmpegPath?: string;
  /** Default 2. */
  segmentSec?: number;
  /** Accepted for compatibility; not implemented (no clock is drawn). */
  overlayClock?: boolean;
  /** Between SIGINT and SIGKILL in stop(); default 4000 ms. */
  killTimeoutMs?: number;
  /** stop(): how long ffmpeg may go on writing what it received before SIGINT; default 8000 ms. */
  drainTimeoutMs?: number;
}
