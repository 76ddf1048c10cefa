/** Tiny HTTP helpers for tests that drive a listening portal: log in by API, call JSON endpoints. */
export const DEMO_PASSWORD = 'tongyu2026';

/** Logs in and returns the Cookie header value. */
export async function apiLogin(url: string, username: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** A JSON request that must succeed (status < 300); returns the parsed body. */
export async function apiCall(url: string, method: string, path: string, cookie: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, { method, headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json().catch(() => undefined)) as unknown;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
