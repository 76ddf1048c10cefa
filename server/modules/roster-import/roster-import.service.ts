/**
 * 花名册导入: an uploaded roster becomes accounts in a queued job (`roster-import`), so a county's
 * 11,265 cadres do not hold a request open. Rules:
 * - every row is checked first (roster-rows.ts); a row with any problem creates nothing and is
 *   reported by its Excel row number;
 * - the username is the key and the store's unique index decides: accounts are inserted in
 *   batches, a username already taken (by an earlier import of the same file, or by a concurrent
 *   one) creates nothing a second time. The same person (same name and unit) counts as skipped,
 *   anyone else is reported as USERNAME_TAKEN;
 * - each created account gets its own one-time password (mustChangePassword, expiring after
 *   IMPORT_PASSWORD_TTL_MS), kept in a file under DATA_DIR only until the importing admin
 *   downloads the sheet of them, once. A shared initial password would let anyone who knows a
 *   colleague's username into the account before its owner; per-person slips do not.
 * A job cut short (the process died) runs again: rows already created are skipped; their
 * one-time passwords are in the file already unless the crash fell between a batch's insert and
 * its append, and those few cadres need a reset.
 */
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { AppError, errors } from '../../errors';
import { storeLock } from '../../store/keyed-lock';
import { changeSignal } from '../../store/change-signal';
import type { Models } from '../../store/models';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import { generateOneTimePassword, hashOneTimePassword } from '../auth/password';
import type { OrgService } from '../org/org.service';
import type { UserDoc } from '../users/user.model';
import type { UsersService } from '../users/users.service';
import { checkRows, indexUnits, type RosterRow, type RowError } from './roster-rows';
import { credentialsWorkbook, readRoster, templateWorkbook, type Credential } from './roster-workbooks';
import type { RosterImportDoc } from './roster-import.model';

