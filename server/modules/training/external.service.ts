/**
 * External training hours (学时登记与认定): a cadre records training taken elsewhere (a partner
 * university, a provincial class, a study visit) once it has ended; an admin of the cadre's unit
 * (本单位及下属单位) or the organisation department approves it with the hours the rules allow
 * (at most those claimed) or refuses it with a reason. Approved hours go to the cadre's ledger
 * once (source `external`, entry `_id` user:claim:year), counted in the county year of the
 * training's last day; the study record shows them under 培训班. A decision is final.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Types } from 'mongoose';
import type { Storage } from '../../../media';
import type { CountyCalendar } from '../../calendar';
import { errors } from '../../errors';
import type { NoticeService } from '../notices/notices.service';
import type { CreditLedger } from '../study/credit-ledger';
import type { UserDoc } from '../users/user.model';
import type { Models } from '../../store/models';
import { ExternalRepository } from './external-repository';
import type { ClaimState, ExternalTrainingDoc } from './training.model';
import { certificateKey, readCertificate } from './certificate';
import { creditInstant } from './training-rules';
import { trainingErrors, type Scope } from './training-scope';

export interface ClaimInput {
  title: string;
  organiser: string;
  startDay: string;
  endDay: string;
  hoursClaimed: number;
  note?: string;
  certificate?: { name: string; data: string };
}

export interface ExternalDeps {
  models: Models;
  calendar: CountyCalendar;
  ledger: CreditLedger;
  notices: NoticeService;
  scope: (user: UserDoc) => Promise<Scope>;
  /** Where certificates are kept, and a local folder to stage them in. */
  storage: Storage;
  workDir: string;
  now?: () => number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export class ExternalTrainingService {
  readonly repo: ExternalRepository;
  private readonly now: () => number;

  constructor(private readonly deps: ExternalDeps) {
    this.repo = new ExternalRepository(deps.models);
    this.now = deps.now ?? Date.now;
  }

  async create(user: UserDoc, input: ClaimInput) {
    if (input.endDay < input.startDay) throw trainingErrors.badClaimDates();
    if (input.endDay > this.deps.calendar.day(this.now())) throw trainingErrors.futureTraining();
    const cert = input.certificate ? readCertificate(input.certificate.data) : null;
    const _id = new Types.ObjectId();
    // The file first, then the record that names it: a record never points at a missing file.
    if (cert) await this.storeCertificate(String(_id), cert.bytes);
    try {
      const doc = await this.repo.insert({
        _id,
        userId: user._id,
        unitId: user.orgUnitId ?? null,
        title: input.title.trim(),
        organiser: input.organiser.trim(),
        startDay: input.startDay,
        endDay: input.endDay,
        hoursClaimed: round1(input.hoursClaimed),
        note: input.note?.trim() ?? '',
        year: Number(input.endDay.slice(0, 4)),
        certificateType: cert?.type ?? null,
        certificateName: cert ? input.certificate!.name.trim() : '',
      });
      return this.view(doc);
    } catch (err) {
      if (cert) await this.deps.storage.remove(certificateKey(String(_id))).catch(() => {});
      throw err;
    }
  }

  private async storeCertificate(id: string, bytes: Buffer) {
    await mkdir(this.deps.workDir, { recursive: true });
    const tmp = join(this.deps.workDir, `cert-${id}-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(tmp, bytes);
      await this.deps.storage.put(tmp, certificateKey(id));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** The certificate of a record, for its cadre and the admins who may decide it. */
  async certificate(actor: UserDoc, id: string): Promise<{ key: string; type: string; name: string }> {
    const d = await this.repo.find(id);
    const mine = d && actor.role === 'cadre' && String(d.userId) === String(actor._id);
    const admin = d && (actor.role === 'orgAdmin' || actor.role === 'unitAdmin') && this.inScope(d, await this.deps.scope(actor));
    if (!d || !(mine || admin) || !d.certificateType) throw trainingErrors.claimNotFound();
    return { key: certificateKey(id), type: d.certificateType, name: d.certificateName || 'certificate' };
  }

  async mine(user: UserDoc) {
    return (await this.repo.ofUser(String(user._id))).map((d) => this.view(d));
  }

  /** A cadre takes back a claim not yet decided. */
  async remove(user: UserDoc, id: string) {
    await this.repo.serial(id, async () => {
      const d = await this.repo.find(id);
      if (!d || String(d.userId) !== String(user._id)) throw trainingErrors.claimNotFound();
      if (d.state !== 'pending') throw trainingErrors.decided();
      await this.repo.remove(id);
      if (d.certificateType) await this.deps.storage.remove(certificateKey(id));
    });
  }

  /** The claims of a year an admin may decide: the org admin every one, a unit admin those of their units' cadres. */
  async review(actor: UserDoc, year: number, state?: ClaimState) {
    const s = await this.deps.scope(actor);
    const rows = (await this.repo.ofUnits(year, s.units ? [...s.units] : null)).filter((d) => !state || d.state === state);
    const users = rows.length ? await this.deps.models.User.find({ _id: { $in: [...new Set(rows.map((d) => String(d.userId)))].map((u) => new Types.ObjectId(u)) } }, { displayName: 1, username: 1 }).lean() : [];
    const byId = new Map(users.map((u) => [String(u._id), u]));
    return rows.map((d) => ({ ...this.view(d), cadre: { id: String(d.userId), displayName: byId.get(String(d.userId))?.displayName ?? '', username: byId.get(String(d.userId))?.username ?? '', unit: d.unitId ? s.unitName(String(d.unitId)) : '' } }));
  }

  private inScope(d: ExternalTrainingDoc, s: Scope): boolean {
    return s.units === null || (d.unitId !== null && d.unitId !== undefined && s.units.has(String(d.unitId)));
  }

  /** 学时认定: approve with the hours allowed (0 < allowed ≤ claimed) or refuse with a reason. */
  async decide(actor: UserDoc, id: string, input: { decision: 'approve' | 'refuse'; hoursAllowed?: number; reason?: string }) {
    const s = await this.deps.scope(actor);
    if (actor.role !== 'orgAdmin' && actor.role !== 'unitAdmin') throw errors.forbidden();
    const reason = input.reason?.trim() ?? '';
    const { doc, credit } = await this.repo.serial(id, async () => {
      const d = await this.repo.find(id);
      if (!d || !this.inScope(d, s)) throw trainingErrors.claimNotFound();
      if (d.state !== 'pending') throw trainingErrors.decided();
      const now = new Date(this.now());
      if (input.decision === 'refuse') {
        if (!reason) throw trainingErrors.reasonNeeded();
        return { doc: await this.repo.set(id, { state: 'refused', reason, decidedBy: actor._id, decidedAt: now }), credit: false };
      }
      const hours = round1(input.hoursAllowed ?? d.hoursClaimed);
      if (!(hours > 0) || hours > d.hoursClaimed) throw trainingErrors.hoursAllowed();
      const at = creditInstant(this.deps.calendar, d.endDay, now.getTime());
      const year = this.deps.calendar.year(at);
      // The ledger first: if the store fails between the two, deciding again credits nothing twice.
      await this.deps.ledger.creditOnce({ _id: `${String(d.userId)}:${id}:${year}`, userId: d.userId, lectureId: d._id, year, hours, required: false, topic: 'external', title: `外出培训:${d.title}`, at: new Date(at), source: 'external' });
      return { doc: await this.repo.set(id, { state: 'approved', hoursAllowed: hours, reason, decidedBy: actor._id, decidedAt: now }), credit: true };
    });
    if (!doc) throw trainingErrors.claimNotFound();
    await this.deps.notices.send(String(doc.userId), {
      id: `training-external-${id}`,
      kind: 'training',
      at: new Date(this.now()),
      title: credit ? `外出培训学时已认定:${doc.title}` : `外出培训学时未予认定:${doc.title}`,
      titleEn: credit ? `External training recognised: ${doc.title}` : `External training not recognised: ${doc.title}`,
      body: credit ? `认定 ${doc.hoursAllowed} 学时(申报 ${doc.hoursClaimed} 学时)。` : `理由:${doc.reason}`,
      bodyEn: credit ? `${doc.hoursAllowed} hours allowed (${doc.hoursClaimed} claimed).` : `Reason: ${doc.reason}`,
      link: '/training',
    });
    return this.view(doc);
  }

  view(d: ExternalTrainingDoc) {
    return {
      id: String(d._id),
      title: d.title,
      organiser: d.organiser,
      startDay: d.startDay,
      endDay: d.endDay,
      hoursClaimed: d.hoursClaimed,
      note: d.note ?? '',
      state: d.state as ClaimState,
      hoursAllowed: d.hoursAllowed ?? 0,
      reason: d.reason ?? '',
      year: d.year,
      certificate: d.certificateType ? { name: d.certificateName ?? '', type: d.certificateType } : undefined,
      decidedAt: d.decidedAt ? new Date(d.decidedAt).toISOString() : undefined,
      createdAt: new Date(d.createdAt).toISOString(),
    };
  }
}
