/**
 * Cross-site request forgery and upload ownership against the real store: state-changing API
 * requests from another origin, or with a body that is not JSON, are refused (403
 * CSRF_REJECTED) before they touch anything; a tus upload is visible only to its creator (404 to
 * everyone else, as if it did not exist), and an org admin may delete any.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let url: string;
let admin: string;
let cadre: string;
let lecturer: string;
let lecturer2: string;

// `inject` sends Host: localhost:80; the portal's own origin is then http://localhost.
const OWN = 'http://localhost';
const EVIL = 'https://evil.example';

beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  const created = await t.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: 'lecturer2', displayName: '第二位教师', password: 'jiangke2026', role: 'lecturer' } });
  expect(created.statusCode, created.body).toBe(201);
  lecturer2 = await login(t.app, 'lecturer2', 'jiangke2026');
});
afterAll(() => t?.close());

const send = (method: 'POST' | 'DELETE' | 'PUT', path: string, headers: Record<string, string>, payload?: string | object) =>
  t.app.inject({ method, url: path, headers, payload });

async function mySelections(): Promise<string[]> {
  const res = await t.app.inject({ url: '/api/study/selections', headers: { cookie: cadre } });
  expect(res.statusCode).toBe(200);
  return res.json().items.map((s: { id: string }) => s.id);
}

async function select(topic: string): Promise<string> {
  const res = await send('POST', '/api/study/selections', { cookie: cadre }, { topic });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

describe('cross-site request forgery', () => {
  it('refuses a text/plain POST and a DELETE from another origin that carry the cookie, changing nothing', async () => {
    const id = await select('基层治理');
    const before = await mySelections();
    const post = await send('POST', '/api/study/selections', { cookie: cadre, origin: EVIL, 'content-type': 'text/plain' }, JSON.stringify({ topic: '伪造' }));
    expect(post.statusCode).toBe(403);
    expect(post.json().error).toMatchObject({ code: 'CSRF_REJECTED' });
    expect(post.json().error.message).toMatch(/其他网站/);
    const withdraw = await send('DELETE', `/api/study/selections/${encodeURIComponent(id)}`, { cookie: cadre, origin: EVIL });
    expect(withdraw.statusCode).toBe(403);
    expect(await mySelections()).toEqual(before);
  });

  it('accepts JSON from the portal’s own origin, by Referer when Origin is absent, and from scripts that name none', async () => {
    expect((await send('POST', '/api/study/selections', { cookie: cadre, origin: OWN }, { topic: '乡村振兴' })).statusCode).toBe(201);
    expect((await send('POST', '/api/study/selections', { cookie: cadre, referer: `${OWN}/study` }, { topic: '党史学习' })).statusCode).toBe(201);
    expect((await send('POST', '/api/study/selections', { cookie: cadre }, { topic: '应急管理' })).statusCode).toBe(201);
  });

  it('refuses a body that is not JSON even when no origin is named', async () => {
    const before = await mySelections();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await send('POST', '/api/study/selections', { cookie: cadre, 'content-type': type }, 'topic=x');
      expect(res.statusCode, type).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'CSRF_REJECTED', details: { reason: 'content-type' } });
    }
    expect(await mySelections()).toEqual(before);
  });

  it('refuses Origin null and cross-site fetch metadata, unless the browser vouches for its own page', async () => {
    const refused: Record<string, string>[] = [
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: OWN },
      { referer: `${EVIL}/page` },
      { origin: `${OWN}.evil.example` },
    ];
    for (const headers of refused) {
      const res = await send('POST', '/api/study/selections', { cookie: cadre, ...headers }, { topic: '拒绝' });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().error.details).toEqual({ reason: 'origin' });
    }
    // Pages are served with Referrer-Policy: no-referrer, under which a browser may say Origin: null.
    expect((await send('POST', '/api/study/selections', { cookie: cadre, origin: 'null', 'sec-fetch-site': 'same-origin' }, { topic: '接受' })).statusCode).toBe(201);
  });

  it('refuses a login from another origin (login CSRF) and accepts one from the portal', async () => {
    const body = { username: 'cadre', password: DEMO_PASSWORD };
    expect((await send('POST', '/api/auth/login', { origin: EVIL }, body)).statusCode).toBe(403);
    expect((await send('POST', '/api/auth/login', { origin: OWN }, body)).statusCode).toBe(200);
  });

  it('reads a same-origin heartbeat beacon sent as text/plain as JSON, and refuses one that names no origin', async () => {
    const beacon = JSON.stringify({ beats: [] });
    const own = await send('POST', '/api/study/heartbeats', { cookie: cadre, origin: OWN, 'content-type': 'text/plain;charset=UTF-8' }, beacon);
    // Parsed as JSON and validated by the route: the empty list is what it objects to.
    expect(own.statusCode).toBe(400);
    expect(own.json().error.code).toBe('VALIDATION_ERROR');
    expect(own.json().error.messageEn).toMatch(/beats/);
    const blob = await send('POST', '/api/study/heartbeats', { cookie: cadre, origin: OWN, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, beacon);
    expect(blob.statusCode).toBe(400);
    expect(blob.json().error.messageEn).toMatch(/beats/);
    const bare = await send('POST', '/api/study/heartbeats', { cookie: cadre, 'content-type': 'text/plain' }, beacon);
    expect(bare.statusCode).toBe(403);
    expect(bare.json().error.code).toBe('CSRF_REJECTED');
  });
});

describe('upload ownership', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const tus = (cookie: string, extra: Record<string, string> = {}) => ({ cookie, 'tus-resumable': '1.0.0', ...extra });

  async function startUpload(cookie: string): Promise<string> {
    const lecture = await t.app.inject({ method: 'POST', url: '/api/lectures', headers: { cookie }, payload: { title: '上传归属测试', category: 'development' } });
    expect(lecture.statusCode, lecture.body).toBe(201);
    const res = await fetch(`${url}/api/uploads/`, {
      method: 'POST',
      headers: tus(cookie, { 'upload-length': '1000', 'upload-metadata': `lectureId ${b64(lecture.json().id)},filename ${b64('a.mp4')}` }),
    });
    expect(res.status, await res.text()).toBe(201);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/\/api\/uploads\/[^/]+$/);
    return url + new URL(location).pathname;
  }

  const patch = (upload: string, cookie: string, offset: number, extra: Record<string, string> = {}) =>
    fetch(upload, { method: 'PATCH', headers: tus(cookie, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }), body: Buffer.alloc(100, 7) });

  it('answers another lecturer’s HEAD, PATCH, DELETE and GET of an upload as for one that does not exist', async () => {
    const upload = await startUpload(lecturer);
    const missing = await fetch(`${url}/api/uploads/0123456789abcdef0123456789abcdef`, { method: 'PATCH', headers: tus(lecturer2, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }), body: Buffer.alloc(100) });
    const missingBody = await missing.text();
    expect(missing.status).toBe(404);
    const answers = {
      HEAD: await fetch(upload, { method: 'HEAD', headers: tus(lecturer2) }),
      PATCH: await patch(upload, lecturer2, 0),
      DELETE: await fetch(upload, { method: 'DELETE', headers: tus(lecturer2) }),
      GET: await fetch(upload, { method: 'GET', headers: tus(lecturer2) }),
    };
    for (const [method, res] of Object.entries(answers)) {
      expect(res.status, method).toBe(404);
      expect(await res.text(), method).toBe(method === 'HEAD' ? '' : missingBody);
      expect(res.headers.get('upload-offset'), method).toBeNull();
    }
    // The owner's upload is untouched and resumes where it was.
    const head = await fetch(upload, { method: 'HEAD', headers: tus(lecturer) });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
    const own = await patch(upload, lecturer, 0);
    expect(own.status).toBe(204);
    expect(own.headers.get('upload-offset')).toBe('100');
  });

  it('lets an org admin delete any upload, but not see or write it', async () => {
    const upload = await startUpload(lecturer2);
    expect((await fetch(upload, { method: 'HEAD', headers: tus(admin) })).status).toBe(404);
    expect((await patch(upload, admin, 0)).status).toBe(404);
    expect((await fetch(upload, { method: 'DELETE', headers: tus(admin) })).status).toBe(204);
    expect((await fetch(upload, { method: 'HEAD', headers: tus(lecturer2) })).status).toBe(404);
  });

  it('takes tus bytes from the portal’s own pages and refuses them from another origin', async () => {
    const upload = await startUpload(lecturer);
    const own = new URL(url).origin;
    const evil = await patch(upload, lecturer, 0, { origin: EVIL });
    expect(evil.status).toBe(403);
    expect((await evil.json()).error.code).toBe('CSRF_REJECTED');
    const ok = await patch(upload, lecturer, 0, { origin: own, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('upload-offset')).toBe('100');
    // tus answers no CORS headers: another origin's script could not read them anyway.
    expect(ok.headers.get('access-control-allow-origin')).toBeNull();
  });
});
