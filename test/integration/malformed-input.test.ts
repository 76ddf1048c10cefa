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
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
/** Runs per route and per kind of input: about 90 routes, so 4 kinds x 90 x RUNS requests. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);

let t: TestApp;
type Who = 'anon' | 'orgadmin' | 'unitadmin' | 'cadre' | 'lecturer' | 'station' | 'kiosk';
const WHO: Who[] = ['anon', 'orgadmin', 'unitadmin', 'cadre', 'lecturer', 'station', 'kiosk'];
const cookies: Record<Who, string> = { anon: '' } as Record<Who, string>;
/** Real ids of each kind, so some requests get past "not found" into the handlers. */
const realIds: string[] = [];
let lectureId: string;
let hlsToken: string;

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Route {
  method: Method;
  /** Fastify's form: /api/users/:id, /media/hls/:token/* */
  url: string;
  body?: Schema;
  query?: Schema;
}
type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; $ref?: string; anyOf?: Schema[] };
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

// ---- what to send ----------------------------------------------------------------------------

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u2028', '\u2029', '\ufeff', '\u200b');
const UNICODE = fc.constantFrom('😀', '👨‍👩‍👧', 'مرحبا', '\u202eabc', 'שלום', '干部', '\ud800', '\udfff', 'e\u0301', '𠮷');
const weirdString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.array(fc.oneof(CONTROL, UNICODE, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((a) => a.join('')),
  fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '{"$gt":""}', '.*', '(a+)+$', '..', '../..', 'Infinity', 'NaN', '1e999', '-0', 'null', 'true', '0x1f', '2026-13-45T99:99:99Z', '275760-09-14T00:00:00Z'),
  fc.constantFrom('%00', '%', '%zz', '%E0%A4%A', '%ff'),
  fc.integer({ min: 200, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 20, max: 300 }).map((n) => '干'.repeat(n)),
);
const unknownId = fc.oneof(fc.stringMatching(/^[0-9a-f]{24}$/), fc.constantFrom('000000000000000000000000', 'ffffffffffffffffffffffff', 'FFFFFFFFFFFFFFFFFFFFFFFF'));
const objectId = fc.oneof(
  unknownId,
  fc.nat().map((i) => realIds[i % Math.max(realIds.length, 1)] ?? 'aaaaaaaaaaaaaaaaaaaaaaaa'),
);
const weirdNumber = fc.oneof(
  fc.constantFrom(-0, 0, -1, 1.5, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1e300, -1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const leaf: fc.Arbitrary<unknown> = fc.oneof(weirdString, weirdNumber, objectId, fc.boolean(), fc.constant(null));
const junk: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '$set', '$gt', 'a.b', '', 'a\u0000b')), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** encodeURIComponent, or the raw bytes percent-encoded where it refuses (a lone surrogate). */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') + '%ED%A0%80';
  }
}

function resolve(doc: any, s: Schema | undefined): Schema | undefined {
  return s?.$ref ? doc.components?.schemas?.[String(s.$ref).split('/').pop()!] : s;
}

/** A body shaped like the route's (its field names), with wrong, missing and extra fields. */
function shapedBody(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const props = Object.keys(schema?.properties ?? {});
  if (props.length === 0) return fc.dictionary(fc.string({ maxLength: 6 }), junk, { maxKeys: 3 });
  return fc
    .record({
      fields: fc.subarray(props),
      values: fc.array(junk, { minLength: props.length, maxLength: props.length }),
      extra: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '_id', 'role', '$where', 'x.y', '\u0000')), junk, { maxKeys: 2 }),
      wrap: fc.constantFrom('object', 'object', 'array', 'string'),
    })
    .map(({ fields, values, extra, wrap }) => {
      const body: Record<string, unknown> = Object.fromEntries(fields.map((f, i) => [f, values[i]]));
      Object.assign(body, extra);
      return wrap === 'array' ? [body] : wrap === 'string' ? JSON.stringify(body) : body;
    });
}

/**
 * A body the schema accepts, as plainly as it can be written: required fields only, enums'
 * first value, a real id for an id, the time now for a date. The fuzzing then breaks one field
 * of it at a time, so the rest of the body gets the request past validation into the handler.
 */
