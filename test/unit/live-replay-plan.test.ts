import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReplayArgs, planReplay, type ReplayPartInput } from '../../media/live';

const av = (offsetSec: number, durationSec: number, width = 1280, height = 720): ReplayPartInput => ({ offsetSec, durationSec, width, height, hasVideo: true, hasAudio: true });

describe('planReplay', () => {
  it('places parts at their offsets with slates between them and after the last, at the largest size', () => {
    const plan = planReplay([av(7, 4, 1280, 720), av(0, 4, 640, 360)], 13);
    expect(plan.video).toEqual({ width: 1280, height: 720 });
    expect(plan.audio).toBe(true);
    expect(plan.pieces).toEqual([
      { kind: 'part', part: 1, startSec: 0, durationSec: 4 },
      { kind: 'slate', startSec: 4, durationSec: 3 },
      { kind: 'part', part: 0, startSec: 7, durationSec: 4 },
      { kind: 'slate', startSec: 11, durationSec: 2 },
    ]);
    expect(plan.durationSec).toBe(13);
  });

  it('cuts a part that runs into the next one, and starts with a slate when the first part is late', () => {
    const plan = planReplay([av(1.5, 6), av(6, 3)], 9);
    expect(plan.pieces).toEqual([
      { kind: 'slate', startSec: 0, durationSec: 1.5 },
      { kind: 'part', part: 0, startSec: 1.5, durationSec: 4.5 },
      { kind: 'part', part: 1, startSec: 6, durationSec: 3 },
    ]);
  });

  it('leaves out empty parts and makes an audio-only plan when no part has video', () => {
    const plan = planReplay([{ offsetSec: 0, durationSec: 3, hasVideo: false, hasAudio: true }, av(3, 0)], 3);
    expect(plan.video).toBeNull();
    expect(plan.pieces).toEqual([{ kind: 'part', part: 0, startSec: 0, durationSec: 3 }]);
  });

  it('always covers the timeline: pieces are contiguous and end at max(total, last part end)', () => {
    const arbPart = fc.record({ offsetSec: fc.integer({ min: 0, max: 300 }), durationSec: fc.integer({ min: 1, max: 60 }) });
    fc.assert(
      fc.property(fc.array(arbPart, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 400 }), (parts, total) => {
        const plan = planReplay(parts.map((p) => av(p.offsetSec, p.durationSec)), total);
        let at = 0;
        for (const piece of plan.pieces) {
          expect(piece.startSec).toBeCloseTo(at, 3);
          expect(piece.durationSec).toBeGreaterThan(0);
          at += piece.durationSec;
        }
        const lastEnd = Math.max(...parts.map((p) => p.offsetSec + p.durationSec));
        expect(plan.durationSec).toBeGreaterThanOrEqual(total - 0.1);
        expect(plan.durationSec).toBeLessThanOrEqual(Math.max(total, lastEnd) + 0.001);
      }),
    );
  });
});

describe('buildReplayArgs', () => {
  it('scales every part to the plan size, fills slates with a dark frame and silence, and joins them into one MP4', () => {
    const parts = [av(0, 4, 640, 360), { offsetSec: 7, durationSec: 4, hasVideo: false, hasAudio: true }];
    const plan = planReplay([av(0, 4, 640, 360), av(20, 1, 1920, 1080), parts[1]!], 13);
    const args = buildReplayArgs({ plan, partLists: ['/w/p0.ffconcat', '/w/p1.ffconcat', '/w/p2.ffconcat'], parts: [parts[0]!, av(20, 1), parts[1]!], outPath: '/out/r.mp4', preset: 'ultrafast' });
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    expect(args.filter((a) => a.endsWith('.ffconcat'))).toEqual(['/w/p0.ffconcat', '/w/p2.ffconcat', '/w/p1.ffconcat']);
    expect(graph).toContain('[0:v]scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080');
    expect(graph).toContain('color=c=0x161b26:s=1920x1080:r=25:d=3');
    expect(graph).toContain('anullsrc=r=48000:cl=stereo,atrim=duration=3');
    expect(graph).toMatch(/concat=n=5:v=1:a=1\[v\]\[a\]$/);
    expect(args.slice(-3)).toEqual(['-f', 'mp4', '/out/r.mp4']);
    expect(args).toContain('libx264');
  });
});
