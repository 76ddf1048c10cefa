import { describe, expect, it } from 'vitest';
import { nextPartIndex } from '../../server/modules/live/recording-repository';

describe('nextPartIndex', () => {
  it('numbers the next part after the highest stored one, so a restarted portal never reuses a folder', () => {
    expect(nextPartIndex([])).toBe(1);
    expect(nextPartIndex([{ prefix: 'live/l/1/part-1' }, { prefix: 'live/l/1/part-3' }, { prefix: 'live/l/1/part-2' }])).toBe(4);
    expect(nextPartIndex([{ prefix: null }, { prefix: 'live/l/1/index' }])).toBe(1);
  });
});
