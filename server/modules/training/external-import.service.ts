/**
 * 外出培训学时批量导入: the organisation department imports training its cadres took elsewhere
 * from an Excel file. Rules:
 * - upload = check: every row is checked at once (external-import-rows.ts) against the cadres and
 *   the records already there, and the preview lists errors by Excel row number. Nothing is
 *   written but the import document and its checked rows (a file under DATA_DIR);
 * - confirm = import, in a queued job (`training-external-import`) with progress: each row that
 *   passed becomes an approved external record, decided by the importing admin, and its hours go to
 *   the cadre's ledger once (source `external`, entry `user:record:year`, as a decided claim).
 *   A confirm of an import already confirmed changes nothing (two clicks, two tabs);
 * - nothing is imported twice: a record's `_id` is derived from its row key (cadre, title, first
 *   day, organiser), so the store's primary key refuses a second copy whether it comes from the
 *   same file sent again or from two imports running at once; such a row counts as skipped.
 * A job cut short runs again: rows already inserted are found by their `_id` and credited (the
 * ledger's insert-if-absent makes that once).
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import { isDuplicateKey } from '../../store/errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import type { NoticeService } from '../notices/notices.service';
import type { CreditLedger } from '../study/credit-ledger';
import type { UserDoc } from '../users/user.model';
import { checkRows, rowKey, type CadreFacts, type ImportRow, type RowError } from './external-import-rows';
import { readImport } from './external-import-workbooks';
import type { ExternalImportDoc, ExternalImportState } from './external-import.model';
import { creditInstant } from './training-rules';

export const EXTERNAL_IMPORT_JOB = 'training-external-import';

/** Awaits an unordered insertMany: true when every document went in, false when some `_id`s were taken (E11000 only). */
async function insertAllIfAbsent(insert: Promise<unknown>): Promise<boolean> {
  try {
    await insert;
    return true;
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length ? list.every((e) => e.code === 11000) : isDuplicateKey(err)) return false;
    throw err;
  }
}
const ROW_ERRORS_KEPT = 2000;
const PREVIEW_ROWS = 10;
const BATCH = 100;
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** A checked file not confirmed within this long is dropped (its rows' file); confirming it then answers 410. */
const CHECKED_KEPT_MS = 7 * 86_400_000;

interface Log {
  info(obj: object, msg: string): void;
}

export interface ExternalImportDeps {
  models: Models;
  calendar: CountyCalendar;
  ledger: CreditLedger;
  /** Tells each cadre of the hours recorded (the bell), as a decided claim does. */
  notices?: NoticeService;
  jobs: JobQueue;
  dataDir: string;
  log: Log;
  /** Told the years whose figures an import changed (the year report's cache). */
  onImported?: (years: number[]) => void;
  now?: () => number;
}

export type PreviewRow = Pick<ImportRow, 'row' | 'username' | 'displayName' | 'title' | 'organiser' | 'startDay' | 'endDay' | 'hours' | 'channel'>;

export class ExternalImportService {
  private readonly dir: string;
  private readonly now: () => number;

  constructor(private readonly deps: ExternalImportDeps) {
    this.dir = join(deps.dataDir, 'external-imports');
    this.now = deps.now ?? Date.now;
  }

  private file(id: string) {
    return join(this.dir, `${id}.json`);
  }

  private lock<T>(id: string, fn: () => Promise<T>) {
    return storeLock(this.deps.models).run(`external-import:${id}`, fn);
  }

  /** Reads and checks a file; returns the preview (nothing is imported yet). */
  async check(actor: UserDoc, fileName: string, file: Buffer) {
    if (file.length > MAX_FILE_BYTES) throw new AppError(413, 'FILE_TOO_LARGE', '文件超过 8 MB,请分批导入', 'The file is larger than 8 MB; import in parts');
    const rows = await readImport(file);
    const { models } = this.deps;
    const users = await models.User.find({ role: 'cadre' }, { username: 1, displayName: 1, role: 1, disabled: 1, orgUnitId: 1 }).lean<Pick<UserDoc, '_id' | 'username' | 'displayName' | 'role' | 'disabled' | 'orgUnitId'>[]>();
    const cadres = new Map<string, CadreFacts>(users.map((u) => [u.username, { id: String(u._id), displayName: u.displayName, role: u.role, disabled: Boolean(u.disabled), unitId: u.orgUnitId ? String(u.orgUnitId) : null }]));
    const recordedDocs = await models.ExternalTraining.find({}, { userId: 1, title: 1, startDay: 1, organiser: 1 }).lean();
    const recorded = new Set(recordedDocs.map((d) => rowKey(String(d.userId), d.title, d.startDay, d.organiser)));
    const { ok, errors: rowErrors } = checkRows(rows, { today: this.deps.calendar.day(this.now()), firstOpenYear: this.deps.calendar.year(this.now()) - 1, cadres, recorded });
    const doc = await models.ExternalImport.create({
      createdBy: actor._id,
      fileName,
      state: 'checked',
      totalRows: rows.length,
      okRows: ok.length,
      errorCount: new Set(rowErrors.map((e) => e.row)).size,
      rowErrors: rowErrors.slice(0, ROW_ERRORS_KEPT),
      hours: Math.round(ok.reduce((s, r) => s + r.hours, 0) * 10) / 10,
    });
    const id = String(doc._id);
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(id), JSON.stringify(ok), { mode: 0o600 });
    await this.prune();
    this.deps.log.info({ importId: id, by: String(actor._id), rows: rows.length, ok: ok.length, errorRows: doc.errorCount }, 'externalImport.check() | checked');
    return this.view(doc.toObject() as ExternalImportDoc, ok);
  }

  /** Drops the rows of checks never confirmed (a week old). */
  private async prune() {
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => null);
      if (info && this.now() - info.mtimeMs > CHECKED_KEPT_MS) await rm(path, { force: true });
    }
  }

  async get(id: string) {
    const doc = await this.load(id);
    return this.view(doc, doc.state === 'checked' ? await this.rows(id) : []);
  }

  private async load(id: string): Promise<ExternalImportDoc> {
    const doc = await this.deps.models.ExternalImport.findById(id).lean<ExternalImportDoc>();
    if (!doc) throw errors.notFound('导入记录', 'Import');
    return doc;
  }

  private async rows(id: string): Promise<ImportRow[]> {
    return JSON.parse(await readFile(this.file(id), 'utf8').catch(() => '[]')) as ImportRow[];
  }

  /** Confirms a checked import: queues its job once; a second confirm returns the import as it is. */
  async confirm(actor: UserDoc, id: string) {
    const doc = await this.lock(id, async () => {
      const d = await this.load(id);
      if (d.state !== 'checked') return d;
      if (d.okRows === 0) throw errors.conflict('IMPORT_NOTHING_TO_IMPORT', '没有可导入的行,请修改后重新上传', 'No row can be imported: fix the file and upload it again');
      if (!(await stat(this.file(id)).catch(() => null))) throw new AppError(410, 'IMPORT_EXPIRED', '该检查结果已过期,请重新上传文件', 'This check has expired: upload the file again');
      const set = { state: 'queued' as ExternalImportState, confirmedAt: new Date(this.now()), createdBy: actor._id };
      await this.deps.models.ExternalImport.updateOne({ _id: d._id }, { $set: set });
      await this.deps.jobs.enqueue(EXTERNAL_IMPORT_JOB, { importId: id }, { maxAttempts: 2 });
      return { ...d, ...set };
    });
    return this.view(doc, []);
  }

  private update(id: string, set: Record<string, unknown>) {
    return this.lock(id, () => this.deps.models.ExternalImport.updateOne({ _id: id }, { $set: set }).exec());
  }

  view(d: ExternalImportDoc, rows: ImportRow[]) {
    return {
      id: String(d._id),
      fileName: d.fileName,
      state: d.state as ExternalImportState,
      totalRows: d.totalRows,
      okRows: d.okRows,
      errorCount: d.errorCount,
      rowErrors: (d.rowErrors ?? []) as RowError[],
      hours: d.hours,
      processedRows: d.processedRows,
      imported: d.imported,
      skipped: d.skipped,
      preview: rows.slice(0, PREVIEW_ROWS).map((r): PreviewRow => ({ row: r.row, username: r.username, displayName: r.displayName, title: r.title, organiser: r.organiser, startDay: r.startDay, endDay: r.endDay, hours: r.hours, channel: r.channel })),
      failure: d.failure || undefined,
      createdAt: new Date(d.createdAt).toISOString(),
    };
  }

  /** The job: insert each checked row once and credit it, in batches, with progress. */
  handler(): JobHandler {
    return async (job, ctx) => {
      const id = String((job.payload as { importId: string }).importId);
      const doc = await this.deps.models.ExternalImport.findById(id).lean<ExternalImportDoc>();
      if (!doc || doc.state === 'done') return;
      const started = this.now();
      try {
        const rows = await this.rows(id);
        await this.update(id, { state: 'running', processedRows: 0, imported: 0, skipped: 0 });
        let imported = 0;
        let skipped = 0;
        for (let i = 0; i < rows.length; i += BATCH) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          const batch = rows.slice(i, i + BATCH);
          const outcomes = await this.importBatch(batch, doc);
          imported += outcomes.filter((o) => o === 'imported').length;
          skipped += outcomes.filter((o) => o === 'skipped').length;
          const processed = Math.min(rows.length, i + BATCH);
          await this.update(id, { processedRows: processed, imported, skipped });
          await ctx.progress(Math.round((processed / rows.length) * 100));
        }
        await this.update(id, { state: 'done', processedRows: rows.length, imported, skipped, finishedAt: new Date(this.now()) });
        this.deps.onImported?.([...new Set(rows.map((r) => r.year))]);
        this.deps.log.info({ importId: id, rows: rows.length, imported, skipped, ms: this.now() - started }, 'externalImport.run() | done');
        await rm(this.file(id), { force: true });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        await this.update(id, { state: 'failed', failure: err instanceof AppError ? err.message : '导入失败,请稍后重试', finishedAt: new Date(this.now()) });
        throw err;
      }
    };
  }

  /**
   * A batch of rows. Each row's channel item is inserted first and its `_id` (the record's) decides
   * which import owns the row; the owner inserts the record and credits the ledger (both once, by
   * their `_id`), so a run cut short and run again finishes its own rows and another import's rows
   * are skipped. Inserts go in one `insertMany` per batch (unordered: a taken `_id` fails alone);
   * when any failed, each row's owner is read back by `_id` rather than trusted from the driver.
   */
  private async importBatch(rows: ImportRow[], imp: ExternalImportDoc): Promise<('imported' | 'skipped')[]> {
    const { models, calendar, ledger } = this.deps;
    const now = new Date(this.now());
    const itemsFailed = !(await insertAllIfAbsent(models.ExternalImportItem.collection.insertMany(rows.map((r) => ({ _id: r.externalId, importId: imp._id, channel: r.channel, year: r.year })) as never[], { ordered: false })));
    const owners = itemsFailed ? await Promise.all(rows.map((r) => models.ExternalImportItem.findById(r.externalId, { importId: 1 }).lean())) : null;
    const mine = rows.filter((_, i) => !owners || owners[i]?.importId?.equals(imp._id) === true);
    if (mine.length) {
      await insertAllIfAbsent(
        models.ExternalTraining.collection.insertMany(
          mine.map((r) => ({
            _id: new Types.ObjectId(r.externalId),
            userId: new Types.ObjectId(r.userId),
            unitId: r.unitId ? new Types.ObjectId(r.unitId) : null,
            title: r.title,
            organiser: r.organiser,
            startDay: r.startDay,
            endDay: r.endDay,
            hoursClaimed: r.hours,
            note: r.note,
            certificateType: null,
            certificateName: '',
            state: 'approved',
            hoursAllowed: r.hours,
            reason: '',
            decidedBy: imp.createdBy,
            decidedAt: now,
            year: r.year,
            createdAt: now,
            updatedAt: now,
            __v: 0,
          })) as never[],
          { ordered: false },
        ),
      );
    }
    await Promise.all(
      mine.map((r) => {
        const at = creditInstant(calendar, r.endDay, now.getTime());
        const year = calendar.year(at);
        return ledger.creditOnce({ _id: `${r.userId}:${r.externalId}:${year}`, userId: new Types.ObjectId(r.userId), lectureId: new Types.ObjectId(r.externalId), year, hours: r.hours, required: false, topic: 'external', title: `外出培训:${r.title}`, at: new Date(at), source: 'external' });
      }),
    );
    // The same notice id as a decided claim's: sent once per record, however often the batch runs.
    const notices = this.deps.notices;
    if (notices) {
      await Promise.all(
        mine.map((r) =>
          notices.send(r.userId, {
          id: `training-external-${r.externalId}`,
          kind: 'training',
          at: now,
          title: `外出培训学时已认定:${r.title}`,
          titleEn: `External training recognised: ${r.title}`,
          body: `组织部批量导入,认定 ${r.hours} 学时。`,
            bodyEn: `Recorded by the organisation department: ${r.hours} hours allowed.`,
            link: '/training',
          }),
        ),
      );
    }
    const owned = new Set(mine.map((r) => r.externalId));
    return rows.map((r) => (owned.has(r.externalId) ? 'imported' : 'skipped'));
  }
}