export const IMPORT_JOB = 'roster-import';
/** How long an imported account's one-time password works: time to hand slips out across the county. */
export const IMPORT_PASSWORD_TTL_MS = 30 * 86_400_000;
const ROW_ERRORS_KEPT = 2000;
const BATCH = 250;
const MAX_FILE_BYTES = 8 * 1024 * 1024;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class RosterImportService {
  private readonly dir: string;
  /** Milliseconds spent hashing and inserting (logged per import). */
  private timing = { hash: 0, insert: 0 };

  constructor(
    private readonly models: Models,
    private readonly users: UsersService,
    private readonly org: OrgService,
    private readonly jobs: JobQueue,
    dataDir: string,
    private readonly log: Log,
  ) {
    this.dir = join(dataDir, 'roster-imports');
  }

  private file(id: string, kind: 'upload' | 'credentials') {
    return join(this.dir, kind === 'upload' ? `${id}.xlsx` : `${id}.credentials.jsonl`);
  }

  /** The template, with the units the admin may import into listed on a second sheet. */
  async template(actor: UserDoc): Promise<Buffer> {
    const scope = await this.users.scope(actor);
    const flat = await this.org.flat();
    const names = new Map(flat.map((u) => [u.id, u.name]));
    const units = flat
      .filter((u) => scope.all || scope.units.has(u.id))
      .map((u) => ({ name: u.name, path: u.parentId ? `${names.get(u.parentId)}/${u.name}` : u.name }));
    return templateWorkbook(units);
  }

  async start(actor: UserDoc, fileName: string, file: Buffer) {
    await this.users.scope(actor); // only admins with a scope import
    if (file.length > MAX_FILE_BYTES) throw new AppError(413, 'FILE_TOO_LARGE', '文件超过 8 MB,请分批导入', 'The file is larger than 8 MB; import in parts');
    // An .xlsx is a ZIP archive: refuse anything else before queueing.
    if (file.length < 4 || file.readUInt32LE(0) !== 0x04034b50) {
      throw new AppError(400, 'BAD_ROSTER_FILE', '花名册文件无法读取:请上传 .xlsx 文件(可先下载模板)', 'The roster file cannot be read: upload an .xlsx file (download the template first)');
    }
    const doc = await this.models.RosterImport.create({ createdBy: actor._id, fileName, state: 'queued' });
    const id = String(doc._id);
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(id, 'upload'), file, { mode: 0o600 });
    await this.jobs.enqueue(IMPORT_JOB, { importId: id }, { maxAttempts: 2 });
    this.log.info({ importId: id, by: String(actor._id), bytes: file.length }, 'rosterImport.start() | queued');
    return this.view(doc.toObject() as RosterImportDoc);
  }

  /** An import as its page shows it; only its creator and the org admins may read it. */
  async get(actor: UserDoc, id: string) {
    return this.view(await this.load(actor, id));
  }

  async list(actor: UserDoc) {
    await this.users.scope(actor);
    const rows = await this.models.RosterImport.find({ createdBy: actor._id }, { rowErrors: 0 }).sort({ createdAt: -1 }).limit(10).lean<RosterImportDoc[]>();
    return { items: rows.map((r) => this.view({ ...r, rowErrors: [] })) };
  }

  private async load(actor: UserDoc, id: string): Promise<RosterImportDoc> {
    await this.users.scope(actor);
    const doc = await this.models.RosterImport.findById(id).lean<RosterImportDoc>();
    if (!doc || (actor.role !== 'orgAdmin' && String(doc.createdBy) !== String(actor._id))) throw errors.notFound('导入记录', 'Import');
    return doc;
  }

  private view(d: RosterImportDoc) {
    return {
      id: String(d._id),
      fileName: d.fileName,
      state: d.state,
      totalRows: d.totalRows,
      processedRows: d.processedRows,
      created: d.created,
      skipped: d.skipped,
      errorCount: d.errorCount,
      rowErrors: (d.rowErrors ?? []) as RowError[],
      credentials: d.credentials,
      credentialsExpireAt: d.credentialsExpireAt?.toISOString(),
      failure: d.failure ?? undefined,
      createdAt: new Date(d.createdAt).toISOString(),
      durationMs: d.durationMs ?? undefined,
    };
  }

  /** The one-time passwords of the accounts this import created, as .xlsx: to its creator, once. */
  async credentials(actor: UserDoc, id: string): Promise<Buffer> {
    return storeLock(this.models).run(`rosterImport:${id}`, async () => {
      const doc = await this.load(actor, id);
      if (String(doc.createdBy) !== String(actor._id)) throw errors.notFound('导入记录', 'Import');
      if (doc.credentials !== 'ready') {
        throw new AppError(410, 'CREDENTIALS_GONE', '初始密码单已下载过或没有新账号;如需新密码请重置', 'The one-time passwords were already downloaded or there are none; reset passwords to issue new ones');
      }
      const text = await readFile(this.file(id, 'credentials'), 'utf8').catch(() => '');
      const rows = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Credential);
      const book = await credentialsWorkbook(rows, (doc.credentialsExpireAt ?? new Date()).toISOString());
      await this.models.RosterImport.updateOne({ _id: doc._id }, { $set: { credentials: 'downloaded' } });
      await rm(this.file(id, 'credentials'), { force: true });
      this.log.info({ importId: id, by: String(actor._id), count: rows.length }, 'rosterImport.credentials() | downloaded and deleted');
      return book;
    });
  }

  private update(id: string, set: Record<string, unknown>) {
    return storeLock(this.models).run(`rosterImport:${id}`, () => this.models.RosterImport.updateOne({ _id: id }, { $set: set }).exec());
  }

  /** The job: read, check, insert in batches with progress. */
  handler(): JobHandler {
    return async (job, ctx) => {
      const id = String((job.payload as { importId: string }).importId);
      const startedAt = Date.now();
      const doc = await this.models.RosterImport.findById(id).lean<RosterImportDoc>();
      if (!doc) return;
      const actor = await this.models.User.findById(doc.createdBy).lean<UserDoc>();
      try {
        if (!actor || actor.disabled) throw new AppError(403, 'FORBIDDEN', '导入者的账号已停用', "The importer's account is disabled");
        await this.update(id, { state: 'running', startedAt: new Date(startedAt), processedRows: 0, created: 0, skipped: 0 });
        this.timing = { hash: 0, insert: 0 };
        const rows = await readRoster(await readFile(this.file(id, 'upload')));
        const checked = checkRows(rows, indexUnits(await this.org.flat()), await this.users.scope(actor));
        const rowErrors: RowError[] = [...checked.errors];
        await this.update(id, { totalRows: rows.length, processedRows: rows.length - checked.ok.length });
        const counts = await this.insertAll(id, checked.ok, rowErrors, rows.length - checked.ok.length, ctx.signal);
        rowErrors.sort((a, b) => a.row - b.row);
        const erroneous = new Set(rowErrors.map((e) => e.row)).size;
        await this.update(id, {
          state: 'done',
          ...counts,
          processedRows: rows.length,
          errorCount: erroneous,
          rowErrors: rowErrors.slice(0, ROW_ERRORS_KEPT),
          credentials: counts.created > 0 ? 'ready' : 'none',
          credentialsExpireAt: new Date(startedAt + IMPORT_PASSWORD_TTL_MS),
          finishedAt: new Date(),
          durationMs: Date.now() - startedAt,
        });
        this.log.info({ importId: id, rows: rows.length, ...counts, errorRows: erroneous, ms: Date.now() - startedAt, hashMs: Math.round(this.timing.hash), insertMs: Math.round(this.timing.insert) }, 'rosterImport.run() | done');
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        // A bad file is the admin's to fix, not a job to retry.
        const message = err instanceof AppError ? err.message : '导入失败,请稍后重试';
        await this.update(id, { state: 'failed', failure: message, finishedAt: new Date(), durationMs: Date.now() - startedAt });
        if (!(err instanceof AppError)) throw err;
      }
      // Done, or a file that cannot be imported: the upload is not needed again (a retry keeps it).
      await rm(this.file(id, 'upload'), { force: true });
    };
  }

  private async insertAll(id: string, ok: RosterRow[], rowErrors: RowError[], processedBefore: number, signal: AbortSignal) {
    const existing = new Map(
      (await this.models.User.find({}, { username: 1, displayName: 1, orgUnitId: 1 }).lean<Pick<UserDoc, '_id' | 'username' | 'displayName' | 'orgUnitId'>[]>()).map((u) => [u.username, u]),
    );
    const unitNames = new Map((await this.org.flat()).map((u) => [u.id, u.name]));
    const expiresAt = new Date(Date.now() + IMPORT_PASSWORD_TTL_MS);
    let created = 0;
    let skipped = 0;
    const sameOrTaken = (r: RosterRow, u: Pick<UserDoc, 'displayName' | 'orgUnitId'>) => {
      if (u.displayName === r.displayName && String(u.orgUnitId) === r.orgUnitId) skipped++;
      else rowErrors.push({ row: r.row, field: 'username', code: 'USERNAME_TAKEN', message: `用户名"${r.username}"已被其他人使用`, messageEn: `Username "${r.username}" belongs to someone else`, username: r.username });
    };
    const fresh: RosterRow[] = [];
    for (const r of ok) {
      const u = existing.get(r.username);
      if (u) sameOrTaken(r, u);
      else fresh.push(r);
    }
    let processed = processedBefore + (ok.length - fresh.length);
    for (let i = 0; i < fresh.length; i += BATCH) {
      if (signal.aborted) throw signal.reason;
      const batch = fresh.slice(i, i + BATCH);
      const passwords = batch.map(() => generateOneTimePassword());
      let at = performance.now();
      const hashes = await Promise.all(passwords.map((p) => hashOneTimePassword(p)));
      this.timing.hash += performance.now() - at;
      at = performance.now();
      const now = new Date();
      const docs = batch.map((r, k) => ({
        _id: new Types.ObjectId(),
        username: r.username,
        displayName: r.displayName,
        passwordHash: hashes[k]!,
        role: r.role,
        ...(r.rank ? { rank: r.rank } : {}),
        orgUnitId: new Types.ObjectId(r.orgUnitId),
        ...(r.phone ? { phone: r.phone } : {}),
        disabled: false,
        failedLogins: 0,
        mustChangePassword: true,
        passwordExpiresAt: expiresAt,
        importId: new Types.ObjectId(id),
        createdAt: now,
        updatedAt: now,
        __v: 0,
      }));
      // Unordered: a username taken meanwhile (a concurrent import) fails alone, the rest go in.
      let mine: Set<string>;
      try {
        await this.models.User.collection.insertMany(docs, { ordered: false });
        mine = new Set(docs.map((d) => String(d._id)));
        changeSignal(this.models, 'users').changed(docs.map((d) => String(d._id)));
      } catch (err) {
        changeSignal(this.models, 'users').changed(docs.map((d) => String(d._id)));
        if ((err as { code?: number }).code !== 11000 && !(err as { writeErrors?: unknown[] }).writeErrors?.length) throw err;
        // Which went in is read back by username, not trusted from the driver's error.
        const now = await this.models.User.find({ username: { $in: batch.map((r) => r.username) } }, { username: 1, displayName: 1, orgUnitId: 1 }).lean<Pick<UserDoc, '_id' | 'username' | 'displayName' | 'orgUnitId'>[]>();
        const byName = new Map(now.map((u) => [u.username, u]));
        mine = new Set(docs.filter((d) => String(byName.get(d.username)?._id) === String(d._id)).map((d) => String(d._id)));
        batch.forEach((r, k) => {
          const u = byName.get(r.username);
          if (!mine.has(String(docs[k]!._id)) && u) sameOrTaken(r, u);
        });
      }
      this.timing.insert += performance.now() - at;
      const lines = batch.flatMap((r, k) => (mine.has(String(docs[k]!._id)) ? [JSON.stringify({ row: r.row, unit: unitNames.get(r.orgUnitId) ?? '', displayName: r.displayName, username: r.username, password: passwords[k]! } satisfies Credential)] : []));
      if (lines.length) await appendFile(this.file(id, 'credentials'), lines.join('\n') + '\n', { mode: 0o600 });
      created += mine.size;
      processed += batch.length;
      await this.update(id, { processedRows: processed, created, skipped });
    }
    return { created, skipped };
  }
}