function sample(doc: any, raw: Schema | undefined): unknown {
  const s = resolve(doc, raw) as any;
  if (!s) return null;
  if (s.anyOf ?? s.oneOf) return sample(doc, (s.anyOf ?? s.oneOf)[0]);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const type = [s.type].flat()[0];
  if (type === 'object' || s.properties) {
    const keys: string[] = s.required ?? [];
    return Object.fromEntries(keys.map((k) => [k, sample(doc, s.properties?.[k])]));
  }
  if (type === 'array') return Array.from({ length: s.minItems ?? 1 }, () => sample(doc, s.items));
  if (type === 'integer' || type === 'number') return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
  if (type === 'boolean') return false;
  if (type === 'null') return null;
  if (s.format === 'date-time') return new Date().toISOString();
  if (s.format === 'date' || s.pattern === '^\\d{4}-\\d{2}-\\d{2}$') return new Date().toISOString().slice(0, 10);
  if (s.pattern === '^[0-9a-fA-F]{24}$') return realIds[0];
  if (s.pattern === '^\\uFEFF?WEBVTT') return 'WEBVTT\n\n00:00.000 --> 00:01.000\nx\n';
  if (s.pattern?.includes('A-Za-z')) return 'abcd';
  return 'x'.repeat(Math.max(s.minLength ?? 1, 1));
}

/** The paths of every field of a value, as key lists. */
function leaves(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => leaves(v, [...at, i]))];
  if (value && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, k]))];
  return [at];
}

/** A valid body with one field (or the whole) replaced by junk, or one optional field added as junk. */
function brokenValid(doc: any, schema: Schema | undefined): fc.Arbitrary<unknown> {
  const base = sample(doc, schema);
  const paths = leaves(base);
  const optional = Object.keys(resolve(doc, schema)?.properties ?? {});
  return fc.tuple(fc.nat(), fc.constantFrom(...optional, 'extra'), fc.oneof(leaf, junk), fc.boolean()).map(([i, opt, value, add]) => {
    const copy = structuredClone(base) as any;
    if (add && copy && typeof copy === 'object' && !Array.isArray(copy)) {
      copy[opt] = value;
      return copy;
    }
    const path = paths[i % paths.length]!;
    if (path.length === 0) return value;
    let at = copy;
    for (const k of path.slice(0, -1)) at = at[k];
    at[path.at(-1)!] = value;
    return copy;
  });
}

