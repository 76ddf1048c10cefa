import { describe, expect, it } from 'vitest';
import { lowestVideoBitrate } from '../../client/src/lib/player/levels';
import {
  FAILED_RETURN_MS,
  INITIAL_STATE,
  MAX_AUTO_RETURNS,
  MIN_AUDIO_MS,
  NO_ESTIMATE,
  STALL_LONG_MS,
  STRONG_HOLD_MS,
  addSample,
  bufferedAhead,
  chooseAudio,
  chooseVideo,
  decide,
  usableBps,
  verdictOf,
  type LinkEstimate,
  type LinkObservation,
  type Stall,
  type WeakLinkState,
} from '../../client/src/lib/player/weak-link';

/** 360p at 800k video + 64k audio, declared with TS overhead (ladder.ts): ~950 kbit/s. */
const LOWEST = 950_000;
const AUTO = { hasAudio: true, autoQuality: true };

/** An estimate after `n` segments of 4 s moved at `kbps` with `latencyMs` before the first byte. */
function link(kbps: number, latencyMs = 400, n = 2, segmentSec = 4): LinkEstimate {
  let estimate = NO_ESTIMATE;
  const bytes = 120_000;
  for (let i = 0; i < n; i++) estimate = addSample(estimate, { bytes, firstByteMs: latencyMs, transferMs: (bytes * 8) / kbps, segmentSec });
  return estimate;
}

const obs = (now: number, estimate: LinkEstimate, stalls: Stall[] = []): LinkObservation => ({ now, estimate, lowestVideoBps: LOWEST, stalls });

/** Runs decide() once a second from `from` to `to` (ms) on the same link, stopping at the first switch. */
function run(state: WeakLinkState, from: number, to: number, estimate: LinkEstimate, ctx = AUTO) {
  const actions: string[] = [];
  let decision = decide(state, obs(from, estimate), ctx);
  let at = from;
  actions.push(decision.action);
  while (at < to && decision.action !== 'to-video' && decision.action !== 'to-audio') {
    at += 1000;
    decision = decide(decision.state, obs(at, estimate), ctx);
    actions.push(decision.action);
  }
  return { ...decision, actions, at };
}

describe('weak link: measuring the link', () => {
  it('takes what a 4 s segment can carry in real time: rate less the wait for the first byte', () => {
    const estimate = link(300, 400);
    expect(estimate.rateBps).toBeCloseTo(300_000, -3);
    expect(usableBps(estimate)).toBeCloseTo(270_000, -3);
  });

  it('ignores segments too small to measure', () => {
    expect(addSample(NO_ESTIMATE, { bytes: 500, firstByteMs: 10, transferMs: 5, segmentSec: 4 })).toBe(NO_ESTIMATE);
  });

  it('finds the lowest declared video bitrate and leaves audio-only levels out', () => {
    expect(lowestVideoBitrate([{ width: 1280, height: 720, bitrate: 3_300_000 }, { width: 640, height: 360, bitrate: 950_000 }, { bitrate: 70_000 }])).toBe(950_000);
    expect(lowestVideoBitrate([{ bitrate: 70_000 }])).toBe(0);
  });
});

describe('weak link: the verdict', () => {
  it('is weak at 300 kbit/s and 400 ms against a 950 kbit/s lowest rung', () => {
    expect(verdictOf(obs(0, link(300)))).toBe('weak');
  });

  it('waits for a reliable measure: one small segment is not enough', () => {
    const one = addSample(NO_ESTIMATE, { bytes: 20_000, firstByteMs: 400, transferMs: 500, segmentSec: 4 });
    expect(verdictOf(obs(0, one))).toBe('unknown');
  });

  it('takes one long segment as reliable (13 s for a 360p segment on a village link)', () => {
    const one = addSample(NO_ESTIMATE, { bytes: 475_000, firstByteMs: 400, transferMs: 12_700, segmentSec: 4 });
    expect(verdictOf(obs(0, one))).toBe('weak');
  });

  it('is strong only well above the lowest rung and with no recent stall', () => {
    expect(verdictOf(obs(0, link(2000, 50)))).toBe('strong');
    expect(verdictOf(obs(0, link(1200, 50)))).toBe('fair');
    expect(verdictOf(obs(100_000, link(2000, 50), [{ start: 50_000, end: 52_000 }]))).toBe('fair');
  });

  it('calls two stalls within a minute weak, or one that lasts ten seconds, unless the link is strong', () => {
    const fair = link(1200, 50);
    expect(verdictOf(obs(30_000, fair, [{ start: 1000, end: 3000 }, { start: 20_000, end: 22_000 }]))).toBe('weak');
    expect(verdictOf(obs(STALL_LONG_MS, NO_ESTIMATE, [{ start: 0, end: null }]))).toBe('weak');
    expect(verdictOf(obs(STALL_LONG_MS - 1000, NO_ESTIMATE, [{ start: 0, end: null }]))).toBe('unknown');
    expect(verdictOf(obs(STALL_LONG_MS, link(2000, 50), [{ start: 0, end: null }]))).toBe('fair');
  });
});

