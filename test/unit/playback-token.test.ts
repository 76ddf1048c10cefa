import { describe, expect, it } from 'vitest';
import { signPlayback, verifyPlayback } from '../../server/modules/playback/token';

const secret = 'x'.repeat(40);
const claims = { l: 'lecture1', u: 'user1', p: 'pb1', e: 2_000_000_000 };

describe('playback tokens', () => {
  it('round-trips the claims before expiry', () => {
    expect(verifyPlayback(signPlayback(claims, secret), secret, 1_900_000_000_000)).toEqual({ ok: true, claims });
  });
  it('refuses an expired token', () => {
    expect(verifyPlayback(signPlayback(claims, secret), secret, 2_000_000_000_000)).toEqual({ ok: false, reason: 'expired' });
  });
  it('refuses a token whose payload was edited to another lecture', () => {
    const [, sig] = signPlayback(claims, secret).split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...claims, l: 'lecture2' })).toString('base64url')}.${sig}`;
    expect(verifyPlayback(forged, secret, 0)).toEqual({ ok: false, reason: 'invalid' });
  });
  it('refuses a token signed with another secret, and garbage', () => {
    expect(verifyPlayback(signPlayback(claims, 'y'.repeat(40)), secret, 0).ok).toBe(false);
    expect(verifyPlayback('abc', secret, 0).ok).toBe(false);
    expect(verifyPlayback('a.b.c', secret, 0).ok).toBe(false);
  });
});
