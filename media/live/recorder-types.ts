// What a live recording (LiveRecorder) reports: its segments, its end, its layers.
import type { Producer } from 'mediasoup/lib/types';

export interface LiveRecorderSegment {
  name: string;
  durationSec: number;
}

export interface LiveRecorderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LiveRecorderResult {
  playlistPath: string;
  durationSec: number;
  segments: number;
}

export interface LiveRecorderEvents {
  segment: [LiveRecorderSegment];
  exit: [LiveRecorderExit];
  error: [Error];
  /**
   * The picture's video rose above the simulcast layer the recording started on (the sender's bandwidth
   * allowed its top layer only later): this recording keeps the smaller size, a new one would not.
   */
  'layers-raised': [{ from: number; to: number }];
  /** ffmpeg decodes the picture larger than its first frame (the part keeps the first size). */
  'picture-grown': [{ from: { width: number; height: number }; to: { width: number; height: number } }];
}

export interface LiveRecorderSources {
  audio?: Producer;
  /** The camera: the picture, or the inset when `screen` is given too. */
  video?: Producer;
  /** A screen share: the picture (with `video` as the inset when both are given). */
  screen?: Producer;
}
