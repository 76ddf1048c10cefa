/**
 * Acknowledged means durable (issue 11): with the embedded FerretDB killed mid-stream, a batch
 * whose log commit fails is answered 503 and changes nothing in memory; the client's retry with
 * the same seqs, once the store is back, is accepted and credited once; a new process recovers
 * exactly what was acknowledged.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { buildApp, type App } from '../../server/app';
import { StudyEngine, type IncomingBeat } from '../../server/modules/study/study-engine';
import type { UserDoc } from '../../server/modules/users/user.model';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { testEnv } from '../helpers/build';

const env = testEnv({ MONGODB_URI: '', STORE_SELECTION_TIMEOUT_MS: '300', STORE_RESTART_DELAY_MS: '1500' });
const silent = { info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
let clock = T0;
let app: App | undefined;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  app = await buildApp(loadConfig(env), { logger: false });
  expect(app.store.ferretdb).toBeDefined();
}, 120_000);
afterAll(async () => {
  await app?.close();
  rmSync(env.DATA_DIR!, { recursive: true, force: true });
});

describe('acknowledged heartbeats', () => {
  it('answer 503 and change nothing when the log cannot be written, then accept the retry once', async () => {
    const models = app!.store.models;
    const engine = new StudyEngine(models, { ...app!.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
    await engine.start();
    const user = (await models.User.create({ username: 'durable', displayName: '耐久', passwordHash: 'x', role: 'cadre', rank: 'township' })).toObject() as UserDoc;
    const lecture = (await models.Lecture.create({ title: '持久性', category: 'implementation', state: 'published', durationSec: 600, creditHours: 1, media: { prefix: 'x', master: 'm.m3u8', segmentSec: 4 } })).toObject() as unknown as LectureDoc;
    clock = T0;
    const { playbackId } = await engine.open(user, lecture, {});
    for (let i = 0; i < 150; i++) engine.recordDelivery(playbackId, i);
    const beat = (seq: number): IncomingBeat => ({ playbackId, seq, position: (seq - 1) * 15, rate: 1, playing: true, visible: true, event: seq === 1 ? 'play' : 'tick', clientAt: T0 + (seq - 1) * 15_000 });
    const send = async (seqs: number[]) => {
      clock = T0 + (seqs[seqs.length - 1]! - 1) * 15_000 + 200;
      return engine.ingest(user, seqs.map(beat));
    };
    for (let s = 1; s <= 9; s++) expect((await send([s])).acks).toHaveLength(1);
    const before = await engine.progressOf(String(user._id), String(lecture._id));
    expect(before.coveredSec).toBe(120);

    // The store dies; the next batch cannot be logged.
    process.kill(app!.store.ferretdb!.pid!, 'SIGKILL');
    await expect(send([10, 11])).rejects.toMatchObject({ statusCode: 503, code: 'STUDY_LOG_UNAVAILABLE' });
    const during = await engine.progressOf(String(user._id), String(lecture._id));
    expect(during.coveredSec).toBe(120);
    expect(engine.clock.intervals(String(user._id)).reduce((s, [a, b]) => s + b - a, 0)).toBe(120_000);

    // Back by itself; the client's retry (same seqs) is judged afresh and credited once.
    await until('the store to come back', () => app!.store.ping());
    const retry = await until('the retry to be accepted', () => send([10, 11]));
    expect(retry.acks.map((a) => a.seq)).toEqual([10, 11]);
    expect(retry.sessions[playbackId]!.coveredSec).toBe(150);
    const again = await send([10, 11]);
    expect(again.sessions[playbackId]!.coveredSec).toBe(150);

    // A new process recovers what was acknowledged, nothing more.
    const reborn = new StudyEngine(models, { ...app!.config.study, checkpointMs: 3_600_000 }, silent, () => clock);
    await reborn.start();
    const recovered = await reborn.progressOf(String(user._id), String(lecture._id));
    expect(recovered.coveredSec).toBe(150);
    expect(recovered.wallSec).toBeCloseTo(150, 6);
    await reborn.close();
    await engine.close();
  }, 120_000);
});
