/**
 * A small typed fetch wrapper for the portal API.
 *
 * Rules: requests and responses are JSON, cookies go along (`credentials: 'same-origin'`, the
 * session is an httpOnly cookie the page never sees), 204 answers resolve to `undefined`.
 * Any non-2xx answer becomes an `ApiError` carrying the HTTP status and the server's stable
 * `code`; the UI picks its text by that code (see i18n `errorMessage`), so the server's own
 * `message`/`messageEn` are only a fallback. A failed connection is an `ApiError` with status 0
 * and code `NETWORK_ERROR`.
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

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.#send(method, path, body, signal, 'application/json');
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** GET a text resource (a WebVTT file, a playlist), with the same error handling. */
  async text(path: string, signal?: AbortSignal): Promise<string> {
    const response = await this.#send('GET', path, undefined, signal, 'text/plain, text/vtt, */*');
    return response.text();
  }

  async #send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    const init: RequestInit = { method, headers, credentials: 'same-origin', signal };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await this.#fetch(this.#baseUrl + path, init);
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'NETWORK_ERROR', cause instanceof Error ? cause.message : String(cause));
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (error.code === 'UNAUTHENTICATED' && path !== '/api/auth/me') this.onUnauthenticated?.();
      throw error;
    }
    return response;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, body, signal);
  }

  patch<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PATCH', path, body, signal);
  }

  delete<T = void>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('DELETE', path, undefined, signal);
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
