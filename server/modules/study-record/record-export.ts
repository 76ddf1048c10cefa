/**
 * A whole unit's study records as one PDF (学习档案批量导出), made by a queued job
 * (`study-record-export`) so a unit of hundreds of cadres never holds a request open. Rules:
 * - the cadres are those of the unit and every unit below it (the unit report's roster), sorted
 *   by unit path then name; each starts a new page (record-pdf.ts);
 * - progress (done / total) is written to the export's document at most every PROGRESS_MS and at
 *   the end; the screen polls it;
 * - the pages are drawn in a worker thread (record-pdf-thread.ts): pdfkit's drawing and font
 *   subsetting never hold the event loop, so requests and heartbeats keep flowing while a big
 *   unit renders; a shutdown aborts it and the queue hands it back;
 * - the file is written beside its final name and renamed when complete, so a download never
 *   sees half a PDF; a rerun (crash, retry) starts the file again.
 * - a finished PDF is kept EXPORT_KEEP_DAYS after it was made, then deleted (state `expired`,
 *   swept hourly by prune()): the records themselves stay in the store and can be exported again.
 * Only the unit's admins (scope as the unit report) and the organisation department start,
 * watch and download exports.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { errors } from '../../errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import type { UserDoc } from '../users/user.model';
import { pathTo, subtreeIds } from '../org/org-tree';
import type { FontChoice } from './record-pdf';
import { RecordPdfThread } from './record-pdf-thread';
import { exportStates, type RecordExportDoc } from './study-record.model';
import type { StudyRecord, StudyRecordService } from './study-record.service';

export const RECORD_EXPORT_JOB = 'study-record-export';
const PROGRESS_MS = 500;
/** How long a finished PDF is kept for download. */
export const EXPORT_KEEP_DAYS = 7;
/** Cadres whose records are being read while one is drawn. */
const READ_AHEAD = 8;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ExportView {
  id: string;
  unitId: string;
  unitName: string;
  year: number;
  state: (typeof exportStates)[number];
  total: number;
  done: number;
  pages?: number;
  bytes?: number;
  failure?: string;
  createdAt: string;
  finishedAt?: string;
  downloadUrl?: string;
}

const collator = new Intl.Collator('zh-CN');

export class RecordExports {
  private readonly dir: string;

  constructor(
    private readonly models: Models,
    private readonly records: StudyRecordService,
    private readonly jobs: JobQueue,
    dataDir: string,
    private readonly font: FontChoice,
    private readonly log: Log,
  ) {
    this.dir = join(dataDir, 'study-records');
  }

  async start(actor: UserDoc, unitId: string, year: number, origin: string): Promise<ExportView> {
    this.records.assertYear(year);
    const { unit, units } = await this.records.unitInScope(actor, unitId);
    const unitName = pathTo(units, unit.id).map((u) => u.name).join(' / ');
    const doc = await this.models.StudyRecordExport.create({ unitId, unitName, year, requestedBy: actor._id, origin, state: 'queued' });
    await this.jobs.enqueue(RECORD_EXPORT_JOB, { exportId: String(doc._id) }, { maxAttempts: 2 });
    this.log.info({ exportId: String(doc._id), unitId, year, by: String(actor._id) }, 'studyRecord.export() | queued');
    return view(doc.toObject() as RecordExportDoc);
  }

  async get(actor: UserDoc, id: string): Promise<ExportView> {
    return view(await this.load(actor, id));
  }

  /** The latest exports of a unit (the screen's list). */
  async list(actor: UserDoc, unitId: string): Promise<{ items: ExportView[] }> {
    await this.records.unitInScope(actor, unitId);
    const rows = await this.models.StudyRecordExport.find({ unitId }).sort({ createdAt: -1 }).limit(10).lean<RecordExportDoc[]>();
    return { items: rows.map(view) };
  }

  /** The finished PDF's path and a file name, for the download. */
  async file(actor: UserDoc, id: string): Promise<{ path: string; name: string }> {
    const doc = await this.load(actor, id);
    if (doc.state !== 'done' || !doc.file) throw errors.conflict('EXPORT_NOT_READY', '导出尚未完成', 'The export is not finished yet');
    return { path: doc.file, name: `${doc.unitName.split(' / ').pop()}-学习档案-${doc.year}.pdf` };
  }

  /** Deletes the week-old PDFs (pruneExports). */
  prune(now = Date.now()): Promise<number> {
    return pruneExports(this.models, this.log, now);
  }

  private async load(actor: UserDoc, id: string): Promise<RecordExportDoc> {
    const doc = Types.ObjectId.isValid(id) ? await this.models.StudyRecordExport.findById(id).lean<RecordExportDoc>() : null;
    if (!doc) throw errors.notFound('导出', 'Export');
    await this.records.unitInScope(actor, doc.unitId);
    return doc;
  }

  private write(id: string, set: Record<string, unknown>) {
    return storeLock(this.models).run(`studyRecordExport:${id}`, () => this.models.StudyRecordExport.updateOne({ _id: id }, { $set: set }).exec());
  }

