/**
 * What the player does about an hls.js error (pure, so every branch has a unit test):
 *
 * - 403 from the media server: the playback token expired (PLAYBACK_EXPIRED) or no longer
 *   verifies (PLAYBACK_INVALID, a rotated secret) → ask for a new playback and reload the source
 *   at the current position ('renew'; the player refuses to renew twice within seconds, so a
 *   token refused at once is not retried forever). Another 403 code (FORBIDDEN: the lecture
 *   was withdrawn or the audience changed) is final.
 * - a fatal network error (connection lost, 5xx after hls.js's own retries) → wait and
 *   `startLoad()` again, with growing delays and a visible countdown, for as long as it takes:
 *   a village station's link comes back eventually, and a frozen frame explains nothing.
 * - a fatal media error → `recoverMediaError()`, then once more after swapping the audio codec,
 *   then give up with a message.
 * - anything non-fatal is hls.js's own business.
 */
export type Recovery = 'ignore' | 'renew' | 'retry-network' | 'recover-media' | 'swap-and-recover' | 'fatal';

export interface HlsErrorLike {
  type: string;
  details: string;
  fatal: boolean;
  /** HTTP status of the failed load, if any. */
  status?: number;
  /** The server's error code read from the failed response's body, if any. */
  code?: string;
}

export interface RecoveryContext {
  /** Media recoveries tried in the last few seconds. */
  mediaRecoveries: number;
}

/** Seconds to wait before network retry number `attempt` (0-based): 1, 2, 4, 8, 15, then 30. */
export const RETRY_DELAYS_SEC = [1, 2, 4, 8, 15, 30] as const;

export function retryDelaySec(attempt: number): number {
  return RETRY_DELAYS_SEC[Math.min(Math.max(0, attempt), RETRY_DELAYS_SEC.length - 1)]!;
}

const RENEWABLE = new Set(['PLAYBACK_EXPIRED', 'PLAYBACK_INVALID']);

export function decideRecovery(error: HlsErrorLike, context: RecoveryContext): Recovery {
  if (error.status === 403 || error.status === 401) {
    if (error.code && !RENEWABLE.has(error.code) && error.status === 403) return 'fatal';
    return 'renew';
  }
  if (!error.fatal) return 'ignore';
  if (error.type === 'networkError') {
    // A playlist or segment that is not there will not appear by retrying.
    if (error.status === 404 || error.status === 410) return 'fatal';
    return 'retry-network';
  }
  if (error.type === 'mediaError') {
    if (context.mediaRecoveries === 0) return 'recover-media';
    if (context.mediaRecoveries === 1) return 'swap-and-recover';
    return 'fatal';
  }
  return 'fatal';
}

/** The `error.code` of a JSON error body (`{ error: { code } }`), from text or bytes. */
export function errorCodeFromBody(body: unknown): string | undefined {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof ArrayBuffer) text = new TextDecoder().decode(body);
  else if (ArrayBuffer.isView(body)) text = new TextDecoder().decode(body);
  if (!text || text.length > 4096) return undefined;
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
