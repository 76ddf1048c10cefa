/**
 * Credits that hold (issue 11), against the real store with a controlled clock: each attempt
 * measured on the landed portal gets the fair figure, and an honest cadre on a lossy link with a
 * PC clock two hours off loses nothing and is not flagged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import type { UserDoc } from '../../server/modules/users/user.model';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { build, type TestApp } from '../helpers/build';

let t: TestApp;
const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
let clock = T0;
let engine: StudyEngine;
let n = 0;

beforeAll(async () => {
  t = await build();
  engine = new StudyEngine(t.app.store.models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
  await engine.start();
}, 60_000);
afterAll(async () => {
  await engine?.close();
  await t?.close();
});

async function newCadre(): Promise<UserDoc> {
  const doc = await t.app.store.models.User.create({ username: `atk${++n}`, displayName: `测试${n}`, passwordHash: 'x', role: 'cadre', rank: 'township' });
  expect(doc._id).toBeDefined();
  return doc.toObject() as UserDoc;
}
async function newLecture(over: Record<string, unknown> = {}): Promise<LectureDoc> {
  const l = await t.app.store.models.Lecture.create({ title: `专题${++n}`, category: 'implementation', topic: `主题${n}`, state: 'published', durationSec: 400, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 }, ...over });
  expect(l._id).toBeDefined();
  return l.toObject() as unknown as LectureDoc;
}
/** Opens a playback whose every segment was sent in full (the evidence is not what these tests are about). */
async function open(u: UserDoc, l: LectureDoc) {
  const o = await engine.open(u, l, {});
  expect(o.playbackId).toBeTruthy();
  for (let i = 0; i < 300; i++) engine.recordDelivery(o.playbackId, i);
  return o.playbackId;
}
const beat = (playbackId: string, seq: number, position: number, clientAt: number, over: Partial<IncomingBeat> = {}): IncomingBeat => ({ playbackId, seq, position, rate: 1, playing: true, visible: true, event: seq === 1 ? 'play' : 'tick', clientAt, ...over });
/** Beats every 15 s of the PC's clock from `startAt`, media from `from` to `to` at 1x. */
function watch(playbackId: string, from: number, to: number, startAt: number) {
  const out: IncomingBeat[] = [];
  for (let i = 0, pos = from; pos <= to; i++, pos += 15) out.push(beat(playbackId, i + 1, Math.min(pos, to), startAt + i * 15_000));
  return out;
}
/** Wall seconds credited to a cadre on all their content. */
async function wallOf(u: UserDoc, lectures: LectureDoc[]) {
  let sum = 0;
  for (const l of lectures) sum += (await engine.progressOf(String(u._id), String(l._id))).wallSec;
  return sum;
}
const flagsOf = async (u: UserDoc) => {
  await engine.checkpoint();
  return t.app.store.models.StudyFlag.find({ userId: u._id as Types.ObjectId }).lean();
};

