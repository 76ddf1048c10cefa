import { describe, expect, it } from 'vitest';
import { liveWindow } from '../../media/hls/live-window';
import { parseMediaPlaylist } from '../../media/hls/playlist';

const recorder = (n: number, ended = false) =>
  ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-INDEPENDENT-SEGMENTS']
    .concat(Array.from({ length: n }, (_, i) => [`#EXTINF:1.000000,`, `seg_${String(i).padStart(5, '0')}.ts`]).flat())
    .concat(ended ? ['#EXT-X-ENDLIST'] : [])
    .join('\n') + '\n';

describe('liveWindow', () => {
  it('keeps the newest keepSec seconds, numbers them by MEDIA-SEQUENCE and drops the EVENT type', () => {
    const out = liveWindow(recorder(7200), 30)!;
    const parsed = parseMediaPlaylist(out);
    expect(parsed.segments).toHaveLength(30);
    expect(parsed.segments[0]!.uri).toBe('seg_07170.ts');
    expect(parsed.segments.at(-1)!.uri).toBe('seg_07199.ts');
    expect(out).toContain('#EXT-X-MEDIA-SEQUENCE:7170');
    expect(out).not.toContain('PLAYLIST-TYPE');
    expect(out.split('\n').slice(0, 5)).toEqual(['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:7170', '#EXT-X-INDEPENDENT-SEGMENTS']);
    expect(out.length).toBeLessThan(1200);
  });

  it('serves a short playlist whole but without the EVENT type, and keeps at least three segments', () => {
    const out = liveWindow(recorder(4), 30)!;
    expect(parseMediaPlaylist(out).segments).toHaveLength(4);
    expect(out).toContain('#EXT-X-MEDIA-SEQUENCE:0');
    expect(out).not.toContain('EVENT');
    expect(parseMediaPlaylist(liveWindow(recorder(100), 0.5)!).segments).toHaveLength(3);
  });

  it('leaves a finished playlist and non-playlists alone', () => {
    expect(liveWindow(recorder(50, true), 30)).toBeNull();
    expect(liveWindow('not a playlist', 30)).toBeNull();
  });

  it('keeps a discontinuity with the segment it belongs to', () => {
    const text = recorder(40).replace('#EXTINF:1.000000,\nseg_00035.ts', '#EXT-X-DISCONTINUITY\n#EXTINF:1.000000,\nseg_00035.ts');
    const out = liveWindow(text, 10)!;
    expect(out).toContain('#EXT-X-DISCONTINUITY\n#EXTINF:1.000000,\nseg_00035.ts');
  });
});
