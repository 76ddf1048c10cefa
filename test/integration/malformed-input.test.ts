/**
 * No 5xx from any input (issue 12, hardening). Every route, found in the OpenAPI document and in
 * the router itself (the hidden media routes), is driven with fast-check by every role and by no
 * one: bodies of the wrong type, deep or huge, raw JSON text no serialiser writes (NaN, 1e999,
 * lone surrogates as raw bytes), the wrong content type; query strings with repeated keys,
 * arrays and `__proto__`; path segments with NUL, dots, backslashes and trailing slashes; huge
 * cookies, bad Range and conditional headers, lying Content-Lengths. Every answer is below 500;
 * a 4xx names a code and a message; and a run in which every changing request was refused
 * leaves the store exactly as it was (document counts of every collection, and the contents of
 * users, lectures, the credit ledger and the study summaries).
 * Reproducible: fixed seeds; fast-check prints the seed and the counterexample on failure.
 * What is sent and how an answer is checked: test/helpers/fuzz-inputs.ts.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { badHeaders, bodyArb, check, cookieHeader, pathSegment, queryString, realIds, restPath, shortReport, type Method, type Route, type Schema } from '../helpers/fuzz-inputs';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
/** Runs per route and per kind of input: about 90 routes, so 4 kinds x 90 x RUNS requests. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);

let t: TestApp;
type Who = 'anon' | 'orgadmin' | 'unitadmin' | 'cadre' | 'lecturer' | 'station' | 'kiosk';
const WHO: Who[] = ['anon', 'orgadmin', 'unitadmin', 'cadre', 'lecturer', 'station', 'kiosk'];
const cookies: Record<Who, string> = { anon: '' } as Record<Who, string>;
let lectureId: string;
let hlsToken: string;

let routes: Route[] = [];

/** Routes the OpenAPI document hides. */
const HIDDEN = ['GET /media/hls/:token/*', 'HEAD /media/hls/:token/*', 'GET /media/station/:lectureId/*', 'HEAD /media/station/:lectureId/*', 'GET /media/posters/:id'];
/** Routes that would end the sessions the rest of the run depends on. */
const SKIP = new Set(['POST /api/auth/logout']);

async function send(opts: { method: Method; url: string; who: Who; headers?: Record<string, string>; payload?: string | Buffer }) {
  const headers: Record<string, string> = { ...(cookies[opts.who] ? { cookie: cookies[opts.who] } : {}), ...opts.headers };
  return t.app.inject({ method: opts.method, url: opts.url, headers, ...(opts.payload === undefined ? {} : { payload: opts.payload }) });
}

// ---- the store, before and after -------------------------------------------------------------

const HASHED = ['users', 'lectures', 'creditledgers', 'studysummaries'];

async function snapshot(): Promise<Record<string, string | number>> {
  const db = t.app.store.conn.db!;
  // Login sessions are left out: heal() logs in again when an accepted request ended one.
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => n !== 'sessions');
  const entries = await Promise.all(
    names.map(async (name): Promise<[string, string | number][]> => {
      const count: [string, number] = [name, await db.collection(name).countDocuments()];
      if (!HASHED.includes(name)) return [count];
      const rows = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
      return [count, [`${name}#`, createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16)]];
    }),
  );
  return Object.fromEntries(entries.flat().sort(([a], [b]) => a.localeCompare(b)));
}

// ---- what to send (the arbitraries: test/helpers/fuzz-inputs.ts) -------------------------------

function fillPath(url: string, withReal = true): fc.Arbitrary<string> {
  const names = url.split('/').filter((p) => p.startsWith(':') || p === '*');
  if (names.length === 0) return fc.constant(url);
  // A real value half of the time, so the other parts of the path reach the handler.
  const real = (n: string) => fc.constant(null).map(() => realPath(n));
  return fc.tuple(...names.map((n) => (n === '*' ? restPath : withReal ? fc.oneof(real(n), pathSegment) : pathSegment))).map((values) => {
    let i = 0;
    return url.split('/').map((p) => (p.startsWith(':') || p === '*' ? values[i++] : p)).join('/');
  });
}

/** A path a route answers with a real id or the real playback token, so query and header checks get inside. */
function realPath(url: string): string {
  return url.replace(':token', hlsToken).replace(/:lectureId|:id|:unitId/g, lectureId).replace(/:rank/, 'township').replace(/:lang/, 'zh').replace(/:file/, `${lectureId}.ics`).replace('*', 'master.m3u8');
}

