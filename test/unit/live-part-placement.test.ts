import { describe, expect, it } from 'vitest';
import { PART_END_TOLERANCE_SEC, placeStoppedPart } from '../../server/modules/live/part-placement';

describe('placeStoppedPart', () => {
  it('keeps a part that ends by its stop, also one cut short', () => {
    expect(placeStoppedPart({ offsetSec: 4.055, durationSec: 7, startedSec: 0.119, stoppedSec: 11.155 })).toBe(4.055);
    expect(placeStoppedPart({ offsetSec: 4.055, durationSec: 7.1 + PART_END_TOLERANCE_SEC, startedSec: 0.119, stoppedSec: 11.155 })).toBe(4.055);
    expect(placeStoppedPart({ offsetSec: 2, durationSec: 0, startedSec: 1, stoppedSec: 3 })).toBe(2);
  });

  it('moves back a part that would run past its stop (measured: its picture 4 s late, its sound from the start) to end there', () => {
    expect(placeStoppedPart({ offsetSec: 4.055, durationSec: 10.933, startedSec: 0.119, stoppedSec: 11.155 })).toBe(0.222);
  });

  it('never before its recorder started', () => {
    expect(placeStoppedPart({ offsetSec: 5, durationSec: 20, startedSec: 3, stoppedSec: 12 })).toBe(3);
  });
});
