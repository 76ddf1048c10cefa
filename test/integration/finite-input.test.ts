/**
 * Numbers are finite and bounded at every door: JSON bodies are not coerced (the string
 * "Infinity" is not a number), raw `1e999` literals (Infinity once parsed) and out-of-range
 * values are refused with 400 naming the field, query strings still coerce but are bounded, and
 * nothing refused reaches the store. One non-finite heartbeat once broke every later checkpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Types } from 'mongoose';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

let t: TestApp;
let admin: string;
let lecturer: string;
let cadre: string;
let units: Map<string, Types.ObjectId>;
let lectureId: string;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';
/** A JSON body as an object, or as raw text (to send number literals JSON.stringify cannot write). */
async function send(method: Method, url: string, cookie: string, payload?: object | string) {
  const headers: Record<string, string> = { cookie };
  if (typeof payload === 'string') headers['content-type'] = 'application/json';
  const res = await t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  let body: any;
  try {
    body = res.json();
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, cookies: res.cookies as { name: string; value: string }[] };
}

/** The body as JSON text with `field` (a path like `beats.0.seq`) written as a bare literal. */
function withLiteral(body: object, field: string, literal: string): string {
  const copy = structuredClone(body) as Record<string, any>;
  const keys = field.split('.');
  let at: any = copy;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys.at(-1)!] = '__LITERAL__';
  return JSON.stringify(copy).replace('"__LITERAL__"', literal);
}

/** Strings that must never pass for numbers in a JSON body, and literals that parse to non-finite or huge numbers. */
const NON_NUMBERS = ['Infinity', '-Infinity', '1e999', '-1e999', 'NaN', '1', ''];
const LITERALS = ['1e999', '-1e999', '1e308'];

/** Every bad variant of `field` in `body`: strings, raw literals, and the given out-of-range values. */
function badBodies(body: object, field: string, outOfRange: number[]): (object | string)[] {
  const set = (v: unknown) => {
    const copy = structuredClone(body) as Record<string, any>;
    const keys = field.split('.');
    let at: any = copy;
    for (const k of keys.slice(0, -1)) at = at[k];
    at[keys.at(-1)!] = v;
    return copy;
  };
  return [...NON_NUMBERS.map(set), ...outOfRange.map(set), ...LITERALS.map((l) => withLiteral(body, field, l))];
}

function expectRefused(r: { status: number; body: any }, field: string, what: string) {
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
  expect(r.body.error.code, what).toBe('VALIDATION_ERROR');
  expect(r.body.error.message, what).toContain(field);
  expect(r.body.error.messageEn, what).toContain(field);
}

/**
 * A refused heartbeat: either the whole batch is a 400 naming the field, or (a route that checks
 * beats one by one) a 200 that acknowledges nothing and names the field in its refusal.
 */
function expectBeatRefused(r: { status: number; body: any }, field: string, what: string) {
  if (r.status === 400) return expectRefused(r, `beats.0.${field}`, what);
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(200);
  expect(r.body.acks, what).toEqual([]);
  expect(JSON.stringify(r.body), what).toContain(field);
}

async function publishedLecture(fields: Record<string, unknown>) {
  const created = await send('POST', '/api/lectures', lecturer, { category: 'development', ...fields });
  expect(created.status).toBe(201);
  // The media pipeline is covered elsewhere: mark the media ready so it can be published and played.
  const set = await t.app.store.models.Lecture.updateOne({ _id: created.body.id }, { $set: { media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 }, durationSec: 600 } });
  expect(set.modifiedCount).toBe(1);
  expect((await send('POST', `/api/lectures/${created.body.id}/publish`, lecturer)).status).toBe(200);
  return created.body.id as string;
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  units = seeded.unitIds;
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  lectureId = await publishedLecture({ title: '有限数值专题', creditHours: 2, seatLimit: 30 });
}, 60_000);
afterAll(() => t?.close());

