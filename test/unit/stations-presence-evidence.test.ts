/** Evidence of presence at stations, the network and burst rules, and the kept credited spans. */
import { describe, expect, it } from 'vitest';
import { flattenSpans, keepSpan, unflattenSpans, type SpanFacts } from '../../server/modules/stations/group-credit';
import { burstAt, evidenceOf, minus, networkOf, sameNetwork } from '../../server/modules/stations/presence-evidence';

const M = 60_000;
const N = 30 * M;
const end = 120 * M;

describe('evidenceOf', () => {
  it('gives a lone scan N minutes, never past its presence', () => {
    expect(evidenceOf({ spans: [[0, end]], scans: [0], outs: [] }, N)).toEqual([[0, N]]);
    expect(evidenceOf({ spans: [[0, 10 * M]], scans: [0], outs: [] }, N)).toEqual([[0, 10 * M]]);
  });

  it('chains re-scans: each scan lasts until the next one or N minutes', () => {
    expect(evidenceOf({ spans: [[0, end]], scans: [0, 20 * M, 70 * M], outs: [] }, N)).toEqual([[0, 50 * M], [70 * M, 100 * M]]);
  });

  it('gives a check-in scan paired with a check-out scan the span between', () => {
    expect(evidenceOf({ spans: [[0, 90 * M]], scans: [0], outs: [90 * M] }, N)).toEqual([[0, 90 * M]]);
    // An operator's typed check-in (no scan) with a 签退 scan: only moments, nothing over time.
    expect(evidenceOf({ spans: [[0, 90 * M]], scans: [], outs: [90 * M] }, N)).toEqual([]);
  });

  it('gives a roster confirmation the presence from its check-in to the confirmation', () => {
    expect(evidenceOf({ spans: [[5 * M, end]], scans: [], outs: [], confirmedAt: end + M }, N)).toEqual([[5 * M, end]]);
    expect(evidenceOf({ spans: [[5 * M, end]], scans: [], outs: [], confirmedAt: 60 * M }, N)).toEqual([[5 * M, 60 * M]]);
    expect(evidenceOf({ spans: [[5 * M, 40 * M]], scans: [], outs: [], confirmedAt: end }, N)).toEqual([[5 * M, 40 * M]]);
  });
});

describe('minus', () => {
  it('removes what was already offered', () => {
    expect(minus([[0, 100]], [[10, 20], [50, 200]])).toEqual([[0, 10], [20, 50]]);
    expect(minus([[0, 100]], [])).toEqual([[0, 100]]);
    expect(minus([[0, 100]], [[0, 100]])).toEqual([]);
  });
});

describe('networks', () => {
  it('compares the /24 of IPv4 and the /64 of IPv6, mapped addresses as IPv4', () => {
    expect(sameNetwork('10.20.30.40', '10.20.30.99')).toBe(true);
    expect(sameNetwork('10.20.30.40', '10.20.31.40')).toBe(false);
    expect(sameNetwork('::ffff:10.20.30.40', '10.20.30.1')).toBe(true);
    expect(sameNetwork('2001:db8:1:2::5', '2001:0db8:0001:0002:ffff::1')).toBe(true);
    expect(sameNetwork('2001:db8:1:2::5', '2001:db8:1:3::5')).toBe(false);
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0');
  });

  it('knows nothing when an address is missing or unreadable', () => {
    expect(sameNetwork(undefined, '10.0.0.1')).toBeNull();
    expect(sameNetwork('not an address', '10.0.0.1')).toBeNull();
  });
});

describe('burstAt', () => {
  const use = (userId: string, at: number) => ({ userId, at });
  it('names the accounts once enough distinct ones used a token within the window', () => {
    const uses = ['a', 'b', 'c', 'd'].map((u, i) => use(u, 1000 + i * 100));
    expect(burstAt(uses, 1300, 5, 3000)).toEqual([]);
    expect(burstAt([...uses, use('a', 1400)], 1400, 5, 3000)).toEqual([]); // the same account twice is one
    expect(burstAt([...uses, use('e', 1400)], 1400, 5, 3000).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(burstAt([...uses, use('e', 9000)], 9000, 5, 3000)).toEqual([]); // spread over time: a room scanning in turn
  });
});

describe('kept spans', () => {
  const span = (from: number, to: number, wallSec = to - from): SpanFacts => ({ wallFrom: from * 1000, wallTo: to * 1000, mediaFrom: from, mediaTo: to, intervals: [[from, to]], wallSec });
  it('merges spans that continue each other at one rate, and stores them flat', () => {
    const list: SpanFacts[] = [];
    keepSpan(list, span(0, 15));
    keepSpan(list, span(15, 30));
    keepSpan(list, span(45, 60)); // a gap: a new span
    expect(list).toEqual([span(0, 30), span(45, 60)]);
    expect(unflattenSpans(flattenSpans(list))).toEqual(list);
  });
});
