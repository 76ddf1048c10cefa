/** Pure rules of terminal stations: pairing codes, rotating check-in tokens, sessions on, conflicts (days: test/unit/calendar.test.ts). */
import { describe, expect, it } from 'vitest';
import {
  CHECKIN_LEAD_MS,
  PAIRING_ALPHABET,
  currentSession,
  findConflicts,
  isOn,
  newPairingCode,
  normalizePairingCode,
  secondsToRotation,
  signCheckin,
  verifyCheckin,
  windowOf,
} from '../../server/modules/stations/station-rules';

const secret = 'test-secret-of-enough-length';
const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const S1 = '1'.repeat(24);
const T = Date.UTC(2026, 5, 1, 8, 0, 0); // a window boundary (divisible by 30 s)

describe('pairing codes', () => {
  it('are 8 characters without look-alikes', () => {
    for (let i = 0; i < 200; i++) {
      const code = newPairingCode();
      expect(code).toMatch(/^[A-Z2-9]{8}$/);
      expect(code).not.toMatch(/[01OIL]/);
    }
    expect(PAIRING_ALPHABET).toHaveLength(31);
  });

  it('are accepted in any case with spaces or dashes, and refused when malformed', () => {
    expect(normalizePairingCode('abcd-efgh')).toBe('ABCDEFGH');
    expect(normalizePairingCode(' ab cd ef gh ')).toBe('ABCDEFGH');
    expect(normalizePairingCode('ABCDEFG')).toBeNull();
    expect(normalizePairingCode('ABCDEFG0')).toBeNull(); // 0 is not in the alphabet
  });
});

describe('check-in tokens', () => {
  const token = signCheckin({ stationId: A, sessionId: S1, window: windowOf(T) }, secret);

  it('are valid in their window and the next one, and expired after', () => {
    expect(verifyCheckin(token, secret, T)).toMatchObject({ ok: true, claims: { stationId: A, sessionId: S1 } });
    expect(verifyCheckin(token, secret, T + 29_999).ok).toBe(true);
    expect(verifyCheckin(token, secret, T + 30_000).ok).toBe(true); // window n+1: a scan just after the rotation
    expect(verifyCheckin(token, secret, T + 59_999).ok).toBe(true);
    expect(verifyCheckin(token, secret, T + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('are invalid for another station, when tampered with, signed with another key or from the future', () => {
    expect(verifyCheckin(token.replace(A, B), secret, T)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyCheckin(token.slice(0, -2) + 'xx', secret, T)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyCheckin(token, 'another-secret', T)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyCheckin(token, secret, T - 1)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyCheckin('garbage', secret, T)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rotate every 30 s', () => {
    expect(windowOf(T + 30_000)).toBe(windowOf(T) + 1);
    expect(secondsToRotation(T)).toBe(30);
    expect(secondsToRotation(T + 29_500)).toBe(1);
  });
});

describe('sessions', () => {
  const s = (id: string, startMin: number, minutes: number) => ({ id, startAt: T + startMin * 60_000, endAt: T + (startMin + minutes) * 60_000 });

  it('are on from 10 minutes before the start to the end', () => {
    const x = s('x', 0, 60);
    expect(isOn(x, T - CHECKIN_LEAD_MS - 1)).toBe(false);
    expect(isOn(x, T - CHECKIN_LEAD_MS)).toBe(true);
    expect(isOn(x, T + 60 * 60_000)).toBe(true);
    expect(isOn(x, T + 60 * 60_000 + 1)).toBe(false);
  });

  it('the current one is the on session that started last, else the one about to start', () => {
    const morning = s('morning', 0, 90);
    const next = s('next', 85, 60);
    expect(currentSession([morning, next], T + 80 * 60_000)?.id).toBe('morning'); // next opens for check-in, morning still runs
    expect(currentSession([morning, next], T + 86 * 60_000)?.id).toBe('next');
    expect(currentSession([morning], T - 5 * 60_000)?.id).toBe('morning');
    expect(currentSession([morning], T + 100 * 60_000)).toBeUndefined();
  });

  it('conflict when they overlap at a same station, not back to back or elsewhere', () => {
    const a = { ...s('a', 0, 60), title: 'A', stationIds: [A, B] };
    const overlapping = { ...s('b', 30, 60), title: 'B', stationIds: [B] };
    const after = { ...s('c', 60, 60), title: 'C', stationIds: [A] };
    const elsewhere = { ...s('d', 0, 60), title: 'D', stationIds: ['c'.repeat(24)] };
    expect(findConflicts(a, [a, overlapping, after, elsewhere])).toEqual([{ sessionId: 'b', stationId: B, title: 'B' }]);
  });
});
