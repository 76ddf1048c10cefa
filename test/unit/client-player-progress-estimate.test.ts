import { describe, expect, it } from 'vitest';
import { INITIAL_ESTIMATE, STALE_FACTOR, addSpan, confirm, estimated, newGround, observe, type EstimateState } from '../../client/src/lib/player/progress-estimate';

const DURATION = 1000;
const HEARTBEAT = 15;

/** Plays from `from` for `seconds` at 1× (one look a second), counting unless told otherwise. */
function play(state: EstimateState, from: number, seconds: number, startAt = 0, counting = true): EstimateState {
  // A pause first: each call is a separate stretch of playback.
  let s = observe(state, { position: from, at: startAt, playing: false, counting }, DURATION, HEARTBEAT);
  for (let i = 0; i <= seconds; i++) s = observe(s, { position: from + i, at: startAt + i * 1000, playing: true, counting }, DURATION, HEARTBEAT);
  return s;
}

describe('study progress estimate between heartbeat answers', () => {
  it('moves with playback on new ground and is replaced by the next confirmed figure', () => {
    let s = confirm(INITIAL_ESTIMATE, 0.1);
    s = play(s, 100, 10);
    expect(estimated(s, DURATION)).toBeCloseTo(0.11);
    s = confirm(s, 0.112);
    expect(estimated(s, DURATION)).toBeCloseTo(0.112);
    expect(s.pendingSec).toBe(0);
  });

  it('counts no more than wall time (2× speed still estimates 1×)', () => {
    let s = confirm(INITIAL_ESTIMATE, 0.1);
    for (let i = 0; i <= 10; i++) s = observe(s, { position: 100 + 2 * i, at: i * 1000, playing: true, counting: true }, DURATION, HEARTBEAT);
    expect(estimated(s, DURATION)).toBeCloseTo(0.11);
  });

  it('adds nothing for ground already covered: the confirmed prefix and what this page counted', () => {
    let s = confirm(INITIAL_ESTIMATE, 0.3);
    s = play(s, 50, 10);
    expect(estimated(s, DURATION)).toBe(0.3);
    s = play(s, 300, 10, 20_000);
    expect(estimated(s, DURATION)).toBeCloseTo(0.31);
    // Replaying the same ten seconds adds nothing more.
    s = observe(s, { position: 300, at: 40_000, playing: false, counting: true }, DURATION, HEARTBEAT);
    s = play(s, 300, 10, 41_000);
    expect(estimated(s, DURATION)).toBeCloseTo(0.31);
  });

  it('runs from the start of a lecture, while the server still says 0 at every look', () => {
    let s = confirm(INITIAL_ESTIMATE, 0);
    for (let i = 0; i <= 40; i++) s = observe(confirm(s, 0), { position: i, at: i * 1000, playing: true, counting: true }, DURATION, HEARTBEAT * 4);
    expect(estimated(s, DURATION)).toBeCloseTo(0.04);
    s = confirm(s, 0.035);
    expect(estimated(s, DURATION)).toBe(0.035);
  });

  it('ignores seeks, pauses and time while the page is not counting', () => {
    let s = confirm(INITIAL_ESTIMATE, 0);
    s = observe(s, { position: 0, at: 0, playing: true, counting: true }, DURATION, HEARTBEAT);
    s = observe(s, { position: 600, at: 1000, playing: true, counting: true }, DURATION, HEARTBEAT);
    expect(estimated(s, DURATION)).toBe(0);
    s = play(s, 600, 10, 2000, false);
    expect(estimated(s, DURATION)).toBe(0);
  });

  it('falls back to the confirmed figure when the server does not follow, until it confirms a rise', () => {
    let s = confirm(INITIAL_ESTIMATE, 0.5);
    s = play(s, 800, STALE_FACTOR * HEARTBEAT + 2);
    expect(estimated(s, DURATION)).toBe(0.5);
    expect(s.trusted).toBe(false);
    s = confirm(s, 0.5);
    expect(s.trusted).toBe(false);
    s = confirm(s, 0.52);
    s = play(s, 900, 10, 100_000);
    expect(estimated(s, DURATION)).toBeCloseTo(0.53);
  });

  it('never shows 100%: completion is the server\'s word', () => {
    let s = confirm(INITIAL_ESTIMATE, 0.985);
    s = play(s, 985, 14);
    expect(estimated(s, DURATION)).toBe(0.99);
  });

  it('merges spans and measures new ground', () => {
    expect(addSpan([{ start: 0, end: 5 }, { start: 10, end: 12 }], 4, 11)).toEqual([{ start: 0, end: 12 }]);
    expect(newGround([{ start: 10, end: 12 }], 5, 0, 20)).toBe(13);
  });
});
