import { describe, expect, it } from 'vitest';
import { decide, defaultWatchPolicy, openSession, shareOfWall, type Beat, type DecideContext, type SessionState } from '../../server/modules/study/heartbeat-policy';
import { capCredit, defaultPolicies, earnedHours, isBehind, windowEarned } from '../../server/modules/study/credit-rules';

const T0 = 1_800_000_000_000;
const ctx = (over: Partial<DecideContext> = {}): DecideContext => ({
  nowMs: T0 + 600_000,
  policy: defaultWatchPolicy,
  durationSec: 600,
  required: false,
  frontier: 0,
  delivered: [[0, 600]],
  counting: true,
  ...over,
});
const beat = (seq: number, position: number, atSec: number, over: Partial<Beat> = {}): Beat => ({ seq, position, rate: 1, playing: true, visible: true, event: 'tick', clientAt: T0 + atSec * 1000, ...over });

/** Feeds beats in order (each received at `c.nowMs`, or at `receivedAt(b)`) and sums what they earn. */
function run(beats: Beat[], c = ctx(), start: SessionState = openSession(T0), receivedAt?: (b: Beat) => number) {
  let s = start;
  let media = 0;
  let wall = 0;
  let duplicates = 0;
  const flags: string[] = [];
  const spans: [number, number][] = [];
  // Without receipt times the beats are one batch, received at `c.nowMs`.
  const newest = Math.max(...beats.map((b) => b.clientAt));
  for (const b of beats) {
    const d = decide(s, b, receivedAt ? { ...c, nowMs: receivedAt(b) } : { ...c, batchNewestClientAt: newest });
    s = d.next;
    if (d.duplicate) duplicates++;
    if (d.span) {
      media += d.span.intervals.reduce((x, [a, e]) => x + e - a, 0);
      wall += d.span.wallSec;
      spans.push([d.span.wallFrom, d.span.wallTo]);
    }
    flags.push(...d.flags.map((f) => f.kind));
  }
  return { media, wall, flags, state: s, duplicates, spans };
}

