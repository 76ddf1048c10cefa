/**
 * A whole training class checking in at once (issue 17: a 300-person class scans the manager's
 * rotating code as the session opens), over real HTTP on loopback, on a fresh embedded FerretDB
 * (as the portal runs it, with its SQLite `_id` index). Seeds the demo county and `--cadres`
 * cadres on one class's roster, signs each in, opens an in-person session running now and lets
 * the manager read its roster once (as the manager's page does when it opens).
 * Then, `--rounds` times: a burst of every cadre's plain authenticated GET (/api/auth/me: the
 * baseline, same connections and cookies), and a burst of every cadre's check-in (the first
 * round) or check-out (later rounds) with the code, all at once. Reports p50/p95/max of each
 * burst, their ratio, and what the store holds afterwards (nothing may be lost).
 * First, the enrolment (报名) of the same cadres at once to a class of `--places` places (250 of
 * 300 by default) with its baseline burst: p50/p95, and exactly `places` enrolled, the rest waiting.
 * Human-readable lines go to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/training-checkin.ts [--cadres 300] [--places 250] [--rounds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { loadConfig } from '../config';
import { buildApp } from '../server/app';
import { hashPassword } from '../server/modules/auth/password';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { stats } from './lib';

const { values } = parseArgs({ options: { cadres: { type: 'string', default: '300' }, places: { type: 'string', default: '250' }, rounds: { type: 'string', default: '2' } } });
const nPlaces = Number(values.places);
const nCadres = Number(values.cadres);
const nRounds = Math.max(1, Number(values.rounds));
const log = (line: string) => process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'cadre-training-checkin-'));
const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dir, MEDIASOUP_NUM_WORKERS: '1', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' }));
try {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { models } = app.store;
  const seeded = await seedDemo(models);
  const unitId = seeded.unitIds.get('苏公坨村党支部')!;
  const signIn = async (username: string, password: string) => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
    return res.headers.getSetCookie()[0]!.split(';')[0]!;
  };
  const call = async (cookie: string, method: string, path: string, body?: object) => {
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`, { method, headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const json = (await res.json()) as any;
    return { status: res.status, json, ms: performance.now() - t0 };
  };
  const admin = await signIn('orgadmin', DEMO_PASSWORD);

  const passwordHash = await hashPassword('xuexi2026', { N: 1024 });
  const docs = await models.User.insertMany(Array.from({ length: nCadres }, (_, i) => ({ username: `bench${i}`, displayName: `学员${i}`, passwordHash, role: 'cadre', rank: 'township', orgUnitId: new Types.ObjectId(String(unitId)) })));
  await app.auth.warmUsernames();
  const cookies: string[] = [];
  for (let i = 0; i < docs.length; i += 20) cookies.push(...(await Promise.all(docs.slice(i, i + 20).map((d) => signIn(d.username, 'xuexi2026')))));

  const today = app.calendar.day(Date.now());
  // Enrolment: every cadre applies at once to a class with fewer places.
  const open = await call(admin, 'POST', '/api/training/classes', { name: '党史党性教育专题培训班', cohort: 9, category: '专题培训', channel: 'county', startDay: app.calendar.addDays(today, 14), endDay: app.calendar.addDays(today, 16), venue: '县委党校', capacity: nPlaces, unitIds: [String(unitId)], creditHours: 16 });
  if (open.status !== 201) throw new Error(`setup: ${JSON.stringify(open.json)}`);
  const enrolBaseline = stats((await Promise.all(cookies.map((c) => call(c, 'GET', '/api/auth/me')))).map((x) => x.ms));
  const applied = await Promise.all(cookies.map((c) => call(c, 'POST', `/api/training/classes/${open.json.id}/application`)));
  const enrolStats = stats(applied.map((x) => x.ms));
  const states = await models.TrainingEnrolment.find({ classId: open.json.id }).lean();
  const enrolment = { baseline: enrolBaseline, apply: enrolStats, failed: applied.filter((a) => a.status !== 200).length, enrolled: states.filter((e) => e.state === 'enrolled').length, waitlisted: states.filter((e) => e.state === 'waitlisted').length, stored: states.length };
  log(`enrolment baseline GET /api/auth/me ×${nCadres} at once   p50 ${enrolBaseline.p50} ms  p95 ${enrolBaseline.p95} ms`);
  log(`enrolment: ${nCadres} apply at once for ${nPlaces} places   p50 ${enrolStats.p50} ms  p95 ${enrolStats.p95} ms  max ${enrolStats.max} ms  (${enrolment.failed} failed); stored ${enrolment.stored}: ${enrolment.enrolled} enrolled, ${enrolment.waitlisted} waitlisted`);

  const cls = await call(admin, 'POST', '/api/training/classes', { name: '全县村党组织书记轮训班', cohort: 1, category: '集中轮训', channel: 'county', startDay: today, endDay: app.calendar.addDays(today, 1), venue: '县委党校礼堂', capacity: nCadres, unitIds: [String(unitId)], creditHours: 8 });
  const assigned = await call(admin, 'POST', `/api/training/classes/${cls.json.id}/assignments`, { userIds: docs.map((d) => String(d._id)) });
  const start = Date.now() - 5 * 60_000;
  const session = await call(admin, 'POST', `/api/training-sessions/classes/${cls.json.id}`, { kind: 'in-person', title: '开班式', startAt: new Date(start).toISOString(), endAt: new Date(start + 3 * 3600_000).toISOString(), venue: '县委党校礼堂' });
  if (session.status !== 201 || assigned.status !== 200) throw new Error(`setup: ${JSON.stringify([assigned.json, session.json])}`);
  const sessionId = session.json.id as string;
  await call(admin, 'GET', `/api/training-sessions/${sessionId}/attendance`);
  log(`class of ${nCadres} on the roster; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);

  const rounds = [];
  const load0 = loadavg()[0]!;
  for (let round = 0; round < nRounds; round++) {
    const baseline = await Promise.all(cookies.map((c) => call(c, 'GET', '/api/auth/me')));
    const direction = round === 0 ? 'in' : 'out';
    const code = await call(admin, 'GET', `/api/training-sessions/${sessionId}/code?direction=${direction}`);
    const scans = await Promise.all(cookies.map((c) => call(c, 'POST', '/api/training-sessions/checkin', { token: code.json.token })));
    const failed = scans.filter((s) => s.status !== 200).length + baseline.filter((b) => b.status !== 200).length;
    const b = stats(baseline.map((x) => x.ms));
    const s = stats(scans.map((x) => x.ms));
    log(`round ${round + 1} baseline GET /api/auth/me ×${nCadres} at once   p50 ${b.p50} ms  p95 ${b.p95} ms  max ${b.max} ms`);
    log(`round ${round + 1} check-${direction} ×${nCadres} at once            p50 ${s.p50} ms  p95 ${s.p95} ms  max ${s.max} ms  (p95 ×${(s.p95 / b.p95).toFixed(2)} of baseline, ${failed} failed)`);
    rounds.push({ direction, baseline: b, checkin: s, ratioP95: Math.round((s.p95 / b.p95) * 100) / 100, failed });
  }
  const roster = await call(admin, 'GET', `/api/training-sessions/${sessionId}/attendance`);
  const inMemory = roster.json.counts as { roster: number; in: number; out: number };
  const stored = await models.TrainingAttendance.find({ sessionId }).lean();
  const lost = { checkIn: nCadres - stored.filter((r) => r.checkInAt).length, checkOut: nRounds > 1 ? nCadres - stored.filter((r) => r.checkOutAt).length : 0 };
  log(`store holds ${stored.length} records (${stored.filter((r) => r.checkInAt).length} in, ${stored.filter((r) => r.checkOutAt).length} out); roster says ${JSON.stringify(inMemory)}; lost ${JSON.stringify(lost)}`);
  console.log(JSON.stringify({ bench: 'training-checkin', at: new Date().toISOString(), cadres: nCadres, places: nPlaces, enrolment, load: [load0, loadavg()[0]], rounds, stored: stored.length, roster: inMemory, lost }));
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
