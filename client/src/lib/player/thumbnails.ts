/**
 * Seek-preview thumbnails: a WebVTT file whose cues point into sprite sheets with a media
 * fragment, `sprite_0.jpg#xywh=160,90,160,90`, relative to the VTT's own URL (so the playback
 * token in its path carries over). Parsing is pure; lookup is a binary search by time.
 */
export interface ThumbnailCue {
  start: number;
  end: number;
  /** Absolute URL of the sprite image, without the fragment. */
  url: string;
  /** The tile inside the sprite; w = h = 0 means the whole image. */
  x: number;
  y: number;
  w: number;
  h: number;
}

/** "01:02:03.500", "02:03.5" or "02:03,500" → seconds; NaN when it is not a timestamp. */
export function parseVttTime(text: string): number {
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const [, h = '0', min = '0', s = '0', frac = '0'] = m;
  return Number(h) * 3600 + Number(min) * 60 + Number(s) + Number(frac.padEnd(3, '0')) / 1000;
}

function tile(fragment: string): { x: number; y: number; w: number; h: number } {
  const m = /(?:^|&)xywh=(?:pixel:)?(\d+),(\d+),(\d+),(\d+)/.exec(fragment);
  return m ? { x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]) } : { x: 0, y: 0, w: 0, h: 0 };
}

/** Cues sorted by start; `vttUrl` must be absolute (resolve a path against location.href first). */
export function parseThumbnailVtt(text: string, vttUrl: string): ThumbnailCue[] {
  const cues: ThumbnailCue[] = [];
  const blocks = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n').filter((line) => line.trim() !== '');
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing < 0) continue; // header, NOTE, STYLE
    const [from = '', rest = ''] = lines[timing]!.split('-->');
    const start = parseVttTime(from);
    const end = parseVttTime(rest.trim().split(/\s+/)[0] ?? '');
    const ref = lines[timing + 1]?.trim();
    if (!ref || !Number.isFinite(start) || !Number.isFinite(end) || end <= start) continue;
    let url: URL;
    try {
      url = new URL(ref, vttUrl);
    } catch {
      continue;
    }
    const fragment = url.hash.slice(1);
    url.hash = '';
    cues.push({ start, end, url: url.href, ...tile(fragment) });
  }
  return cues.sort((a, b) => a.start - b.start);
}

/** The cue showing at `time` (the last one that started at or before it, if it has not ended). */
export function thumbnailAt(cues: readonly ThumbnailCue[], time: number): ThumbnailCue | undefined {
  let lo = 0;
  let hi = cues.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid]!.start <= time) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  const cue = found >= 0 ? cues[found] : undefined;
  if (cue && time < cue.end) return cue;
  // Past the last cue's end (rounding at the very end of the video): keep the last picture.
  return cue && found === cues.length - 1 && time - cue.end < 1 ? cue : undefined;
}
