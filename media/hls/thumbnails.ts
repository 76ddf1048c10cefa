// Poster and seek-preview thumbnails (拖动预览) for a recorded lecture. No I/O here.
//
// Rules:
// - The poster is one JPEG taken at ~10% of the duration (the first seconds of a lecture are
//   usually a black screen or a title card), at most 720 px wide, from the source.
// - Seek previews are tiles of tileW x tileH, one every intervalSec, packed cols x rows per
//   sprite sheet (sprite_0.jpg, sprite_1.jpg ...), described by a WebVTT file whose cues point
//   into the sheets with media fragments (`sprite_0.jpg#xywh=x,y,w,h`), the format hls.js-based
//   players and video.js read. Cue i covers [i*interval, (i+1)*interval) and shows tile i.
// - Tiles are taken from the lowest video rung, not the source: decoding 360p costs a small
//   fraction of decoding a 1080p (or 4K) upload, and the tiles are 160 px wide anyway.
// - Tile i is the first frame at or after i*interval (select, not the fps filter: fps rounds
//   at the end and can drop the last tile, select gives exactly ceil(duration/interval)).
//   Tiles are letterboxed into tileW x tileH so 4:3 and portrait sources keep their shape.
// - Output names are ffmpeg image patterns (%d), so the output folder must not contain '%'.

export interface ThumbnailOptions {
  /** Seconds between tiles; default 5. */
  intervalSec?: number;
  /** Tiles per row of a sheet; default 10. */
  cols?: number;
  /** Rows per sheet; default 10 (100 tiles = 8 min 20 s per sheet at 5 s). */
  rows?: number;
  /** Tile size; default 160 x 90. */
  tileW?: number;
  tileH?: number;
}

export interface ThumbnailsVttOptions extends ThumbnailOptions {
  /** Sheet file names in order, as the VTT should reference them (relative to the VTT). */
  spriteNames: readonly string[];
}

type Layout = Required<ThumbnailOptions>;

export function thumbnailLayout(opts: ThumbnailOptions = {}): Layout {
  const layout: Layout = {
    intervalSec: opts.intervalSec ?? 5,
    cols: opts.cols ?? 10,
    rows: opts.rows ?? 10,
    tileW: opts.tileW ?? 160,
    tileH: opts.tileH ?? 90,
  };
  for (const [key, value] of Object.entries(layout)) {
    const ok = key === 'intervalSec' ? value > 0 : Number.isInteger(value) && value > 0;
    if (!ok) throw new RangeError(`thumbnails: ${key} must be a positive ${key === 'intervalSec' ? 'number' : 'integer'} (got ${value})`);
  }
  return layout;
}

export const POSTER_MAX_WIDTH = 720;

/** Where the poster frame is taken: 10% in, but never past the last half second. */
export function posterTime(durationSec: number): number {
  const t = Math.min(durationSec * 0.1, Math.max(0, durationSec - 0.5));
  return Math.round(Math.max(0, t) * 1000) / 1000;
}

export interface PosterArgsOptions {
  /** Absolute index of the video stream in the input; default the first video stream. */
  streamIndex?: number | null;
  maxWidth?: number;
}

/** ffmpeg argv writing one JPEG poster of `input` to `outFile`. */
export function buildPosterArgs(
  input: string,
  outFile: string,
  durationSec: number,
  opts: PosterArgsOptions = {},
): string[] {
  const maxWidth = opts.maxWidth ?? POSTER_MAX_WIDTH;
  const map = opts.streamIndex === undefined || opts.streamIndex === null ? '0:v:0' : `0:${opts.streamIndex}`;
  return [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    // -ss before -i seeks by the index: fast even two hours in.
    '-ss', String(posterTime(durationSec)),
    '-protocol_whitelist', 'file',
    '-i', `file:${input}`,
    '-map', map,
    '-frames:v', '1',
    '-vf', `scale=w='min(${maxWidth},iw)':h=-2`,
    '-q:v', '3',
    // One file, not an image sequence: a '%' in the name is then taken literally.
    '-update', '1',
    '-f', 'image2',
    outFile,
  ];
}

export function thumbnailCount(durationSec: number, opts: ThumbnailOptions = {}): number {
  const { intervalSec } = thumbnailLayout(opts);
  return durationSec > 0 ? Math.ceil(durationSec / intervalSec - 1e-9) : 0;
}

export function spriteSheetCount(durationSec: number, opts: ThumbnailOptions = {}): number {
  const { cols, rows } = thumbnailLayout(opts);
  return Math.ceil(thumbnailCount(durationSec, opts) / (cols * rows));
}

/** sprite_0.jpg, sprite_1.jpg ... as buildSpriteArgs names them. */
export function spriteNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `sprite_${i}.jpg`);
}

/**
 * ffmpeg argv writing sprite sheets outDir/sprite_0.jpg ... from `input` (the lowest video
 * rung's playlist, or any video file). Progress goes to stdout.
 */
export function buildSpriteArgs(input: string, outDir: string, opts: ThumbnailOptions = {}): string[] {
  const { intervalSec, cols, rows, tileW, tileH } = thumbnailLayout(opts);
  const filter = [
    `select='isnan(prev_selected_t)+gte(t\\,(floor(prev_selected_t/${intervalSec})+1)*${intervalSec})'`,
    `scale=${tileW}:${tileH}:force_original_aspect_ratio=decrease`,
    `pad=${tileW}:${tileH}:(ow-iw)/2:(oh-ih)/2`,
    'setsar=1',
    `tile=${cols}x${rows}`,
  ].join(',');
  return [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y',
    '-protocol_whitelist', 'file',
    '-i', `file:${input}`,
    '-map', '0:v:0',
    '-vf', filter,
    // One image per finished sheet: without passthrough the image2 muxer duplicates sheets to
    // keep a constant frame rate.
    '-fps_mode', 'passthrough',
    '-q:v', '5',
    '-start_number', '0',
    '-f', 'image2',
    `${outDir}/sprite_%d.jpg`,
  ];
}

/** 3725.5 → "01:02:05.500" (WebVTT needs hours once past 59:59; always writing them is valid). */
export function formatVttTime(sec: number): string {
  const ms = Math.round(Math.max(0, sec) * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** The WebVTT seek-preview track for the sheets that buildSpriteArgs made. */
export function buildThumbnailsVtt(durationSec: number, opts: ThumbnailsVttOptions): string {
  const { intervalSec, cols, rows, tileW, tileH } = thumbnailLayout(opts);
  const perSheet = cols * rows;
  // Never point at a sheet that does not exist.
  const count = Math.min(thumbnailCount(durationSec, opts), opts.spriteNames.length * perSheet);
  const out = ['WEBVTT', ''];
  for (let i = 0; i < count; i++) {
    const start = i * intervalSec;
    const end = Math.min((i + 1) * intervalSec, durationSec);
    const inSheet = i % perSheet;
    const x = (inSheet % cols) * tileW;
    const y = Math.floor(inSheet / cols) * tileH;
    const sheet = opts.spriteNames[Math.floor(i / perSheet)]!;
    out.push(`${formatVttTime(start)} --> ${formatVttTime(end)}`, `${sheet}#xywh=${x},${y},${tileW},${tileH}`, '');
  }
  return out.join('\n');
}