describe('request schemas', () => {
  it('give every numeric request field a finite minimum and maximum', () => {
    const doc = t.app.swagger() as any;
    const resolve = (s: any) => (s?.$ref ? doc.components?.schemas?.[String(s.$ref).split('/').pop()!] : s);
    const unbounded: string[] = [];
    const walk = (raw: any, where: string) => {
      const s = resolve(raw);
      if (!s || typeof s !== 'object') return;
      const types = [s.type].flat();
      if (types.includes('number') || types.includes('integer')) {
        const lo = s.minimum ?? s.exclusiveMinimum;
        const hi = s.maximum ?? s.exclusiveMaximum;
        if (!Number.isFinite(lo) || !Number.isFinite(hi)) unbounded.push(where);
      }
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${where}.${k}`);
      if (s.items) walk(s.items, `${where}[]`);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${where}.*`);
      for (const key of ['anyOf', 'oneOf', 'allOf'] as const) (s[key] ?? []).forEach((v: unknown, i: number) => walk(v, `${where}<${key}${i}>`));
    };
    let operations = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        operations++;
        for (const p of op.parameters ?? []) walk(p.schema, `${method.toUpperCase()} ${path} ${p.in}:${p.name}`);
        for (const [type, c] of Object.entries<any>(op.requestBody?.content ?? {})) walk(c.schema, `${method.toUpperCase()} ${path} body(${type})`);
      }
    }
    expect(operations).toBeGreaterThan(50);
    expect(unbounded).toEqual([]);
  });
});

describe('lectures', () => {
  it('refuses non-finite, string and out-of-range credit hours and seat limits when creating, and creates nothing', async () => {
    const before = await t.app.store.models.Lecture.countDocuments();
    const base = { title: '非法数值', category: 'development' };
    for (const [field, over] of [['creditHours', [-1, 100.5, 1e6]], ['seatLimit', [0, 1.5, 100001, 2 ** 53]]] as const) {
      for (const body of badBodies({ ...base, [field]: 1 }, field, [...over])) expectRefused(await send('POST', '/api/lectures', lecturer, body), field, `${field} ${JSON.stringify(body)}`);
    }
    expect(await t.app.store.models.Lecture.countDocuments()).toBe(before);
    // Real numbers still work.
    const ok = await send('POST', '/api/lectures', lecturer, { ...base, creditHours: 1.5, seatLimit: 20 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ creditHours: 1.5, seatLimit: 20 });
  });

  it('refuses the same values when editing and leaves the lecture as it was', async () => {
    for (const [field, over] of [['creditHours', [-0.5, 101]], ['seatLimit', [-3, 100001]]] as const) {
      for (const body of badBodies({ [field]: 1 }, field, [...over])) expectRefused(await send('PATCH', `/api/lectures/${lectureId}`, lecturer, body), field, `${field} ${JSON.stringify(body)}`);
    }
    const back = await send('GET', `/api/lectures/${lectureId}`, lecturer);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ creditHours: 2, seatLimit: 30 });
    const row = await t.app.store.models.Lecture.findById(lectureId).lean();
    expect(row).toMatchObject({ creditHours: 2, seatLimit: 30 });
  });

  it('refuses non-finite, negative and huge page numbers in the catalog query with 400, and still coerces good ones', async () => {
    for (const v of ['Infinity', '-Infinity', '1e999', '-1e999', 'NaN', '0', '101', '2.5', 'abc', '9'.repeat(400)]) {
      expectRefused(await send('GET', `/api/lectures?pageSize=${encodeURIComponent(v)}`, cadre), 'pageSize', `pageSize=${v}`);
    }
    for (const v of ['Infinity', '1e999', '-1', '0', 'NaN', '10001', '1e15', '9'.repeat(400)]) {
      expectRefused(await send('GET', `/api/lectures?page=${encodeURIComponent(v)}`, cadre), 'page', `page=${v}`);
      expectRefused(await send('GET', `/api/users?page=${encodeURIComponent(v)}`, admin), 'page', `users page=${v}`);
    }
    const ok = await send('GET', '/api/lectures?page=1&pageSize=2&required=false', cadre);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ page: 1, pageSize: 2 });
    const users = await send('GET', '/api/users?page=2&pageSize=3', admin);
    expect(users.status).toBe(200);
    expect(users.body).toMatchObject({ page: 2, pageSize: 3 });
  });
});

