/**
 * What test/integration/malformed-input.test.ts sends and how it checks the answers: fast-check
 * arbitraries for strings, numbers, ids, JSON no serialiser writes, bodies shaped like a route's
 * schema (or valid but one field), query strings, path segments and headers; `check` (no 5xx; a
 * 4xx names a code and a message). Real ids are read from `realIds` at generation time, so the
 * test fills that array in its setup.
 */
import fc from 'fast-check';

/** Real ids of each kind, filled by the test's setup, so some requests get past "not found". */
export const realIds: string[] = [];

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface Route {
  method: Method;
  /** Fastify's form: /api/users/:id, /media/hls/:token/* */
  url: string;
  body?: Schema;
  query?: Schema;
}
export type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; $ref?: string; anyOf?: Schema[] };

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u2028', '\u2029', '\ufeff', '\u200b');
const UNICODE = fc.constantFrom('😀', '👨‍👩‍👧', 'مرحبا', '\u202eabc', 'שלום', '干部', '\ud800', '\udfff', 'e\u0301', '𠮷');
export const weirdString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.array(fc.oneof(CONTROL, UNICODE, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((a) => a.join('')),
  fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '{"$gt":""}', '.*', '(a+)+$', '..', '../..', 'Infinity', 'NaN', '1e999', '-0', 'null', 'true', '0x1f', '2026-13-45T99:99:99Z', '275760-09-14T00:00:00Z'),
  fc.constantFrom('%00', '%', '%zz', '%E0%A4%A', '%ff'),
  fc.integer({ min: 200, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 20, max: 300 }).map((n) => '干'.repeat(n)),
);
export const unknownId = fc.oneof(fc.stringMatching(/^[0-9a-f]{24}$/), fc.constantFrom('000000000000000000000000', 'ffffffffffffffffffffffff', 'FFFFFFFFFFFFFFFFFFFFFFFF'));
export const objectId = fc.oneof(
  unknownId,
  fc.nat().map((i) => realIds[i % Math.max(realIds.length, 1)] ?? 'aaaaaaaaaaaaaaaaaaaaaaaa'),
);
const weirdNumber = fc.oneof(
  fc.constantFrom(-0, 0, -1, 1.5, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1e300, -1e300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
export const leaf: fc.Arbitrary<unknown> = fc.oneof(weirdString, weirdNumber, objectId, fc.boolean(), fc.constant(null));
export const junk: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '$set', '$gt', 'a.b', '', 'a\u0000b')), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** encodeURIComponent, or the raw bytes percent-encoded where it refuses (a lone surrogate). */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') + '%ED%A0%80';
  }
}

export function resolve(doc: any, s: Schema | undefined): Schema | undefined {
  return s?.$ref ? doc.components?.schemas?.[String(s.$ref).split('/').pop()!] : s;
}

/** A body shaped like the route's (its field names), with wrong, missing and extra fields. */
export function shapedBody(schema: Schema | undefined): fc.Arbitrary<unknown> {
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
export function sample(doc: any, raw: Schema | undefined): unknown {
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
export function leaves(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => leaves(v, [...at, i]))];
  if (value && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, k]))];
  return [at];
}

/** A valid body with one field (or the whole) replaced by junk, or one optional field added as junk. */
export function brokenValid(doc: any, schema: Schema | undefined): fc.Arbitrary<unknown> {
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
export const LITERALS = ['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '-0', '1e-999', '00', '0x10', '1.', '.5', 'undefined', "'x'", '"\\ud800"', '"\\u0000"', '"a\\u0000b"', '[' + '1,'.repeat(5000) + '1]'];

export interface Payload {
  contentType?: string;
  payload?: string | Buffer;
  headers?: Record<string, string>;
}

export function bodyArb(doc: any, route: Route): fc.Arbitrary<Payload> {
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
export const pathSegment = fc.oneof(
  unknownId,
  fc.constantFrom('%00', 'a%00b', '%2e%2e', '%2E%2E%2F%2E%2E', '..', '.', '\\', '%5c', 'a\\b', '%2f', '%', '%zz', '%ff', '%E0%A4%A', '%F0%9F%98%80', '__proto__', 'constructor', 'null', '0', '-1', '1e999', 'Infinity', ' ', '%20', '%0a', '%0d%0a'),
  fc.integer({ min: 25, max: 3000 }).map((n) => 'a'.repeat(n)),
  fc.stringMatching(/^[0-9a-fA-F]{23,25}$/),
  weirdString.map(enc),
);
/** Rest-of-path values for wildcard routes (media files). */
export const restPath = fc.oneof(
  fc.constantFrom('master.m3u8', 'master.m3u8/', 'a\\b.ts', '.', './', '..', '../..', '%2e%2e/%2e%2e/etc/passwd', 'v0/', 'v0//seg_1.ts', '\\', 'seg_1.ts%00.m3u8', '%00', 'subs/zh.vtt', 'subs/xx.vtt', 'subs/', 'seg_99999999999999999999.ts', 'a/./b', 'a/../../b', '%5c..%5c..%5cwin.ini', '~', '.hidden', 'master.m3u8?x=1', 'poster.jpg'),
  fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((a) => a.join('/')),
  fc.tuple(pathSegment, fc.constantFrom('/', '//', '/.', '\\')).map(([a, b]) => a + b),
);

export const queryString = (doc: any, route: Route) => {
  const keys = Object.keys(resolve(doc, route.query)?.properties ?? {});
  const key = fc.oneof(fc.constantFrom(...keys, '__proto__', 'constructor', '__proto__[x]', 'constructor[prototype][x]', 'a[]', 'a[0]', 'a.b', '', '%00', '%zz'), fc.string({ maxLength: 5 }).map(enc));
  const value = fc.oneof(weirdString.map(enc), fc.constantFrom('', '%00', '%', '%zz', '1e999', 'Infinity', 'NaN', '-0', '[]', '{}', 'true', 'a%00b'), objectId);
  return fc
    .array(fc.tuple(key, value, fc.constantFrom('=', '', '==')), { minLength: 1, maxLength: 6 })
    .chain((pairs) => fc.constantFrom('&', '&&', ';').map((sep) => pairs.map(([k, v, eq]) => `${k}${eq}${eq ? v : ''}`).join(sep)))
    // Repeated keys: the same key twice.
    .chain((q) => fc.boolean().map((twice) => (twice ? `${q}&${q}` : q)));
};

export const badHeaders = fc.record(
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
export const cookieHeader = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 4_000, max: 64_000 }).map((n) => `junk=${'x'.repeat(n)}`),
  fc.constantFrom('sid=', 'sid=garbage', 'sid=s%3Aforged.sig', 'station=garbage', 'sid=%00', 'sid=a; sid=b', '=;=;;', '__proto__=1'),
);

/** Answers that are not JSON by design: tus (@tus/server's own bodies) and HEAD. */
export function mayBeBare(method: Method, url: string) {
  return method === 'HEAD' || url.startsWith('/api/uploads');
}

export function check(what: string, method: Method, url: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
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
export const shortReport = (seed: number) => <T>(out: fc.RunDetails<T>) => {
  if (!out.failed) return;
  const reason = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  throw new Error(`Property failed: { seed: ${out.seed}, path: "${out.counterexamplePath}" } (FUZZ_SEED=${seed})\n${reason.slice(0, 1500)}`);
};