// ---- who sends, and what was answered (`check`: test/helpers/fuzz-inputs.ts) ---------------------

/** Who sends: anyone, but mostly the kiosk on kiosk and station-media routes (no one else gets in). */
function whoFor(route: Route): fc.Arbitrary<Who> {
  const any = fc.constantFrom(...WHO);
  return /^\/(api\/kiosk|media\/station)\//.test(route.url) ? fc.oneof({ arbitrary: fc.constant<Who>('kiosk'), weight: 3 }, { arbitrary: any, weight: 1 }) : any;
}

/** Every status each route answered, over all kinds of input. */
const reached = new Map<string, number[]>();

const CHANGING = new Set<Method>(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Undoes what a request valid by accident may have done to the fixtures the rest depends on:
 * logs every role in again (and enables a disabled account), publishes the lecture again.
 */
async function heal() {
  const lecture = await t.app.store.models.Lecture.findById(lectureId, { state: 1 }).lean();
  if (lecture?.state !== 'published') expect((await api('POST', `/api/lectures/${lectureId}/publish`, 'lecturer')).status).toBe(200);
  await t.app.store.models.User.updateMany({ username: { $in: ['orgadmin', 'unitadmin', 'cadre', 'lecturer', 'station'] } }, { $set: { disabled: false } });
  for (const who of ['orgadmin', 'unitadmin', 'cadre', 'lecturer', 'station'] as const) {
    const me = await send({ method: 'GET', url: '/api/auth/me', who });
    if (me.statusCode !== 200) cookies[who] = await login(t.app, who, DEMO_PASSWORD);
  }
}

/**
 * Runs the property over every route picked, with a seed of its own per route, and checks the
 * store is unchanged: after each route whose changing requests were all refused (requests valid
 * by accident, listed in `accepted`, are left out of that check), or for reads once around them all.
 */
async function fuzzRoutes(kind: string, pick: (r: Route) => boolean, make: (r: Route) => fc.Arbitrary<{ who: Who; url: string; headers?: Record<string, string>; payload?: string | Buffer }>) {
  const accepted: string[] = [];
  let requests = 0;
  const picked = routes.filter(pick);
  const writes = picked.some((r) => CHANGING.has(r.method));
  await heal();
  const first = await snapshot();
  for (const [i, route] of picked.entries()) {
    if (writes) await heal();
    const before = writes ? await snapshot() : first;
    let changed = false;
    await fc.assert(
      fc.asyncProperty(make(route), async (req) => {
        const res = await send({ method: route.method, url: req.url, who: req.who, headers: req.headers, payload: req.payload });
        requests++;
        const key = `${route.method} ${route.url}`;
        reached.set(key, [...(reached.get(key) ?? []), res.statusCode]);
        check(`${kind} ${route.method} ${req.url.slice(0, 200)} as ${req.who}`, route.method, req.url, res);
        if (CHANGING.has(route.method) && res.statusCode < 400) {
          changed = true;
          accepted.push(`${route.method} ${route.url} -> ${res.statusCode}`);
        }
      }),
      { seed: SEED + i, numRuns: RUNS, endOnFailure: true, reporter: shortReport(SEED) },
    );
    if (writes && !changed) expect(await snapshot(), `${kind} ${route.method} ${route.url} changed the store`).toEqual(before);
  }
  if (!writes) expect(await snapshot(), `${kind}: reads changed the store`).toEqual(first);
  return { accepted, requests };
}

// ---- setup -----------------------------------------------------------------------------------

async function api(method: Method, url: string, who: Who, body?: object) {
  const res = await send({ method, url, who, ...(body ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) } : {}) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, cookies: res.cookies };
}