describe('one wall clock per cadre', () => {
  it('credits ten sessions with one backdated offline batch only the 44.5 s that passed', async () => {
    const u = await newCadre();
    const lectures = await Promise.all(Array.from({ length: 10 }, () => newLecture()));
    clock = T0;
    const ids = [];
    for (const l of lectures) ids.push(await open(u, l));
    clock = T0 + 44_500;
    // One batch: each session claims 400 s of watching, dated back to before it was opened.
    const batch = ids.flatMap((id) => watch(id, 0, 400, clock - 400_000));
    const r = await engine.ingest(u, batch);
    expect(r.acks).toHaveLength(batch.length);
    expect(await wallOf(u, lectures)).toBeCloseTo(44.5, 6);
    expect(Object.values(r.sessions).filter((s) => s.completed)).toHaveLength(0);
    const flags = await flagsOf(u);
    const refused = flags.filter((f) => f.kind === 'parallel-sessions').reduce((s, f) => s + (f.seconds ?? 0), 0);
    expect(refused).toBeCloseTo(9 * 44.5, 0);
    expect(flags.some((f) => f.kind === 'clock-fast' || f.kind === 'too-fast')).toBe(true);
  });

  it('gives a second device that held its beats until the first tab ended only the time after it', async () => {
    const u = await newCadre();
    const [a, b] = [await newLecture(), await newLecture()];
    clock = T0;
    const pa = await open(u, a);
    const pb = await open(u, b);
    // The first tab watches live, beat by beat.
    for (const bt of watch(pa, 0, 300, T0)) {
      clock = bt.clientAt + 100;
      expect((await engine.ingest(u, [bt])).acks).toHaveLength(1);
    }
    clock = T0 + 301_000;
    await engine.ingest(u, watch(pb, 0, 300, T0));
    expect((await engine.progressOf(String(u._id), String(a._id))).wallSec).toBeCloseTo(300, 6);
    // Only the second between the first tab's last beat (300 s) and this batch's receipt (301 s) was free.
    expect((await engine.progressOf(String(u._id), String(b._id))).wallSec).toBeCloseTo(1, 6);
    expect((await flagsOf(u)).some((f) => f.kind === 'parallel-sessions' && (f.seconds ?? 0) > 290)).toBe(true);
  });

  it('lets an unload free the counting place at once without the next session re-earning the same minutes', async () => {
    const u = await newCadre();
    const [a, b] = [await newLecture(), await newLecture()];
    clock = T0;
    const pa = await open(u, a);
    const pb = await open(u, b);
    const beats = watch(pa, 0, 120, T0);
    for (const bt of beats) {
      clock = bt.clientAt + 100;
      await engine.ingest(u, [bt]);
    }
    clock = T0 + 120_200;
    const bye = await engine.ingest(u, [beat(pa, beats.length + 1, 120, T0 + 120_100, { event: 'unload', playing: false })]);
    expect(bye.acks).toHaveLength(1);
    // The other page counts at once …
    clock = T0 + 120_500;
    const first = await engine.ingest(u, [beat(pb, 1, 0, clock)]);
    expect(first.sessions[pb]!.counting).toBe(true);
    // … but its beats dated back over the first tab's two minutes earn only what was free.
    const back = watch(pb, 0, 120, T0).map((x, i) => ({ ...x, seq: i + 2 }));
    await engine.ingest(u, back);
    expect((await engine.progressOf(String(u._id), String(b._id))).wallSec).toBeLessThanOrEqual(0.5 + 1e-6);
  });
});

describe('media advance bounded per session', () => {
  it('gives beats every 200 ms claiming 3 s each no more than 2x the real time plus one tolerance', async () => {
    const u = await newCadre();
    const l = await newLecture({ durationSec: 1000 });
    clock = T0;
    const p = await open(u, l);
    for (let i = 0; i < 100; i++) {
      clock = T0 + i * 200 + 50;
      await engine.ingest(u, [beat(p, i + 1, i * 3, T0 + i * 200)]);
    }
    const got = await engine.progressOf(String(u._id), String(l._id));
    expect(got.coveredSec).toBeCloseTo(2 * 19.8 + 3, 6);
    expect(got.wallSec).toBeLessThanOrEqual(19.8 + 1e-6);
    expect((await flagsOf(u)).some((f) => f.kind === 'too-fast')).toBe(true);
  });

  it('bounds +8.9 s every 3 s to the allowed rate over the session', async () => {
    const u = await newCadre();
    const l = await newLecture({ durationSec: 1000 });
    clock = T0;
    const p = await open(u, l);
    for (let i = 0; i < 40; i++) {
      clock = T0 + i * 3000 + 50;
      await engine.ingest(u, [beat(p, i + 1, i * 8.9, T0 + i * 3000)]);
    }
    const got = await engine.progressOf(String(u._id), String(l._id));
    expect(got.coveredSec).toBeCloseTo(2 * 117 + 3, 6);
    expect(got.completedAt).toBeNull();
  });
});

