/**
 * A small typed fetch wrapper for the portal API.
 *
 * Rules: requests and responses are JSON, cookies go along (`credentials: 'same-origin'`, the
 * session is an httpOnly cookie the page never sees), 204 answers resolve to `undefined`.
 * Any non-2xx answer becomes an `ApiError` carrying the HTTP status and the server's stable
 * `code`; the UI picks its text by that code (see i18n `errorMessage`), so the server's own
 * `message`/`messageEn` are only a fallback. A failed connection is an `ApiError` with status 0
 * and code `NETWORK_ERROR`.
 * Every request has a deadline (a black-holed link, where connections open and nothing answers,
 * must not hang a page): READ_TIMEOUT_MS for reads, WRITE_TIMEOUT_MS plus time for the body's
 * size for writes, or the caller's `timeoutMs`. Past it the request is aborted and rejects with
 * an `ApiError` of status 0 and code `NETWORK_TIMEOUT`. A caller's own signal still aborts it
 * with the usual AbortError.
 */

export interface ApiErrorBody {
  error: { code: string; message?: string; messageEn?: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageEn?: string,
    readonly details?: unknown,
    /** Seconds from a `Retry-After` header (429 and 423 answers may carry one). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Deadlines: a few seconds for reads, longer for writes, and more for large bodies. */
export const READ_TIMEOUT_MS = 10_000;
export const WRITE_TIMEOUT_MS = 30_000;
const BODY_BYTES_PER_SECOND = 64 * 1024;

/** Per-call options: the caller's signal, and its own deadline (ms; 0 means none). */
export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The deadline of a request: the caller's, else by method and body size. */
export function deadlineOf(method: string, bodyLength: number, timeoutMs?: number): number {
  if (timeoutMs !== undefined) return timeoutMs;
  if (method === 'GET' || method === 'HEAD') return READ_TIMEOUT_MS;
  return WRITE_TIMEOUT_MS + Math.ceil(bodyLength / BODY_BYTES_PER_SECOND) * 1000;
}

/** AbortSignal.timeout where the browser has it (older phones' WebViews may not). */
export function timeoutSignal(ms: number): AbortSignal {
  if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
  return controller.signal;
}

/** AbortSignal.any where the browser has it, else the same by hand. */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([...signals]);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

const optionsOf = (o: AbortSignal | RequestOptions | undefined): RequestOptions => (o === undefined ? {} : o instanceof AbortSignal ? { signal: o } : o);

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** Prefix for every path; '' means same origin. */
  baseUrl?: string;
  fetch?: FetchLike;
  /** Called when a request (other than the session probe itself) finds the session gone. */
  onUnauthenticated?: () => void;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Turns a non-2xx response into an ApiError, whatever its body looks like. */
export async function toApiError(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) {
    const { code, message, messageEn, details } = body.error;
    return new ApiError(response.status, code, message ?? messageEn ?? code, messageEn, details, retryAfter);
  }
  // A proxy page or an unexpected shape: keep the status, invent a stable code.
  const code = response.status === 429 ? 'RATE_LIMITED' : response.status >= 500 ? 'SERVER_ERROR' : `HTTP_${response.status}`;
  return new ApiError(response.status, code, response.statusText || code, undefined, undefined, retryAfter);
}

export class ApiClient {
  readonly #baseUrl: string;
  readonly #fetch: FetchLike;
  onUnauthenticated: (() => void) | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.#baseUrl = options.baseUrl ?? '';
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onUnauthenticated = options.onUnauthenticated;
  }

  async request<T>(method: string, path: string, body?: unknown, options?: AbortSignal | RequestOptions): Promise<T> {
    return this.#send(method, path, body, optionsOf(options), 'application/json', async (response) => {
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    });
  }

  /** GET a text resource (a WebVTT file, a playlist), with the same error handling. */
  async text(path: string, options?: AbortSignal | RequestOptions): Promise<string> {
    return this.#send('GET', path, undefined, optionsOf(options), 'text/plain, text/vtt, */*', (response) => response.text());
  }

  /** Sends and reads the answer (`read`) under one deadline: a body that stops arriving times out too. */
  async #send<T>(method: string, path: string, body: unknown, options: RequestOptions, accept: string, read: (response: Response) => Promise<T>): Promise<T> {
    const headers: Record<string, string> = { accept };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const ms = deadlineOf(method, typeof init.body === 'string' ? init.body.length : 0, options.timeoutMs);
    const deadline = ms > 0 ? timeoutSignal(ms) : undefined;
    const signals = [options.signal, deadline].filter((x): x is AbortSignal => x !== undefined);
    init.signal = signals.length > 1 ? anySignal(signals) : signals[0];
    // The caller's own abort stays an AbortError; the deadline's becomes NETWORK_TIMEOUT.
    const failed = (cause: unknown) => {
      if (options.signal?.aborted) return cause;
      if (deadline?.aborted) return new ApiError(0, 'NETWORK_TIMEOUT', `No answer within ${ms} ms`, undefined, { timeoutMs: ms });
      if (cause instanceof DOMException && cause.name === 'AbortError') return cause;
      return new ApiError(0, 'NETWORK_ERROR', cause instanceof Error ? cause.message : String(cause));
    };
    let response: Response;
    try {
      response = await this.#fetch(this.#baseUrl + path, init);
    } catch (cause) {
      throw failed(cause);
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (error.code === 'UNAUTHENTICATED' && path !== '/api/auth/me') this.onUnauthenticated?.();
      throw error;
    }
    try {
      return await read(response);
    } catch (cause) {
      // A JSON parse error is the server's fault, not the link's: rethrown as it is.
      if (cause instanceof SyntaxError) throw cause;
      throw failed(cause);
    }
  }

  get<T>(path: string, options?: AbortSignal | RequestOptions): Promise<T> {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T>(path: string, body?: unknown, options?: AbortSignal | RequestOptions): Promise<T> {
    return this.request<T>('POST', path, body, options);
  }

  patch<T>(path: string, body?: unknown, options?: AbortSignal | RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, body, options);
  }

  delete<T = void>(path: string, options?: AbortSignal | RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, undefined, options);
  }
}

/** Builds `path?key=value&…`, skipping undefined and empty values. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The app-wide client. */
export const api = new ApiClient();
