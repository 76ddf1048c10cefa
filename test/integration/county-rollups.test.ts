/**
 * The county tallies kept on write (server/modules/county) on the real store: after many credits
 * racing through the real ledger paths (a cadre watching a transcoded clip to its end through the
 * player's API; completions through CreditLedger.checkCompletion for self-selected study, live and
 * air-classroom entries; CreditLedger.creditOnce for training classes, the travelling classroom
 * and external training), the tallies in memory and in the store
 * equal a recomputation from the ledger; a damaged tally is found and repaired by `rebuild()` and
 * by the CLI (scripts/rebuild-rollups.ts); credits landing during a rebuild are not lost.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../server/modules/study/credit-ledger';
import type { LectureInfo, Progress } from '../../server/modules/study/records';
import { channels } from '../../server/modules/county/tally';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres, type TestCadre } from '../helpers/cadres';
import { publishClip } from '../helpers/lectures';
import { makeClip, makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';
import { watch } from '../helpers/quiz';

process.env.TZ = 'UTC';

let t: TestApp;
const units = {} as Record<'county' | 'a' | 'b' | 'a1' | 'a2' | 'b1', string>;
let cadres: TestCadre[] = [];
let watcher: TestCadre;
let url = '';
let lectureId = '';
let mediaDir = '';

async function unit(name: string, kind: 'county' | 'committee' | 'unit', parentId?: string) {
  const parent = parentId ? await t.app.store.models.OrgUnit.findById(parentId).lean() : null;
  const doc = await t.app.store.models.OrgUnit.create({ name, kind, parentId: parent?._id ?? null, ancestors: parent ? [...parent.ancestors, parent._id] : [] });
  return String(doc._id);
}

/** A completed piece of content through the study engine's ledger (self-selected, live or station). */
function complete(userId: string, at: number, source: Progress['source'], topic: string, hours = 1) {
  const lectureId = String(new Types.ObjectId());
  const p = { id: `${userId}:${lectureId}`, userId, lectureId, intervals: [[0, 600]], again: [], wallSec: 600, durationSec: 600, lastPosition: 600, lastWatchedAt: at, completedAt: at, dirty: false, source } as unknown as Progress;
  const info: LectureInfo = { id: lectureId, contentId: lectureId, title: `课程${topic}`, durationSec: 600, segmentSec: 4, required: false, creditHours: hours, category: 'development', topic, kind: source === 'live' ? 'live' : 'recorded', attentionChecks: false, loadedAt: at } as LectureInfo;
  return t.app.study.ledger.checkCompletion(p, info);
}

/** Hours credited away from the player, as training and external training do. */
function creditAway(userId: string, at: number, source: 'training' | 'external', trainingChannel?: string, hours = 3, id = String(new Types.ObjectId())) {
  const year = t.app.calendar.year(at);
  const entry: LedgerEntry = { _id: `${userId}:${id}:${year}`, userId: new Types.ObjectId(userId), lectureId: new Types.ObjectId(id), year, hours, required: source === 'training', category: 'service', topic: source === 'training' ? 'training' : 'external', title: '培训', at: new Date(at), source, ...(trainingChannel ? { trainingChannel } : {}) };
  return t.app.study.ledger.creditOnce(entry);
}

const at = (iso: string) => new Date(iso).getTime();

/** Every kind of credit for cadre i, k-th of the round: 6 channels, two years, several months. */
function creditFor(c: TestCadre, i: number, k: number) {
  const year = k % 4 === 3 ? 2025 : 2026;
  const month = String(1 + ((i + k) % 11)).padStart(2, '0');
  const when = at(`${year}-${month}-1${k % 9}T03:00:00Z`);
  switch (k % 6) {
    case 0:
      return complete(c.id, when, 'individual', ['党史', '法治', '乡村振兴'][i % 3]!, 1.5);
    case 1:
      return complete(c.id, when, 'live', '直播');
    case 2:
      return complete(c.id, when, 'station', '空中课堂', 2);
    case 3:
      return creditAway(c.id, when, 'training', 'county');
    case 4:
      return creditAway(c.id, when, 'training', 'caravan', 4);
    default:
      return creditAway(c.id, when, 'external', undefined, 6.5);
  }
}

async function ledgerCount(year: number) {
  return t.app.store.models.Ledger.countDocuments({ year });
}