describe('an honest cadre on a lossy link with a wrong clock', () => {
  // Beats every 15 s; about a third of the requests are lost and their beats go with the next
  // one; answers take 0.1-3 s. Seeded, so the run is the same each time.
  function lossy(playbackId: string, seconds: number, skewMs: number, seed: number) {
    let x = seed;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const requests: { at: number; beats: IncomingBeat[] }[] = [];
    let queue: IncomingBeat[] = [];
    for (let i = 0, pos = 0; pos <= seconds; i++, pos += 15) {
      const madeAt = T0 + 2000 + i * 15_000;
      queue.push(beat(playbackId, i + 1, Math.min(pos, seconds), madeAt + skewMs));
      if (rand() < 0.35 && pos < seconds) continue; // this request is lost: the beats wait
      requests.push({ at: madeAt + 100 + rand() * 2900, beats: queue });
      queue = [];
    }
    return requests;
  }

  it.each([
    ['two hours ahead', 2 * 3600_000, 7],
    ['two hours behind', -2 * 3600_000, 11],
  ])('credits at least 98 percent of 780 s with a PC clock %s, and flags nothing', async (_n, skew, seed) => {
    const u = await newCadre();
    const l = await newLecture({ durationSec: 780, creditHours: 1 });
    clock = T0;
    const p = await open(u, l);
    for (const r of lossy(p, 780, skew, seed)) {
      clock = r.at;
      const a = await engine.ingest(u, r.beats);
      expect(a.acks).toHaveLength(r.beats.length);
      expect(a.rejected).toEqual([]);
    }
    const got = await engine.progressOf(String(u._id), String(l._id));
    expect(got.coveredSec).toBeGreaterThanOrEqual(0.98 * 780);
    expect(got.wallSec).toBeGreaterThanOrEqual(0.98 * 780);
    expect(got.completedAt).not.toBeNull();
    expect(await flagsOf(u)).toEqual([]);
    const ledger = await t.app.store.models.Ledger.find({ userId: u._id as Types.ObjectId }).lean();
    expect(ledger.map((e) => e.hours)).toEqual([1]);
  });
});

describe('a live lecture and its replay', () => {
  it('are one piece of content: watched live and in the replay, credited once', async () => {
    const u = await newCadre();
    const live = await newLecture({ kind: 'live', durationSec: 600, creditHours: 2 });
    const replay = await newLecture({ durationSec: 600, creditHours: 2, replayOf: live._id });
    clock = T0;
    const pl = await open(u, live);
    for (const bt of watch(pl, 0, 300, T0)) {
      clock = bt.clientAt + 100;
      await engine.ingest(u, [bt]);
    }
    clock = T0 + 3600_000;
    const pr = await open(u, replay);
    const rest = watch(pr, 300, 600, clock);
    for (const bt of rest) {
      clock = bt.clientAt + 100;
      await engine.ingest(u, [bt]);
    }
    const p = await engine.progressOf(String(u._id), String(replay._id));
    expect(p.coveredSec).toBe(600);
    // Again in the replay: nothing more.
    clock += 3600_000;
    const again = await open(u, replay);
    for (const bt of watch(again, 0, 600, clock)) {
      clock = bt.clientAt + 100;
      await engine.ingest(u, [bt]);
    }
    const ledger = await t.app.store.models.Ledger.find({ userId: u._id as Types.ObjectId }).lean();
    expect(ledger).toHaveLength(1);
    expect(String(ledger[0]!.lectureId)).toBe(String(live._id));
    expect(ledger[0]!.hours).toBe(2);
  });
});

describe('the county calendar', () => {
  it('credits a lecture completed at 07:30 on 1 January Beijing time to the new year and day', async () => {
    const u = await newCadre();
    const l = await newLecture({ durationSec: 60, creditHours: 1 });
    const start = Date.UTC(2026, 11, 31, 23, 29, 0); // 2027-01-01 07:29 in Asia/Shanghai
    clock = start;
    const p = await open(u, l);
    for (const bt of watch(p, 0, 60, start)) {
      clock = bt.clientAt + 100;
      await engine.ingest(u, [bt]);
    }
    const ledger = await t.app.store.models.Ledger.find({ userId: u._id as Types.ObjectId }).lean();
    expect(ledger.map((e) => e.year)).toEqual([2027]);
    const summary = await t.app.store.models.Summary.findById(`${String(u._id)}:2027`).lean();
    expect((summary!.byDay as Record<string, number>)['2027-01-01']).toBe(1);
    expect((summary!.byMonth as number[])[0]).toBe(1);
  });
});