describe('heartbeat policy', () => {
  it('credits 1x playing, visible spans in full', () => {
    const r = run([beat(1, 0, 0), beat(2, 15, 15), beat(3, 30, 30)]);
    expect(r.media).toBe(30);
    expect(r.wall).toBe(30);
  });

  it('credits 2x playback its media but no more than wall time', () => {
    const r = run([beat(1, 0, 0, { rate: 2 }), beat(2, 30, 15, { rate: 2 }), beat(3, 60, 30, { rate: 2 })]);
    expect(r.media).toBe(60);
    expect(r.wall).toBe(30);
  });

  it('credits nothing above the allowed rate', () => {
    const r = run([beat(1, 0, 0, { rate: 4 }), beat(2, 60, 15, { rate: 4 })]);
    expect(r.media).toBe(0);
    expect(r.flags).toContain('rate-too-high');
  });

  it('credits nothing for a jump the clock cannot explain (seek to the end sent as a tick)', () => {
    const r = run([beat(1, 0, 0), beat(2, 590, 15)]);
    expect(r.media).toBe(0);
    expect(r.flags).toContain('too-fast');
  });

  it('credits nothing after a seek beat for that span', () => {
    const r = run([beat(1, 0, 0), beat(2, 300, 5, { event: 'seek' }), beat(3, 315, 20)]);
    expect(r.media).toBe(15);
  });

  it('credits nothing while hidden', () => {
    const r = run([beat(1, 0, 0), beat(2, 10, 10, { visible: false, event: 'hide' }), beat(3, 25, 25, { visible: false }), beat(4, 30, 30, { event: 'show' })]);
    expect(r.media).toBe(10);
    expect(r.flags).toContain('hidden');
  });

  it('credits nothing while paused', () => {
    const r = run([beat(1, 0, 0), beat(2, 10, 10, { playing: false, event: 'pause' }), beat(3, 10, 100, { playing: false })]);
    expect(r.media).toBe(10);
  });

  it('ignores replayed and duplicated beats', () => {
    const b1 = beat(1, 0, 0);
    const b2 = beat(2, 15, 15);
    const r = run([b1, b2, b2, b1, b2]);
    expect(r.media).toBe(15);
    expect(r.duplicates).toBe(3);
  });

  it('credits nothing for a session that is not counting', () => {
    expect(run([beat(1, 0, 0), beat(2, 15, 15)], ctx({ counting: false })).media).toBe(0);
  });

  it('credits nothing while an attention check is overdue, and flags it', () => {
    const r = run([beat(1, 0, 0), beat(2, 15, 15)], ctx({ attentionPaused: true }));
    expect(r.media).toBe(0);
    expect(r.flags).toContain('attention-missed');
    // Not playing: nothing to miss, no flag.
    expect(run([beat(1, 0, 0, { playing: false }), beat(2, 0, 15, { playing: false })], ctx({ attentionPaused: true })).flags).not.toContain('attention-missed');
  });

  it('refuses spans beyond the frontier of a required lecture, but not of an elective', () => {
    const beats = [beat(1, 300, 0), beat(2, 315, 15)];
    expect(run(beats, ctx({ required: true, frontier: 100 })).flags).toContain('beyond-frontier');
    expect(run(beats, ctx({ required: true, frontier: 100 })).media).toBe(0);
    expect(run(beats, ctx({ required: false, frontier: 100 })).media).toBe(15);
  });

  it('credits only the media that was delivered to the session', () => {
    const r = run([beat(1, 0, 0), beat(2, 15, 15)], ctx({ delivered: [[0, 8]] }));
    expect(r.media).toBe(8);
    expect(r.wall).toBeCloseTo(8);
    expect(run([beat(1, 0, 0), beat(2, 15, 15)], ctx({ delivered: [] })).flags).toContain('not-delivered');
  });

  it('accepts a late offline batch whose client times are consistent', () => {
    const c = ctx({ nowMs: T0 + 3_600_000 });
    const r = run([beat(1, 0, 0), beat(2, 15, 15), beat(3, 30, 30), beat(4, 45, 45)], c);
    expect(r.media).toBe(45);
  });

  it('never credits more client time than the server has seen pass', () => {
    // Session opened 20 s ago by the server clock, but the client claims a minute of watching.
    const c = ctx({ nowMs: T0 + 20_000 });
    const r = run([beat(1, 0, 0), beat(2, 15, 15), beat(3, 30, 30), beat(4, 45, 45), beat(5, 60, 60)], c);
    expect(r.wall).toBeLessThanOrEqual(20 + defaultWatchPolicy.toleranceSec);
  });

  it('does not credit across a long gap', () => {
    expect(run([beat(1, 0, 0), beat(2, 100, 1000)]).flags).toContain('long-gap');
  });

  // Beats received live: each arrives `lat` ms after it was made, on a PC whose clock is `skew` ms off.
  const live = (n: number, everySec: number, skew: number, lat = 200) => {
    const beats = Array.from({ length: n }, (_, i) => beat(i + 1, i * everySec, i * everySec, { clientAt: T0 + i * everySec * 1000 + skew }));
    return { beats, at: (b: Beat) => b.clientAt - skew + lat };
  };

  it.each([
    ['two hours ahead', 2 * 3600_000],
    ['two hours behind', -2 * 3600_000],
    ['a minute ahead', 60_000],
  ])('credits a PC clock %s in full and without a flag', (_name, skew) => {
    const { beats, at } = live(41, 15, skew);
    const r = run(beats, ctx({ delivered: [[0, 1e6]], durationSec: 1e6 }), openSession(T0), at);
    expect(r.media).toBe(600);
    expect(r.wall).toBeCloseTo(600, 0);
    expect(r.flags).toEqual([]);
    // Placed on the server's timeline, where the beats really were.
    expect(r.spans[0]![0]).toBeGreaterThanOrEqual(T0);
    expect(r.spans[r.spans.length - 1]![1]).toBeLessThanOrEqual(T0 + 600_000 + 200);
  });

  it('cuts a PC clock that runs 20% fast to real time and flags it', () => {
    const beats = Array.from({ length: 41 }, (_, i) => beat(i + 1, i * 15 * 1.2, i * 15 * 1.2));
    const r = run(beats, ctx({ delivered: [[0, 1e6]], durationSec: 1e6 }), openSession(T0), (b) => T0 + (b.seq - 1) * 15_000 + 100);
    expect(r.wall).toBeLessThanOrEqual(600.1);
    expect(r.media).toBeLessThanOrEqual(2 * 600 + defaultWatchPolicy.toleranceSec);
    expect(r.flags).toContain('clock-fast');
  });

  it('grants the tolerance once per session, not per beat (beats every 200 ms claiming 3 s each)', () => {
    const beats = Array.from({ length: 100 }, (_, i) => beat(i + 1, i * 3, i * 0.2));
    const r = run(beats, ctx({ delivered: [[0, 1e6]], durationSec: 1e6 }), openSession(T0), (b) => b.clientAt + 50);
    // 19.8 s of real time at most 2x, plus one tolerance.
    expect(r.media).toBeLessThanOrEqual(2 * 19.8 + defaultWatchPolicy.toleranceSec + 1e-6);
    expect(r.flags).toContain('too-fast');
  });

  it('bounds +8.9 s every 3 s to the allowed rate over the session', () => {
    const beats = Array.from({ length: 40 }, (_, i) => beat(i + 1, i * 8.9, i * 3));
    const r = run(beats, ctx({ delivered: [[0, 1e6]], durationSec: 1e6 }), openSession(T0), (b) => b.clientAt + 50);
    expect(r.media).toBeLessThanOrEqual(2 * 117 + defaultWatchPolicy.toleranceSec + 1e-6);
    expect(r.flags).toContain('too-fast');
  });

  it('places an offline batch in the gap the server saw, never before the session opened', () => {
    // Opened at T0; the batch claims ten minutes of watching but arrives 44.5 s later.
    const beats = Array.from({ length: 41 }, (_, i) => beat(i + 1, i * 15, i * 15 - 600));
    const r = run(beats, ctx({ nowMs: T0 + 44_500, delivered: [[0, 1e6]], durationSec: 1e6 }));
    expect(r.wall).toBeLessThanOrEqual(44.5 + 1e-6);
    for (const [a, b] of r.spans) {
      expect(a).toBeGreaterThanOrEqual(T0);
      expect(b).toBeLessThanOrEqual(T0 + 44_500);
    }
  });
});

