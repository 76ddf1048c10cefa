import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialHealth, nextHealth, PATH_TIMING, retryDelay, retryDue, shownPath, type PathHealth, type PathSample } from '../../client/src/lib/live/path-health';

/** Feeds one sample a second; `flow(i)` says whether second i brought frames. */
function run(h: PathHealth, seconds: number, flow: (i: number) => boolean, over: Partial<PathSample> = {}, from = 0): { h: PathHealth; states: string[] } {
  const states: string[] = [];
  let frames = h.frames;
  for (let i = 1; i <= seconds; i++) {
    if (flow(i)) frames += 25;
    h = nextHealth(h, { at: from + i * 1000, attempt: h.attempt, expected: true, frames, bytes: frames * 1000, failed: false, signalling: true, ...over });
    states.push(h.state);
  }
  return { h, states };
}

const healthy = () => run(initialHealth(0), 3, () => true).h;

describe('live path health', () => {
  it('shows WebRTC as soon as the first frames arrive', () => {
    const { states } = run(initialHealth(0), 2, () => true);
    expect(states).toEqual(['webrtc', 'webrtc']);
    expect(shownPath('webrtc')).toBe('webrtc');
  });

  it('falls back to the live HLS within stallMs of the last frame while the room is live', () => {
    const { states } = run(healthy(), 6, () => false, {}, 3000);
    const at = states.indexOf('fallback') + 1;
    expect(at).toBeGreaterThanOrEqual(Math.ceil(PATH_TIMING.stallMs / 1000));
    expect(at).toBeLessThanOrEqual(4);
    expect(shownPath('fallback')).toBe('hls');
  });

  it('does not count a paused camera or a room not yet live as a stall', () => {
    const { states } = run(healthy(), 20, () => false, { expected: false }, 3000);
    expect(new Set(states)).toEqual(new Set(['webrtc']));
  });

  it('falls back at once when the transport fails or the signalling socket drops', () => {
    const h = healthy();
    expect(nextHealth(h, { at: 3500, attempt: 0, expected: true, frames: h.frames + 5, bytes: h.bytes + 5, failed: true, signalling: true }).state).toBe('fallback');
    expect(nextHealth(h, { at: 3500, attempt: 0, expected: true, frames: h.frames + 5, bytes: h.bytes + 5, failed: false, signalling: false }).state).toBe('fallback');
  });

  it('gives a first attempt startMs to show frames', () => {
    const { states } = run(initialHealth(0), 10, () => false);
    expect(states.indexOf('fallback') + 1).toBe(PATH_TIMING.startMs / 1000);
  });

  it('returns to WebRTC only after frames flowed for recoverMs, recovering meanwhile', () => {
    const down = run(healthy(), 5, () => false, {}, 3000).h;
    expect(down.state).toBe('fallback');
    const { states } = run(down, 6, () => true, {}, 8000);
    expect(states[0]).toBe('recovering');
    expect(states.indexOf('webrtc') + 1).toBe(PATH_TIMING.recoverMs / 1000 + 1);
  });

  it('goes back to fallback when the flow breaks while recovering', () => {
    const down = run(healthy(), 5, () => false, {}, 3000).h;
    const { states } = run(down, 8, (i) => i <= 2 || i > 5, {}, 8000);
    expect(states.slice(0, 2)).toEqual(['recovering', 'recovering']);
    expect(states).toContain('fallback');
    expect(states.at(-1)).toBe('recovering');
  });

  it('schedules background attempts with a growing backoff and stops when one is started', () => {
    let h = run(healthy(), 5, () => false, {}, 3000).h;
    let at = 8000;
    const delays: number[] = [];
    for (let k = 0; k < 4; k++) {
      while (!retryDue(h, at)) {
        at += 1000;
        h = nextHealth(h, { at, attempt: h.attempt, expected: true, frames: h.frames, bytes: h.bytes, failed: false, signalling: true });
        if (at > 200_000) throw new Error('no retry');
      }
      delays.push(at);
      // The caller starts a new attempt: its counters start from zero.
      at += 1000;
      h = nextHealth(h, { at, attempt: h.attempt + 1, expected: true, frames: 0, bytes: 0, failed: false, signalling: true });
      expect(h.retryAt).toBeNull();
      expect(h.state).toBe('fallback');
    }
    const gaps = delays.slice(1).map((d, i) => d - delays[i]!);
    expect(gaps[0]).toBeLessThan(gaps[2]!);
    expect(h.failures).toBe(4);
  });

  it('schedules nothing while the socket is down: its reconnection sets up again', () => {
    const down = run(healthy(), 30, () => false, { signalling: false }, 3000).h;
    expect(down.state).toBe('fallback');
    expect(down.retryAt).toBeNull();
  });

  it('treats the first sample of a new attempt as a baseline, not as progress', () => {
    const down = run(healthy(), 5, () => false, {}, 3000).h;
    const h = nextHealth(down, { at: 9000, attempt: down.attempt + 1, expected: true, frames: 50, bytes: 50_000, failed: false, signalling: true });
    expect(h.state).toBe('fallback');
    expect(h.flowingSince).toBeNull();
  });

  it('backoff doubles up to its cap', () => {
    expect([0, 1, 2, 3, 10].map((n) => retryDelay(n))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('never shows WebRTC while frames are not flowing, whatever the samples (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ flow: fc.boolean(), failed: fc.boolean(), signalling: fc.boolean(), expected: fc.boolean(), newAttempt: fc.boolean() }), { maxLength: 60 }), (steps) => {
        let h = healthy();
        let at = 3000;
        let frames = h.frames;
        let dry = 0;
        for (const s of steps) {
          at += 1000;
          const attempt = s.newAttempt ? h.attempt + 1 : h.attempt;
          if (s.newAttempt) frames = 0;
          if (s.flow) frames += 10;
          const was = h.state;
          h = nextHealth(h, { at, attempt, expected: s.expected, frames, bytes: frames, failed: s.failed, signalling: s.signalling });
          dry = s.flow && !s.newAttempt ? 0 : dry + 1;
          // Leaving HLS needs flow: the state only turns webrtc from fallback/recovering after progress.
          if (shownPath(was) === 'hls' && h.state === 'webrtc') expect(dry).toBe(0);
          if (s.failed || !s.signalling) expect(shownPath(h.state)).toBe('hls');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not switch back on a dry second even when the flow began recoverMs ago (found by the property, seed 241648754)', () => {
    const down = run(healthy(), 5, () => false, {}, 3000).h;
    // Frames at 9 s and 10 s, a dry 11 s, frames at 12 s, then a dry 13 s: 13 − 9 ≥ recoverMs.
    const { states } = run(down, 5, (i) => i !== 3 && i !== 5, {}, 8000);
    expect(states.at(-1)).toBe('recovering');
  });
});