describe('property: a cadre never earns more than the real time that passed', () => {
  it('holds for random interleavings of sessions, batches and station presences', async () => {
    const fc = await import('fast-check');
    const stationId = String(new Types.ObjectId());
    const lectures = await Promise.all(Array.from({ length: 3 }, () => newLecture({ durationSec: 3600 })));
    const op = fc.oneof(
      fc.record({ k: fc.constant('open' as const), lecture: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
      fc.record({ k: fc.constant('batch' as const), session: fc.nat(), beats: fc.integer({ min: 1, max: 12 }), everyMs: fc.integer({ min: 100, max: 30_000 }), skewMs: fc.integer({ min: -7_200_000, max: 7_200_000 }), back: fc.integer({ min: 0, max: 600_000 }), step: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ k: fc.constant('station' as const), lecture: fc.integer({ min: 0, max: 2 }), beats: fc.integer({ min: 2, max: 8 }), from: fc.integer({ min: 0, max: 100 }), to: fc.integer({ min: 0, max: 100 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 14 }), async (ops) => {
        const u = await newCadre();
        const start = (clock = T0 + 30 * 86_400_000 + n * 10_000_000);
        const sessions: { id: string; seq: number; pos: number; at: number }[] = [];
        for (const o of ops) {
          if (o.k === 'open') sessions.push({ id: await open(u, lectures[o.lecture]!), seq: 0, pos: 0, at: 0 });
          else if (o.k === 'wait') clock += o.ms;
          else if (o.k === 'batch' && sessions.length) {
            const s = sessions[o.session % sessions.length]!;
            const beats: IncomingBeat[] = [];
            for (let i = 0; i < o.beats; i++) {
              s.at = Math.max(s.at, clock - o.back + o.skewMs) + o.everyMs;
              s.pos += o.step;
              beats.push(beat(s.id, ++s.seq, s.pos, s.at, { event: s.seq === 1 ? 'play' : 'tick' }));
            }
            await engine.ingest(u, beats);
          } else if (o.k === 'station') {
            const opened = await engine.openStation(stationId, lectures[o.lecture]!, {});
            for (let i = 0; i < 300; i++) engine.recordDelivery(opened.playbackId, i);
            // The station plays live; the learner's evidenced presence is a part of each span.
            for (let i = 0; i < o.beats; i++) {
              if (i) clock += 15_000;
              await engine.ingestGroup(stationId, [beat(opened.playbackId, i + 1, i * 15, clock)], (_pid, span) => {
                const len = span.wallTo - span.wallFrom;
                const a = span.wallFrom + (len * Math.min(o.from, o.to)) / 100;
                const b = span.wallFrom + (len * Math.max(o.from, o.to)) / 100;
                return b > a ? [{ userId: String(u._id), intervals: span.intervals, wallSec: span.wallSec, wall: [[a, b]] }] : [];
              });
            }
          }
          // The invariant, after every step: credited server time <= server time that passed.
          const iv = engine.clock.intervals(String(u._id));
          const total = iv.reduce((x, [a, b]) => x + (b - a), 0);
          expect(total).toBeLessThanOrEqual(clock - start + 1e-6);
          for (const [a, b] of iv) expect(b).toBeLessThanOrEqual(clock + 1e-6);
          expect(await wallOf(u, lectures)).toBeLessThanOrEqual((clock - start) / 1000 + 1e-6);
        }
      }),
      { numRuns: 25, seed: 20261202 },
    );
  }, 240_000);
});

describe('flags a unit admin can act on', () => {
  it('shows each attempt with its reason and seconds, to the admins of the cadre\'s own units only', async () => {
    const { seedDemo, DEMO_PASSWORD } = await import('../../server/seed/demo');
    const { login } = await import('../helpers/build');
    await seedDemo(t.app.store.models);
    const models = t.app.store.models;
    const mine = await models.User.findOne({ username: 'cadre' }).lean();
    const orgAdmin = await models.User.findOne({ username: 'orgadmin' }).lean();
    expect(mine && orgAdmin).toBeTruthy();
    // A cadre of the organisation department: outside the unit admin's committee.
    const other = await models.User.create({ username: 'outsider', displayName: '外单位', passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: orgAdmin!.orgUnitId });
    const at = new Date(T0);
    await models.StudyFlag.create({ userId: mine!._id, kind: 'parallel-sessions', count: 3, seconds: 44.5, at });
    await models.StudyFlag.create({ userId: other._id, kind: 'clock-fast', count: 1, seconds: 355.5, at });
    const get = async (who: string) => t.app.inject({ method: 'GET', url: '/api/study/flags', headers: { cookie: await login(t.app, who, DEMO_PASSWORD) } });
    const unit = await get('unitadmin');
    expect(unit.statusCode).toBe(200);
    const items = unit.json().items as { userId: string; kind: string; seconds: number; reason: string }[];
    expect(items.every((f) => f.userId === String(mine!._id))).toBe(true);
    expect(items).toContainEqual(expect.objectContaining({ kind: 'parallel-sessions', seconds: 44.5 }));
    expect(items[0]!.reason).toMatch(/重叠部分未计 \/ .*overlap/);
    const county = (await get('orgadmin')).json().items as { userId: string }[];
    expect(county.map((f) => f.userId)).toEqual(expect.arrayContaining([String(mine!._id), String(other._id)]));
    expect((await get('cadre')).statusCode).toBe(403);
  });

  it('lets an admin mark a flag reviewed with a note, once, within their reach; the list shows open or reviewed ones', async () => {
    const { DEMO_PASSWORD } = await import('../../server/seed/demo');
    const { login } = await import('../helpers/build');
    const models = t.app.store.models;
    const mine = await models.User.findOne({ username: 'cadre' }).lean();
    const other = await models.User.findOne({ username: 'outsider' }).lean();
    expect(mine && other).toBeTruthy();
    const at = new Date(T0);
    const own = await models.StudyFlag.create({ userId: mine!._id, kind: 'too-fast', count: 2, seconds: 30, at });
    const foreign = await models.StudyFlag.create({ userId: other!._id, kind: 'too-fast', count: 1, seconds: 10, at });
    const unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
    const orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    const cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
    const review = (cookie: string, id: string, note: unknown) => t.app.inject({ method: 'POST', url: `/api/study/flags/${id}/review`, headers: { cookie }, payload: { note } });
    const list = async (cookie: string, state: string) => ((await t.app.inject({ method: 'GET', url: `/api/study/flags?state=${state}`, headers: { cookie } })).json().items as { id: string; review?: { byName: string; note: string } }[]);

    expect((await review(unitAdmin, String(own._id), '   ')).statusCode).toBe(400);
    expect((await review(cadre, String(own._id), '已核实')).statusCode).toBe(403);
    expect((await review(unitAdmin, String(foreign._id), '不是我单位的')).statusCode).toBe(404);
    expect((await review(unitAdmin, 'not-an-id', '已核实')).statusCode).toBe(404);

    // Two admins at once: one note is kept, the other is told it was taken.
    const [a, b] = await Promise.all([review(unitAdmin, String(own._id), '网络断续,已电话核实,属正常'), review(orgAdmin, String(own._id), '县委组织部复核')]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const winner = a.statusCode === 200 ? a : b;
    expect(winner.json().review).toMatchObject({ note: expect.any(String), byName: expect.any(String) });
    expect((b.statusCode === 409 ? b : a).json().error.code).toBe('FLAG_ALREADY_REVIEWED');
    const stored = await models.StudyFlag.findById(own._id).lean();
    expect(stored!.reviewNote).toBe(winner.json().review.note);

    expect((await list(unitAdmin, 'open')).map((f) => f.id)).not.toContain(String(own._id));
    expect((await list(unitAdmin, 'reviewed')).map((f) => f.id)).toEqual([String(own._id)]);
    expect((await list(orgAdmin, 'open')).map((f) => f.id)).toContain(String(foreign._id));
    expect((await list(orgAdmin, 'all')).map((f) => f.id)).toEqual(expect.arrayContaining([String(own._id), String(foreign._id)]));
  });
});
