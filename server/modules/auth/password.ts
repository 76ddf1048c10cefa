/**
 * Password hashing with scrypt (node:crypto, memory-hard), stored as
 * `scrypt$N$r$p$salt$hash` so the cost can be raised later without breaking old hashes.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (pw: string, salt: Buffer, len: number, opts: ScryptOptions) =>
  new Promise<Buffer>((res, rej) => scryptCb(pw, salt, len, opts, (err, key) => (err ? rej(err) : res(key))));

const N = 16384;
const r = 8;
const p = 1;
const KEYLEN = 64;

/**
 * Cost for one-time passwords the server generates (a reset, a roster import). scrypt's cost is
 * there to slow guessing of passwords people choose; a generated one carries ~59 random bits and
 * must be changed at first login, so a lower cost loses nothing and lets an import of thousands
 * of cadres hash in seconds (~4 ms instead of ~95 ms each). The cost is stored in the hash.
 */
const ONE_TIME_N = 1024;

export async function hashPassword(password: string, cost: { N: number } = { N }): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N: cost.N, r, p });
  return `scrypt$${cost.N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The hash of a generated one-time password (see ONE_TIME_N). */
export const hashOneTimePassword = (password: string) => hashPassword(password, { N: ONE_TIME_N });

/** Letters and digits that cannot be misread on a printed slip (no 0/o, 1/l/i). */
const OTP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * A one-time password like `k7fm-3qxa-p9td`: 12 characters from 31 (about 59 bits), grouped by
 * four for reading aloud or from a slip; always with a letter and a digit (isStrongEnough).
 */
export function generateOneTimePassword(): string {
  for (;;) {
    const bytes = randomBytes(12);
    // 256 % 31 leaves a bias below 1 %: irrelevant at 59 bits.
    const chars = [...bytes].map((b) => OTP_ALPHABET[b % OTP_ALPHABET.length]!);
    const pw = [chars.slice(0, 4), chars.slice(4, 8), chars.slice(8)].map((g) => g.join('')).join('-');
    if (isStrongEnough(pw)) return pw;
  }
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, rr, pp, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(rr),
    p: Number(pp),
    maxmem: 256 * Number(n) * Number(rr),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** At least 8 characters with a letter and a digit: the regulation-era minimum for office systems. */
export function isStrongEnough(password: string): boolean {
  return password.length >= 8 && /[A-Za-z]/.test(password) && /\d/.test(password);
}
