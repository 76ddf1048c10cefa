/** Group credit: what a learner present at a station earns from each credited span. */
import { describe, expect, it } from 'vitest';
import { checkIn, checkOut, presentAt, shareOfSpan } from '../../server/modules/stations/group-credit';

const T = 1_000_000;
const sec = (s: number) => T + s * 1000;
/** A 15-s span of a station playing media 30..45 at 1x, all delivered. */
const span = { wallFrom: sec(30), wallTo: sec(45), mediaFrom: 30, mediaTo: 45, intervals: [[30, 45]] as [number, number][], wallSec: 15 };

describe('shareOfSpan', () => {
  it('gives the whole span to a learner present throughout', () => {
    expect(shareOfSpan([[sec(0), sec(600)]], span)).toEqual({ intervals: [[30, 45]], wallSec: 15, wall: [[sec(30), sec(45)]] });
  });

  it('gives the part of the span a learner was present for', () => {
    const r = shareOfSpan([[sec(40), sec(600)]], span);
    expect(r.intervals).toEqual([[40, 45]]);
    expect(r.wallSec).toBeCloseTo(5);
    expect(r.wall).toEqual([[sec(40), sec(45)]]); // the server-time pieces the presence covers
    const left = shareOfSpan([[sec(0), sec(33)]], span);
    expect(left.intervals).toEqual([[30, 33]]);
  });

  it('gives nothing to a learner absent during the span', () => {
    expect(shareOfSpan([[sec(50), sec(600)]], span)).toEqual({ intervals: [], wallSec: 0, wall: [] });
    expect(shareOfSpan([], span)).toEqual({ intervals: [], wallSec: 0, wall: [] });
  });

  it('never gives more than the station was credited (undelivered media stays out)', () => {
    const partial = { ...span, intervals: [[30, 36]] as [number, number][], wallSec: 6 };
    const r = shareOfSpan([[sec(0), sec(600)]], partial);
    expect(r.intervals).toEqual([[30, 36]]);
    expect(r.wallSec).toBeCloseTo(6);
  });

  it('maps wall time onto the media at the span’s rate', () => {
    const double = { wallFrom: sec(0), wallTo: sec(10), mediaFrom: 0, mediaTo: 20, intervals: [[0, 20]] as [number, number][], wallSec: 10 };
    const r = shareOfSpan([[sec(5), sec(100)]], double);
    expect(r.intervals).toEqual([[10, 20]]);
    expect(r.wallSec).toBeCloseTo(5);
  });
});

describe('presence spans', () => {
  it('check-in opens a span to the session end; check-out closes it; checking in twice changes nothing', () => {
    const end = sec(600);
    let p = checkIn([], sec(10), end);
    expect(p).toEqual([[sec(10), end]]);
    expect(checkIn(p, sec(20), end)).toEqual(p);
    p = checkOut(p, sec(100));
    expect(p).toEqual([[sec(10), sec(100)]]);
    expect(presentAt(p, sec(150))).toBe(false);
    p = checkIn(p, sec(200), end);
    expect(p).toEqual([[sec(10), sec(100)], [sec(200), end]]);
  });

  it('a late-uploaded earlier check-in does not undo a later check-out', () => {
    const end = sec(600);
    const p = checkOut(checkIn([], sec(300), end), sec(400)); // online: in at 300, out at 400
    expect(checkIn(p, sec(100), end)).toEqual([[sec(100), sec(400)]]); // offline: in at 100
  });
});
