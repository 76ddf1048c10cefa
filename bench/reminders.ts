/**
 * 学时提醒 at the county's size, as the year-end admin presses the button: the org admin's preview
 * (who is behind) and run (one notice each, at most once a month) over real HTTP on loopback, on a
 * copy of the county store that `scripts/generate-county.ts` makes (11,265 cadres, a county year of
 * credits), so every run starts with nobody reminded. Also a unit admin's run over their party
 * committee first, the county run after it (those already reminded are skipped), and the same
 * county run again (reminds nobody). Baseline in the same run: the two scans any run must do
 * (the cadres, the year's summaries), read straight from the store.
 * Human-readable lines go to stderr, one JSON line to stdout.
 * Measured `--settle` seconds after the start (30 by default): the portal reads the county year
 * into memory 15 s after it starts (reports), which would otherwise weigh on whichever request
 * runs then.
 * Run: node --import tsx bench/reminders.ts [--data /tmp/cadre-county-bench] [--settle 30]
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { buildApp } from '../server/app';
import { countyAdmins, ensureCounty } from './lib';

const { values } = parseArgs({ options: { data: { type: 'string', default: '/tmp/cadre-county-bench' }, settle: { type: 'string', default: '30' } } });
const dataDir = values.data;
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (t0: number) => performance.now() - t0;
const PASSWORD = 'bench-county-2026';

ensureCounty(dataDir, log);
const work = mkdtempSync(join(tmpdir(), 'cadre-reminders-'));
cpSync(dataDir, work, { recursive: true });

const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: work, MEDIASOUP_NUM_WORKERS: '1' }));
try {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const startedAt = performance.now();
  const { models } = app.store;
  const year = app.calendar.year(Date.now());
  const county = (await models.OrgUnit.findOne({ kind: 'county' }).lean())!;
  const committees = await models.OrgUnit.find({ kind: 'committee' }, { name: 1 }).lean();
  const committee = committees[0]!;
  const { org, unit } = await countyAdmins(app, url, { countyId: county._id, committeeId: committee._id }, PASSWORD);
  const call = async (method: 'GET' | 'POST', path: string, cookie: string) => {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { method, headers: { cookie, ...(method === 'POST' ? { origin: url } : {}) } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${body.toString().slice(0, 300)}`);
    return { ms: ms(t), bytes: body.length, json: JSON.parse(body.toString()) as Record<string, unknown> };
  };

  const settleMs = Number(values.settle) * 1000 - ms(startedAt);
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));

  // Baseline: the two scans any run does.
  const scans: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const cadres = await models.User.find({ role: 'cadre', disabled: { $ne: true } }, { rank: 1, displayName: 1, username: 1, orgUnitId: 1 }).lean();
    const summaries = await models.Summary.find({ year }, { userId: 1, total: 1 }).lean();
    scans.push(ms(t));
    if (i === 0) log(`county ${year}: ${cadres.length} cadres, ${summaries.length} summaries of the year`);
  }
  const baseline = [...scans].sort((a, b) => a - b)[1]!;

  const rss0 = process.memoryUsage().rss;
  const preview = await call('GET', '/api/study/reminders/preview', org);
  const unitRun = await call('POST', `/api/study/reminders/run?unitId=${committee._id}`, unit);
  const countyRun = await call('POST', '/api/study/reminders/run', org);
  const again = await call('POST', '/api/study/reminders/run', org);
  const rss1 = process.memoryUsage().rss;
  const behind = (preview.json.recipients as unknown[]).length;
  const noticeBoxes = await models.NoticeBox.countDocuments();

  log(`baseline (cadres + summaries scanned from the store): ${baseline.toFixed(0)} ms (median of 3)`);
  log(`preview (org admin, county): ${preview.ms.toFixed(0)} ms, ${preview.json.checked} checked, ${behind} behind, ${(preview.bytes / 1024).toFixed(0)} KiB — ${(preview.ms / baseline).toFixed(2)}× the scans`);
  log(`run (unit admin, ${committee.name}): ${unitRun.ms.toFixed(0)} ms, ${unitRun.json.checked} checked, ${unitRun.json.reminded} reminded`);
  log(`run (org admin, county): ${countyRun.ms.toFixed(0)} ms, ${countyRun.json.checked} checked, ${countyRun.json.behind} behind, ${countyRun.json.reminded} reminded — ${(countyRun.ms / baseline).toFixed(2)}× the scans, ${(countyRun.ms / Math.max(1, Number(countyRun.json.reminded))).toFixed(2)} ms per notice`);
  log(`run again (org admin, county): ${again.ms.toFixed(0)} ms, ${again.json.reminded} reminded`);
  log(`RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MB; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; notice boxes in the store ${noticeBoxes}`);
  process.stdout.write(`${JSON.stringify({ bench: 'reminders', at: new Date().toISOString(), year, baselineMs: Math.round(baseline), preview: { ms: Math.round(preview.ms), checked: preview.json.checked, behind, bytes: preview.bytes }, unitRun: { ms: Math.round(unitRun.ms), ...unitRun.json }, countyRun: { ms: Math.round(countyRun.ms), ...countyRun.json }, again: { ms: Math.round(again.ms), ...again.json }, rssMb: [Math.round(rss0 / 2 ** 20), Math.round(rss1 / 2 ** 20)], load: loadavg()[0] })}\n`);
} finally {
  await app.close();
  rmSync(work, { recursive: true, force: true });
}
