/**
 * Posting statements to an LRS (xAPI 1.0.3, POST /statements with an array). What an answer means
 * for delivery: 2xx stored; 409 Conflict means the LRS already holds a statement with one of the
 * ids (ours are deterministic, so it is ours: delivered); another 4xx is a refusal of the content
 * (sent one by one, to tell which statement); 5xx, 429, a timeout or no answer is temporary (retry).
 */
export interface LrsConfig {
  url: string;
  auth?: string;
  timeoutMs: number;
}

export type PostOutcome = { kind: 'stored' } | { kind: 'conflict' } | { kind: 'refused'; error: string } | { kind: 'temporary'; error: string };

export async function postStatements(cfg: LrsConfig, statements: readonly object[], signal?: AbortSignal): Promise<PostOutcome> {
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  try {
    const res = await fetch(`${cfg.url.replace(/\/$/, '')}/statements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', ...(cfg.auth ? { authorization: cfg.auth } : {}) },
      body: JSON.stringify(statements),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text().catch(() => '');
    if (res.ok) return { kind: 'stored' };
    if (res.status === 409) return { kind: 'conflict' };
    const error = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 403 || res.status === 408) return { kind: 'temporary', error };
    return { kind: 'refused', error };
  } catch (err) {
    if (signal?.aborted) throw err;
    const e = err as Error;
    return { kind: 'temporary', error: timeout.aborted ? `no answer within ${cfg.timeoutMs} ms` : `${e.name}: ${e.message}${(e.cause as Error | undefined)?.message ? ` (${(e.cause as Error).message})` : ''}` };
  }
}
