import { describe, expect, it } from 'vitest';
import { offlineCheckinAt } from '../../server/modules/stations/presence-evidence';

describe('offlineCheckinAt', () => {
  const received = 1_000_000_000;
  it('counts from receipt minus the age the station clock measured, whatever its offset', () => {
    expect(offlineCheckinAt({ at: received - 50_000, clock: 7_000 }, 57_000, received)).toBe(received - 50_000);
    expect(offlineCheckinAt({ at: received - 50_000, clock: 999_999_950_000 + 7_000 }, 999_999_950_000 + 57_000, received)).toBe(received - 50_000);
  });

  it('does not credit earlier than that bound, even when the station claims so', () => {
    expect(offlineCheckinAt({ at: received - 600_000, clock: 0 }, 20_000, received)).toBe(received - 20_000);
  });

  it('keeps a later claim, and never goes past receipt', () => {
    expect(offlineCheckinAt({ at: received - 5_000, clock: 0 }, 20_000, received)).toBe(received - 5_000);
    expect(offlineCheckinAt({ at: received + 60_000 }, undefined, received)).toBe(received);
  });

  it('ignores a station clock that went backwards', () => {
    expect(offlineCheckinAt({ at: received - 30_000, clock: 50_000 }, 10_000, received)).toBe(received - 30_000);
  });
});
