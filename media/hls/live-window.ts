// The live HLS playlist as served while a lecture is live: a sliding window of its newest
// segments instead of the whole EVENT playlist the recorder writes. Pure, no I/O.
//
// Rules:
// - The recorder's playlist keeps every segment (the replay is made from it). Served whole, a
//   two-hour lecture with 1-s segments is ~7,200 entries (~200 KB) that every viewer reloads
//   every second. A window of the newest `keepSec` seconds (at least MIN_SEGMENTS segments) is
//   what a live player needs; hls.js starts near the live edge and follows it.
// - RFC 8216: a window drops #EXT-X-PLAYLIST-TYPE:EVENT (an EVENT playlist may only grow) and
//   raises #EXT-X-MEDIA-SEQUENCE by the segments dropped, so every segment keeps its number.
// - A playlist with #EXT-X-ENDLIST is finished (a part that ended, a stopped recording): it is
//   served as it is (null here), so nothing changes for replays.

const MIN_SEGMENTS = 3;

/** The playlist windowed to its newest `keepSec` seconds, or null when it is finished or has nothing to drop. */
export function liveWindow(text: string, keepSec: number): string | null {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U' || lines.some((l) => l.trim() === '#EXT-X-ENDLIST')) return null;
  const header: string[] = [];
  let mediaSequence = 0;
  const segments: { lines: string[]; durationSec: number }[] = [];
  let pending: string[] = [];
  let pendingSec = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length)) || 0;
    else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) continue;
    else if (line.startsWith('#EXTINF:')) {
      pending.push(line);
      pendingSec = Number.parseFloat(line.slice('#EXTINF:'.length)) || 0;
    } else if (!line.startsWith('#')) {
      segments.push({ lines: [...pending, line], durationSec: pendingSec });
      pending = [];
      pendingSec = 0;
    } else if (segments.length === 0 && pending.length === 0 && !line.startsWith('#EXT-X-DISCONTINUITY') && !line.startsWith('#EXT-X-PROGRAM-DATE-TIME')) {
      header.push(line);
    } else {
      pending.push(line);
    }
  }
  let keep = 0;
  let sec = 0;
  while (keep < segments.length && (keep < MIN_SEGMENTS || sec < keepSec)) sec += segments[segments.length - 1 - keep++]!.durationSec;
  const dropped = segments.length - keep;
  if (dropped === 0 && !lines.some((l) => l.startsWith('#EXT-X-PLAYLIST-TYPE:'))) return null;
  const head = header.filter((l) => !l.startsWith('#EXT-X-MEDIA-SEQUENCE:'));
  const at = Math.max(1, head.findIndex((l) => l.startsWith('#EXT-X-TARGETDURATION:')) + 1);
  head.splice(at, 0, `#EXT-X-MEDIA-SEQUENCE:${mediaSequence + dropped}`);
  return `${[...head, ...segments.slice(dropped).flatMap((s) => s.lines)].join('\n')}\n`;
}
