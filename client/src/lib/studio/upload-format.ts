/**
 * Pure helpers for the studio's upload panel: what a lecture file may be, byte sizes as people
 * read them, the progress line ("37% · 12.3 MB / 33.1 MB"), and turning a tus failure into the
 * portal's ApiError so the server's reason (422 MEDIA_REJECTED) reaches the screen.
 */
import { ApiError, type ApiErrorBody } from '../api/client.ts';

/** Extensions accepted when the browser reports no MIME type for the file. */
const MEDIA_EXTENSIONS = new Set([
  'mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'wmv', 'flv', 'ts', 'mts', 'm2ts', 'mpg', 'mpeg', '3gp',
  'mp3', 'm4a', 'aac', 'wav', 'flac', 'ogg', 'opus', 'wma', 'amr',
]);

export const ACCEPT = 'video/*,audio/*';

/** Video or audio by MIME type, or by extension when the type is unknown. */
export function isMediaFile(file: { name: string; type: string }): boolean {
  if (file.type) return file.type.startsWith('video/') || file.type.startsWith('audio/');
  const ext = file.name.includes('.') ? file.name.split('.').pop()!.toLowerCase() : '';
  return MEDIA_EXTENSIONS.has(ext);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** 1024-based, one decimal from KB up: "512 B", "12.3 MB", "4.0 GB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Whole percent, never 100 before the last byte is in. */
export function percentOf(sent: number, total: number): number {
  if (total <= 0) return 0;
  if (sent >= total) return 100;
  return Math.min(99, Math.floor((sent / total) * 100));
}

export function progressText(sent: number, total: number): string {
  return `${percentOf(sent, total)}% · ${formatBytes(sent)} / ${formatBytes(total)}`;
}

/** Hours, minutes and seconds of an estimate, rounded up to whole seconds. */
export function etaParts(seconds: number): { h: number; m: number; s: number } {
  const total = Math.max(0, Math.ceil(seconds));
  return { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}

/** What tus-js-client hands to onError: a DetailedError with the last response, if any. */
export interface TusErrorLike {
  message?: string;
  originalResponse?: { getStatus(): number; getBody(): string } | null;
}

/** The failure as an ApiError: the server's `{ error }` body when it sent one, else NETWORK_ERROR. */
export function uploadError(error: TusErrorLike | Error): ApiError {
  const response = 'originalResponse' in error ? error.originalResponse : null;
  if (!response) return new ApiError(0, 'NETWORK_ERROR', error.message ?? 'upload failed');
  const status = response.getStatus();
  let body: unknown;
  try {
    body = JSON.parse(response.getBody());
  } catch {
    body = undefined;
  }
  const parsed = (body as ApiErrorBody | undefined)?.error;
  if (parsed && typeof parsed.code === 'string') {
    return new ApiError(status, parsed.code, parsed.message ?? parsed.messageEn ?? parsed.code, parsed.messageEn, parsed.details);
  }
  const code = status === 413 ? 'UPLOAD_TOO_LARGE' : status >= 500 ? 'SERVER_ERROR' : status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`;
  return new ApiError(status, code, error.message ?? code);
}

/**
 * `details.reason` of a MEDIA_REJECTED answer, when it is words the message does not already
 * say (a bare machine code such as "not-media" is for logs, not for people).
 */
export function rejectionReason(error: unknown, shown: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  if (typeof reason !== 'string' || !reason || shown.includes(reason)) return undefined;
  return /^[a-z0-9_-]+$/i.test(reason) ? undefined : reason;
}
