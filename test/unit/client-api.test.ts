import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, withQuery } from '../../client/src/lib/api/client';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('client api wrapper', () => {
  it('sends JSON with same-origin credentials and parses the answer', async () => {
    const fetch = vi.fn(async () => json(200, { user: { id: '1' } }));
    const client = new ApiClient({ fetch });
    await expect(client.post('/api/auth/login', { username: 'cadre', password: 'x' })).resolves.toEqual({ user: { id: '1' } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/auth/login');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/json');
    expect(init.body).toBe('{"username":"cadre","password":"x"}');
  });

  it('resolves a 204 answer to undefined', async () => {
    const client = new ApiClient({ fetch: async () => new Response(null, { status: 204 }) });
    await expect(client.post('/api/auth/logout')).resolves.toBeUndefined();
  });

  it('turns an error body into an ApiError with status, code and both messages', async () => {
    const body = { error: { code: 'ACCOUNT_LOCKED', message: '已锁定', messageEn: 'locked', details: { lockedUntil: '2026-01-01T00:00:00.000Z' } } };
    const client = new ApiClient({ fetch: async () => json(423, body) });
    const error = await client.post('/api/auth/login', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 423, code: 'ACCOUNT_LOCKED', message: '已锁定', messageEn: 'locked', details: body.error.details });
  });

  it('reads Retry-After into retryAfter seconds', async () => {
    const client = new ApiClient({ fetch: async () => json(429, { error: { code: 'RATE_LIMITED', message: '太频繁' } }, { 'retry-after': '42' }) });
    await expect(client.get('/api/lectures')).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfter: 42 });
  });

  it('gives a stable code to error answers that are not JSON', async () => {
    const client = new ApiClient({ fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }) });
    await expect(client.get('/api/lectures')).rejects.toMatchObject({ status: 502, code: 'SERVER_ERROR' });
  });

  it('reports a failed connection as NETWORK_ERROR with status 0', async () => {
    const client = new ApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(client.get('/api/auth/me')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('calls onUnauthenticated when a request finds the session gone, but not for the session probe', async () => {
    const onUnauthenticated = vi.fn();
    const client = new ApiClient({ fetch: async () => json(401, { error: { code: 'UNAUTHENTICATED', message: '请先登录' } }), onUnauthenticated });
    await client.get('/api/auth/me').catch(() => {});
    expect(onUnauthenticated).not.toHaveBeenCalled();
    await client.get('/api/lectures').catch(() => {});
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('does not treat a wrong password (401 INVALID_CREDENTIALS) as a lost session', async () => {
    const onUnauthenticated = vi.fn();
    const client = new ApiClient({ fetch: async () => json(401, { error: { code: 'INVALID_CREDENTIALS', message: '错误' } }), onUnauthenticated });
    await client.post('/api/auth/login', {}).catch(() => {});
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('builds query strings without empty values', () => {
    expect(withQuery('/api/lectures', { page: 2, category: undefined, q: '' })).toBe('/api/lectures?page=2');
    expect(withQuery('/api/lectures', {})).toBe('/api/lectures');
  });
});
