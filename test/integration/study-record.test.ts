/**
 * The printable study record (学习档案) against the real store: a cadre with credits from their own
 * study, a live forum and a station's air classroom gets those figures by channel with each
 * lecture's county day; the cadre, their unit's admin and the organisation department read it,
 * another committee's admin and another cadre do not; the public verification answers the
 * portal's current figures, tells a paper whose figures changed since, and refuses a code whose
 * digest was altered; a unit's records come out as one PDF from the queued job, with progress,
 * one cadre or more per page, each cadre's name and hours in its text.
 */
import { existsSync } from 'node:fs';
import { EXPORT_KEEP_DAYS, pruneExports } from '../../server/modules/study-record/record-export';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { SummaryRepository } from '../../server/modules/study/repositories';
import { build, login, type TestApp } from '../helpers/build';

const run = promisify(execFile);
let t: TestApp;
let year = 0;
const cookies = {} as Record<'cadre' | 'unitAdmin' | 'orgAdmin' | 'otherAdmin' | 'otherCadre', string>;
const ids = {} as Record<'cadre' | 'committee' | 'village' | 'government' | 'otherCommittee', string>;

/** A credit as the ledger writes it (one entry per cadre, content and year) rolled up into the summary. */
async function credit(userId: string, day: string, hours: number, opts: { required?: boolean; source?: string; title: string }) {
  const { Ledger } = t.app.store.models;
  const lectureId = new Types.ObjectId();
  const at = t.app.calendar.dayAt(day, 10);
  const entryId = `${userId}:${String(lectureId)}:${year}`;
  await Ledger.collection.insertOne({ _id: entryId as never, userId: new Types.ObjectId(userId), lectureId, year, hours, required: opts.required ?? false, title: opts.title, at: new Date(at), source: opts.source ?? 'individual' });
  await new SummaryRepository(t.app.store.models).addEntry(userId, year, entryId, { total: hours, [opts.required ? 'required' : 'elective']: hours, [`byDay.${day}`]: hours });
}

async function call(method: 'GET' | 'POST', url: string, cookie?: string, payload?: object) {
  const res = await t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, json: () => res.json() as any, raw: res.rawPayload };
}

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  year = t.app.calendar.year(Date.now());
  const unit = (name: string) => String(seeded.unitIds.get(name)!);
  ids.committee = unit('苏公坨乡党委');
  ids.village = unit('苏公坨村党支部');
  ids.government = unit('苏公坨乡人民政府');
  ids.otherCommittee = unit('开通镇党委');
  ids.cadre = String((await t.app.store.models.User.findOne({ username: 'cadre' }).lean())!._id);
  cookies.cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  cookies.unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  cookies.orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  for (const [username, role, unitId] of [['kaitong-admin', 'unitAdmin', ids.otherCommittee], ['sr-other', 'cadre', ids.government]] as const) {
    const r = await call('POST', '/api/users', cookies.orgAdmin, { username, displayName: username === 'sr-other' ? '陈其他' : '开通镇管理员', password: 'Record2026x', role, orgUnitId: unitId, ...(role === 'cadre' ? { rank: 'township' } : {}) });
    expect(r.status).toBe(201);
  }
  cookies.otherAdmin = await login(t.app, 'kaitong-admin', 'Record2026x');
  cookies.otherCadre = await login(t.app, 'sr-other', 'Record2026x');

  await credit(ids.cadre, `${year}-03-05`, 2, { required: true, title: '关键在于落实', source: 'individual' });
  await credit(ids.cadre, `${year}-03-20`, 1.5, { title: '数字乡村建设', source: 'individual' });
  await credit(ids.cadre, `${year}-04-10`, 1.5, { title: '清华大学论坛（直播）', source: 'live' });
  await credit(ids.cadre, `${year}-02-01`, 3, { required: true, title: '空中课堂:乡村振兴', source: 'station' });
}, 60_000);
afterAll(() => t?.close());