/** Every route the router answers, from printRoutes (which also shows hidden ones). */
function routerRoutes(): { method: Method; url: string }[] {
  const out: { method: Method; url: string }[] = [];
  const stack: string[] = [];
  for (const line of t.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[└├]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const url = stack.join('');
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) out.push({ method: method as Method, url });
  }
  return out;
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  for (const who of ['orgadmin', 'unitadmin', 'cadre', 'lecturer', 'station'] as const) cookies[who] = await login(t.app, who, DEMO_PASSWORD);

  // A published lecture with media (the pipeline is tested elsewhere), a playback token for it,
  // a paired station with a session of it today: so media and kiosk routes reach their files.
  const created = await api('POST', '/api/lectures', 'lecturer', { title: '畸形输入专题', category: 'development', creditHours: 1 });
  expect(created.status).toBe(201);
  lectureId = created.body.id;
  const dir = `${t.env.DATA_DIR}/media/fuzz`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/master.m3u8`, '#EXTM3U\n');
  mkdirSync(dirname(`${dir}/v0/seg_1.ts`), { recursive: true });
  writeFileSync(`${dir}/v0/seg_1.ts`, Buffer.alloc(4096));
  const set = await t.app.store.models.Lecture.updateOne({ _id: lectureId }, { $set: { media: { prefix: 'fuzz', master: 'master.m3u8', segmentSec: 4 }, durationSec: 600 } });
  expect(set.modifiedCount).toBe(1);
  expect((await api('POST', `/api/lectures/${lectureId}/publish`, 'lecturer')).status).toBe(200);
  const pb = await api('POST', `/api/lectures/${lectureId}/playback`, 'cadre');
  expect(pb.status).toBe(200);
  hlsToken = String(pb.body.masterUrl).split('/')[3]!;
  expect((await send({ method: 'GET', url: pb.body.masterUrl, who: 'cadre' })).statusCode).toBe(200);

  const st = await api('POST', '/api/stations', 'orgadmin', { name: '畸形输入站', type: 'village', unitId: String(seeded.unitIds.get('苏公坨村党支部')) });
  expect(st.status).toBe(201);
  const code = await api('POST', `/api/stations/${st.body.id}/pairing`, 'orgadmin');
  expect(code.status).toBe(200);
  const paired = await api('POST', '/api/stations/pair', 'anon', { code: code.body.code });
  expect(paired.status).toBe(200);
  cookies.kiosk = `station=${paired.cookies.find((c) => c.name === 'station')!.value}`;
  const made = await api('POST', '/api/timetable', 'orgadmin', { lectureId, startAt: new Date(Date.now() - 60_000).toISOString(), stationIds: [st.body.id], durationSec: 3600 });
  expect(made.status).toBe(201);
  const kioskPb = await api('POST', '/api/kiosk/playback', 'kiosk', { sessionId: made.body.session.id });
  expect(kioskPb.status).toBe(200);

  // The first reminder sweep runs a minute after start and may write notices: run it now, so
  // the one in the middle of the fuzzing finds its notices sent (they are stored once per month).
  await t.app.reminders.run();

  const cadreRow = await t.app.store.models.User.findOne({ username: 'cadre' }).lean();
  realIds.push(lectureId, st.body.id, made.body.session.id, String(cadreRow!._id), ...[...seeded.unitIds.values()].map(String), ...[...seeded.instIds.values()].map(String));

  // The routes: the router's list, with body and query schemas from the OpenAPI document.
  const doc = t.app.swagger() as any;
  const fromDoc = new Map<string, { body?: Schema; query?: Schema }>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const url = path.replace(/\{([^}]+)\}/g, ':$1');
      const query: Schema = { type: 'object', properties: Object.fromEntries((op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.schema])) };
      fromDoc.set(`${method.toUpperCase()} ${url}`, { body: op.requestBody?.content?.['application/json']?.schema, query });
    }
  }
  // printRoutes leaves out some wildcard routes under a parametric segment: the hidden media
  // routes are named here and must exist.
  const hidden = HIDDEN.map((h) => { const [method, url] = h.split(' ') as [Method, string]; return { method, url }; });
  for (const h of hidden) expect(t.app.hasRoute(h), `${h.method} ${h.url}`).toBe(true);
  const seen = new Set<string>();
  routes = [...routerRoutes(), ...hidden]
    // The API and media; not the built client's files, the docs or the SPA fallback.
    .filter((r) => /^\/(api|media)\//.test(r.url) || fromDoc.has(`${r.method} ${r.url}`))
    .filter((r) => ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !SKIP.has(`${r.method} ${r.url}`))
    .filter((r) => !seen.has(`${r.method} ${r.url}`) && Boolean(seen.add(`${r.method} ${r.url}`)))
    .map((r) => ({ ...r, ...fromDoc.get(`${r.method} ${r.url}`) }));
  for (const key of fromDoc.keys()) expect(routes.some((r) => `${r.method} ${r.url}` === key) || SKIP.has(key), `${key} not found in the router`).toBe(true);
}, 90_000);
afterAll(async () => {
  // FUZZ_VERBOSE=1: what each route answered, to see how far the inputs got.
  if (process.env.FUZZ_VERBOSE) {
    for (const [route, statuses] of reached) {
      const tally = statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
      console.info(`${route} ${JSON.stringify(tally)}`);
    }
  }
  await t?.close();
});

// ---- the properties ----------------------------------------------------------------------------

describe('malformed input', () => {
  it('finds every documented route and the hidden media routes in the router', () => {
    const urls = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(routes.length).toBeGreaterThan(50);
    for (const hidden of [...HIDDEN, 'POST /api/uploads/', 'PATCH /api/uploads/*']) expect(urls, hidden).toContain(hidden);
  });

  it('answers malformed bodies on every changing route with a 4xx that names a code, and stores nothing', async () => {
    const { requests, accepted } = await fuzzRoutes('body', (r) => CHANGING.has(r.method), (route) =>
      fc.record({ who: whoFor(route), url: fillPath(route.url, route.body !== undefined), p: bodyArb(t.app.swagger(), route) }).map(({ who, url, p }) => ({ who, url, headers: (p.contentType === undefined ? {} : { 'content-type': p.contentType }) as Record<string, string>, payload: p.payload })),
    );
    expect(requests).toBeGreaterThan(0);
    if (accepted.length) console.info(`body fuzz: accepted by chance (store check skipped for these routes): ${accepted.join('; ')}`);
  });

  it('answers malformed query strings on every route with a 4xx or a plain answer, never a 5xx', async () => {
    const { requests } = await fuzzRoutes('query', (r) => !CHANGING.has(r.method), (route) =>
      fc.record({ who: whoFor(route), q: queryString(t.app.swagger(), route) }).map(({ who, q }) => ({ who, url: `${realPath(route.url)}?${q}` })),
    );
    expect(requests).toBeGreaterThan(0);
  });

  it('answers malformed path segments on every route with a 4xx that names a code', async () => {
    const { requests } = await fuzzRoutes('path', (r) => r.url.includes(':') || r.url.includes('*'), (route) =>
      fc.record({ who: whoFor(route), url: fillPath(route.url, !CHANGING.has(route.method)) }).map(({ who, url }) => ({ who, url, ...(CHANGING.has(route.method) ? { headers: { 'content-type': 'application/json' }, payload: '{}' } : {}) })),
    );
    expect(requests).toBeGreaterThan(0);
  });

  it('answers huge cookies, bad ranges and bad conditional headers with a 4xx or the file, never a 5xx', async () => {
    const { requests } = await fuzzRoutes('headers', (r) => !CHANGING.has(r.method), (route) =>
      fc.record({ who: whoFor(route), headers: badHeaders, cookie: cookieHeader }).map(({ who, headers, cookie }) => ({
        who: cookie ? 'anon' : who,
        url: realPath(route.url),
        headers: { ...headers, ...(cookie ? { cookie: `${cookies[who] ? cookies[who] + '; ' : ''}${cookie}` } : {}) } as Record<string, string>,
      })),
    );
    expect(requests).toBeGreaterThan(0);
  });

  it('got past authentication into the handlers of most routes', () => {
    // Over the fuzzing above (a file's tests run in order). 401/403 only means the handler was
    // never reached: the fuzzing sends as every role, so nearly every route also answered else.
    const stuck = routes.map((r) => `${r.method} ${r.url}`).filter((k) => (reached.get(k) ?? []).every((s) => s === 401 || s === 403));
    expect(stuck.length, stuck.join(', ')).toBeLessThanOrEqual(routes.length / 10);
    for (const media of ['GET /media/hls/:token/*', 'GET /media/station/:lectureId/*']) expect((reached.get(media) ?? []).some((s) => s !== 401 && s !== 403), media).toBe(true);
  });

  it('answers a backslash, dots, NUL or a trailing slash in a media path with 404 and a code', async () => {
    const station = (rest: string) => `/media/station/${lectureId}/${rest}`;
    const hls = (rest: string) => `/media/hls/${hlsToken}/${rest}`;
    // Dot segments percent-encoded: inject (like a browser) resolves bare ones before sending.
    // Paths that name no file are 404; those that name one in a roundabout way may serve it.
    const noFile = ['a\\b.ts', '%5c', 'v0%5cseg_1.ts', '%2e', '%2e/', '%2e%2e', '%2e%2e/x', 'master.m3u8/', 'v0/', '%00', 'master.m3u8%00', 'subs/', 'nope.ts'];
    for (const rest of [...noFile, 'v0/%2e/seg_1.ts', 'v0//seg_1.ts']) {
      for (const [url, who] of [[hls(rest), 'cadre'], [station(rest), 'kiosk']] as const) {
        for (const method of ['GET', 'HEAD'] as const) {
          for (const headers of [{}, { range: 'bytes=0-1' }] as Record<string, string>[]) {
            const res = await send({ method, url, who, headers });
            const what = `${method} ${url} ${JSON.stringify(headers)}: ${res.body}`;
            if (noFile.includes(rest) || res.statusCode >= 400) expect(res.statusCode, what).toBe(404);
            else expect([200, 206], what).toContain(res.statusCode);
            if (method === 'GET' && res.statusCode === 404) expect(res.json().error.code, what).toBe('NOT_FOUND');
          }
        }
      }
    }
    // The files themselves are there.
    expect((await send({ method: 'GET', url: hls('v0/seg_1.ts'), who: 'cadre' })).statusCode).toBe(200);
    expect((await send({ method: 'GET', url: station('master.m3u8'), who: 'kiosk' })).statusCode).toBe(200);
  });

  it('answers a Content-Length that does not match the body with a 4xx', async () => {
    for (const [length, payload] of [['100', '{}'], ['1', '{"title":"x"}'], ['-1', '{}'], ['abc', '{}'], ['99999999999999999999', '{}']] as const) {
      const res = await send({ method: 'POST', url: '/api/lectures', who: 'lecturer', headers: { 'content-type': 'application/json', 'content-length': length }, payload });
      check(`content-length ${length}`, 'POST', '/api/lectures', res);
      expect(res.statusCode, `content-length ${length}: ${res.body}`).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('limits and unknown routes', () => {
  it('refuses a body over 1 MB with 413 and a code, and stores nothing', async () => {
    const before = await t.app.store.models.Lecture.countDocuments();
    const res = await send({ method: 'POST', url: '/api/lectures', who: 'lecturer', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ title: 'x', category: 'development', description: 'x'.repeat(1_100_000) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(await t.app.store.models.Lecture.countDocuments()).toBe(before);
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    for (const url of ['/api/nope', '/api/users/x/y/z', '/media/nope', '/api/%00', '/api/' + 'a'.repeat(5000)]) {
      const res = await send({ method: 'GET', url, who: 'orgadmin' });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  it('answers an undecodable path parameter with 400 BAD_URL and one past the length limit with 414 URL_TOO_LONG', async () => {
    for (const url of ['/api/lectures/%E0%A4%A', '/api/users/%ff', '/api/timetable/%zz']) {
      const res = await send({ method: url.includes('timetable') ? 'DELETE' : 'GET', url, who: 'orgadmin' });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatchObject({ code: 'BAD_URL', message: expect.any(String) });
    }
    const long = await send({ method: 'GET', url: `/api/lectures/${'a'.repeat(2000)}`, who: 'orgadmin' });
    expect(long.statusCode).toBe(414);
    expect(long.json().error).toMatchObject({ code: 'URL_TOO_LONG', message: expect.any(String) });
  });

  it('answers a method a route does not have with 404 or 405 and a code', async () => {
    for (const [method, url] of [['DELETE', '/api/lectures'], ['PUT', '/api/auth/me'], ['PATCH', '/api/study/heartbeats'], ['DELETE', '/healthz']] as const) {
      const res = await send({ method, url, who: 'orgadmin', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect([404, 405], `${method} ${url}`).toContain(res.statusCode);
      expect(res.json().error.code, `${method} ${url}`).toEqual(expect.any(String));
    }
  });

  it('searches users for a NUL byte or control characters as plain text (no match), and still finds real names', async () => {
    for (const search of ['\u0000', 'a\u0000b', 'cad\u0000re', '\u0001', '\u001b[31m', '\u202e', '.*', '\\']) {
      const res = await send({ method: 'GET', url: `/api/users?search=${encodeURIComponent(search)}`, who: 'orgadmin' });
      expect(res.statusCode, `search ${JSON.stringify(search)}: ${res.body}`).toBe(200);
      expect(res.json().items, `search ${JSON.stringify(search)}`).toEqual([]);
    }
    const found = await send({ method: 'GET', url: `/api/users?search=${encodeURIComponent('CADRE')}`, who: 'orgadmin' });
    expect(found.statusCode).toBe(200);
    expect(found.json().items.map((u: { username: string }) => u.username)).toEqual(['cadre']);
  });
});
