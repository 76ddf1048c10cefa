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
export {
  planLadder,
  selectRungs,
  buildHlsArgs,
  buildMasterPlaylist,
  nominalBandwidth,
  rungPlaylist,
  h264Level,
  avc1CodecString,
  outputFps,
  fpsRational,
  VIDEO_RUNGS,
  AUDIO_ONLY_KBPS,
  AUDIO_SOURCE_KBPS,
  DEFAULT_SEGMENT_SEC,
  DEFAULT_PRESET,
} from './hls/ladder';
export type {
  LadderPlan,
  Rung,
  VideoRung,
  AudioRung,
  PlanLadderOptions,
  HlsArgsOptions,
  MasterPlaylistOptions,
  RungBandwidth,
} from './hls/ladder';
export { parseProgress } from './hls/ffmpeg-progress';
export type { ProgressSample } from './hls/ffmpeg-progress';
export { parseMediaPlaylist, measureBandwidth } from './hls/playlist';
export { liveWindow } from './hls/live-window';
export type { MediaPlaylist, MediaSegment, SizedSegment } from './hls/playlist';
export {
  buildPosterArgs,
  buildSpriteArgs,
  buildThumbnailsVtt,
  thumbnailLayout,
  thumbnailCount,
  spriteSheetCount,
  spriteNames,
  posterTime,
  formatVttTime,
} from './hls/thumbnails';
export type { ThumbnailOptions, ThumbnailsVttOptions, PosterArgsOptions } from './hls/thumbnails';
export { TranscodeJob, TranscodeError } from './hls/TranscodeJob';
export type {
  TranscodeJobOptions,
  TranscodeJobEvents,
  TranscodeJobState,
  TranscodeProgress,
  TranscodeRendition,
  TranscodeResult,
  TranscodeStage,
  TranscodeErrorCode,
} from './hls/TranscodeJob';
export { ProgressiveTranscodeJob, planPasses } from './hls/ProgressiveTranscodeJob';
export type { ProgressiveTranscodeOptions, ProgressiveProgress, ProgressiveResult, LadderSnapshot } from './hls/ProgressiveTranscodeJob';
export { LocalStorage, StorageKeyError, checkKey, isSafeKey } from './storage';
export type { Storage, StorageStat, PutOptions, ReadRange, LocalStorageOptions } from './storage';
export { spawnTied, tiedArgv } from './child';
// Live rooms (直播课堂): mediasoup rooms across the worker pool, router piping, rebuild on
// worker death, recording to HLS. See media/live/README.md.
export * from './live';