describe('weak link: switching to audio only and back', () => {
  it('switches to audio by itself when quality is 自动 and the link cannot carry the lowest rung', () => {
    const d = decide(INITIAL_STATE, obs(0, link(300)), AUTO);
    expect(d.action).toBe('to-audio');
    expect(d.state.mode).toBe('audio-auto');
  });

  it('only suggests audio when the viewer picked a level, or asked for video back', () => {
    expect(decide(INITIAL_STATE, obs(0, link(300)), { hasAudio: true, autoQuality: false }).action).toBe('suggest-audio');
    const back = chooseVideo({ ...INITIAL_STATE, mode: 'audio-auto', audioSince: 0 });
    expect(back.mode).toBe('video');
    expect(decide(back, obs(5000, link(300)), AUTO).action).toBe('suggest-audio');
  });

  it('does nothing without an audio rung', () => {
    expect(decide(INITIAL_STATE, obs(0, link(300)), { hasAudio: false, autoQuality: true }).action).toBe('none');
  });

  it('stays on audio through the band between weak and strong (hysteresis)', () => {
    const audio = decide(INITIAL_STATE, obs(0, link(300)), AUTO).state;
    // 1.2 Mbit/s would carry 360p, but not with the margin a return needs.
    const held = run(audio, 1000, 10 * MIN_AUDIO_MS, link(1200, 50));
    expect(held.actions.every((a) => a === 'none')).toBe(true);
    expect(held.state.mode).toBe('audio-auto');
  });

  it('returns to video only after the minimum time on audio and a strong link held for a while', () => {
    const audio = decide(INITIAL_STATE, obs(0, link(300)), AUTO).state;
    const strong = link(3000, 50);
    const early = run(audio, 1000, MIN_AUDIO_MS - 1000, strong);
    expect(early.actions).not.toContain('to-video');
    const later = run(audio, 1000, MIN_AUDIO_MS + STRONG_HOLD_MS, strong);
    expect(later.action).toBe('to-video');
    expect(later.state.mode).toBe('video');
    // And it needs the strong link to have lasted: strong for a moment after a long weak spell is not enough.
    const late = run(audio, MIN_AUDIO_MS * 3, MIN_AUDIO_MS * 3 + STRONG_HOLD_MS - 2000, strong);
    expect(late.actions).not.toContain('to-video');
  });

  it('waits twice as long after a return that failed, and stops returning by itself after the last', () => {
    let state = decide(INITIAL_STATE, obs(0, link(300)), AUTO).state;
    const strong = link(3000, 50);
    let now = 0;
    for (let failed = 0; failed < MAX_AUTO_RETURNS; failed++) {
      expect(state.failedReturns).toBe(failed);
      const back = run(state, now + 1000, now + MIN_AUDIO_MS * 2 ** failed + STRONG_HOLD_MS, strong);
      expect(back.action).toBe('to-video');
      expect(back.at - now).toBeGreaterThanOrEqual(MIN_AUDIO_MS * 2 ** failed);
      now = back.at;
      // The link collapses again soon after the return.
      const again = decide(back.state, obs(now + FAILED_RETURN_MS / 2, link(300)), AUTO);
      expect(again.action).toBe('to-audio');
      state = again.state;
      now += FAILED_RETURN_MS / 2;
    }
    expect(state.failedReturns).toBe(MAX_AUTO_RETURNS);
    const suggest = run(state, now + 1000, now + MIN_AUDIO_MS * 2 ** MAX_AUTO_RETURNS + STRONG_HOLD_MS, strong);
    expect(suggest.actions).not.toContain('to-video');
    expect(suggest.action).toBe('suggest-video');
  });

  it('never leaves audio the viewer chose (仅音频 · 省流量)', () => {
    const manual = chooseAudio(INITIAL_STATE, 0);
    const d = run(manual, 1000, 10 * MIN_AUDIO_MS, link(5000, 20));
    expect(d.actions.every((a) => a === 'none')).toBe(true);
    expect(d.state.mode).toBe('audio-manual');
  });

  it('does not flap on a link that hovers around the lowest rung', () => {
    // 300 kbit/s dips and 1.3 Mbit/s recoveries every 20 s for ten minutes: one switch, no return.
    let state = INITIAL_STATE;
    const switches: string[] = [];
    for (let now = 0; now <= 600_000; now += 1000) {
      const estimate = Math.floor(now / 20_000) % 2 === 0 ? link(300) : link(1300, 50);
      const d = decide(state, obs(now, estimate), AUTO);
      if (d.action === 'to-audio' || d.action === 'to-video') switches.push(d.action);
      state = d.state;
    }
    expect(switches).toEqual(['to-audio']);
  });
});

describe('weak link: buffered ahead', () => {
  it('measures the range the playhead is in', () => {
    expect(bufferedAhead([{ start: 0, end: 4 }, { start: 8, end: 12 }], 9)).toBe(3);
    expect(bufferedAhead([{ start: 0, end: 4 }], 6)).toBe(0);
  });
});
