// Which ladder a lecture keeps aside while a new upload's first rung grows, and which folders go
// (server/modules/catalog/processing.ts, ladderBefore): the ladder before comes back if the upload
// fails for good, and goes once the new first rung is complete.
import { describe, expect, it } from 'vitest';
import { ladderBefore } from '../../server/modules/catalog/processing';

type Ladder = NonNullable<Parameters<typeof ladderBefore>[0]['media']>;
// A lecture's media as the store gives it (lean: plain arrays).
const ladder = (prefix: string, growing?: string[]) => ({ prefix, master: 'master.m3u8', renditions: [], ...(growing ? { growing } : {}) }) as unknown as Ladder;
const NEW = 'lectures/l1/hls-new';

describe('ladderBefore', () => {
  it('keeps nothing for a lecture that had no media', () => {
    expect(ladderBefore({ durationSec: 40 }, NEW, true)).toEqual({ keep: null, drop: [] });
    expect(ladderBefore({ durationSec: 40 }, NEW, false)).toEqual({ keep: null, drop: [] });
  });

  it('keeps a complete ladder with its length while the new first rung grows', () => {
    const old = ladder('lectures/l1/hls-old');
    expect(ladderBefore({ media: old, durationSec: 12 }, NEW, true)).toEqual({ keep: { media: old, durationSec: 12 }, drop: [] });
  });

  it('keeps the ladder kept before on later growing snapshots and on a retry of the same job', () => {
    const kept = { media: ladder('lectures/l1/hls-old'), durationSec: 12 };
    expect(ladderBefore({ media: ladder(NEW, ['360p']), mediaBefore: kept, durationSec: 12 }, NEW, true)).toEqual({ keep: kept, drop: [] });
  });

  it('drops the kept ladder once the new first rung is complete', () => {
    const kept = { media: ladder('lectures/l1/hls-old'), durationSec: 12 };
    expect(ladderBefore({ media: ladder(NEW, ['360p']), mediaBefore: kept, durationSec: 12 }, NEW, false)).toEqual({ keep: null, drop: ['lectures/l1/hls-old'] });
  });

  it('drops the ladder before at once when the new first rung is listed complete', () => {
    expect(ladderBefore({ media: ladder('lectures/l1/hls-old'), durationSec: 12 }, NEW, false)).toEqual({ keep: null, drop: ['lectures/l1/hls-old'] });
  });

  it('never keeps a growing ladder that another upload replaces: the complete one before it stays', () => {
    const kept = { media: ladder('lectures/l1/hls-old'), durationSec: 12 };
    const partial = ladder('lectures/l1/hls-given-up', ['360p']);
    expect(ladderBefore({ media: partial, mediaBefore: kept, durationSec: 12 }, NEW, true)).toEqual({ keep: kept, drop: ['lectures/l1/hls-given-up'] });
    expect(ladderBefore({ media: partial, durationSec: 12 }, NEW, true)).toEqual({ keep: null, drop: ['lectures/l1/hls-given-up'] });
    expect(ladderBefore({ media: partial, mediaBefore: kept, durationSec: 12 }, NEW, false)).toEqual({ keep: null, drop: ['lectures/l1/hls-given-up', 'lectures/l1/hls-old'] });
  });
});