/** JSON with a literal no serialiser writes spliced in for the value of one field. */
const LITERALS = ['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '-0', '1e-999', '00', '0x10', '1.', '.5', 'undefined', "'x'", '"\\ud800"', '"\\u0000"', '"a\\u0000b"', '[' + '1,'.repeat(5000) + '1]'];

interface Payload {
  contentType?: string;
  payload?: string | Buffer;
  headers?: Record<string, string>;
}

function bodyArb(route: Route): fc.Arbitrary<Payload> {
  const doc = t.app.swagger() as any;
  const schema = resolve(doc, route.body);
  const props = Object.keys(schema?.properties ?? {});
  const json = (v: unknown): Payload => ({ contentType: 'application/json', payload: JSON.stringify(v) ?? 'null' });
  return fc.oneof(
    // Wrong types at the top: a string, a number, null, an array.
    fc.jsonValue({ maxDepth: 3 }).map(json),
    junk.map(json),
    shapedBody(schema).map(json),
    { arbitrary: brokenValid(doc, schema).map(json), weight: 4 },
    // Raw literals in place of a field's value.
    fc.record({ field: props.length ? fc.constantFrom(...props) : fc.constant('x'), literal: fc.constantFrom(...LITERALS) }).map(({ field, literal }): Payload => ({
      contentType: 'application/json',
      payload: `{${JSON.stringify(field)}:${literal}}`,
    })),
    // A lone surrogate and broken UTF-8 as raw bytes, a NUL byte inside a string.
    fc.constantFrom(...props, 'x').map((field): Payload => ({
      contentType: 'application/json',
      payload: Buffer.concat([Buffer.from(`{${JSON.stringify(field)}:"a`), Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xc3, 0x00]), Buffer.from('b"}')]),
    })),
    // Deep nesting.
    fc.integer({ min: 1_000, max: 200_000 }).map((n): Payload => ({ contentType: 'application/json', payload: '['.repeat(n) + ']'.repeat(n) })),
    fc.integer({ min: 1_000, max: 50_000 }).map((n): Payload => ({ contentType: 'application/json', payload: '{"a":'.repeat(n) + '1' + '}'.repeat(n) })),
    // Invalid JSON text, an empty body that says it is JSON.
    fc.constantFrom('', ' ', '{', '{"a":}', '{"a" 1}', "{'a':1}", '[1,]', 'nul', '\u0000', '{"a":1}{"b":2}', '\ufeff{}', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}').map((p): Payload => ({ contentType: 'application/json', payload: p })),
    // The wrong content type, or a JSON one with odd parameters.
    fc.record({
      contentType: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'multipart/form-data', 'application/xml', 'application/octet-stream', 'application/offset+octet-stream', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json;;;', 'application/vnd.x+json', '*/*', '', 'text/html; charset=\u0000'),
      payload: fc.oneof(fc.constantFrom('a=1&a=2&__proto__[x]=1', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', '--x\r\ngarbage', '<a/>', '{"a":1}'), weirdString),
    }),
  );
}

// No real ids here: a path with a real id and a body the route ignores (publish, revoke) acts.
const pathSegment = fc.oneof(
  unknownId,
  fc.constantFrom('%00', 'a%00b', '%2e%2e', '%2E%2E%2F%2E%2E', '..', '.', '\\', '%5c', 'a\\b', '%2f', '%', '%zz', '%ff', '%E0%A4%A', '%F0%9F%98%80', '__proto__', 'constructor', 'null', '0', '-1', '1e999', 'Infinity', ' ', '%20', '%0a', '%0d%0a'),
  fc.integer({ min: 25, max: 3000 }).map((n) => 'a'.repeat(n)),
  fc.stringMatching(/^[0-9a-fA-F]{23,25}$/),
  weirdString.map(enc),
);
/** Rest-of-path values for wildcard routes (media files). */
const restPath = fc.oneof(
  fc.constantFrom('master.m3u8', 'master.m3u8/', 'a\\b.ts', '.', './', '..', '../..', '%2e%2e/%2e%2e/etc/passwd', 'v0/', 'v0//seg_1.ts', '\\', 'seg_1.ts%00.m3u8', '%00', 'subs/zh.vtt', 'subs/xx.vtt', 'subs/', 'seg_99999999999999999999.ts', 'a/./b', 'a/../../b', '%5c..%5c..%5cwin.ini', '~', '.hidden', 'master.m3u8?x=1', 'poster.jpg'),
  fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((a) => a.join('/')),
  fc.tuple(pathSegment, fc.constantFrom('/', '//', '/.', '\\')).map(([a, b]) => a + b),
);

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

const queryString = (route: Route) => {
  const doc = t.app.swagger() as any;
  const keys = Object.keys(resolve(doc, route.query)?.properties ?? {});
  const key = fc.oneof(fc.constantFrom(...keys, '__proto__', 'constructor', '__proto__[x]', 'constructor[prototype][x]', 'a[]', 'a[0]', 'a.b', '', '%00', '%zz'), fc.string({ maxLength: 5 }).map(enc));
  const value = fc.oneof(weirdString.map(enc), fc.constantFrom('', '%00', '%', '%zz', '1e999', 'Infinity', 'NaN', '-0', '[]', '{}', 'true', 'a%00b'), objectId);
  return fc
    .array(fc.tuple(key, value, fc.constantFrom('=', '', '==')), { minLength: 1, maxLength: 6 })
    .chain((pairs) => fc.constantFrom('&', '&&', ';').map((sep) => pairs.map(([k, v, eq]) => `${k}${eq}${eq ? v : ''}`).join(sep)))
    // Repeated keys: the same key twice.
    .chain((q) => fc.boolean().map((twice) => (twice ? `${q}&${q}` : q)));
};

const badHeaders = fc.record(
  {
    range: fc.constantFrom('bytes=abc', 'bytes=999999999-', 'bytes=0-1,2-3,4-5,6-7', 'bytes=-0', 'bytes=5-1', 'bytes=0-0,-1', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=1e999-', 'bytes=-99999999999999999999', 'bytes=0-99999999999999999999999'),
    'if-none-match': fc.constantFrom('*', '"x"', 'W/', 'W/"', '""', '"a", "b", *', '\u0000', 'x'.repeat(5000)),
    'if-modified-since': fc.constantFrom('garbage', 'Thu, 01 Jan 1970 00:00:00 GMT', '275760-09-14', ''),
    'if-range': fc.constantFrom('"x"', 'garbage', 'Thu, 01 Jan 2099 00:00:00 GMT'),
    'accept-encoding': fc.constantFrom('gzip;q=abc', '*;q=0', 'x'.repeat(2000)),
    accept: fc.constantFrom('text/html', '*/*;q=x', 'application/json;q=0'),
    origin: fc.constantFrom('null', 'http://evil.example', 'not a url', 'http://localhost:80'),
    'x-forwarded-for': fc.constantFrom('garbage', '::::', '1.2.3.4, 999.999.1.1'),
    'sec-fetch-site': fc.constantFrom('cross-site', 'same-origin', 'garbage'),
  },
  { requiredKeys: [] },
);
const cookieHeader = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 4_000, max: 64_000 }).map((n) => `junk=${'x'.repeat(n)}`),
  fc.constantFrom('sid=', 'sid=garbage', 'sid=s%3Aforged.sig', 'station=garbage', 'sid=%00', 'sid=a; sid=b', '=;=;;', '__proto__=1'),
);

// ---- checking an answer ----------------------------------------------------------------------

/** Answers that are not JSON by design: tus (@tus/server's own bodies) and HEAD. */
function mayBeBare(method: Method, url: string) {
  return method === 'HEAD' || url.startsWith('/api/uploads');
}

function check(what: string, method: Method, url: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  const status = res.statusCode;
  if (status >= 500) throw new Error(`${what}: ${status} ${res.body.slice(0, 300)}`);
  if (status < 400) return;
  if (method === 'HEAD' && res.body === '') return;
  if (mayBeBare(method, url) && !String(res.headers['content-type'] ?? '').includes('json')) return;
  // Range Not Satisfiable, from @fastify/send (media) or @fastify/static (the client's files).
  if (status === 416) return;
  let body: any;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`${what}: ${status} not JSON: ${res.body.slice(0, 200)}`);
  }
  if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string' || !body.error.code || !body.error.message) {
    throw new Error(`${what}: ${status} without { error: { code, message } }: ${res.body.slice(0, 300)}`);
  }
}

