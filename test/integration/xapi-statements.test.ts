/**
 * xAPI Video Profile statements built from what the server credited, on the real store: a
 * partial watch with a seek, a full watch, a live lecture and a station's group session (each
 * learner gets theirs), driven through the study engine with a controlled clock, swept into
 * statements and checked by an independent checker of the profile (test/helpers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../server/seed/demo';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import type { UserDoc } from '../../server/modules/users/user.model';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { XapiService, xapiOptions, homePageOf } from '../../server/modules/xapi/xapi.service';
import { build, type TestApp } from '../helpers/build';
import { checkStatements, parseSegments, verbsOf } from '../helpers/xapi-profile-check';

const STATION = '5f0000000000000000000a01';
const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const E = (n: string) => `https://w3id.org/xapi/video/extensions/${n}`;

let t: TestApp;
let clock = T0;
let engine: StudyEngine;
let xapi: XapiService;
let n = 0;

async function newCadre(): Promise<UserDoc> {
  const unit = (await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
  const doc = await t.app.store.models.User.create({ username: `xapi${++n}`, displayName: `学员${n}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: unit });
  return doc.toObject() as UserDoc;
}
async function newLecture(kind: 'recorded' | 'live', durationSec: number): Promise<LectureDoc> {
  const l = await t.app.store.models.Lecture.create({ title: kind === 'live' ? '直播:基层治理' : '录播:依法行政', category: 'implementation', topic: `t${++n}`, state: 'published', kind, durationSec, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
  return l.toObject() as unknown as LectureDoc;
}
const beat = (playbackId: string, seq: number, position: number, atSec: number, over: Partial<IncomingBeat> = {}): IncomingBeat => ({ playbackId, seq, position, rate: 1, playing: true, visible: true, event: 'tick', clientAt: T0 + atSec * 1000, ...over });
/** Beats of a contiguous watch from `from` to `to` (media seconds) every 15 s of wall time, starting at `startSec`. */
function watch(playbackId: string, from: number, to: number, startSec: number, firstSeq: number, firstEvent: IncomingBeat['event'] = 'play') {
  const beats: IncomingBeat[] = [beat(playbackId, firstSeq, from, startSec, { event: firstEvent })];
  let seq = firstSeq + 1;
  for (let pos = from, at = startSec; pos < to; ) {
    at += 15;
    pos = Math.min(to, pos + 15);
    beats.push(beat(playbackId, seq++, pos, at));
  }
  return beats;
}
const tick = () => new Promise((r) => setImmediate(r));
async function statementsOf(userId: string) {
  const rows = await t.app.store.models.Xapi.find({ userId }).sort({ stored: 1 }).lean();
  return rows.map((r) => JSON.parse(r.json) as Record<string, any>);
}

