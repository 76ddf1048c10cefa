// Public API of the live-room layer (re-exported by media/index.ts).
export { LiveRoomManager } from './LiveRoomManager';
export type { LiveRoomManagerEvents, LiveRoomManagerStats } from './LiveRoomManager';
export { LiveRoom, DEFAULT_OUTGOING_BITRATE, DEFAULT_STATS_INTERVAL_MS, DEFAULT_REBUILD_TIMEOUT_MS } from './LiveRoom';
export type { LiveRoomEvents, LiveRoomOptions } from './LiveRoom';
export { LiveRecorder } from './LiveRecorder';
export type { LiveRecorderEvents, LiveRecorderExit, LiveRecorderResult, LiveRecorderSegment, LiveRecorderSources } from './LiveRecorder';
export { LiveRoomError, LiveRecorderError } from './errors';
export type { LiveRoomErrorCode, LiveRecorderErrorCode } from './errors';
export { pickRecvRouter } from './router-placement';
export { recordedSources } from './room-recording';
export type { RouterLoad } from './router-placement';
export {
  buildRecorderSdp,
  buildRecorderArgs,
  recorderRtpCapabilities,
  RECORDER_PLAYLIST,
  RECORDER_SEGMENT_PATTERN,
  DEFAULT_RECORDER_SEGMENT_SEC,
  RECORDER_MAX_WIDTH,
  RECORDER_MAX_HEIGHT,
  pictureFilter,
  pictureInPictureFilter,
} from './recording-args';
export type { RecorderStream, RecorderArgsOptions } from './recording-args';
export { allocateUdpPortPair, isUsablePair, parseProcNetUdp, reservedUdpPorts, waitForUdpBound } from './udp-ports';
export type { PortPair } from './udp-ports';
export type {
  LiveNetworkOptions,
  LiveRoomManagerOptions,
  TransportInfo,
  PlainTransportInfo,
  PlainTransportOptions,
  TransportDirection,
  ProducerSource,
  MediaKind,
  ProducerInfo,
  ConsumerInfo,
  RouterLoadInfo,
  RecordingOptions,
} from './types';
export { planReplay, buildReplayArgs, MIN_SLATE_SEC, REPLAY_FPS, SLATE_COLOR } from './replay-plan';
export type { ReplayPartInput, ReplayPiece, ReplayPlan, ReplayArgsOptions } from './replay-plan';
export { renderReplay, probeRecordedPart, ReplayError } from './replay';
export type { RecordedPart, ReplayPartSource, RenderReplayOptions, RenderReplayResult } from './replay';
