/**
 * The recorder's layer choice (media/live/recorder-layers.ts): the best simulcast layer the
 * lecturer is sending now, by producer scores, and the top layers a consumer may prefer for
 * simulcast and SVC producers.
 */
import { describe, expect, it } from 'vitest';
import { bestActiveLayer, topLayers } from '../../media/live/recorder-layers';

describe('bestActiveLayer', () => {
  it('is the highest encoding with a positive score, by index, rid or ssrc', () => {
    expect(bestActiveLayer([{ encodingIdx: 0, ssrc: 1, score: 10 }, { encodingIdx: 1, ssrc: 2, score: 8 }, { encodingIdx: 2, ssrc: 3, score: 0 }])).toBe(1);
    const encodings = [{ rid: 'r0' }, { rid: 'r1' }, { rid: 'r2' }];
    expect(bestActiveLayer([{ rid: 'r2', score: 5 }, { rid: 'r0', score: 9 }] as never, encodings)).toBe(2);
    expect(bestActiveLayer([{ ssrc: 22, score: 3 }] as never, [{ ssrc: 11 }, { ssrc: 22 }])).toBe(1);
  });

  it('is -1 while nothing is sent', () => {
    expect(bestActiveLayer([])).toBe(-1);
    expect(bestActiveLayer([{ encodingIdx: 0, ssrc: 1, score: 0 }])).toBe(-1);
  });
});

describe('topLayers', () => {
  it('counts one spatial layer per simulcast encoding and the temporal layers of the mode', () => {
    expect(topLayers({ rtpParameters: { codecs: [], encodings: [{ scalabilityMode: 'L1T3' }, { scalabilityMode: 'L1T3' }, { scalabilityMode: 'L1T3' }] } } as never)).toEqual({ spatialLayer: 2, temporalLayer: 2 });
  });

  it('reads SVC layers from one encoding, and one layer of each without a mode', () => {
    expect(topLayers({ rtpParameters: { codecs: [], encodings: [{ scalabilityMode: 'L3T3' }] } } as never)).toEqual({ spatialLayer: 2, temporalLayer: 2 });
    expect(topLayers({ rtpParameters: { codecs: [], encodings: [{}] } } as never)).toEqual({ spatialLayer: 0, temporalLayer: 0 });
  });
});
