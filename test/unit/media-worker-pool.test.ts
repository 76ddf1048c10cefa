import { describe, expect, it } from 'vitest';
import { pickLeastLoaded, poolState, restartDelay, splitPortRange } from '../../media/worker-pool';
import { cloneCodecs, mediaCodecs } from '../../media/codecs';

describe('splitPortRange', () => {
  it('gives each worker an equal, contiguous slice', () => {
    expect(splitPortRange(40000, 40999, 2)).toEqual([
      { min: 40000, max: 40499 },
      { min: 40500, max: 40999 },
    ]);
  });

  it('hands the remainder to the first slices and still covers the whole range', () => {
    const ranges = splitPortRange(10000, 10009, 3);
    expect(ranges).toEqual([
      { min: 10000, max: 10003 },
      { min: 10004, max: 10006 },
      { min: 10007, max: 10009 },
    ]);
  });

  it('never lets two slices share a port', () => {
    for (const count of [1, 2, 3, 4, 7, 16]) {
      const ranges = splitPortRange(20000, 20999, count);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.min).toBe(ranges[i - 1]!.max + 1);
      expect(ranges[0]!.min).toBe(20000);
      expect(ranges.at(-1)!.max).toBe(20999);
    }
  });

  it('refuses a range with fewer ports than workers', () => {
    expect(() => splitPortRange(40000, 40002, 4)).toThrow(/fewer than numWorkers/);
  });

  it('refuses an inverted range', () => {
    expect(() => splitPortRange(40010, 40000, 1)).toThrow(/Invalid worker pool options/);
  });

  it('refuses zero workers and ports outside 1..65535', () => {
    expect(() => splitPortRange(40000, 40100, 0)).toThrow(/numWorkers/);
    expect(() => splitPortRange(0, 40100, 1)).toThrow(/rtcMinPort/);
    expect(() => splitPortRange(40000, 70000, 1)).toThrow(/rtcMaxPort/);
  });
});

describe('restartDelay', () => {
  it('restarts at once after a worker that had been healthy', () => {
    expect(restartDelay(0, 1000)).toBe(0);
  });

  it('doubles the wait with each consecutive failure', () => {
    expect([1, 2, 3, 4].map((n) => restartDelay(n, 1000))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never waits longer than the cap', () => {
    expect(restartDelay(30, 1000, 30_000)).toBe(30_000);
  });
});

describe('poolState', () => {
  it('is up when every worker is alive', () => {
    expect(poolState(2, 2)).toBe('up');
  });

  it('is degraded while some worker is being replaced', () => {
    expect(poolState(2, 1)).toBe('degraded');
  });

  it('is down with no live worker', () => {
    expect(poolState(2, 0)).toBe('down');
    expect(poolState(0, 0)).toBe('down');
  });
});

describe('pickLeastLoaded', () => {
  it('picks the worker with the fewest routers', () => {
    expect(pickLeastLoaded([3, 1, 2], 0)).toBe(1);
  });

  it('skips slots without a live worker', () => {
    expect(pickLeastLoaded([null, 5, null], 0)).toBe(1);
  });

  it('rotates among equally loaded workers', () => {
    expect(pickLeastLoaded([0, 0, 0], 0)).toBe(0);
    expect(pickLeastLoaded([0, 0, 0], 1)).toBe(1);
    expect(pickLeastLoaded([0, 0, 0], 2)).toBe(2);
  });

  it('finds nothing when no worker is alive', () => {
    expect(pickLeastLoaded([null, null], 0)).toBeUndefined();
  });
});

describe('mediaCodecs', () => {
  it('offers Opus 48 kHz stereo, VP8 and H.264 CB packetization-mode 1', () => {
    expect(mediaCodecs.map((c) => c.mimeType)).toEqual(['audio/opus', 'video/VP8', 'video/H264']);
    expect(mediaCodecs[0]).toMatchObject({ clockRate: 48000, channels: 2 });
    expect(mediaCodecs[2]!.parameters).toMatchObject({
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    });
  });

  it('cannot be changed by a caller, only cloned', () => {
    expect(() => {
      (mediaCodecs[0] as { clockRate: number }).clockRate = 8000;
    }).toThrow(TypeError);
    const copy = cloneCodecs(mediaCodecs);
    copy[0]!.clockRate = 8000;
    expect(mediaCodecs[0]!.clockRate).toBe(48000);
  });
});
