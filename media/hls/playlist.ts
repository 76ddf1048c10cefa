// Reading back the media playlists ffmpeg wrote, to announce measured bit rates. No I/O here.
//
// Rules:
// - BANDWIDTH in a master is the peak segment bit rate (RFC 8216 4.3.4.2), AVERAGE-BANDWIDTH
//   the whole rendition's. Both are measured from real segment sizes, TS overhead included:
//   hls.js picks rungs by them, and on a 1 Mbit/s county link guessing wrong means stalls.
// - The last segment is usually a fraction of a second (audio runs a few ms past video): its
//   PAT/PMT packets alone would read as a huge bit rate, so segments shorter than half the
//   target duration do not count towards the peak.

export interface MediaSegment {
  uri: string;
  durationSec: number;
}

export interface MediaPlaylist {
  targetDurationSec: number | null;
  segments: MediaSegment[];
  /** #EXT-X-ENDLIST seen: the playlist is complete. */
  ended: boolean;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('parseMediaPlaylist: not an M3U8 playlist (no #EXTM3U)');
  let targetDurationSec: number | null = null;
  let pending: number | null = null;
  let ended = false;
  const segments: MediaSegment[] = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDurationSec = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line.startsWith('#EXTINF:')) {
      pending = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line === '#EXT-X-ENDLIST') {
      ended = true;
    } else if (line !== '' && !line.startsWith('#') && pending !== null) {
      segments.push({ uri: line, durationSec: pending });
      pending = null;
    }
  }
  return { targetDurationSec, segments, ended };
}

export interface SizedSegment {
  durationSec: number;
  bytes: number;
}

/** Peak and average bit rate (bit/s) of a rendition; null when there is nothing to measure. */
export function measureBandwidth(
  segments: readonly SizedSegment[],
  targetSec: number,
): { peak: number; average: number } | null {
  const totalSec = segments.reduce((sum, s) => sum + s.durationSec, 0);
  const totalBytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  if (!(totalSec > 0)) return null;
  const average = Math.round((totalBytes * 8) / totalSec);
  const full = segments.filter((s) => s.durationSec >= targetSec / 2);
  const peak = full.length
    ? Math.max(...full.map((s) => Math.round((s.bytes * 8) / s.durationSec)))
    : average;
  return { peak: Math.max(peak, average), average };
}

/** Below this a TS segment holds no media: PAT and PMT are 376 bytes, one frame is far more. */
export const EMPTY_TS_SEGMENT_BYTES = 1024;

/**
 * Below this ffmpeg does not recognise a file as MPEG-TS by itself (its probe wants sync bytes in
 * ten 204-byte packets): a short last segment (1,128 bytes for two frames of a dark slate) is then
 * refused ("Invalid data") or read as MP2 audio, unless the format is named (`-f mpegts`).
 */
export const MIN_PROBEABLE_TS_BYTES = 2040;

/**
 * The playlist text without its last segment (its #EXTINF and URI lines, and any tag between
 * them); the text unchanged when it lists none. A recorder stopped by SIGINT can close one last
 * segment with no media in it, which a player would fetch and fail to decode.
 */
export function withoutLastSegment(text: string): string {
  const lines = text.split('\n');
  let uri = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line !== '' && !line.startsWith('#')) {
      uri = i;
      break;
    }
  }
  if (uri < 0) return text;
  let info = uri - 1;
  while (info >= 0 && !lines[info]!.trim().startsWith('#EXTINF:')) info--;
  if (info < 0) return text;
  lines.splice(info, uri - info + 1);
  return lines.join('\n');
}
