import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { delivered, isSegmentKey, segmentSpan, type SegmentSpan } from '../../server/modules/playback/delivery';

const recorded = { kind: 'recorded', durationSec: 18.5, media: { segmentSec: 4 } };
const live = {
  kind: 'live',
  media: { segmentSec: 2 },
  live: {
    parts: [
      { prefix: 'live/L/1700/part-1', offsetSec: 0.8 },
      { prefix: 'live/L/1700/part-2', offsetSec: 37.25 },
    ],
  },
};

describe('where a segment lies on the lecture timeline', () => {
  it('places seg_K of any rendition of a recorded lecture at K x segmentSec, the last one ending at the duration', () => {
    expect(segmentSpan('lectures/a/hls/720p/seg_00002.ts', recorded)).toEqual({ index: 2, fromSec: 8, toSec: 12 });
    expect(segmentSpan('lectures/a/hls/audio/seg_00002.aac', recorded)).toEqual({ index: 2, fromSec: 8, toSec: 12 });
    expect(segmentSpan('lectures/a/hls/360p/seg_00004.ts', recorded)).toEqual({ index: 4, fromSec: 16, toSec: 18.5 });
  });

  it('places seg_K of live part 2 at the part offset on the live timeline, not at the start', () => {
    expect(segmentSpan('live/L/1700/part-2/seg_00003.ts', live)).toEqual({ fromSec: 37.25 + 6, toSec: 37.25 + 8 });
    expect(segmentSpan('live/L/1700/part-1/seg_00003.ts', live)).toEqual({ fromSec: 6.8, toSec: 8.8 });
    // Live segments never reach the engine as part-local indexes.
    expect(segmentSpan('live/L/1700/part-2/seg_00000.ts', live)?.index).toBeUndefined();
  });

  it('places a part that was recorded before offsets were kept at the timeline zero', () => {
    expect(segmentSpan('live/L/1700/part-9/seg_00001.ts', live)).toEqual({ fromSec: 2, toSec: 4 });
  });

  it('is no segment for playlists, subtitles, posters or names that only look alike', () => {
    for (const key of ['lectures/a/hls/master.m3u8', 'lectures/a/hls/720p/index.m3u8', 'lectures/a/subs/zh.vtt', 'lectures/a/poster.jpg', 'lectures/a/hls/720p/seg_x.ts', 'lectures/a/hls/720p/myseg_1.ts']) {
      expect(isSegmentKey(key), key).toBe(false);
      expect(segmentSpan(key, recorded), key).toBeNull();
    }
  });
});

describe('what the bytes a response carried deliver', () => {
  const seg: SegmentSpan = { index: 3, fromSec: 12, toSec: 16 };

  it('delivers a whole recorded segment by its index', () => {
    expect(delivered(seg, { start: 0, bytes: 700_000, size: 700_000 })).toEqual({ segment: 3 });
  });

  it('delivers ~1/size of the segment for a 1-byte range, and nothing for no bytes', () => {
    const d = delivered(seg, { start: 0, bytes: 1, size: 700_000 }) as { fromSec: number; toSec: number };
    expect(d.fromSec).toBe(12);
    expect(d.toSec - d.fromSec).toBeCloseTo(4 / 700_000, 9);
    expect(delivered(seg, { start: 0, bytes: 0, size: 700_000 })).toBeNull();
    expect(delivered(seg, { start: 10, bytes: 5, size: 0 })).toBeNull();
  });

  it('maps a range in the middle proportionally onto the segment time', () => {
    expect(delivered(seg, { start: 350_000, bytes: 175_000, size: 700_000 })).toEqual({ fromSec: 14, toSec: 15 });
  });

  it('delivers a whole live segment as seconds on the live timeline', () => {
    const liveSeg = segmentSpan('live/L/1700/part-2/seg_00003.ts', live)!;
    expect(delivered(liveSeg, { start: 0, bytes: 1000, size: 1000 })).toEqual({ fromSec: 43.25, toSec: 45.25 });
  });

  it('never delivers more than the segment, nor outside it, whatever the byte figures', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 2_000 }), fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 2_000 }), (start, bytes, size) => {
        const d = delivered(seg, { start, bytes, size });
        if (d === null) return;
        if ('segment' in d) {
          expect(d.segment).toBe(3);
          expect(Math.max(start, 0)).toBe(0);
          expect(bytes).toBeGreaterThanOrEqual(size);
          return;
        }
        expect(d.fromSec).toBeGreaterThanOrEqual(12);
        expect(d.toSec).toBeLessThanOrEqual(16);
        expect(d.toSec).toBeGreaterThan(d.fromSec);
        expect(d.toSec - d.fromSec).toBeLessThanOrEqual((4 * bytes) / size + 1e-9);
      }),
    );
  });
});
