import { describe, expect, it } from 'vitest';
import { decide, defaultWatchPolicy, openSession, type Beat, type DecideContext, type SessionState } from '../../server/modules/study/heartbeat-policy';
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

/** Feeds beats in order and sums what they earn. */
function run(beats: Beat[], c = ctx(), start: SessionState = openSession(T0)) {
  let s = start;
  let media = 0;
  let wall = 0;
  const flags: string[] = [];
  for (const b of beats) {
    const d = decide(s, b, c);
    s = d.next;
    media += d.creditIntervals.reduce((x, [a, e]) => x + e - a, 0);
    wall += d.wallSec;
    flags.push(...d.flags);
  }
  return { media, wall, flags, state: s };
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
    expect(r.flags.filter((f) => f === 'duplicate')).toHaveLength(3);
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
    expect(isBehind(50, defaultPolicies.township, new Date('2026-11-01'))).toBe(true);
    expect(isBehind(95, defaultPolicies.township, new Date('2026-11-01'))).toBe(false);
    expect(isBehind(10, defaultPolicies.township, new Date('2026-03-01'))).toBe(false);
  });
  it('sums the 5-year window for county cadres', () => {
    expect(windowEarned({ 2022: 100, 2023: 120, 2024: 90, 2025: 130, 2026: 40, 2021: 500 }, 2026, 5)).toBe(480);
  });
});
