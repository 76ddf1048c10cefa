/**
 * Verified watch-time credits on the real store, the real HLS delivery and a real ladder:
 * heartbeats over HTTP with the evidence of served segments, and the engine's rules (2x, seek to
 * the end, hidden tab, two tabs, replayed and out-of-order beats, late offline batches,
 * parallel completions) driven with a controlled clock against FerretDB.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Types } from 'mongoose';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import { batchEntries, walDb, WalWriter, type WalEntry } from '../../server/modules/study/wal';
import type { UserDoc } from '../../server/modules/users/user.model';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { build, login, type TestApp } from '../helpers/build';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { fetchAllSegments, publishClip } from '../helpers/lectures';

let t: TestApp;
let url: string;
let dir: string;
let cadre: string;
let lectureId: string;

const silent = { info() {}, warn() {}, error() {} };
const post = async (path: string, cookie: string, body?: unknown) => {
  const res = await fetch(url + path, { method: 'POST', headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
};

beforeAll(async () => {
  dir = await makeMediaTmpDir('study-');
  const clip = await makeClip(dir, { seconds: 8, width: 320, height: 240 });
  t = await build({ TRANSCODE_PRESET: 'superfast', STUDY_CHECKPOINT_MS: '200' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  lectureId = await publishClip(url, lecturer, clip, { title: '关键在于落实(短课)', creditHours: 1, topic: '落实能力' });
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
}, 120_000);
afterAll(async () => {
  await t?.close();
  if (dir) await removeDir(dir);
});

describe('heartbeats over HTTP', () => {
  it('credits a cadre who fetched the media and played it through, exactly once', async () => {
    const pb = await post(`/api/lectures/${lectureId}/playback`, cadre);
    expect(pb.status).toBe(200);
    expect(pb.body).toMatchObject({ counting: true, heartbeatSec: 15, completed: false });
    expect(await fetchAllSegments(url, pb.body.masterUrl)).toBeGreaterThanOrEqual(2);
    const playbackId = pb.body.playbackId;
    const beat = (seq: number, position: number, event = 'tick', playing = true) => ({ playbackId, seq, position, rate: 1, playing, visible: true, event, clientAt: Date.now() });
    expect((await post('/api/study/heartbeats', cadre, { beats: [beat(1, 0, 'play')] })).status).toBe(200);
    await sleep(4000);
    const mid = await post('/api/study/heartbeats', cadre, { beats: [beat(2, 4)] });
    expect(mid.body.acks).toEqual([{ playbackId, seq: 2 }]);
    expect(mid.body.sessions[playbackId].progress).toBeCloseTo(0.5, 1);
    await sleep(4000);
    const end = await post('/api/study/heartbeats', cadre, { beats: [beat(3, 8, 'end', false)] });
    expect(end.body.sessions[playbackId]).toMatchObject({ counting: true, completed: true, creditHours: 1 });
    // The same beats again, and a second end: harmless.
    await post('/api/study/heartbeats', cadre, { beats: [beat(2, 4), beat(3, 8, 'end', false)] });
    const me = await fetch(`${url}/api/study/me`, { headers: { cookie: cadre } }).then((r) => r.json() as any);
    expect(me.earned.total).toBe(1);
    expect(me.lectures.find((l: any) => l.lectureId === lectureId)).toMatchObject({ completed: true, earnedHours: 1 });
    expect(await t.app.store.models.Ledger.countDocuments({ lectureId })).toBe(1);
    // The xAPI video profile's statements are made when the playback ended (server/modules/xapi).
    await t.app.study.xapi!.sweep();
    const xapi = await t.app.store.models.Xapi.find({}).sort({ stored: 1 }).lean();
    expect(xapi.map((x) => JSON.parse(x.json).verb.id as string).filter((v) => v.endsWith('/completed'))).toEqual(['http://adlnet.gov/expapi/verbs/completed']);
  }, 30_000);

  it('credits nothing to a script that posts heartbeats without fetching the media', async () => {
    const admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
    const u = await t.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: 'botcadre', displayName: '脚本', password: 'xuexi2026', role: 'cadre', orgUnitId: String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId) } });
    expect(u.statusCode).toBe(201);
    const bot = await login(t.app, 'botcadre', 'xuexi2026');
    const pb = await post(`/api/lectures/${lectureId}/playback`, bot);
    const playbackId = pb.body.playbackId;
    const beat = (seq: number, position: number) => ({ playbackId, seq, position, rate: 1, playing: true, visible: true, event: 'tick', clientAt: Date.now() });
    await post('/api/study/heartbeats', bot, { beats: [beat(1, 0)] });
    await sleep(4000);
    const r = await post('/api/study/heartbeats', bot, { beats: [beat(2, 4)] });
    expect(r.body.sessions[playbackId].coveredSec).toBe(0);
    await t.app.study.checkpoint();
    expect(await t.app.store.models.StudyFlag.countDocuments({ playbackId, kind: 'not-delivered' })).toBeGreaterThan(0);
  }, 30_000);

  it('moves the counting place to the page that starts playing and tells the other page', async () => {
    const first = await post(`/api/lectures/${lectureId}/playback`, cadre);
    const p1 = first.body.playbackId;
    await post('/api/study/heartbeats', cadre, { beats: [{ playbackId: p1, seq: 1, position: 0, rate: 1, playing: true, visible: true, event: 'play', clientAt: Date.now() }] });
    const second = await post(`/api/lectures/${lectureId}/playback`, cadre);
    expect(second.body).toMatchObject({ counting: false, reason: 'other-session' });
    const hb = await post('/api/study/heartbeats', cadre, { beats: [{ playbackId: second.body.playbackId, seq: 1, position: 0, rate: 1, playing: true, visible: true, event: 'play', clientAt: Date.now() }] });
    expect(hb.body.sessions[second.body.playbackId].counting).toBe(true);
    const back = await post('/api/study/heartbeats', cadre, { beats: [{ playbackId: p1, seq: 2, position: 1, rate: 1, playing: true, visible: true, event: 'tick', clientAt: Date.now() }] });
    expect(back.body.sessions[p1]).toMatchObject({ counting: false, reason: 'other-session' });
  });

  it('refuses a malformed beat alone, with a code and the field, and acknowledges the others', async () => {
    const open = await post(`/api/lectures/${lectureId}/playback`, cadre);
    expect(open.status).toBe(200);
    const good = { playbackId: open.body.playbackId, seq: 1, position: 0, rate: 1, playing: true, visible: true, event: 'play', clientAt: Date.now() };
    const r = await post('/api/study/heartbeats', cadre, { beats: [{ playbackId: 'x', seq: 0 }, good, { ...good, seq: 2, clientAt: 'Infinity' }] });
    expect(r.status).toBe(200);
    expect(r.body.acks).toEqual([{ playbackId: open.body.playbackId, seq: 1 }]);
    expect(r.body.rejected).toHaveLength(2);
    expect(r.body.rejected[0]).toMatchObject({ code: 'BEAT_INVALID' });
    expect(r.body.rejected[1]).toMatchObject({ code: 'BEAT_INVALID', seq: 2 });
    expect(r.body.rejected[1].message).toContain('clientAt');
    // A body that is not a batch at all is refused whole.
    const bad = await post('/api/study/heartbeats', cadre, { beats: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
  });
});

describe('the engine with a controlled clock', () => {
  const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
  let clock = T0;
  let engine: StudyEngine;
  let lecture: LectureDoc;
  let n = 0;

  async function newCadre(): Promise<UserDoc> {
    const unit = (await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!.orgUnitId;
    const doc = await t.app.store.models.User.create({ username: `eng${++n}`, displayName: `测试${n}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: unit });
    return doc.toObject() as UserDoc;
  }
  async function openAll(user: UserDoc) {
    const o = await engine.open(user, lecture, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(o.playbackId, i); // 600 s in 4 s segments, all served
    return o;
  }
  const beat = (playbackId: string, seq: number, position: number, atSec: number, over: Partial<IncomingBeat> = {}): IncomingBeat => ({ playbackId, seq, position, rate: 1, playing: true, visible: true, event: 'tick', clientAt: T0 + atSec * 1000, ...over });
  /** A contiguous watch from `from` to `to` media seconds at `rate`, beating every 15 s of wall time. */
  function watch(playbackId: string, from: number, to: number, rate: number, startSec: number, firstSeq = 1) {
    const beats: IncomingBeat[] = [];
    let seq = firstSeq;
    let pos = from;
    let at = startSec;
    beats.push(beat(playbackId, seq++, pos, at, { rate, event: 'play' }));
    while (pos < to) {
      at += 15;
      pos = Math.min(to, pos + 15 * rate);
      beats.push(beat(playbackId, seq++, pos, at, { rate }));
    }
    return beats;
  }
  const ledgerOf = (u: UserDoc) => t.app.store.models.Ledger.find({ userId: u._id as Types.ObjectId }).lean();

  /** An engine on the test store with the controlled clock (checkpoints only when called). */
  const engineWith = (over: Partial<TestApp['app']['config']['study']> = {}) => new StudyEngine(t.app.store.models, { ...t.app.config.study, checkpointMs: 3_600_000, ...over }, silent, () => clock);

  beforeAll(async () => {
    engine = engineWith();
    const l = await t.app.store.models.Lecture.create({ title: '维稳信访知识专题', category: 'implementation', topic: '维稳信访', state: 'published', durationSec: 600, creditHours: 2, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
    lecture = l.toObject() as unknown as LectureDoc;
  });

  it('credits 2x playback its coverage but only the wall time spent', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 400_000;
    const r = await engine.ingest(u, watch(o.playbackId, 0, 600, 2, 0));
    expect(r.sessions[o.playbackId]).toMatchObject({ completed: true, creditHours: 1 });
    const ledger = await ledgerOf(u);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]!.hours).toBe(1); // 2 credit hours x (300 s spent / 600 s covered)
  });

  it('gives nothing for seeking to the end', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 60_000;
    const r = await engine.ingest(u, [beat(o.playbackId, 1, 0, 0, { event: 'play' }), beat(o.playbackId, 2, 590, 2, { event: 'seek' }), beat(o.playbackId, 3, 600, 7, { event: 'end', playing: false })]);
    expect(r.sessions[o.playbackId]!.coveredSec).toBeLessThanOrEqual(10);
    expect(r.sessions[o.playbackId]!.completed).toBe(false);
    expect(await ledgerOf(u)).toHaveLength(0);
  });

  it('gives nothing while the tab is hidden', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 700_000;
    // Hidden from the 4th beat on (45 s): spans that start hidden earn nothing.
    const beats = watch(o.playbackId, 0, 600, 1, 0).map((b) => ({ ...b, visible: b.seq <= 3, event: b.seq === 4 ? ('hide' as const) : b.event }));
    const r = await engine.ingest(u, beats);
    expect(r.sessions[o.playbackId]!.coveredSec).toBe(45);
  });

  it('counts replayed and out-of-order beats once, as a fair reading of them gives', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 700_000;
    const beats = watch(o.playbackId, 0, 300, 1, 0);
    const shuffled = [...beats].reverse();
    await engine.ingest(u, [...shuffled.slice(0, 10), ...beats.slice(0, 5)]);
    const r = await engine.ingest(u, [...shuffled, ...beats]);
    // Beats 1..11 in the first call, the rest later; replays are ignored.
    expect(r.sessions[o.playbackId]!.coveredSec).toBeGreaterThanOrEqual(150);
    const again = await engine.ingest(u, beats);
    expect(again.sessions[o.playbackId]!.coveredSec).toBe(r.sessions[o.playbackId]!.coveredSec);
  });

  it('accepts an offline batch sent an hour late when its times are consistent', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 3_600_000 + 700_000; // back online much later
    const r = await engine.ingest(u, watch(o.playbackId, 0, 600, 1, 0));
    expect(r.sessions[o.playbackId]).toMatchObject({ completed: true, creditHours: 2 });
  });

  it('writes one ledger entry when completion requests race each other', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 700_000;
    const beats = watch(o.playbackId, 0, 600, 1, 0);
    await engine.ingest(u, beats.slice(0, -2));
    const last = beats.slice(-2);
    const results = await Promise.all(Array.from({ length: 6 }, () => engine.ingest(u, last)));
    expect(results.every((r) => r.sessions[o.playbackId]!.completed)).toBe(true);
    expect(await ledgerOf(u)).toHaveLength(1);
    const summary = await t.app.store.models.Summary.findById(`${String(u._id)}:2026`).lean();
    expect(summary!.total).toBe(2);
    expect(summary!.entries).toHaveLength(1);
  });

  it('keeps every listing and the credit when a completion meets openings of other lectures', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    const others = await Promise.all(
      Array.from({ length: 4 }, (_, i) => t.app.store.models.Lecture.create({ title: `并发列表${n}-${i}`, category: 'service', state: 'published', durationSec: 600, creditHours: 1, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } })),
    );
    clock = T0 + 700_000;
    const beats = watch(o.playbackId, 0, 600, 1, 0);
    await engine.ingest(u, beats.slice(0, -1));
    // The completing beat and four openings at once: each writes the same summary document.
    const [done] = await Promise.all([engine.ingest(u, beats.slice(-1)), ...others.map((l) => engine.open(u, l.toObject() as unknown as LectureDoc, {}))]);
    expect(done.sessions[o.playbackId]!.completed).toBe(true);
    const id = `${String(u._id)}:2026`;
    await vi.waitFor(async () => expect((await t.app.store.models.Summary.findById(id).lean())!.lectures).toHaveLength(5), { timeout: 5000 });
    const summary = await t.app.store.models.Summary.findById(id).lean();
    expect(summary!.lectures.sort()).toEqual([String(lecture._id), ...others.map((l) => String(l._id))].sort());
    expect(summary).toMatchObject({ total: 2, required: 0, elective: 2, entries: [`${String(u._id)}:${String(lecture._id)}:2026`] });
    expect((await t.app.store.models.StudyIndex.findById(String(u._id)).lean())!.years).toEqual([2026]);
  });

  it('credits the same minutes once when two sessions claim them', async () => {
    const u = await newCadre();
    clock = T0;
    const a = await openAll(u);
    const b = await openAll(u);
    expect(a.counting && b.counting).toBe(true);
    // 400 s later both report the same five minutes, in one batch each.
    clock = T0 + 400_000;
    const ra = await engine.ingest(u, watch(a.playbackId, 0, 300, 1, 0));
    const rb = await engine.ingest(u, watch(b.playbackId, 300, 600, 1, 0));
    expect(ra.sessions[a.playbackId]!.coveredSec).toBe(300);
    // Only the 100 s the cadre had not been credited for are left for the second.
    const total = (await engine.progressOf(String(u._id), String(lecture._id))).wallSec;
    expect(total).toBeCloseTo(400, 6);
    expect(rb.sessions[b.playbackId]!.coveredSec).toBeCloseTo(400, 6);
  });

  describe('attention checks (随机签到)', () => {
    let checked: LectureDoc;
    let strict: StudyEngine;
    beforeAll(async () => {
      const l = await t.app.store.models.Lecture.create({ title: '专注度抽查课', category: 'service', state: 'published', durationSec: 600, creditHours: 1, attentionChecks: true, media: { prefix: 'x', master: 'master.m3u8', segmentSec: 4 } });
      checked = l.toObject() as unknown as LectureDoc;
      // Checks every 60 s (random() = 0.5 puts each one exactly at the interval), 60 s to answer.
      strict = new StudyEngine(t.app.store.models, { ...t.app.config.study, checkpointMs: 3_600_000, attentionIntervalSec: 60, attentionAnswerSec: 60 }, silent, () => clock, () => 0.5);
    });
    /** Plays from 0, one beat every 15 s as the clock runs; `at(sec)` is called before each beat. */
    async function playLive(u: UserDoc, playbackId: string, untilSec: number, at: (sec: number, views: Map<number, any>) => Promise<void> = async () => {}) {
      const views = new Map<number, any>();
      for (let sec = 0, seq = 1; sec <= untilSec; sec += 15, seq++) {
        clock = T0 + sec * 1000;
        await at(sec, views);
        const r = await strict.ingest(u, [beat(playbackId, seq, sec, sec, { event: sec === 0 ? 'play' : 'tick' })]);
        views.set(sec, r.sessions[playbackId]);
      }
      return views;
    }

    it('pauses counting while a check is overdue, and drops the span a late answer covered', async () => {
      const u = await newCadre();
      clock = T0;
      const o = await strict.open(u, checked, {});
      for (let i = 0; i < 150; i++) strict.recordDelivery(o.playbackId, i);
      let late: { accepted: boolean; late: boolean } | undefined;
      const views = await playLive(u, o.playbackId, 180, async (sec, views) => {
        if (sec === 165) {
          clock = T0 + 155_000; // answered 35 s after it was due
          late = await strict.answerAttention(u, o.playbackId, views.get(60).attention.id);
          clock = T0 + sec * 1000;
        }
      });
      expect(views.get(45).attention).toBeUndefined();
      expect(views.get(60).attention).toMatchObject({ expiresInSec: 60, overdue: false });
      expect(views.get(135).attention).toMatchObject({ overdue: true });
      expect(late).toEqual({ accepted: true, late: true });
      expect(views.get(180).attention).toBeUndefined();
      // Credited: 0-120 (answered window) and 165-180; not 120-165 (overdue, then the span the late answer covered).
      expect(views.get(180).coveredSec).toBe(135);
    });

    it('keeps counting when the check is answered in time, and ignores a wrong id', async () => {
      const u = await newCadre();
      clock = T0;
      const o = await strict.open(u, checked, {});
      for (let i = 0; i < 150; i++) strict.recordDelivery(o.playbackId, i);
      const answers: unknown[] = [];
      const views = await playLive(u, o.playbackId, 120, async (sec, views) => {
        if (sec === 90) {
          answers.push(await strict.answerAttention(u, o.playbackId, 'not-the-id'));
          answers.push(await strict.answerAttention(u, o.playbackId, views.get(75).attention.id));
        }
      });
      expect(answers).toEqual([{ accepted: false, late: false }, { accepted: true, late: false }]);
      expect(views.get(120).coveredSec).toBe(120);
      expect(views.get(105).attention).toBeUndefined();
      const other = await newCadre();
      await expect(strict.answerAttention(other, o.playbackId, 'whatever')).rejects.toMatchObject({ code: 'PLAYBACK_NOT_FOUND' });
    });

    it('answers attention checks over HTTP with a validated body', async () => {
      const bad = await post('/api/study/attention', cadre, { playbackId: 'x' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
      const pb = await post(`/api/lectures/${lectureId}/playback`, cadre);
      const none = await post('/api/study/attention', cadre, { playbackId: pb.body.playbackId, checkId: 'abcdef' });
      expect(none).toMatchObject({ status: 200, body: { accepted: false, late: false } });
    });
  });

  it('rebuilds acknowledged progress from the log after a crash (no checkpoint taken)', async () => {
    const u = await newCadre();
    clock = T0;
    const o = await openAll(u);
    clock = T0 + 700_000;
    await engine.ingest(u, watch(o.playbackId, 0, 120, 1, 0));
    // A new engine on the same store, as after kill -9: nothing was checkpointed by the first.
    const reborn = engineWith();
    await reborn.start();
    const p = await reborn.progressOf(String(u._id), String(lecture._id));
    expect(p.coveredSec).toBe(120);
    await reborn.close();
  });

  describe('checkpoints: snapshots in the log, records written back when idle', () => {
    const gens = async () => (await walDb(t.app.store.models).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((c) => c.startsWith('studywal_')).sort();
    const entriesIn = async (names: string[]) => {
      const out: WalEntry[] = [];
      for (const g of names) for (const b of await walDb(t.app.store.models).collection<{ e?: string }>(g).find({}).toArray()) out.push(...batchEntries(b));
      return out;
    };

    it('keeps the log in a database of its own, beside the main one', async () => {
      const u = await newCadre();
      clock = T0;
      const o = await openAll(u);
      await engine.ingest(u, [beat(o.playbackId, 1, 0, 0, { event: 'play' })]);
      expect(walDb(t.app.store.models).databaseName).toBe(`${t.app.store.conn.name}_studywal`);
      expect((await gens()).length).toBeGreaterThan(0);
      const main = (await t.app.store.conn.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(main.filter((c) => c.startsWith('studywal_'))).toEqual([]);
    });

    it('writes the log to STUDY_LOG_DB when it is set (a MongoDB user limited to given databases)', async () => {
      const u = await newCadre();
      clock = T0;
      const logDb = `${t.app.store.conn.name}_alt`;
      const own = engineWith({ logDb });
      await own.start();
      const o = await own.open(u, lecture, {});
      for (let i = 0; i < 150; i++) own.recordDelivery(o.playbackId, i);
      clock = T0 + 400_000;
      await own.ingest(u, watch(o.playbackId, 0, 60, 1, 0));
      const names = (await walDb(t.app.store.models, logDb).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names.some((n) => n.startsWith('studywal_'))).toBe(true);
      const reborn = engineWith({ logDb });
      await reborn.start();
      expect((await reborn.progressOf(String(u._id), String(lecture._id))).coveredSec).toBe(60);
      await reborn.close();
    });

    it('writes a snapshot in chunks, with acknowledged batches going between them', async () => {
      const dbName = `${t.app.store.conn.name}_chunks`;
      const wal = new WalWriter(t.app.store.models, { maxDelayMs: 0, maxEntries: 4000, chunk: 3, dbName });
      const snap: WalEntry[] = Array.from({ length: 7 }, (_, i) => ({ k: 's', p: `pb${i}`, seq: i, pos: i, ca: null, pl: false, v: true, el: 0, d: [0, i] }));
      const order: string[] = [];
      const written = wal.write(snap).then(() => order.push('snapshot'));
      // A beat handed in while the first chunk is in flight is written before the last chunk.
      const acked = wal.commit([{ k: 'b', p: 'pbX', seq: 1, pos: 0, ca: 0, pl: true, v: true, el: 0 }]).then(() => order.push('beat'));
      await Promise.all([written, acked]);
      expect(order).toEqual(['beat', 'snapshot']);
      const raw = walDb(t.app.store.models, dbName);
      const names = (await raw.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => n.startsWith('studywal_'));
      const docs = (await Promise.all(names.map((n) => raw.collection<{ _id: string; e?: string }>(n).find({}).toArray()))).flat().sort((a, b) => (a._id < b._id ? -1 : 1));
      const sizes = docs.map((d) => batchEntries(d).length);
      expect(sizes).toEqual([3, 1, 3, 1]);
      expect(docs.flatMap((d) => batchEntries(d)).filter((e) => e.k === 's')).toEqual(snap);
      // What recover() finds is everything, in commit order.
      const found = await new WalWriter(t.app.store.models, { maxDelayMs: 0, maxEntries: 4000, dbName }).recover();
      expect(found.batches.flatMap((b) => b.entries)).toHaveLength(8);
      await raw.dropDatabase();
    });

    it('replaces the log by one snapshot per checkpoint, from which a new process recovers', async () => {
      const u = await newCadre();
      clock = T0;
      const o = await openAll(u);
      clock = T0 + 400_000;
      await engine.ingest(u, watch(o.playbackId, 0, 120, 1, 0));
      const mine = (e: WalEntry) => ('p' in e && e.p === o.playbackId) || ('u' in e && e.u === String(u._id));
      const before = await gens();
      expect((await entriesIn(before)).some(mine)).toBe(true);
      await engine.checkpoint();
      const after = await gens();
      // This engine's generations before the checkpoint are gone (other engines share the test
      // store: what is left from before holds nothing of this playback); the new one holds the snapshot.
      expect((await entriesIn(after.filter((g) => before.includes(g)))).some(mine)).toBe(false);
      const snap = await entriesIn(after);
      expect(snap).toContainEqual(expect.objectContaining({ k: 'p', u: String(u._id), l: String(lecture._id), iv: [0, 120] }));
      expect(snap).toContainEqual(expect.objectContaining({ k: 's', p: o.playbackId, d: [0, 149] }));
      // Nothing was written back: the progress record is not in its collection yet.
      expect(await t.app.store.models.Progress.findById(`${String(u._id)}:${String(lecture._id)}`).lean()).toBeNull();
      // More beats after the snapshot, then a crash (no checkpoint): both parts come back.
      await engine.ingest(u, watch(o.playbackId, 120, 240, 1, 120, 10));
      const reborn = engineWith();
      await reborn.start();
      expect((await reborn.progressOf(String(u._id), String(lecture._id))).coveredSec).toBe(240);
      // The same beats again change nothing (sequence numbers survived through the snapshot).
      const again = await reborn.ingest(u, watch(o.playbackId, 0, 240, 1, 0));
      expect(again.sessions[o.playbackId]!.coveredSec).toBe(240);
      await reborn.close();
    });

    it('writes idle records back to their collections and serves them from there', async () => {
      const u = await newCadre();
      clock = T0;
      const o = await openAll(u);
      clock = T0 + 400_000;
      await engine.ingest(u, watch(o.playbackId, 0, 300, 1, 0));
      const id = `${String(u._id)}:${String(lecture._id)}`;
      await engine.checkpoint();
      expect(await t.app.store.models.Progress.findById(id).lean()).toBeNull();
      clock += 31 * 60_000; // idle past both limits
      await engine.checkpoint();
      const stored = await t.app.store.models.Progress.findById(id).lean();
      expect(stored).toMatchObject({ coveredSec: 300, intervals: [0, 300] });
      expect(await t.app.store.models.Playback.findById(o.playbackId).lean()).toMatchObject({ lastSeq: 21, lastPosition: 300 });
      // Left memory: the next snapshot does not carry them, and reads come from the store.
      await engine.checkpoint();
      const snap = await entriesIn(await gens());
      expect(snap.some((e) => e.k === 'p' && e.u === String(u._id))).toBe(false);
      expect((await engine.progressOf(String(u._id), String(lecture._id))).coveredSec).toBe(300);
      // An older snapshot replayed over the newer record (a crash before its generation was dropped) takes nothing away.
      const reborn = engineWith();
      await walDb(t.app.store.models).collection('studywal_0000000000_00000000').insertOne({ _id: 'old:1' as never, at: new Date(), e: JSON.stringify([{ k: 'p', u: String(u._id), l: String(lecture._id), iv: [0, 60], w: 60, dur: 600, pos: 60, at: T0, done: null }, { k: 's', p: o.playbackId, seq: 3, pos: 30, ca: T0, pl: true, v: true, el: 0, d: [0, 5] }]) });
      await reborn.start();
      expect((await reborn.progressOf(String(u._id), String(lecture._id))).coveredSec).toBe(300);
      const r = await reborn.ingest(u, [beat(o.playbackId, 21, 300, 300)]);
      expect(r.acks).toEqual([{ playbackId: o.playbackId, seq: 21 }]);
      expect(r.sessions[o.playbackId]!.coveredSec).toBe(300);
      await reborn.close();
    });
  });
});
