/**
 * The access matrix: every route the app registers (the OpenAPI document plus the routes hidden
 * from it) is called as every principal — anonymous, cadre, lecturer, a unit admin of another
 * committee, the org admin, a station account and a paired kiosk — with a minimal valid body
 * built from its schema and real ids of the demo county. A principal outside a route's declared
 * access (server/plugins/app/access.ts) must get no 2xx; a unit admin of another committee on a
 * `unitAdmin:own-units` route may get a 2xx only without any id of the demo committee in it; a
 * lecturer on a `lecturer:own` route is handed another owner's lecture and must get no 2xx;
 * `signed` routes get forged tokens and must answer no 2xx to anyone; nothing may answer 5xx.
 * Socket events: a cadre emitting a host-only event is refused with FORBIDDEN.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Types } from 'mongoose';
import fp from 'fastify-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import accessPlugin, { socketEvents, type Access } from '../../server/plugins/app/access';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';

type Principal = 'anonymous' | 'cadre' | 'lecturer' | 'station' | 'kiosk' | 'otherUnitAdmin' | 'orgAdmin';
/** The org admin goes last: its successful writes (revoke, delete) must not spare the others. */
const principals: Principal[] = ['anonymous', 'cadre', 'lecturer', 'station', 'kiosk', 'otherUnitAdmin', 'orgAdmin'];
const roleOf: Partial<Record<Principal, string>> = { cadre: 'cadre', lecturer: 'lecturer', station: 'station', otherUnitAdmin: 'unitAdmin', orgAdmin: 'orgAdmin' };
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

let t: TestApp;
const cookies = {} as Record<Principal, string | undefined>;
/** Ids of objects of the demo committee (苏公坨乡党委) that another committee's admin must never read. */
let foreign: string[] = [];
const ids = {} as Record<'lecture' | 'ownLecture' | 'live' | 'unit' | 'otherCommittee' | 'cadre' | 'station' | 'session' | 'playback' | 'institution' | 'upload', string>;

