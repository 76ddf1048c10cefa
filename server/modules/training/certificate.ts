/**
 * The certificate (结业证书) a cadre may attach to an external training record: a scan or photo,
 * sent as base64 in the JSON body (as the roster import sends its workbook), at most 4 MB, and
 * only a JPEG, PNG or PDF as its first bytes say (the name and the browser's type are not
 * trusted). Pure: no I/O.
 */
import { AppError } from '../../errors';

export const CERT_MAX_BYTES = 4 * 1024 * 1024;
export const certificateTypes = ['image/jpeg', 'image/png', 'application/pdf'] as const;
export type CertificateType = (typeof certificateTypes)[number];

const bad = (code: string, zh: string, en: string) => new AppError(400, code, zh, en, { field: 'certificate' });

/** The type the bytes are, or null. */
export function sniffCertificate(buf: Buffer): CertificateType | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length >= 5 && buf.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return null;
}

/** Decodes and checks an attached certificate; throws a 400 naming `certificate`. */
export function readCertificate(base64: string): { bytes: Buffer; type: CertificateType } {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw bad('TRAINING_CERTIFICATE_EMPTY', '证书文件为空', 'The certificate file is empty');
  if (bytes.length > CERT_MAX_BYTES) throw bad('TRAINING_CERTIFICATE_TOO_LARGE', '证书文件不能超过 4 MB', 'The certificate file may be at most 4 MB');
  const type = sniffCertificate(bytes);
  if (!type) throw bad('TRAINING_CERTIFICATE_TYPE', '证书须为 JPG、PNG 图片或 PDF 文件', 'The certificate must be a JPG or PNG image or a PDF');
  return { bytes, type };
}

export const certificateKey = (claimId: string) => `training/certificates/${claimId}`;