  handler(): JobHandler {
    return async (job, ctx) => {
      const id = String((job.payload as { exportId?: string }).exportId ?? '');
      const doc = Types.ObjectId.isValid(id) ? await this.models.StudyRecordExport.findById(id).lean<RecordExportDoc>() : null;
      if (!doc) return; // deleted meanwhile: nothing to make
      try {
        await this.render(doc, ctx.signal, (p) => ctx.progress(p));
      } catch (err) {
        // Failed for good, or handed back to the queue (a retry, a shutdown): the screen says which.
        const last = !ctx.signal.aborted && ctx.attempt >= (job.maxAttempts ?? 1);
        await this.write(id, last ? { state: 'failed', failure: (err as Error).message, finishedAt: new Date() } : { state: 'queued', done: 0 }).catch(() => {});
        throw err;
      }
    };
  }

  private async render(doc: RecordExportDoc, signal: AbortSignal, percent: (p: number) => Promise<void>) {
    const id = String(doc._id);
    const started = Date.now();
    const repo = this.records.repo;
    const units = await repo.units();
    const names = new Map(units.map((u) => [u.id, pathTo(units, u.id).map((n) => n.name).join(' / ')]));
    const cadres = (await repo.cadresIn([...subtreeIds(units, doc.unitId)])).sort(
      (a, b) => collator.compare(names.get(a.unitId) ?? '', names.get(b.unitId) ?? '') || collator.compare(a.displayName, b.displayName) || a.username.localeCompare(b.username),
    );
    await this.write(id, { state: 'running', total: cadres.length, done: 0, startedAt: new Date(), failure: null });
    await mkdir(this.dir, { recursive: true });
    const final = join(this.dir, `${id}.pdf`);
    const partial = `${final}.part`;
    const pdf = new RecordPdfThread(partial, this.font, { title: `${doc.unitName} 干部学习档案 ${doc.year}` });
    let done = 0;
    let lastWrite = Date.now();
    let longestMs = 0;
    const spent = { readWait: 0, draw: 0, end: 0 };
    // Records are read a few cadres ahead while the current one is drawn.
    const read = (i: number) => {
      const c = cadres[i]!;
      const p = this.records.compose({ userId: c.userId, username: c.username, displayName: c.displayName, role: 'cadre', rank: c.rank, unitId: c.unitId }, doc.year, units, doc.origin);
      p.catch(() => {}); // awaited below; an abort may leave some unawaited
      return p;
    };
    const ahead: Promise<StudyRecord>[] = [];
    for (let i = 0; i < Math.min(READ_AHEAD, cadres.length); i++) ahead[i] = read(i);
    try {
      for (let i = 0; i < cadres.length; i++) {
        if (signal.aborted) throw signal.reason;
        let t = performance.now();
        const record = await ahead[i]!;
        delete ahead[i];
        if (i + READ_AHEAD < cadres.length) ahead[i + READ_AHEAD] = read(i + READ_AHEAD);
        spent.readWait += performance.now() - t;
        t = performance.now();
        await pdf.addRecord(record);
        longestMs = Math.max(longestMs, performance.now() - t);
        spent.draw += performance.now() - t;
        done += 1;
        if (Date.now() - lastWrite >= PROGRESS_MS) {
          lastWrite = Date.now();
          await this.write(id, { done });
          await percent(Math.floor((done / cadres.length) * 99));
        }
      }
      if (!cadres.length) await pdf.addRecordless(doc.unitName, doc.year);
      const t = performance.now();
      const pages = await pdf.finish();
      spent.end = performance.now() - t;
      await rename(partial, final);
      const { size } = await stat(final);
      await this.write(id, { state: 'done', done, pages, bytes: size, file: final, finishedAt: new Date() });
      this.log.info({ exportId: id, cadres: done, pages, bytes: size, ms: Date.now() - started, longestCadreMs: Math.round(longestMs), spentMs: Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Math.round(v)])) }, 'studyRecord.export() | done');
    } catch (err) {
      await pdf.close().catch(() => {});
      await rm(partial, { force: true });
      throw err;
    }
  }
}

/**
 * Deletes the PDFs finished more than EXPORT_KEEP_DAYS before `now` and marks their exports
 * `expired`. Returns how many. A file already gone (deleted by hand) is no error.
 */
export async function pruneExports(models: Models, log: Log, now = Date.now()): Promise<number> {
  const before = new Date(now - EXPORT_KEEP_DAYS * 24 * 3600_000);
  const old = await models.StudyRecordExport.find({ state: 'done', finishedAt: { $lt: before } }, { file: 1 }).lean<Pick<RecordExportDoc, '_id' | 'file'>[]>();
  for (const d of old) {
    if (d.file) await rm(d.file, { force: true });
    const id = String(d._id);
    await storeLock(models).run(`studyRecordExport:${id}`, () => models.StudyRecordExport.updateOne({ _id: id }, { $set: { state: 'expired' }, $unset: { file: 1 } }).exec());
  }
  if (old.length) log.info({ expired: old.length, keepDays: EXPORT_KEEP_DAYS }, 'studyRecord.prune() | old exports deleted');
  return old.length;
}

function view(d: RecordExportDoc): ExportView {
  const id = String(d._id);
  return {
    id,
    unitId: d.unitId,
    unitName: d.unitName,
    year: d.year,
    state: d.state as ExportView['state'],
    total: d.total ?? 0,
    done: d.done ?? 0,
    pages: d.pages ?? undefined,
    bytes: d.bytes ?? undefined,
    failure: d.failure ?? undefined,
    createdAt: new Date(d.createdAt).toISOString(),
    finishedAt: d.finishedAt ? new Date(d.finishedAt).toISOString() : undefined,
    downloadUrl: d.state === 'done' ? `/api/study-record/exports/${id}/file` : undefined,
  };
}