/** fast-check's report, without the counterexample's megabytes: the seed, the path and our message say it all. */
function shortReport<T>(out: fc.RunDetails<T>) {
  if (!out.failed) return;
  const reason = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  throw new Error(`Property failed: { seed: ${out.seed}, path: "${out.counterexamplePath}" } (FUZZ_SEED=${SEED})\n${reason.slice(0, 1500)}`);
}

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
      { seed: SEED + i, numRuns: RUNS, endOnFailure: true, reporter: shortReport },
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
      fc.record({ who: whoFor(route), url: fillPath(route.url, route.body !== undefined), p: bodyArb(route) }).map(({ who, url, p }) => ({ who, url, headers: (p.contentType === undefined ? {} : { 'content-type': p.contentType }) as Record<string, string>, payload: p.payload })),
    );
    expect(requests).toBeGreaterThan(0);
    if (accepted.length) console.info(`body fuzz: accepted by chance (store check skipped for these routes): ${accepted.join('; ')}`);
  });

  it('answers malformed query strings on every route with a 4xx or a plain answer, never a 5xx', async () => {
    const { requests } = await fuzzRoutes('query', (r) => !CHANGING.has(r.method), (route) =>
      fc.record({ who: whoFor(route), q: queryString(route) }).map(({ who, q }) => ({ who, url: `${realPath(route.url)}?${q}` })),
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
