/**
 * Playback tokens: `<payload>.<hmac>` in the media URL path, so every relative URL inside the
 * HLS playlists carries it. The payload names the lecture, the user, the playback session and
 * an expiry; a copied segment URL stops working when the token expires, and a token for one
 * lecture opens nothing of another. Pure functions (secret and clock passed in).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface PlaybackClaims {
  /** lecture id */
  l: string;
  /** user id */
  u: string;
  /** playback session id */
  p: string;
  /** expiry, seconds since epoch */
  e: number;
}

const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('base64url');

export function signPlayback(claims: PlaybackClaims, secret: string): string {
  const data = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${data}.${mac(secret, data)}`;
}

export type VerifyResult = { ok: true; claims: PlaybackClaims } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyPlayback(token: string, secret: string, nowMs = Date.now()): VerifyResult {
  const [data, sig, extra] = token.split('.');
  if (!data || !sig || extra !== undefined) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(mac(secret, data));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  let claims: PlaybackClaims;
  try {
    claims = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as PlaybackClaims;
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (typeof claims.l !== 'string' || typeof claims.u !== 'string' || typeof claims.p !== 'string' || typeof claims.e !== 'number') {
    return { ok: false, reason: 'invalid' };
  }
  if (claims.e * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