/** A published lecture of `createdBy` whose HLS is a few tiny files in storage. */
async function fakeLecture(title: string, createdBy: string) {
  const { Lecture } = t.app.store.models;
  const doc = await Lecture.create({ title, category: 'implementation', state: 'published', kind: 'recorded', durationSec: 600, creditHours: 1, lecturer: '县委党校', createdBy: new Types.ObjectId(createdBy), media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  const prefix = `lectures/${String(doc._id)}/hls`;
  for (const [rel, text] of [['master.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nv0/index.m3u8\n'], ['v0/index.m3u8', '#EXTM3U\n#EXTINF:4,\nseg_0.ts\n#EXT-X-ENDLIST\n'], ['v0/seg_0.ts', 'segment']] as const) {
    const p = t.app.storage.path(`${prefix}/${rel}`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  await Lecture.updateOne({ _id: doc._id }, { $set: { 'media.prefix': prefix } });
  return String(doc._id);
}

/** tus asks every request for its protocol version, and a new upload for its length and lecture. */
function tusHeaders(method: string, lectureId: string): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return { 'tus-resumable': '1.0.0', ...(method === 'POST' ? { 'upload-length': '16', 'upload-metadata': `lectureId ${b64(lectureId)},filename ${b64('a.mp4')}` } : {}), ...(method === 'PATCH' ? { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' } : {}) };
}

async function call(method: string, url: string, cookie?: string, payload?: unknown) {
  const extra = url.startsWith('/api/uploads') ? tusHeaders(method, ids.lecture) : {};
  const res = await t.app.inject({ method: method as 'GET', url, headers: { ...extra, ...(cookie ? { cookie } : {}) }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.body, headers: res.headers, json: () => res.json() as any, cookies: res.cookies };
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  const { User } = t.app.store.models;
  const userId = async (username: string) => String((await User.findOne({ username }).lean())!._id);
  const unit = (name: string) => String(seeded.unitIds.get(name)!);
  cookies.orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  cookies.cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  cookies.lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  cookies.station = await login(t.app, 'station', DEMO_PASSWORD);
  ids.unit = unit('苏公坨村党支部');
  ids.otherCommittee = unit('开通镇党委');
  ids.cadre = await userId('cadre');
  ids.institution = String(seeded.instIds.get('清华大学')!);

  const other = await call('POST', '/api/users', cookies.orgAdmin, { username: 'kaitong-admin', displayName: '开通镇管理员', password: 'Kaitong2026x', role: 'unitAdmin', orgUnitId: ids.otherCommittee });
  expect(other.status).toBe(201);
  cookies.otherUnitAdmin = await login(t.app, 'kaitong-admin', 'Kaitong2026x');

  // Lectures: the org admin's (the object a lecturer must not reach), the lecturer's own, a live one.
  ids.lecture = await fakeLecture('关键在于落实', await userId('orgadmin'));
  ids.ownLecture = await fakeLecture('数字乡村建设', await userId('lecturer'));
  const live = await t.app.store.models.Lecture.create({ title: '清华大学论坛（直播）', category: 'development', state: 'published', kind: 'live', lecturer: '刘教授', createdBy: await userId('orgadmin'), live: { scheduledAt: new Date(), state: 'scheduled' } });
  ids.live = String(live._id);

  // A station of the demo village, paired as a kiosk, with a session of the lecture scheduled now.
  const st = await call('POST', '/api/stations', cookies.orgAdmin, { name: '苏公坨村远程教育站', type: 'village', unitId: ids.unit, address: '通榆县', contact: { name: '站长', phone: '0436-1234567' } });
  expect(st.status).toBe(201);
  ids.station = st.json().id;
  const code = await call('POST', `/api/stations/${ids.station}/pairing`, cookies.orgAdmin);
  expect(code.status).toBe(200);
  const paired = await call('POST', '/api/stations/pair', undefined, { code: code.json().code });
  expect(paired.status).toBe(200);
  cookies.kiosk = `station=${paired.cookies.find((c) => c.name === 'station')!.value}`;
  const session = await call('POST', '/api/timetable', cookies.orgAdmin, { lectureId: ids.lecture, startAt: new Date(Date.now() - 60_000).toISOString(), stationIds: [ids.station] });
  expect(session.status).toBe(201);
  ids.session = session.json().session.id;

  // A playback of the cadre's, so study routes reach their handlers.
  const pb = await call('POST', `/api/lectures/${ids.lecture}/playback`, cookies.cadre);
  expect(pb.status).toBe(200);
  ids.playback = pb.json().playbackId;

  // An upload of the org admin's: nobody else may see or touch it (uploads/routes.ts).
  const upload = await call('POST', '/api/uploads', cookies.orgAdmin);
  expect(upload.status).toBe(201);
  ids.upload = String(upload.headers.location).split('/').pop()!;

  foreign = [unit('苏公坨乡党委'), unit('苏公坨乡人民政府'), ids.unit, ids.cadre, await userId('unitadmin'), await userId('station'), ids.station, ids.session];
}, 60_000);
afterAll(() => t?.close());

// ---- requests built from the schemas ------------------------------------------------------

type Schema = Record<string, any>;

/** A real object for an id-valued field, by its name. */
function idFor(name: string): string {
  if (/lecture/i.test(name)) return ids.lecture;
  if (/^(unitId|orgUnitId|parentId)$/.test(name)) return ids.unit;
  if (/^userIds?$/.test(name)) return ids.cadre;
  if (/^stationIds?$/.test(name)) return ids.station;
  if (name === 'sessionId') return ids.session;
  if (name === 'institutionId') return ids.institution;
  return randomBytes(12).toString('hex');
}

/** A minimal value that satisfies `s` (required properties only), with real ids where named. */
function sample(s: Schema | undefined, name = '', defs: Schema = {}): unknown {
  if (!s) return undefined;
  if (s.$ref) return sample(defs[String(s.$ref).split('/').pop()!], name, defs);
  if ('const' in s) return s.const;
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return sample(alt.find((a: Schema) => a.type !== 'null') ?? alt[0], name, defs);
  switch (s.type) {
    case 'object': {
      const props: Record<string, Schema> = s.properties ?? {};
      const keys = new Set<string>(s.required ?? []);
      if (keys.size < (s.minProperties ?? 0)) for (const k of Object.keys(props)) if (keys.size < s.minProperties) keys.add(k);
      return Object.fromEntries([...keys].map((k) => [k, sample(props[k], k, defs)]));
    }
    case 'array': {
      const n = /^(stationIds|userIds)$/.test(name) ? 1 : (s.minItems ?? 0);
      return Array.from({ length: n }, () => sample(s.items, name.replace(/s$/, ''), defs));
    }
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default: {
      if (s.pattern === '^[0-9a-fA-F]{24}$' || s.pattern === '^[0-9a-f]{24}$') return idFor(name);
      if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (s.format === 'date') return '2026-12-31';
      if (String(s.pattern ?? '').includes('WEBVTT')) return 'WEBVTT\n\n';
      if (String(s.pattern ?? '').startsWith('^[A-Za-z0-9_.-]')) return `u${randomBytes(4).toString('hex')}`;
      if (/password/i.test(name)) return 'Matrix2026pw';
      return 'x'.repeat(Math.max(s.minLength ?? 1, 1));
    }
  }
}

/** Path parameters: real objects of the demo county (another owner's lecture, the demo unit). */
function pathValue(url: string, name: string): string {
  if (name === 'id') {
    if (url.startsWith('/api/live/')) return ids.live;
    if (url.startsWith('/api/users/')) return ids.cadre;
    if (url.startsWith('/api/stations/')) return ids.station;
    if (url.startsWith('/api/timetable/')) return ids.session;
    if (url.startsWith('/api/study/selections/')) return `lecture:${ids.lecture}`;
    return ids.lecture;
  }
  if (name === 'rank') return 'township';
  if (name === 'lang') return 'en';
  if (name === 'file') return `${url.includes('/station/') ? ids.station : ids.cadre}.ics`;
  if (name === 'token') return 'forged.token';
  if (name === 'key') return 'x';
  if (name === '*') return url.startsWith('/api/uploads') ? ids.upload : 'master.m3u8';
  return idFor(name);
}

interface RouteCase {
  method: string;
  url: string;
  access: readonly Access[];
  path: string;
  payload?: unknown;
}

function routeCases(): RouteCase[] {
  const doc = t.app.swagger() as Schema;
  const defs: Schema = doc.components?.schemas ?? {};
  const cases: RouteCase[] = [];
  for (const [key, access] of t.app.accessRules) {
    const [method, url] = key.split(' ') as [string, string];
    if (!METHODS.has(method)) continue;
    const docPath = url.replace(/:(\w+)/g, '{$1}');
    const op: Schema | undefined = (doc.paths?.[docPath] ?? doc.paths?.[`${docPath}/`])?.[method.toLowerCase()];
    const query = new URLSearchParams();
    for (const p of op?.parameters ?? []) if (p.in === 'query' && p.required) query.set(p.name, String(sample(p.schema, p.name, defs)));
    const filled = url.replace(/:(\w+)/g, (_m, n: string) => encodeURIComponent(pathValue(url, n))).replace(/\*$/, () => pathValue(url, '*'));
    const body = op?.requestBody?.content?.['application/json']?.schema;
    cases.push({ method, url, access, path: filled + (query.size ? `?${query}` : ''), payload: body ? sample(body, '', defs) : ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined });
  }
  return cases;
}

type Verdict = 'allowed' | 'denied' | 'scoped';
/** What the declaration lets this principal do with the objects the matrix hands it. */
function verdict(p: Principal, access: readonly Access[]): Verdict {
  if (access.includes('public')) return 'allowed';
  if (access.includes('signed')) return 'denied'; // the matrix only holds forged tokens
  if (p === 'kiosk') return access.includes('kiosk') ? 'allowed' : 'denied';
  const role = roleOf[p];
  if (!role) return 'denied';
  if (access.includes('any-user') || access.includes(role as Access)) return 'allowed';
  if (role === 'unitAdmin' && access.includes('unitAdmin:own-units')) return 'scoped';
  return 'denied'; // includes lecturer:own: the lecture is the org admin's
}

// ---- the matrix ---------------------------------------------------------------------------

describe('route access', () => {
  it('declares access on every route of the OpenAPI document', () => {
    const doc = t.app.swagger() as Schema;
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Schema)) {
      for (const method of Object.keys(ops as Schema)) {
        if (!METHODS.has(method.toUpperCase())) continue;
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        // The document writes a prefix's root route with a trailing slash.
        if (![url, url.replace(/(.)\/$/, '$1')].some((u) => t.app.accessRules.has(`${method.toUpperCase()} ${u}`))) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(50);
    // Hidden routes are held too: media, posters, station media, tus uploads.
    for (const hidden of ['GET /media/hls/:token/*', 'GET /media/posters/:id', 'GET /media/station/:lectureId/*', 'PATCH /api/uploads/*']) expect(t.app.accessRules.has(hidden), hidden).toBe(true);
  });

  it('refuses to start with an /api route that declares no access, naming it', async () => {
    const bare = Fastify();
    await bare.register(fp(async () => {}, { name: 'auth' }));
    await bare.register(fp(async () => {}, { name: 'stations' }));
    await bare.register(accessPlugin);
    await expect(
      bare.register(async (i) => {
        i.get('/api/forgotten', async () => ({}));
      }),
    ).rejects.toThrow('Route GET /api/forgotten declares no access');
    await bare.close().catch(() => {});
  });

  it("keeps a unit admin out of another committee's unit report, users, stations and timetable", async () => {
    const o = cookies.otherUnitAdmin;
    expect((await call('GET', `/api/reports/units/${ids.unit}/report`, o)).status).toBe(403);
    expect((await call('GET', `/api/users/${ids.cadre}`, o)).status).toBe(403);
    expect((await call('GET', `/api/stations/${ids.station}/roster`, o)).status).toBe(403);
    const users = await call('GET', `/api/users?orgUnitId=${ids.unit}`, o);
    expect(users.status).toBe(200);
    expect(users.json().items).toEqual([]);
    const stations = await call('GET', '/api/stations', o);
    expect(stations.status).toBe(200);
    expect(stations.json().items).toEqual([]);
    const schedule = await call('POST', '/api/timetable', o, { lectureId: ids.lecture, startAt: new Date(Date.now() + 86_400_000).toISOString(), stationIds: [ids.station] });
    expect(schedule.status).toBe(403);
    expect((await call('POST', '/api/study/assignments', o, { unitId: ids.unit, lectureId: ids.lecture, year: 2026 })).status).toBe(403);
    const timetable = await call('GET', '/api/timetable', o);
    expect(timetable.status).toBe(200);
    expect(timetable.json().items).toEqual([]);
  });

  it('keeps the old answers: 401 for anonymous, 403 for a wrong role, STATION_UNPAIRED without a kiosk cookie', async () => {
    expect((await call('GET', '/api/stations')).status).toBe(401);
    expect((await call('GET', '/api/stations', cookies.cadre)).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await call('GET', '/api/kiosk/state', cookies.cadre)).json()).toMatchObject({ error: { code: 'STATION_UNPAIRED' } });
    expect((await call('GET', '/api/kiosk/state', cookies.kiosk)).status).toBe(200);
  });
});

// ---- socket events ------------------------------------------------------------------------

describe('socket events', () => {
  let url: string;
  const sockets: Socket[] = [];
  type Ack = { ok?: true; error?: { code: string } };
  const connect = async (cookie: string) => {
    const s = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    sockets.push(s);
    await new Promise<void>((res, rej) => {
      s.on('connect', () => res());
      s.on('connect_error', rej);
    });
    return s;
  };
  const ask = (s: Socket, event: string, payload: unknown = {}) => s.timeout(10_000).emitWithAck(event, payload) as Promise<Ack>;

  beforeAll(async () => {
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => {
    for (const s of sockets) s.disconnect();
  });

  it('declares who may emit every live and catalog event', () => {
    for (const event of ['live:join', 'live:end', 'live:start', 'live:stage', 'live:chat', 'lecture:watch']) expect(socketEvents).toHaveProperty([event]);
  });

  it('refuses a host-only event from a cadre with FORBIDDEN, in the room or not', async () => {
    const cadre = await connect(cookies.cadre!);
    expect(await ask(cadre, 'live:end')).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const joined = await ask(cadre, 'live:join', { lectureId: ids.live });
    expect(joined.ok).toBe(true);
    for (const event of ['live:start', 'live:end', 'live:question:answer']) expect(await ask(cadre, event, event === 'live:question:answer' ? { questionId: 'q123' } : {}), event).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await ask(cadre, 'live:stage', { peerId: cadre.id!, onStage: true })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await ask(cadre, 'live:chat', { text: '你好' })).toMatchObject({ ok: true });
  });

  it('refuses a host-only event from a lecturer who is only a viewer of the room', async () => {
    const lecturer = await connect(cookies.lecturer!);
    expect((await ask(lecturer, 'live:join', { lectureId: ids.live })).ok).toBe(true);
    expect(await ask(lecturer, 'live:end')).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('refuses lecture:watch from a kiosk and a cadre', async () => {
    const kiosk = await connect(cookies.kiosk!);
    expect(await ask(kiosk, 'lecture:watch', { lectureId: ids.lecture })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const cadre = await connect(cookies.cadre!);
    expect(await ask(cadre, 'lecture:watch', { lectureId: ids.lecture })).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});

// Last: the org admin's successful writes (revoke the kiosk, delete the session) change the county.
describe('the access matrix', () => {
  it('answers no principal outside the declared access with a 2xx, and never 5xx', async () => {
    const cases = routeCases();
    expect(cases.length).toBeGreaterThan(60);
    const failures: string[] = [];
    for (const p of principals) {
      // Logging out ends the principal's session: last.
      const ordered = [...cases.filter((c) => c.url !== '/api/auth/logout'), ...cases.filter((c) => c.url === '/api/auth/logout')];
      for (let i = 0; i < ordered.length; i += 8) {
        await Promise.all(
          ordered.slice(i, i + 8).map(async (c) => {
            const res = await call(c.method, c.path, cookies[p], c.payload);
            const v = verdict(p, c.access);
            const what = `${p} ${c.method} ${c.path} [${c.access.join(', ')}] -> ${res.status}`;
            if (res.status >= 500) failures.push(`${what}: 5xx ${res.body.slice(0, 200)}`);
            else if (res.status < 300 && v === 'denied') failures.push(`${what}: 2xx outside the declared access`);
            else if (res.status < 300 && v === 'scoped') {
              const leaked = foreign.filter((id) => res.body.includes(id));
              if (leaked.length) failures.push(`${what}: another committee's ids in the answer (${leaked.join(', ')})`);
            }
          }),
        );
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