beforeAll(async () => {
  mediaDir = await makeMediaTmpDir('county-');
  const clip = await makeClip(mediaDir, { seconds: 6, width: 320, height: 240 });
  t = await build({ TRANSCODE_PRESET: 'superfast', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  await seedDemo(t.app.store.models);
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  lectureId = await publishClip(url, await login(t.app, 'lecturer', DEMO_PASSWORD), clip, { title: '关键在于落实', creditHours: 1, topic: '落实能力' });
  units.county = await unit('测试县', 'county');
  units.a = await unit('甲乡党委', 'committee', units.county);
  units.b = await unit('乙镇党委', 'committee', units.county);
  units.a1 = await unit('甲乡政府', 'unit', units.a);
  units.a2 = await unit('甲村支部', 'unit', units.a);
  units.b1 = await unit('乙镇政府', 'unit', units.b);
  cadres = [
    ...(await makeCadres(t.app, { prefix: 'ra', n: 4, unitId: units.a1, cookies: false })),
    ...(await makeCadres(t.app, { prefix: 'rb', n: 3, unitId: units.a2, cookies: false })),
    ...(await makeCadres(t.app, { prefix: 'rc', n: 3, unitId: units.b1, cookies: false })),
  ];
  [watcher] = (await makeCadres(t.app, { prefix: 'rw', n: 1, unitId: units.a1 })) as [TestCadre];
  await t.app.county.ready();
}, 180_000);
afterAll(async () => {
  await t?.close();
  if (mediaDir) await removeDir(mediaDir);
});

describe('county tallies kept on write', () => {
  it('equal a recomputation from the ledger after a watched lecture and 70 credits of 10 cadres race over every channel', async () => {
    // A cadre watches the whole clip as a player does (its completion is written by a heartbeat).
    const jobs: Promise<unknown>[] = [watch(url, watcher.cookie, lectureId, 0, 6, { end: true })];
    cadres.forEach((c, i) => {
      for (let k = 0; k < 7; k++) jobs.push(creditFor(c, i, k));
    });
    // The same class credited twice at once, and an external record twice: still one person-time each.
    const classId = String(new Types.ObjectId());
    const cadre0 = cadres[0]!;
    jobs.push(creditAway(cadre0.id, at('2026-05-05T02:00:00Z'), 'training', 'county', 3, classId));
    jobs.push(creditAway(cadre0.id, at('2026-05-05T02:00:00Z'), 'training', 'county', 3, classId));
    expect(jobs.length).toBeGreaterThanOrEqual(70);
    await Promise.all(jobs);
    await t.app.county.tallies.idle();

    const n2026 = await ledgerCount(2026);
    const n2025 = await ledgerCount(2025);
    expect(n2026 + n2025).toBe(72);
    const watched = t.app.county.tallies.get(t.app.calendar.year(Date.now()), units.a1)!;
    expect(watched.cadres.get(watcher.id)).toEqual({ n: 1, h: 1 });
    expect(watched.topics.get('落实能力')).toEqual({ n: 1, h: 1 });
    const sum = (year: number) => t.app.county.tallies.ofYear(year).reduce((s, x) => s + channels.reduce((a, ch) => a + x.channels[ch].n, 0), 0);
    expect(sum(2026)).toBe(n2026);
    expect(sum(2025)).toBe(n2025);
    // Every channel has entries, and each cadre's hours sit in their unit's tally.
    for (const ch of channels) expect(t.app.county.tallies.ofYear(2026).some((x) => x.channels[ch].n > 0)).toBe(true);
    expect(t.app.county.tallies.get(2026, units.a1)?.cadres.has(cadre0.id)).toBe(true);

    const r = await t.app.county.rebuild();
    expect(r.differences).toEqual([]);
    expect(r.years).toEqual([2025, 2026]);
    expect(r.tallies).toBe(6); // 3 units × 2 years
  });

  it('reports and repairs a damaged tally, in the store and in memory', async () => {
    const { CountyTally } = t.app.store.models;
    const id = `2026:${units.a1}`;
    const right = t.app.county.tallies.get(2026, units.a1)!.channels.selfStudy.n;
    await CountyTally.updateOne({ _id: id }, { $set: { 'channels.selfStudy.n': right + 40 } });
    await CountyTally.deleteOne({ _id: `2025:${units.b1}` });
    await CountyTally.collection.insertOne({ _id: `2026:${String(new Types.ObjectId())}`, year: 2026, unitId: 'gone', channels: { live: { n: 3, h: 3 } } } as never);
    await t.app.county.tallies.reload();
    expect(t.app.county.tallies.get(2026, units.a1)!.channels.selfStudy.n).toBe(right + 40);

    const r = await t.app.county.rebuild();
    expect(r.differences).toContainEqual({ key: id, field: 'channels.selfStudy.personTimes', stored: right + 40, computed: right });
    expect(r.differences.some((d) => d.key === `2025:${units.b1}` && d.stored === 0 && d.computed > 0)).toBe(true);
    expect(r.differences.some((d) => d.field === 'channels.live.personTimes' && d.stored === 3 && d.computed === 0)).toBe(true);
    expect(t.app.county.tallies.get(2026, units.a1)!.channels.selfStudy.n).toBe(right);
    const stored = await CountyTally.findById(id).lean();
    expect((stored as any).channels.selfStudy.n).toBe(right);
    expect(await CountyTally.countDocuments({})).toBe(6);
    expect((await t.app.county.rebuild()).differences).toEqual([]);
  });

  it('keeps the credits that land while a rebuild runs', async () => {
    const before = await ledgerCount(2026);
    const rebuilding = t.app.county.rebuild({ years: [2026] });
    const late = cadres.slice(0, 6).map((c, i) => creditFor(c, i, 6 * (i + 2)));
    await Promise.all([rebuilding, ...late]);
    await t.app.county.tallies.idle();
    const after = await ledgerCount(2026);
    expect(after).toBeGreaterThan(before);
    const total = t.app.county.tallies.ofYear(2026).reduce((s, x) => s + channels.reduce((a, ch) => a + x.channels[ch].n, 0), 0);
    expect(total).toBe(after);
    expect((await t.app.county.rebuild()).differences).toEqual([]);
  });

  it('is repaired by the CLI (npm run rollups:rebuild), which prints the differences', async () => {
    const { CountyTally } = t.app.store.models;
    const id = `2026:${units.b1}`;
    const right = (await CountyTally.findById(id).lean()) as any;
    await CountyTally.updateOne({ _id: id }, { $set: { 'channels.external.h': right.channels.external.h + 12.5 } });
    const dataDir = mkdtempSync(join(tmpdir(), 'cadre-cli-'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/rebuild-rollups.ts', '--year', '2026'], {
        env: { ...process.env, ...t.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
        timeout: 60_000,
      });
      expect(stdout).toContain(`${id}  channels.external.hours: stored ${right.channels.external.h + 12.5}, computed ${right.channels.external.h}`);
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ years: [2026], differences: 1 });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(((await CountyTally.findById(id).lean()) as any).channels.external.h).toBe(right.channels.external.h);
  }, 90_000);
});
