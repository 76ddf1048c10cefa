// Public API of media/: the only module server/ should import from media/.
export { mediaCodecs, cloneCodecs } from './codecs';
export {
  WorkerPool,
  WorkerPoolError,
  splitPortRange,
  restartDelay,
  poolState,
  pickLeastLoaded,
  STABLE_AFTER_MS,
  MAX_RESTART_DELAY_MS,
} from './worker-pool';
export type {
  WorkerPoolOptions,
  WorkerPoolEvents,
  WorkerPoolStatus,
  WorkerSlotStatus,
  WorkerPoolErrorCode,
  WorkerDiedEvent,
  WorkerReplacedEvent,
  WorkerRestartFailedEvent,
  WorkerLogLevel,
  PoolState,
  PortRange,
} from './worker-pool';
export {
  probeMedia,
  ProbeError,
  parseProbeOutput,
  classifyProbeFailure,
  sniffContainer,
  parseBoxHeader,
  parseFrameRate,
  findTruncatedBox,
} from './probe';
export type {
  ProbeResult,
  ProbeStream,
  ProbeVideo,
  ProbeAudio,
  ProbeOptions,
  ProbeFailureReason,
  StreamType,
  ContainerKind,
  BoxHeader,
} from './probe';
export { checkFfmpeg, parseEncoderList, parseVersion, hasRequiredEncoders } from './tools';
export type { FfmpegCheck, FfmpegCheckOptions } from './tools';