describe('the study record', () => {
  it('gives a cadre with credits in several channels the right figures', async () => {
    const r = await call('GET', `/api/study-record/${ids.cadre}/${year}`, cookies.cadre);
    expect(r.status).toBe(200);
    const rec = r.json();
    const policy = await t.app.study.creditPolicy('township');
    expect(rec.person).toMatchObject({ displayName: '张伟', username: 'cadre', rank: 'township', unitPath: ['通榆县', '苏公坨乡党委', '苏公坨村党支部'].filter((n) => rec.person.unitPath.includes(n)) });
    expect(rec.person.unitPath.at(-1)).toBe('苏公坨村党支部');
    expect(rec.figures.earned).toEqual({ total: 8, required: 5, elective: 3 });
    expect(Object.fromEntries(rec.figures.channels.map((c: any) => [c.channel, c.hours]))).toEqual({ selfStudy: 3.5, live: 1.5, airClassroom: 3, training: 0 });
    expect(rec.figures.lectures.map((l: any) => [l.day, l.hours, l.channel])).toEqual([
      [`${year}-02-01`, 3, 'airClassroom'],
      [`${year}-03-05`, 2, 'selfStudy'],
      [`${year}-03-20`, 1.5, 'selfStudy'],
      [`${year}-04-10`, 1.5, 'live'],
    ]);
    expect(rec.figures.requiredHours).toBe(policy.yearlyHours);
    expect(rec.figures.result).toBe(8 >= policy.yearlyHours ? 'met' : 'behind');
    expect(rec.issuedOn).toBe(t.app.calendar.day(Date.now()));
    expect(rec.verification.url).toMatch(new RegExp(`/verify/${rec.verification.code}$`));
    expect(rec.verification.qr).toMatch(/^data:image\/png;base64,/);

    // The unit report's assessment of the same cadre is the same.
    const report = await call('GET', `/api/reports/units/${ids.village}/report?year=${year}`, cookies.unitAdmin);
    const row = report.json().members.find((m: any) => m.userId === ids.cadre);
    expect(row.earned).toBe(8);
    expect(row.behind).toBe(rec.figures.result === 'behind');
  });

  it('is read by the unit admin of the cadre\'s committee and the organisation department only', async () => {
    const url = `/api/study-record/${ids.cadre}/${year}`;
    expect((await call('GET', url, cookies.unitAdmin)).status).toBe(200);
    expect((await call('GET', url, cookies.orgAdmin)).status).toBe(200);
    const other = await call('GET', url, cookies.otherAdmin);
    expect(other.status).toBe(403);
    expect(other.json().error.code).toBe('FORBIDDEN');
    expect((await call('GET', url, cookies.otherCadre)).status).toBe(403);
    expect((await call('GET', url)).status).toBe(401);
    expect((await call('GET', `/api/study-record/${ids.cadre}/1999`, cookies.cadre)).status).toBe(400);
    expect((await call('GET', `/api/study-record/${new Types.ObjectId()}/${year}`, cookies.orgAdmin)).status).toBe(404);
  });

  it('verifies a paper publicly, tells when its figures changed, and refuses an altered digest', async () => {
    const rec = (await call('GET', `/api/study-record/${ids.cadre}/${year}`, cookies.cadre)).json();
    const code: string = rec.verification.code;
    const ok = await call('GET', `/api/study-record/verify/${code}`);
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ valid: true, matches: true, year, person: { displayName: '张伟' }, figures: { earned: { total: 8 } } });
    expect(ok.json().person.username).toBeUndefined();
    // The yearly result (实效测评) of today beside it, as on the record itself.
    expect(ok.json().assessment).toEqual(rec.assessment.result);
    expect(ok.json().assessment).toMatchObject({ grade: expect.stringMatching(/^(excellent|pass|fail)$/), score: expect.any(Number) });

    const [u, y, digest, mac] = code.split('-') as [string, string, string, string];
    const forged = `${u}-${y}-${digest.startsWith('0') ? '1' : '0'}${digest.slice(1)}-${mac}`;
    const bad = await call('GET', `/api/study-record/verify/${forged}`);
    expect(bad.status).toBe(404);
    expect(bad.json().error.code).toBe('RECORD_CODE_INVALID');
    expect((await call('GET', '/api/study-record/verify/not-a-code')).status).toBe(400);

    // A credit after printing: the code still opens, the figures no longer match the paper.
    await credit(ids.cadre, `${year}-05-02`, 1, { title: '新增课程', source: 'live' });
    const later = (await call('GET', `/api/study-record/verify/${code}`)).json();
    expect(later.matches).toBe(false);
    expect(later.figures.earned.total).toBe(9);
    expect(later.currentDigest).not.toBe(later.issuedDigest);
  });

  it('exports a committee\'s records as one PDF with progress, each cadre from a new page', async () => {
    // More cadres in the committee; one with enough lectures to run past a page.
    const { User } = t.app.store.models;
    const names: Record<string, number> = { 张伟: 9 };
    for (const [i, [name, unitId, lectures]] of ([['王二月', ids.government, 3], ['赵三月', ids.village, 70], ['孙四季', ids.committee, 0]] as const).entries()) {
      const u = await User.create({ username: `sr-${i}`, displayName: name, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: new Types.ObjectId(unitId) });
      for (let k = 0; k < lectures; k++) await credit(String(u._id), `${year}-0${1 + (k % 9)}-1${k % 10}`, 0.5, { title: `第${k + 1}讲 基层治理专题`, source: k % 2 ? 'station' : 'individual' });
      names[name] = lectures * 0.5;
    }
    names['陈其他'] = 0;

    const started = await call('POST', `/api/study-record/units/${ids.committee}/exports`, cookies.unitAdmin, { year });
    expect(started.status).toBe(202);
    const id = started.json().id;
    expect((await call('POST', `/api/study-record/units/${ids.committee}/exports`, cookies.otherAdmin, { year })).status).toBe(403);
    expect((await call('GET', `/api/study-record/exports/${id}`, cookies.otherAdmin)).status).toBe(403);

    let view: any;
    const seen = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      view = (await call('GET', `/api/study-record/exports/${id}`, cookies.unitAdmin)).json();
      seen.add(view.state);
      if (view.state === 'done' || view.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(view.state).toBe('done');
    expect(view.total).toBe(5);
    expect(view.done).toBe(5);
    const list = (await call('GET', `/api/study-record/units/${ids.committee}/exports`, cookies.orgAdmin)).json();
    expect(list.items[0].id).toBe(id);

    const file = await call('GET', view.downloadUrl, cookies.unitAdmin);
    expect(file.status).toBe(200);
    const pdfPath = join(tmpdir(), `study-records-${id}.pdf`);
    await writeFile(pdfPath, file.raw);
    const info = (await run('pdfinfo', [pdfPath])).stdout;
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    expect(pages).toBeGreaterThan(5); // five cadres, one of them over two pages
    expect(info).toMatch(/A4/);
    const text = (await run('pdftotext', ['-layout', pdfPath, '-'])).stdout;
    for (const [name, h] of Object.entries(names)) {
      expect(text).toContain(name);
      expect(text).toContain(h.toFixed(1));
    }
    // The long table went on under its header: the header appears on the continuation page.
    const pageTexts = text.split('\f');
    const continued = pageTexts.filter((p) => p.includes('第70讲') || p.includes('第60讲'));
    expect(continued.length).toBeGreaterThan(0);
    expect(continued.every((p) => p.includes('课程') && p.includes('日期'))).toBe(true);

    // A week later the PDF is deleted and the export says so; the download is refused.
    const stored = (await t.app.store.models.StudyRecordExport.findById(id).lean())!;
    const log = { info: () => {}, warn: () => {} };
    expect(await pruneExports(t.app.store.models, log, Date.now() + (EXPORT_KEEP_DAYS - 1) * 86_400_000)).toBe(0);
    expect(await pruneExports(t.app.store.models, log, Date.now() + (EXPORT_KEEP_DAYS + 1) * 86_400_000)).toBeGreaterThanOrEqual(1);
    expect(existsSync(stored.file!)).toBe(false);
    const expired = (await call('GET', `/api/study-record/exports/${id}`, cookies.unitAdmin)).json();
    expect(expired.state).toBe('expired');
    expect(expired.downloadUrl).toBeUndefined();
    expect((await call('GET', view.downloadUrl, cookies.unitAdmin)).status).toBe(409);
  }, 120_000);
});