describe('share of a span over wall pieces', () => {
  const span = { wallFrom: 0, wallTo: 10_000, chainFrom: 0, chainMs: 10_000, mediaFrom: 100, mediaTo: 110, intervals: [[100, 110]] as [number, number][], wallSec: 10 };
  it('maps granted pieces onto the media linearly', () => {
    const got = shareOfWall(span, [[0, 5_000]]);
    expect(got.intervals).toEqual([[100, 105]]);
    expect(got.wallSec).toBeCloseTo(5);
  });
  it('earns nothing outside the span', () => {
    expect(shareOfWall(span, [[20_000, 30_000]]).intervals).toEqual([]);
  });
});

describe('credit rules', () => {
  it('scales credit hours by the real time spent', () => {
    expect(earnedHours(1.5, 600, 600)).toBe(1.5);
    expect(earnedHours(1.5, 300, 600)).toBe(0.8);
    expect(earnedHours(1.5, 900, 600)).toBe(1.5);
    expect(earnedHours(0, 600, 600)).toBe(0);
  });
  it('applies daily and topic caps', () => {
    expect(capCredit(3, { dailyCapHours: 8, maxPerTopicHours: 30 }, 6, 0)).toBe(2);
    expect(capCredit(3, { dailyCapHours: null, maxPerTopicHours: 30 }, 6, 29)).toBe(1);
    expect(capCredit(3, { dailyCapHours: null, maxPerTopicHours: null }, 100, 100)).toBe(3);
  });
  it('reminds from October those below the yearly requirement', () => {
    expect(isBehind(50, defaultPolicies.township, 10)).toBe(true); // November
    expect(isBehind(95, defaultPolicies.township, 10)).toBe(false);
    expect(isBehind(10, defaultPolicies.township, 2)).toBe(false); // March
  });
  it('sums the 5-year window for county cadres', () => {
    expect(windowEarned({ 2022: 100, 2023: 120, 2024: 90, 2025: 130, 2026: 40, 2021: 500 }, 2026, 5)).toBe(480);
  });
});
