/**
 * The verification code of a completion certificate (结业证书), printed as a QR code: the
 * approach of the study record's (study-record/record-rules.ts): `token-mac`, `token` the
 * certificate's random 24-hex name and `mac` 16 hex of an HMAC under a key derived from the
 * portal's session secret (never the secret itself) with its own purpose, so a study record's
 * code never opens a certificate. A code whose mac fails was not issued by the portal, or was
 * altered: the public page answers "not found", as for a certificate that does not exist.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CERT_CODE_PATTERN = '^[0-9a-f]{24}-[0-9a-f]{16}$';
const CODE = new RegExp(CERT_CODE_PATTERN);

export function certificateKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('training-certificate-verification').digest();
}

export const newToken = () => randomBytes(12).toString('hex');

const mac = (key: Buffer, token: string) => createHmac('sha256', key).update(`training-certificate:${token}`).digest('hex').slice(0, 16);

export const signCertificate = (key: Buffer, token: string) => `${token}-${mac(key, token)}`;

/** The token of a code the portal signed, or null. */
export function openCertificateCode(key: Buffer, code: string): string | null {
  if (!CODE.test(code)) return null;
  const [token, given] = code.split('-') as [string, string];
  const want = Buffer.from(mac(key, token));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got) ? token : null;
}

export const certificateUrl = (origin: string, code: string) => `${origin.replace(/\/$/, '')}/verify-certificate/${code}`;
