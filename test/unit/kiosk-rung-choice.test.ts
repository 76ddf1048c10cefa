/** Which rung a kiosk caches before a session (client/src/lib/kiosk/rung-choice.ts). */
import { describe, expect, it } from 'vitest';
import { chooseRung, defaultRung, nextRate, parseRungs, rungBytes, shouldFallBack } from '../../client/src/lib/kiosk/rung-choice';

const master = [
  '#EXTM3U',
  '#EXT-X-STREAM-INF:BANDWIDTH=96000,CODECS="mp4a.40.2"',
  'audio/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360',
  'v360/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720',
  'v720/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=1600000,RESOLUTION=854x480',
  'v480/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=426x240',
  'v240/index.m3u8',
].join('\n');
const rungs = parseRungs(master);
const HOUR = 3600;

describe('parseRungs', () => {
  it('reads every rung with its average bitrate when given, and its height', () => {
    expect(rungs.map((r) => [r.uri, r.bitrate, r.height])).toEqual([
      ['audio/index.m3u8', 96000, 0],
      ['v360/index.m3u8', 800000, 360],
      ['v720/index.m3u8', 2500000, 720],
      ['v480/index.m3u8', 1600000, 480],
      ['v240/index.m3u8', 500000, 240],
    ]);
    expect(rungBytes(rungs[1]!, HOUR)).toBe(360_000_000);
  });
});

describe('chooseRung', () => {
  it('takes 360p when nothing was measured yet', () => {
    expect(chooseRung(rungs, { durationSec: HOUR, secondsLeft: 86_400, bytesPerSec: null })?.uri).toBe('v360/index.m3u8');
    expect(defaultRung(rungs)?.height).toBe(360);
  });

  it('takes the highest rung whose bytes fit in the time left with the margin', () => {
    // 720p of an hour: 1.125 GB. At 100 kB/s a day (8.64 GB, 5.2 GB with the margin) holds it.
    expect(chooseRung(rungs, { durationSec: HOUR, secondsLeft: 86_400, bytesPerSec: 100_000 })?.height).toBe(720);
    // Two hours left: 720 MB, 432 MB with the margin: 360p (360 MB) fits, 480p (720 MB) does not.
    expect(chooseRung(rungs, { durationSec: HOUR, secondsLeft: 2 * HOUR, bytesPerSec: 100_000 })?.height).toBe(360);
    // Without the margin 480p would fit exactly.
    expect(chooseRung(rungs, { durationSec: HOUR, secondsLeft: 2 * HOUR, bytesPerSec: 100_000, margin: 1 })?.height).toBe(480);
  });

  it('falls back to the lowest video rung when nothing fits (the session is on, or the link is thin)', () => {
    expect(chooseRung(rungs, { durationSec: HOUR, secondsLeft: 0, bytesPerSec: 1e9 })?.height).toBe(240);
    expect(chooseRung(rungs, { durationSec: HOUR, secondsLeft: 600, bytesPerSec: 30_000 })?.height).toBe(240);
  });

  it('counts what is already cached of a rung', () => {
    const input = { durationSec: HOUR, secondsLeft: 2 * HOUR, bytesPerSec: 100_000 };
    expect(chooseRung(rungs, { ...input, cachedBytes: { 'v480/index.m3u8': 500_000_000 } })?.height).toBe(480);
  });

  it('answers null with no rungs, and the lowest of audio-only ladders', () => {
    expect(chooseRung([], { durationSec: HOUR, secondsLeft: 10, bytesPerSec: 1 })).toBeNull();
    expect(chooseRung(parseRungs('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000\na.m3u8'), { durationSec: HOUR, secondsLeft: 10, bytesPerSec: 1 })?.uri).toBe('a.m3u8');
  });
});

describe('shouldFallBack', () => {
  it('gives up a rung that no longer fits for a lower one, never for a higher one', () => {
    const slow = { durationSec: HOUR, secondsLeft: 2 * HOUR, bytesPerSec: 20_000, cachedBytes: { 'v720/index.m3u8': 100_000_000 } };
    expect(shouldFallBack(rungs, 'v720/index.m3u8', slow)?.height).toBe(240);
    const fast = { durationSec: HOUR, secondsLeft: 86_400, bytesPerSec: 1e6 };
    expect(shouldFallBack(rungs, 'v360/index.m3u8', fast)).toBeNull();
    expect(shouldFallBack(rungs, 'v720/index.m3u8', fast)).toBeNull();
  });
});

describe('nextRate', () => {
  it('starts at the first sample and smooths later ones', () => {
    expect(nextRate(null, 100_000, 1000)).toBe(100_000);
    expect(nextRate(100_000, 200_000, 1000)).toBeCloseTo(130_000);
    expect(nextRate(100_000, 0, 1000)).toBe(100_000);
    expect(nextRate(null, 1000, 0)).toBeNull();
  });
});
