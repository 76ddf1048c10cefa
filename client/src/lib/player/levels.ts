/**
 * Quality levels of the HLS ladder (1080p/720p/480p/360p H.264 renditions no taller than the
 * source, plus one audio-only rung) as the quality menu shows them. hls.js drops audio-only
 * variants from `hls.levels` when video variants exist, so the audio rung is found in the raw
 * parsed manifest (MANIFEST_LOADED) and played by loading its media playlist on its own
 * ("仅音频", for stations on thin links). Menu values: 'auto', a level index, or 'audio'.
 */
export interface LevelLike {
  height?: number;
  width?: number;
  bitrate?: number;
  name?: string;
  videoCodec?: string;
  audioCodec?: string;
}

export interface ParsedVariantLike {
  url: string;
  bitrate?: number;
  width?: number;
  height?: number;
  attrs?: Record<string, string | undefined>;
}

export type QualityOption =
  | { value: 'auto'; kind: 'auto' }
  | { value: string; kind: 'level'; label: string; height: number; bitrate: number }
  | { value: string; kind: 'audio' };

export const AUDIO_VALUE = 'audio';

const VIDEO_CODEC = /^(avc[1-4]|hvc1|hev1|vp0?9|av01|mp4v)/i;

export function isAudioOnly(level: LevelLike): boolean {
  return !level.videoCodec && !(level.width && level.height);
}

/** "720p" from the height, else the rendition's own name, else its bitrate. */
export function levelLabel(level: LevelLike): string {
  if (level.height) return `${level.height}p`;
  if (level.name && /^\d{3,4}p$/i.test(level.name)) return level.name.toLowerCase();
  if (level.bitrate) return `${Math.round(level.bitrate / 1000)} kbps`;
  return level.name ?? '?';
}

/**
 * Menu entries: 自动, then each video level from the tallest down (value = its hls.js index),
 * then 仅音频 when the ladder has an audio rung (value = its index if hls.js kept it as a
 * level, else 'audio').
 */
export function qualityOptions(levels: readonly LevelLike[], separateAudio: boolean): QualityOption[] {
  const video: Extract<QualityOption, { kind: 'level' }>[] = [];
  let audioIndex = -1;
  levels.forEach((level, index) => {
    if (isAudioOnly(level)) {
      if (audioIndex < 0) audioIndex = index;
      return;
    }
    video.push({ value: String(index), kind: 'level', label: levelLabel(level), height: level.height ?? 0, bitrate: level.bitrate ?? 0 });
  });
  video.sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
  const options: QualityOption[] = [{ value: 'auto', kind: 'auto' }, ...video];
  if (audioIndex >= 0) options.push({ value: String(audioIndex), kind: 'audio' });
  else if (separateAudio) options.push({ value: AUDIO_VALUE, kind: 'audio' });
  return options;
}

/** Declared bitrate (BANDWIDTH, bits/s) of the lowest video level; 0 when there is none. */
export function lowestVideoBitrate(levels: readonly LevelLike[]): number {
  const rates = levels.filter((l) => !isAudioOnly(l) && (l.bitrate ?? 0) > 0).map((l) => l.bitrate!);
  return rates.length > 0 ? Math.min(...rates) : 0;
}

/** The media-playlist URL of the audio-only variant in a parsed master playlist, if any. */
export function findAudioOnlyVariant(variants: readonly ParsedVariantLike[]): string | undefined {
  const hasVideo = (v: ParsedVariantLike) => {
    const codecs = (v.attrs?.CODECS ?? '').split(',').map((c) => c.trim());
    return Boolean((v.width && v.height) || v.attrs?.RESOLUTION || codecs.some((c) => VIDEO_CODEC.test(c)));
  };
  if (!variants.some(hasVideo)) return undefined; // an audio-only lecture: its levels are all audio
  return variants.find((v) => !hasVideo(v))?.url;
}

/** `url` moved from under `oldBase` to under `newBase` (a renewed playback token in the path). */
export function rebaseUrl(url: string, oldBase: string, newBase: string): string {
  const dir = (u: string) => u.slice(0, u.lastIndexOf('/') + 1);
  const from = dir(oldBase);
  return url.startsWith(from) ? dir(newBase) + url.slice(from.length) : url;
}