describe('uploads', () => {
  it('answers non-finite or huge tus lengths and offsets with a 4xx', async () => {
    const meta = `lectureId ${Buffer.from(lectureId).toString('base64')},filename ${Buffer.from('a.mp4').toString('base64')}`;
    for (const length of ['Infinity', '1e999', '-1', 'NaN', '9'.repeat(400), '1.5']) {
      const r = await t.app.inject({ method: 'POST', url: '/api/uploads', headers: { cookie: lecturer, 'tus-resumable': '1.0.0', 'upload-length': length, 'upload-metadata': meta } });
      expect(r.statusCode, `upload-length ${length}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, `upload-length ${length}: ${r.body}`).toBeLessThan(500);
    }
    const made = await t.app.inject({ method: 'POST', url: '/api/uploads', headers: { cookie: lecturer, 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': meta } });
    expect(made.statusCode).toBe(201);
    const at = new URL(String(made.headers.location), 'http://x').pathname;
    for (const offset of ['Infinity', '1e999', '-1', 'NaN', '9'.repeat(400)]) {
      const r = await t.app.inject({ method: 'PATCH', url: at, headers: { cookie: lecturer, 'tus-resumable': '1.0.0', 'upload-offset': offset, 'content-type': 'application/offset+octet-stream' }, payload: Buffer.from('abc') });
      expect(r.statusCode, `upload-offset ${offset}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, `upload-offset ${offset}: ${r.body}`).toBeLessThan(500);
    }
    const head = await t.app.inject({ method: 'HEAD', url: at, headers: { cookie: lecturer, 'tus-resumable': '1.0.0' } });
    expect(head.statusCode).toBe(200);
    expect(head.headers['upload-offset']).toBe('0');
  });
});

describe('credit policies', () => {
  const fields = [
    ['yearlyHours', [-1, 2001, 1e300]],
    ['windowYears', [0, 1.5, 11]],
    ['windowHours', [-1, 10001]],
    ['requiredMinHours', [-1, 2001]],
    ['maxPerTopicHours', [-1, 2001]],
    ['dailyCapHours', [-1, 24.5, 1e9]],
  ] as const;

  it('refuses non-finite, string and out-of-range hours and keeps the stored policy', async () => {
    const read = async () => {
      const r = await send('GET', '/api/study/policies', admin);
      expect(r.status).toBe(200);
      return r.body.items.find((p: { rank: string }) => p.rank === 'township');
    };
    const before = await read();
    const stored = await t.app.store.models.Policy.findById('township').lean();
    const base = { yearlyHours: 50, windowYears: 5, windowHours: 250, requiredMinHours: 20, maxPerTopicHours: 30, dailyCapHours: 8 };
    for (const [field, over] of fields) {
      for (const body of badBodies(base, field, [...over])) expectRefused(await send('PUT', '/api/study/policies/township', admin, body), field, `${field} ${JSON.stringify(body)}`);
    }
    expect(await read()).toEqual(before);
    expect(await t.app.store.models.Policy.findById('township').lean()).toEqual(stored);
  });
});

describe('heartbeats', () => {
  it('refuses non-finite or out-of-range beats and keeps crediting and checkpointing afterwards', async () => {
    const pb = await send('POST', `/api/lectures/${lectureId}/playback`, cadre);
    expect(pb.status).toBe(200);
    const playbackId: string = pb.body.playbackId;
    const beat = (seq: number) => ({ playbackId, seq, position: 0, rate: 1, playing: true, visible: true, event: 'play', clientAt: Date.now() });
    const body = { beats: [beat(1)] };
    const cases = [
      // Kiosks number beats from a clock reading (~1.8e10): any safe integer is a seq.
      ['seq', [0, -1, 1.5, 2 ** 53, 1e300]],
      ['position', [-1, 1e7 + 1]],
      ['rate', [-0.5, 16.5, 1e9]],
      ['clientAt', [-1, 1e13 + 1, 8.64e15]],
    ] as const;
    for (const [field, over] of cases) {
      for (const bad of badBodies(body, `beats.0.${field}`, [...over])) {
        expectBeatRefused(await send('POST', '/api/study/heartbeats', cadre, bad), field, `${field} ${JSON.stringify(bad)}`);
      }
    }
    // Read back: nothing refused was taken (a stored seq of 2^53 would make seq 1 stale), and the
    // study log still checkpoints to the store.
    const first = await send('POST', '/api/study/heartbeats', cadre, body);
    expect(first.status).toBe(200);
    expect(first.body.acks).toEqual([{ playbackId, seq: 1 }]);
    await t.app.study.checkpoint();
    const second = await send('POST', '/api/study/heartbeats', cadre, { beats: [{ ...beat(2), event: 'tick', position: 1 }] });
    expect(second.status).toBe(200);
    expect(second.body.acks).toEqual([{ playbackId, seq: 2 }]);
    await t.app.study.checkpoint();
  });
});