describe('a large unit', () => {
  it('renders 500 cadres into one PDF with progress, drawn in a worker thread off the event loop', async () => {
    const { User, Summary, Ledger, OrgUnit } = t.app.store.models;
    const big = await OrgUnit.create({ name: '大单位', kind: 'unit', parentId: new Types.ObjectId(ids.otherCommittee), ancestors: [new Types.ObjectId(ids.otherCommittee)] });
    const n = 500;
    const users = Array.from({ length: n }, (_, i) => ({ _id: new Types.ObjectId(), username: `big-${i}`, displayName: `大单位干部${i}`, passwordHash: 'x', role: 'cadre', rank: 'township', orgUnitId: big._id, disabled: false }));
    await User.collection.insertMany(users as never[]);
    const entries = users.flatMap((u, i) => [0, 1].map((k) => ({ _id: `${u._id}:${new Types.ObjectId()}:${year}`, userId: u._id, lectureId: new Types.ObjectId(), year, hours: 1 + k, required: k === 0, title: `专题${k}`, at: new Date(t.app.calendar.dayAt(`${year}-06-1${k}`, 9)), source: k ? 'live' : 'station', i })));
    await Ledger.collection.insertMany(entries.map(({ i: _i, ...e }) => e) as never[]);
    await Summary.collection.insertMany(users.map((u, i) => ({ _id: `${u._id}:${year}`, userId: u._id, year, total: 3, entries: entries.filter((e) => e.i === i).map((e) => e._id), lectures: [] })) as never[]);

    const admin = await login(t.app, 'kaitong-admin', 'Record2026x');
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const started = Date.now();
    const id = (await call('POST', `/api/study-record/units/${String(big._id)}/exports`, admin, { year })).json().id;
    loop.enable();
    const progress: number[] = [];
    let view: any;
    while (Date.now() - started < 240_000) {
      view = (await call('GET', `/api/study-record/exports/${id}`, admin)).json();
      progress.push(view.done);
      if (view.state === 'done' || view.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    loop.disable();
    const ms = Date.now() - started;
    expect(view.state).toBe('done');
    expect(view.total).toBe(n);
    // Progress was seen part way, and the loop was never held long (figures in the log line below).
    expect(progress.some((d) => d > 0 && d < n)).toBe(true);
    const maxMs = loop.max / 1e6;
    console.info(`study-record export | ${n} cadres, ${view.pages} pages, ${view.bytes} bytes in ${ms} ms; event loop delay max ${maxMs.toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms`);
    // Drawn in a worker thread, the font's load and subsetting (100-460 ms each) never hold the
    // loop: measured max 60 ms, p99 21 ms with the machine shared; the bounds leave room for a
    // busy 2-core machine (on the event loop the same run held it 219-374 ms at a time).
    expect(loop.percentile(99) / 1e6).toBeLessThan(150);
    expect(maxMs).toBeLessThan(400);
    expect(view.pages).toBeGreaterThanOrEqual(n);
    const file = await call('GET', view.downloadUrl, admin);
    const pdfPath = join(tmpdir(), `study-records-big-${id}.pdf`);
    await writeFile(pdfPath, file.raw);
    const text = (await run('pdftotext', [pdfPath, '-'])).stdout;
    for (const i of [0, 249, 499]) expect(text).toContain(`大单位干部${i}`);
  }, 300_000);
});
