import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, READ_TIMEOUT_MS, WRITE_TIMEOUT_MS, deadlineOf } from '../../client/src/lib/api/client';

// A black-holed link: connections open, nothing answers (or the body stops half way).
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/api/half') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
      return;
    }
    if (req.url === '/api/ok') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
    // anything else: never answered
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('client api deadlines', () => {
  it('rejects a request nobody answers with NETWORK_TIMEOUT at its deadline', async () => {
    const client = new ApiClient({ baseUrl: base });
    const started = Date.now();
    await expect(client.get('/api/kiosk/state', { timeoutMs: 300 })).rejects.toMatchObject({ status: 0, code: 'NETWORK_TIMEOUT' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(3000);
  });

  it('times out a body that stops arriving half way', async () => {
    const client = new ApiClient({ baseUrl: base });
    await expect(client.get('/api/half', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'NETWORK_TIMEOUT' });
  });

  it('answers within the deadline as before', async () => {
    const client = new ApiClient({ baseUrl: base });
    await expect(client.get('/api/ok', { timeoutMs: 2000 })).resolves.toEqual({ ok: true });
  });

  it('keeps a caller abort an AbortError, not a timeout', async () => {
    const client = new ApiClient({ baseUrl: base });
    const controller = new AbortController();
    const pending = client.get('/api/never', controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
  });

  it('combines the caller signal with the deadline', async () => {
    let seen: AbortSignal | undefined;
    const client = new ApiClient({
      fetch: (_url, init) => {
        seen = init?.signal ?? undefined;
        return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
      },
    });
    const controller = new AbortController();
    await expect(client.post('/api/kiosk/checkin', { username: 'a' }, { signal: controller.signal, timeoutMs: 100 })).rejects.toMatchObject({ code: 'NETWORK_TIMEOUT' });
    expect(seen).toBeDefined();
    expect(controller.signal.aborted).toBe(false);
  });

  it('keeps its deadline in browsers without AbortSignal.any and AbortSignal.timeout', async () => {
    const { any, timeout } = AbortSignal;
    Object.assign(AbortSignal, { any: undefined, timeout: undefined });
    try {
      const client = new ApiClient({ baseUrl: base });
      await expect(client.get('/api/never', { signal: new AbortController().signal, timeoutMs: 200 })).rejects.toMatchObject({ code: 'NETWORK_TIMEOUT' });
    } finally {
      Object.assign(AbortSignal, { any, timeout });
    }
  });

  it('gives reads a few seconds and writes longer, more for large bodies', () => {
    expect(deadlineOf('GET', 0)).toBe(READ_TIMEOUT_MS);
    expect(deadlineOf('POST', 10)).toBe(WRITE_TIMEOUT_MS + 1000);
    expect(deadlineOf('POST', 4 * 1024 * 1024)).toBeGreaterThan(WRITE_TIMEOUT_MS + 60_000);
    expect(deadlineOf('GET', 0, 5000)).toBe(5000);
    expect(deadlineOf('POST', 0, 0)).toBe(0);
  });
});
