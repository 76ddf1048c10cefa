/**
 * A check of an HLS ladder as browsers need it, for tests: every rung the master lists has a
 * target duration no segment exceeds (rounded as RFC 8216 allows), every segment starts with a
 * keyframe, and the codecs are what browsers play (H.264 in yuv420p, AAC). Problems come back as
 * text, one per line, so an assertion shows them all.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseMediaPlaylist } from '../../media/hls/playlist';

const run = promisify(execFile);

async function probe(file: string, args: string[]): Promise<Record<string, unknown[]>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args, file]);
  return JSON.parse(stdout) as Record<string, unknown[]>;
}

export interface RungReport {
  rungs: { playlist: string; segments: number; targetSec: number; longestSec: number; codecs: string[]; size?: string }[];
  problems: string[];
}

export async function checkRungs(masterPath: string): Promise<RungReport> {
  const master = await readFile(masterPath, 'utf8');
  const base = dirname(masterPath);
  const uris = new Set<string>();
  // A media playlist (a live part's index.m3u8) is its own one rung.
  if (master.includes('#EXTINF')) uris.add(basename(masterPath));
  else for (const line of master.split('\n').map((l) => l.trim())) {
    if (line && !line.startsWith('#')) uris.add(line);
    const media = /^#EXT-X-MEDIA:.*URI="([^"]+)"/.exec(line);
    if (media) uris.add(media[1]!);
  }
  const report: RungReport = { rungs: [], problems: [] };
  if (!uris.size) report.problems.push('the master lists no rung');
  for (const uri of uris) {
    const path = join(base, uri);
    const text = await readFile(path, 'utf8').catch((err: Error) => `(unreadable: ${err.message})`);
    if (!text.startsWith('#EXTM3U')) {
      report.problems.push(`${uri}: not a playlist (${JSON.stringify(text.slice(0, 60))})`);
      continue;
    }
    const playlist = parseMediaPlaylist(text);
    const longest = Math.max(0, ...playlist.segments.map((s) => s.durationSec));
    const target = playlist.targetDurationSec ?? 0;
    if (!playlist.segments.length) report.problems.push(`${uri}: no segment`);
    if (Math.round(longest) > target) report.problems.push(`${uri}: a ${longest} s segment over the target duration ${target} s`);
    const codecs = new Set<string>();
    let size: string | undefined;
    for (const [i, s] of playlist.segments.entries()) {
      const file = join(dirname(path), s.uri);
      // The format named: a short last segment (a frame or two) is not recognised as MPEG-TS by
      // ffprobe alone (refused, or read as MP2 audio); players read it by its playlist.
      const format = s.uri.endsWith('.ts') ? ['-f', 'mpegts'] : [];
      const info = await probe(file, [...format, '-show_entries', 'stream=codec_type,codec_name,pix_fmt,width,height']).catch(async (err: Error) => {
        const size = await stat(file).then((st) => `${st.size} bytes`, () => 'missing');
        report.problems.push(`${uri} segment ${i} (${s.uri}, ${s.durationSec} s, ${size}): ffprobe failed: ${err.message.split('\n').slice(1).join(' ').trim()}`);
        return null;
      });
      if (!info) continue;
      for (const st of info.streams as { codec_type: string; codec_name: string; pix_fmt?: string; width?: number; height?: number }[]) {
        codecs.add(st.codec_type === 'video' ? `${st.codec_name}/${st.pix_fmt}` : st.codec_name);
        if (st.codec_type === 'video') {
          size = `${st.width}x${st.height}`;
          if (st.codec_name !== 'h264' || st.pix_fmt !== 'yuv420p') report.problems.push(`${uri} segment ${i}: video ${st.codec_name}/${st.pix_fmt}, not h264/yuv420p`);
        } else if (st.codec_type === 'audio' && st.codec_name !== 'aac') report.problems.push(`${uri} segment ${i}: audio ${st.codec_name}, not aac ${await describeSegment(file, i, playlist.segments.length, s.durationSec)}`);
      }
      if ((info.streams as { codec_type: string }[]).some((x) => x.codec_type === 'video')) {
        const first = await probe(file, [...format, '-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'packet=flags']);
        const flags = (first.packets as { flags: string }[] | undefined)?.[0]?.flags ?? '';
        if (!flags.startsWith('K')) report.problems.push(`${uri} segment ${i}: does not start with a keyframe`);
      }
    }
    report.rungs.push({ playlist: uri, segments: playlist.segments.length, targetSec: target, longestSec: longest, codecs: [...codecs], ...(size ? { size } : {}) });
  }
  return report;
}

/** What a segment with an unexpected stream holds: its place, size and streams as the PMT and PES say. */
async function describeSegment(file: string, index: number, count: number, durationSec: number): Promise<string> {
  const size = await stat(file).then((st) => st.size, () => -1);
  const streams = await probe(file, ['-f', 'mpegts', '-show_entries', 'stream=index,id,codec_type,codec_name,codec_tag_string,nb_read_packets', '-count_packets']).then((i) => JSON.stringify(i.streams), (err: Error) => err.message);
  return `(segment ${index + 1} of ${count}, ${durationSec} s, ${size} bytes, streams ${streams})`;
}
