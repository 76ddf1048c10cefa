/**
 * Reads the year report's facts and keeps the result. FerretDB 1.24 decodes every document of a
 * filter on a field other than `_id` (docs/store-on-ferretdb.md): the report reads each of four
 * collections once — the year's classes, every enrolment (12,606 on the demo county: 2.2 s of the
 * 2.8 s a report takes on the busy test machine), the year's approved external records and their
 * import channels. So the result is kept (lru-cache) and served stale-while-revalidate: a read
 * older than REFRESH_MS is answered at once and refreshed behind it, and each result is written to
 * DATA_DIR/training-report/<year>.json, which the next start serves while it recomputes (the
 * current year is warmed at start). `computedAt` says how old the figures are. An import drops the
 * years it changed and recomputes them, so reads wait for the new figures instead of the old.
 * The figures of enrolments marked elsewhere (enrolment.service.ts) show within REFRESH_MS.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { LRUCache } from 'lru-cache';
import type { Models } from '../../store/models';
import { guessChannel, type ExternalChannel } from './external-import-rows';
import type { ClassChannel } from './training.model';
import { CHANNEL_LABELS, yearReport, type YearReport } from './training-report';

const REFRESH_MS = 60_000;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class TrainingReportService {
  private readonly cache: LRUCache<number, YearReport>;
  private readonly dir: string | null;

  constructor(
    private readonly models: Models,
    opts: { dataDir?: string; log?: Log; now?: () => number } = {},
  ) {
    this.dir = opts.dataDir ? join(opts.dataDir, 'training-report') : null;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.cache = new LRUCache<number, YearReport>({ max: 20, ttl: REFRESH_MS, allowStale: true, noDeleteOnFetchRejection: true, fetchMethod: (year) => this.compute(year) });
  }
  private readonly log?: Log;
  private readonly now: () => number;

  /** The kept figures (stale ones refreshed behind), or `fresh` ones computed now (the page's 刷新). */
  async report(year: number, fresh = false): Promise<YearReport> {
    const r = await this.cache.fetch(year, fresh ? { forceRefresh: true, allowStale: false } : {});
    if (!r) throw new Error(`training report ${year}: nothing computed`);
    return r;
  }

  /** Serves the kept results of earlier runs (stale, refreshed on their first read) and computes this year's behind the start. */
  async warm(year: number): Promise<void> {
    if (this.dir) {
      const files = await readdir(this.dir).catch(() => [] as string[]);
      for (const f of files.filter((n) => /^\d{4}\.json$/.test(n))) {
        const kept = JSON.parse(await readFile(join(this.dir, f), 'utf8').catch(() => 'null')) as YearReport | null;
        if (kept?.year) this.cache.set(kept.year, kept, { ttl: 1 });
      }
    }
    await this.cache.fetch(year);
  }

  /** Drops the years an import changed and recomputes them; reads meanwhile wait for the new figures. */
  invalidate(years: number[]) {
    for (const y of years) {
      this.cache.delete(y);
      void this.cache.fetch(y).catch((err: Error) => this.log?.warn({ year: y, err: err.message }, 'trainingReport.invalidate() | recompute failed'));
    }
  }

  private async compute(year: number): Promise<YearReport> {
    const { models } = this;
    const started = performance.now();
    const classes = await models.TrainingClass.find({ year }, { name: 1, category: 1, channel: 1 }).lean();
    const ids = new Set(classes.map((c) => String(c._id)));
    const enrolments = ids.size ? await models.TrainingEnrolment.find({}, { classId: 1, state: 1, hours: 1 }).lean() : [];
    const external = await models.ExternalTraining.find({ year, state: 'approved' }, { userId: 1, organiser: 1, title: 1, hoursAllowed: 1 }).lean();
    const items = await models.ExternalImportItem.find({ year }, { channel: 1 }).lean();
    const channelOf = new Map(items.map((i) => [i._id, i.channel as ExternalChannel]));
    const report = yearReport(
      year,
      classes.map((c) => ({ id: String(c._id), name: c.name, category: c.category, channel: c.channel as ClassChannel })),
      enrolments.filter((e) => ids.has(String(e.classId))).map((e) => ({ classId: String(e.classId), state: e.state, hours: e.hours ?? 0 })),
      external.map((e) => ({ userId: String(e.userId), channel: channelOf.get(String(e._id)) ?? guessChannel(e.organiser, e.title), hours: e.hoursAllowed ?? 0 })),
      new Date(this.now()),
    );
    const ms = Math.round(performance.now() - started);
    this.log?.info({ year, classes: classes.length, enrolments: enrolments.length, external: external.length, ms }, 'trainingReport.compute() | computed');
    if (this.dir) await this.keep(report).catch((err: Error) => this.log?.warn({ year, err: err.message }, 'trainingReport.keep() | not kept'));
    return report;
  }

  private async keep(report: YearReport) {
    await mkdir(this.dir!, { recursive: true });
    const file = join(this.dir!, `${report.year}.json`);
    await writeFile(`${file}.tmp`, JSON.stringify(report));
    await rename(`${file}.tmp`, file);
  }

  async workbook(year: number): Promise<Buffer> {
    const r = await this.report(year);
    const wb = new ExcelJS.Workbook();
    wb.creator = '通榆县干部教育培训平台';
    const head = (ws: ExcelJS.Worksheet, title: string) => {
      ws.addRow([title]).font = { bold: true, size: 14 };
      ws.addRow([]);
    };
    const ws = wb.addWorksheet('培训班');
    head(ws, `${year} 年培训班统计(按类别和渠道)`);
    ws.addRow(['培训类别', '渠道', '期次', '参训人次', '结业人次', '认定学时']).font = { bold: true };
    for (const c of r.classes.byCategory) ws.addRow([c.category, CHANNEL_LABELS[c.channel], c.cohorts, c.enrolled, c.completed, c.hours]);
    ws.addRow(['合计', '', r.classes.totals.cohorts, r.classes.totals.enrolled, r.classes.totals.completed, r.classes.totals.hours]).font = { bold: true };
    ws.addRow([]);
    ws.addRow(['培训班', '培训类别', '渠道', '期次', '参训人次', '结业人次', '认定学时']).font = { bold: true };
    for (const c of r.classes.byName) ws.addRow([c.name, c.category, CHANNEL_LABELS[c.channel], c.cohorts, c.enrolled, c.completed, c.hours]);
    ws.columns.forEach((col, i) => (col.width = i === 0 ? 30 : 12));
    const ex = wb.addWorksheet('外出培训');
    head(ex, `${year} 年外出培训统计(按渠道)`);
    ex.addRow(['渠道', '人次', '人数', '认定学时']).font = { bold: true };
    for (const c of r.external.byChannel) ex.addRow([CHANNEL_LABELS[c.channel], c.personTimes, c.cadres, c.hours]);
    ex.addRow(['合计', r.external.totals.personTimes, r.external.totals.cadres, r.external.totals.hours]).font = { bold: true };
    ex.addRow([]);
    ex.addRow([`全年培训合计:${r.totals.personTimes} 人次,${r.totals.hours} 学时(结业人次与外出培训人次之和)`]);
    ex.columns.forEach((col, i) => (col.width = i === 0 ? 20 : 12));
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
}