beforeAll(async () => {
  t = await build({ PUBLIC_URL: 'https://study.example.org' });
  await seedDemo(t.app.store.models);
  engine = new StudyEngine(t.app.store.models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
  xapi = new XapiService(t.app.store.models, engine, null, { ...xapiOptions(t.app.config), lrs: undefined }, silent);
  engine.xapi = xapi;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('xAPI video profile statements from server credit', () => {
  it('states a partial watch with a seek: played, paused, seeked, played, paused, terminated, no completion', async () => {
    const u = await newCadre();
    const lecture = await newLecture('recorded', 600);
    clock = T0;
    const o = await engine.open(u, lecture, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(o.playbackId, i);
    const first = watch(o.playbackId, 0, 120, 0, 1);
    const second = watch(o.playbackId, 300, 360, 125, first.length + 1, 'seek');
    const end = beat(o.playbackId, first.length + second.length + 1, 360, 180, { event: 'end', playing: false });
    clock = T0 + 200_000;
    const r = await engine.ingest(u, [...first, ...second, end]);
    expect(r.sessions[o.playbackId]!.coveredSec).toBeGreaterThanOrEqual(170);
    await tick();
    expect(await xapi.sweep()).toBeGreaterThan(0);
    const list = await statementsOf(String(u._id));
    expect(checkStatements(list)).toEqual([]);
    expect(verbsOf(list)).toEqual(['initialized', 'played', 'paused', 'seeked', 'played', 'paused', 'terminated']);
    const seeked = list[3]!;
    expect(seeked.result.extensions[E('time-from')]).toBeCloseTo(120, 0);
    expect(seeked.result.extensions[E('time-to')]).toBeCloseTo(300, 0);
    const last = list.at(-1)!;
    expect(last.result.extensions[E('progress')]).toBeCloseTo(0.3, 2);
    expect(parseSegments(last.result.extensions[E('played-segments')])).toEqual([[0, 120], [300, 360]]);
    expect(last.actor.account).toEqual({ homePage: 'https://study.example.org', name: String(u._id) });
    expect(last.context.extensions[E('length')]).toBe(600);
    expect(last.context.extensions[E('completion-threshold')]).toBe(t.app.config.study.completionThreshold);
    // A second sweep, or the same trail built again, adds nothing.
    expect(await xapi.sweep({ force: true })).toBe(0);
    expect(await statementsOf(String(u._id))).toHaveLength(list.length);
  });

  it('states a full watch with completed at or above the stated threshold, once', async () => {
    const u = await newCadre();
    const lecture = await newLecture('recorded', 600);
    clock = T0;
    const o = await engine.open(u, lecture, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(o.playbackId, i);
    const beats = watch(o.playbackId, 0, 600, 0, 1);
    beats.push(beat(o.playbackId, beats.length + 1, 600, 601, { event: 'end', playing: false }));
    clock = T0 + 700_000;
    const r = await engine.ingest(u, beats);
    expect(r.sessions[o.playbackId]).toMatchObject({ completed: true });
    await tick();
    await xapi.sweep();
    const list = await statementsOf(String(u._id));
    expect(checkStatements(list)).toEqual([]);
    expect(verbsOf(list)).toEqual(['initialized', 'played', 'paused', 'completed', 'terminated']);
    const completed = list[3]!;
    expect(completed.result).toMatchObject({ completion: true });
    expect(completed.result.extensions[E('progress')]).toBe(1);
    expect(completed.result.duration).toMatch(/^PT\d+(\.\d)?S$/);
    // Watching it again later: a new session, no second completion.
    clock = T0 + 3_600_000;
    const again = await engine.open(u, lecture, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(again.playbackId, i);
    await engine.ingest(u, [...watch(again.playbackId, 0, 60, 3000, 1), beat(again.playbackId, 6, 60, 3061, { event: 'end', playing: false })]);
    await tick();
    await xapi.sweep();
    const all = await statementsOf(String(u._id));
    expect(checkStatements(all)).toEqual([]);
    expect(verbsOf(all).filter((v) => v === 'completed')).toHaveLength(1);
  });

  it('states a live lecture watched on its live timeline', async () => {
    const u = await newCadre();
    const lecture = await newLecture('live', 300);
    clock = T0;
    const o = await engine.open(u, lecture, {});
    engine.recordDeliveredSpan(o.playbackId, 0, 300);
    const beats = watch(o.playbackId, 0, 300, 0, 1);
    beats.push(beat(o.playbackId, beats.length + 1, 300, 301, { event: 'end', playing: false }));
    clock = T0 + 400_000;
    await engine.ingest(u, beats);
    await tick();
    await xapi.sweep();
    const list = await statementsOf(String(u._id));
    expect(checkStatements(list)).toEqual([]);
    expect(verbsOf(list)).toEqual(['initialized', 'played', 'paused', 'completed', 'terminated']);
    expect(list[0]!.object.id).toBe(`https://study.example.org/xapi/activities/lecture/${String(lecture._id)}`);
  });

  it("gives each learner of a station's group session their own statements", async () => {
    const [a, b] = [await newCadre(), await newCadre()];
    const lecture = await newLecture('recorded', 600);
    clock = T0;
    const opened = await engine.openStation(STATION, lecture, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(opened.playbackId, i);
    // a is present for the whole session, b for its first half.
    const present = (u: UserDoc) => (String(u._id) === String(a._id) ? [[T0 - 60_000, T0 + 3_600_000]] : [[T0 - 60_000, T0 + 300_000]]) as [number, number][];
    const beats = watch(opened.playbackId, 0, 600, 0, 1);
    beats.push(beat(opened.playbackId, beats.length + 1, 600, 601, { event: 'end', playing: false }));
    clock = T0 + 700_000;
    await engine.ingestGroup(STATION, beats, (_pid, span) => [a, b].map((u) => ({ userId: String(u._id), intervals: span.intervals, wallSec: span.wallSec, wall: present(u) })));
    await tick();
    await xapi.sweep();
    const sa = await statementsOf(String(a._id));
    const sb = await statementsOf(String(b._id));
    expect(checkStatements([...sa, ...sb])).toEqual([]);
    expect(verbsOf(sa)).toContain('completed');
    expect(verbsOf(sb)).not.toContain('completed');
    expect(verbsOf(sb).at(-1)).toBe('terminated');
    expect(sa[0]!.context.extensions[E('session-id')]).not.toBe(sb[0]!.context.extensions[E('session-id')]);
    expect(sa[0]!.context.extensions['https://study.example.org/xapi/extensions/station']).toBe(STATION);
    expect(sb.at(-1)!.result.extensions[E('progress')]).toBeGreaterThan(0.3);
    expect(sb.at(-1)!.result.extensions[E('progress')]).toBeLessThan(0.9);
  });

  it('goes on after a restart from the stored trail, without repeating a statement', async () => {
    const u = await newCadre();
    const lecture = await newLecture('recorded', 600);
    clock = T0;
    const before = new StudyEngine(t.app.store.models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
    const xa = new XapiService(t.app.store.models, before, null, { ...xapiOptions(t.app.config), lrs: undefined }, silent);
    const o = await before.open(u, lecture, {});
    for (let i = 0; i < 150; i++) before.recordDelivery(o.playbackId, i);
    const full = watch(o.playbackId, 0, 600, 0, 1);
    clock = T0 + 650_000;
    await before.ingest(u, full);
    await tick();
    // Complete: the statements so far are made while the playback goes on.
    await xa.sweep();
    expect(verbsOf(await statementsOf(String(u._id)))).toEqual(['initialized', 'played', 'paused', 'completed']);
    // Watching the start again, then the portal stops (the trail is written) and starts anew.
    clock = T0 + 740_000;
    await before.ingest(u, watch(o.playbackId, 0, 60, 660, full.length + 1, 'seek'));
    await tick();
    await xa.close();
    await before.close();
    clock = T0 + 800_000;
    const after = new StudyEngine(t.app.store.models, { ...t.app.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
    const xb = new XapiService(t.app.store.models, after, null, { ...xapiOptions(t.app.config), lrs: undefined }, silent);
    await xb.start();
    await xb.sweep();
    await xb.close();
    const list = await statementsOf(String(u._id));
    expect(checkStatements(list)).toEqual([]);
    expect(verbsOf(list)).toEqual(['initialized', 'played', 'paused', 'completed', 'seeked', 'played', 'paused', 'terminated']);
    expect(list.at(-1)!.result.extensions[E('progress')]).toBe(1);
  });

  it('derives an http homePage when PUBLIC_URL is unset', () => {
    expect(homePageOf({ server: { host: '127.0.0.1', port: 8080, publicUrl: undefined, logLevel: 'info' } } as never)).toBe('http://127.0.0.1:8080');
    expect(homePageOf({ server: { host: '0.0.0.0', port: 80, publicUrl: 'https://a.example/', logLevel: 'info' } } as never)).toBe('https://a.example');
  });
});
