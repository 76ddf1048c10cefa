// A rung served while it is made (issue 20), the pure parts: the EVENT playlist of what is made,
// and a station's cache that waits for its end (first-rung.test.ts has the argv that makes ffmpeg rewrite its playlist after every segment).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { playlistEnded } from '../../client/src/lib/kiosk/media-cache';
import { PassFollower, growingPlaylist } from '../../media/hls/growing-rung';
import { parseMediaPlaylist } from '../../media/hls/playlist';

describe('growingPlaylist', () => {
  it('lists what is made as an EVENT playlist that starts at 0 and has no end', () => {
    const text = growingPlaylist([{ uri: 'seg_00000.ts', durationSec: 4 }, { uri: 'seg_00001.ts', durationSec: 4 }], 4);
    expect(text.split('\n').slice(0, 7)).toEqual(['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-START:TIME-OFFSET=0']);
    expect(text).not.toContain('#EXT-X-ENDLIST');
    const parsed = parseMediaPlaylist(text);
    expect(parsed.ended).toBe(false);
    expect(parsed.segments).toEqual([{ uri: 'seg_00000.ts', durationSec: 4 }, { uri: 'seg_00001.ts', durationSec: 4 }]);
  });

  it('keeps the target duration at least the longest segment, rounded up', () => {
    const text = growingPlaylist([{ uri: 'seg_00000.ts', durationSec: 4.04 }], 4);
    expect(text).toContain('#EXT-X-TARGETDURATION:5');
    expect(growingPlaylist([], 2)).toContain('#EXT-X-TARGETDURATION:2');
  });
});

describe('a station caching a rung that still grows', () => {
  it('counts a cached playlist complete only once it has #EXT-X-ENDLIST', () => {
    const growing = growingPlaylist([{ uri: 'seg_00000.ts', durationSec: 4 }], 4);
    expect(playlistEnded(growing)).toBe(false);
    expect(playlistEnded(`${growing}#EXT-X-ENDLIST\n`)).toBe(true);
    expect(playlistEnded(`${growing}#EXT-X-ENDLIST`)).toBe(true);
    expect(playlistEnded(growing.replace('#EXTM3U', '#EXTM3U\n# not #EXT-X-ENDLIST'))).toBe(false);
  });
});

describe('a follower whose look fails', () => {
  it('tells each new error once, tries again every look, and lists the rung once it can', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'follower-'));
    try {
      const from = join(dir, 'pass', '360p');
      await mkdir(from, { recursive: true });
      const segments = ['seg_00000.ts', 'seg_00001.ts'];
      for (const name of segments) await writeFile(join(from, name), Buffer.alloc(188));
      await writeFile(join(from, 'index.m3u8'), ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXT-X-PLAYLIST-TYPE:EVENT', ...segments.flatMap((n) => ['#EXTINF:4.000,', n]), ''].join('\n'));
      const told: string[] = [];
      let failures = 0;
      let listed = false;
      const follower = await PassFollower.start([{ from, to: join(dir, 'served', '360p') }], {
        segmentSec: 4,
        pollMs: 5,
        onError: (error) => told.push(error.message),
        onReady: async () => {
          failures += 1;
          if (failures <= 3) throw new Error('master not written: disk full');
          if (failures <= 5) throw new Error('master not written: read-only');
          listed = true;
        },
      });
      await expect.poll(() => follower.ready, { timeout: 5000, interval: 5 }).toBe(true);
      await follower.stop();
      expect(listed).toBe(true);
      expect(failures).toBe(6);
      expect(told).toEqual(['master not written: disk full', 'master not written: read-only']);
      expect(follower.lastError?.message).toBe('master not written: read-only');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