describe('stations and the timetable', () => {
  it('refuses non-finite durations, times and beats from admins and kiosks and stores none of them', async () => {
    const st = await send('POST', '/api/stations', admin, { name: '有限数值站', type: 'village', unitId: String(units.get('苏公坨村党支部')) });
    expect(st.status).toBe(201);
    const code = await send('POST', `/api/stations/${st.body.id}/pairing`, admin);
    expect(code.status).toBe(200);
    const paired = await send('POST', '/api/stations/pair', '', { code: code.body.code });
    expect(paired.status).toBe(200);
    const kiosk = `station=${paired.cookies.find((c) => c.name === 'station')!.value}`;

    const sessions = async () => {
      const r = await send('GET', `/api/timetable?stationId=${st.body.id}`, admin);
      expect(r.status).toBe(200);
      return r.body.items as { id: string }[];
    };
    const schedule = { lectureId, startAt: new Date(Date.now() - 60_000).toISOString(), stationIds: [st.body.id], durationSec: 3600 };
    for (const body of badBodies(schedule, 'durationSec', [59, 12 * 3600 + 1, 1.5])) expectRefused(await send('POST', '/api/timetable', admin, body), 'durationSec', JSON.stringify(body));
    expect(await sessions()).toEqual([]);
    const made = await send('POST', '/api/timetable', admin, schedule);
    expect(made.status).toBe(201);
    const sessionId: string = made.body.session.id;

    // Query text: a time no Date can hold is a 4xx, never a 500.
    for (const q of ['from=Infinity', 'to=1e999', 'from=275760-09-14T00:00:00Z', 'from=2026-12-31T23:59:60Z']) {
      const r = await send('GET', `/api/timetable?${q}`, admin);
      expect(r.status, `${q}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
    }

    // Offline sync: one bad time refuses the whole batch, so the valid check-in beside it is not taken.
    const cadreId = String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
    const sync = { beats: [], checkins: [{ key: 'fin-1', userId: cadreId, at: Date.now(), sessionId }], checkouts: [{ key: 'fin-2', userId: cadreId, at: Date.now() }] };
    for (const field of ['checkins.0.at', 'checkouts.0.at']) {
      for (const body of badBodies(sync, field, [-1, 1e13 + 1])) expectRefused(await send('POST', '/api/kiosk/sync', kiosk, body), field, `${field} ${JSON.stringify(body)}`);
    }
    const state = await send('GET', '/api/kiosk/state', kiosk);
    expect(state.status).toBe(200);
    expect(state.body.present).toEqual([]);

    // Station beats carry the same bounds as a viewer's.
    const pb = await send('POST', '/api/kiosk/playback', kiosk, { sessionId });
    expect(pb.status).toBe(200);
    const beats = { beats: [{ playbackId: pb.body.playbackId, seq: 1, position: 60, rate: 1, playing: true, visible: true, event: 'play', clientAt: Date.now() }] };
    const bad = { seq: [-1, 2 ** 53], clientAt: [-1, 1e13 + 1], rate: [-1, 1e13 + 1] };
    for (const field of ['seq', 'clientAt', 'rate'] as const) {
      for (const body of badBodies(beats, `beats.0.${field}`, bad[field])) expectBeatRefused(await send('POST', '/api/kiosk/heartbeats', kiosk, body), field, `${field} ${JSON.stringify(body)}`);
    }
    const hb = await send('POST', '/api/kiosk/heartbeats', kiosk, beats);
    expect(hb.status).toBe(200);
    expect(hb.body.acks).toEqual([{ playbackId: pb.body.playbackId, seq: 1 }]);
  });
});
