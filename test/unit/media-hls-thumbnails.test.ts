import { describe, expect, it } from 'vitest';
import {
  buildPosterArgs,
  buildSpriteArgs,
  buildThumbnailsVtt,
  formatVttTime,
  posterTime,
  spriteNames,
  spriteSheetCount,
  thumbnailCount,
} from '../../media/hls/thumbnails';

function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Cues of a WebVTT file as [start, end, payload]. */
function cues(vtt: string): [string, string, string][] {
  return vtt
    .trim()
    .split(/\n\n/)
    .slice(1)
    .map((block) => {
      const [timing, payload] = block.split('\n');
      const [start, end] = timing!.split(' --> ');
      return [start!, end!, payload!];
    });
}

describe('poster', () => {
  it('is taken at 10% of the duration, from the source, one frame at most 720 wide', () => {
    const args = buildPosterArgs('/in.mp4', '/out/poster.jpg', 600, { streamIndex: 0 });
    expect(flagValue(args, '-ss')).toBe('60');
    expect(args.indexOf('-ss')).toBeLessThan(args.indexOf('-i'));
    expect(flagValue(args, '-i')).toBe('file:/in.mp4');
    expect(flagValue(args, '-map')).toBe('0:0');
    expect(flagValue(args, '-frames:v')).toBe('1');
    expect(flagValue(args, '-vf')).toBe("scale=w='min(720,iw)':h=-2");
    expect(flagValue(args, '-update')).toBe('1');
    expect(args.at(-1)).toBe('/out/poster.jpg');
  });

  it('stays inside very short clips', () => {
    expect(posterTime(12)).toBe(1.2);
    expect(posterTime(0.4)).toBe(0);
  });
});

describe('sprite sheets', () => {
  it('picks one tile per interval on a fixed grid, letterboxed and tiled cols x rows', () => {
    const args = buildSpriteArgs('/out/360p/index.m3u8', '/out', { intervalSec: 5, cols: 10, rows: 10 });
    expect(flagValue(args, '-vf')).toBe(
      "select='isnan(prev_selected_t)+gte(t\\,(floor(prev_selected_t/5)+1)*5)'," +
        'scale=160:90:force_original_aspect_ratio=decrease,pad=160:90:(ow-iw)/2:(oh-ih)/2,setsar=1,tile=10x10',
    );
    expect(flagValue(args, '-fps_mode')).toBe('passthrough');
    expect(flagValue(args, '-start_number')).toBe('0');
    expect(args.at(-1)).toBe('/out/sprite_%d.jpg');
  });

  it('counts ceil(duration / interval) tiles and the sheets they fill', () => {
    expect(thumbnailCount(12)).toBe(3);
    expect(thumbnailCount(10)).toBe(2);
    expect(thumbnailCount(10.02)).toBe(3);
    expect(spriteSheetCount(500)).toBe(1);
    expect(spriteSheetCount(500.1)).toBe(2);
    expect(spriteSheetCount(7200)).toBe(15);
    expect(spriteNames(3)).toEqual(['sprite_0.jpg', 'sprite_1.jpg', 'sprite_2.jpg']);
  });

  it('rejects a layout that cannot be tiled', () => {
    expect(() => buildSpriteArgs('/in', '/out', { cols: 0 })).toThrow(/cols/);
    expect(() => thumbnailCount(10, { intervalSec: -1 })).toThrow(/intervalSec/);
  });
});

describe('buildThumbnailsVtt', () => {
  const layout = { intervalSec: 5, cols: 10, rows: 10, tileW: 160, tileH: 90 };

  it('formats WebVTT times with hours and milliseconds', () => {
    expect(formatVttTime(0)).toBe('00:00:00.000');
    expect(formatVttTime(3725.5)).toBe('01:02:05.500');
  });

  it('gives a 12 s clip three cues, the last one ending at the duration', () => {
    const vtt = buildThumbnailsVtt(12, { ...layout, spriteNames: ['sprite_0.jpg'] });
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    expect(cues(vtt)).toEqual([
      ['00:00:00.000', '00:00:05.000', 'sprite_0.jpg#xywh=0,0,160,90'],
      ['00:00:05.000', '00:00:10.000', 'sprite_0.jpg#xywh=160,0,160,90'],
      ['00:00:10.000', '00:00:12.000', 'sprite_0.jpg#xywh=320,0,160,90'],
    ]);
  });

  it('wraps to the next row after cols tiles and to the next sheet after cols*rows', () => {
    const vtt = buildThumbnailsVtt(1000, { ...layout, spriteNames: ['sprite_0.jpg', 'sprite_1.jpg'] });
    const all = cues(vtt);
    expect(all).toHaveLength(200);
    expect(all[10]![2]).toBe('sprite_0.jpg#xywh=0,90,160,90');
    expect(all[99]![2]).toBe('sprite_0.jpg#xywh=1440,810,160,90');
    expect(all[100]).toEqual(['00:08:20.000', '00:08:25.000', 'sprite_1.jpg#xywh=0,0,160,90']);
    expect(all[199]![1]).toBe('00:16:40.000');
  });

  it('uses the layout it is given (3 x 2 tiles of 120 x 68)', () => {
    const small = { intervalSec: 2, cols: 3, rows: 2, tileW: 120, tileH: 68 };
    const all = cues(buildThumbnailsVtt(14, { ...small, spriteNames: ['a.jpg', 'b.jpg'] }));
    expect(all.map((c) => c[2])).toEqual([
      'a.jpg#xywh=0,0,120,68',
      'a.jpg#xywh=120,0,120,68',
      'a.jpg#xywh=240,0,120,68',
      'a.jpg#xywh=0,68,120,68',
      'a.jpg#xywh=120,68,120,68',
      'a.jpg#xywh=240,68,120,68',
      'b.jpg#xywh=0,0,120,68',
    ]);
  });

  it('never points at a sheet that was not made', () => {
    const all = cues(buildThumbnailsVtt(1000, { ...layout, spriteNames: ['sprite_0.jpg'] }));
    expect(all).toHaveLength(100);
    expect(all.every((c) => c[2].startsWith('sprite_0.jpg#'))).toBe(true);
  });
});
