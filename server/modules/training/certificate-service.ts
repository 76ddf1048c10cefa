/**
 * Completion certificates (结业证书). Shaped by FerretDB 1.24 (no atomic update): a certificate's
 * `_id` is its serial `YEAR-培训-CLASS-SEQ`, so a serial is stored once whatever races; the class
 * number (its place among the year's classes that issued certificates) is given once, under the
 * year's key of the store's lock, and the per-class sequence under the class's key (the caller's
 * ClassRepository.serial), so serials of a class are gapless: a revoked certificate keeps its
 * number. One certificate per enrolment (classId:userId); a cadre completed again keeps theirs.
 * The public verification (/verify-certificate/:code) answers only for signed codes
 * (certificate-code.ts): name, class, dates, hours, serial, and whether it was revoked.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError } from '../../errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import { qrDataUrl } from '../study-record/study-record.service';
import { certificateUrl, newToken, openCertificateCode, signCertificate } from './certificate-code';
import { ClassRepository } from './class-repository';
import { certificateSerial } from './completion-rules';
import type { CertificateDoc, TrainingClassDoc } from './training.model';

export const certificateErrors = {
  notFound: () => new AppError(404, 'CERTIFICATE_NOT_FOUND', '未找到该证书:证书不是本平台签发,或验证码已被改动', 'Certificate not found: it was not issued by the portal, or its code was altered'),
  none: () => new AppError(404, 'CERTIFICATE_NOT_ISSUED', '尚未颁发结业证书', 'No completion certificate has been issued'),
  revoked: () => new AppError(409, 'CERTIFICATE_REVOKED', '该证书已被撤销', 'This certificate has been revoked'),
};

export interface CertificateView {
  serial: string;
  valid: boolean;
  revokedAt?: string;
  revokeReason?: string;
  issuedOn: string;
  hours: number;
  cadre: { displayName: string; unit: string };
  class: { id: string; name: string; cohort: number; organiser: string; startDay: string; endDay: string; category: string; channel: string };
  verification: { code: string; url: string };
}

export class CertificateService {
  private readonly classes: ClassRepository;

  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
    private readonly key: Buffer,
    private readonly unitName: (unitId: string | null) => Promise<string>,
  ) {
    this.classes = new ClassRepository(models);
  }

  /** A class's certificates by enrolment id. Call under the class's lock when about to issue. */
  async ofClass(classId: string): Promise<Map<string, CertificateDoc>> {
    const rows = await this.models.TrainingCertificate.find({ classId }).lean<CertificateDoc[]>();
    return new Map(rows.map((r) => [r.enrolmentId, r]));
  }

  /** The class's number among its year's certificate-issuing classes; given once, under the year's lock. */
  private async classNo(c: TrainingClassDoc): Promise<number> {
    if (c.certificateNo) return c.certificateNo;
    return storeLock(this.models).run(`training-certno:${c.year}`, async () => {
      const fresh = await this.classes.find(String(c._id));
      if (fresh?.certificateNo) return (c.certificateNo = fresh.certificateNo);
      const taken = await this.models.TrainingClass.find({ year: c.year, certificateNo: { $ne: null } }, { certificateNo: 1 }).lean();
      const no = taken.reduce((m, x) => Math.max(m, x.certificateNo ?? 0), 0) + 1;
      await this.classes.set(String(c._id), { certificateNo: no });
      return (c.certificateNo = no);
    });
  }

  /** Issues a certificate to each enrolment that has none, in order. Call under the class's lock. Returns enrolment id -> serial of those issued now. */
  async issue(c: TrainingClassDoc, grants: { enrolmentId: string; userId: string; hours: number }[], now: number): Promise<Map<string, string>> {
    const held = await this.ofClass(String(c._id));
    const fresh = grants.filter((g) => !held.has(g.enrolmentId));
    const out = new Map<string, string>();
    if (!fresh.length) return out;
    const no = await this.classNo(c);
    let seq = held.size;
    for (const g of fresh) {
      seq++;
      const doc = { _id: certificateSerial(c.year, no, seq), token: newToken(), classId: c._id, userId: new Types.ObjectId(g.userId), enrolmentId: g.enrolmentId, seq, hours: g.hours, issuedAt: new Date(now), revokedAt: null, revokedBy: null, revokeReason: '' };
      // The serial is the primary key: a duplicate throws rather than issuing a number twice.
      await this.models.TrainingCertificate.collection.insertOne(doc as never);
      out.set(g.enrolmentId, doc._id);
    }
    return out;
  }

  async forEnrolment(classId: string, userId: string): Promise<CertificateDoc | null> {
    return this.models.TrainingCertificate.findOne({ enrolmentId: `${classId}:${userId}` }).lean<CertificateDoc>();
  }

  /** What the certificate page prints, with the QR code of the verification URL. */
  async view(cert: CertificateDoc, origin: string): Promise<CertificateView & { qr: string }> {
    const v = await this.compose(cert, origin);
    return { ...v, qr: await qrDataUrl(v.verification.url) };
  }

  private async compose(cert: CertificateDoc, origin: string): Promise<CertificateView> {
    const c = await this.classes.find(String(cert.classId));
    const user = await this.models.User.findById(cert.userId, { displayName: 1, orgUnitId: 1 }).lean();
    const code = signCertificate(this.key, cert.token);
    return {
      serial: cert._id,
      valid: !cert.revokedAt,
      revokedAt: cert.revokedAt ? new Date(cert.revokedAt).toISOString() : undefined,
      revokeReason: cert.revokedAt ? cert.revokeReason || '' : undefined,
      issuedOn: this.calendar.day(new Date(cert.issuedAt).getTime()),
      hours: cert.hours,
      cadre: { displayName: user?.displayName ?? '', unit: await this.unitName(user?.orgUnitId ? String(user.orgUnitId) : null) },
      class: {
        id: String(cert.classId),
        name: c?.name ?? '',
        cohort: c?.cohort ?? 1,
        organiser: c?.organiser ?? '',
        startDay: c?.startDay ?? '',
        endDay: c?.endDay ?? '',
        category: c?.category ?? '',
        channel: c?.channel ?? '',
      },
      verification: { code, url: certificateUrl(origin, code) },
    };
  }

  /** The public check of a scanned code: 404 for a code the portal did not sign or that names nothing. */
  async verify(code: string, origin: string) {
    const token = openCertificateCode(this.key, code);
    if (!token) throw certificateErrors.notFound();
    const cert = await this.models.TrainingCertificate.findOne({ token }).lean<CertificateDoc>();
    if (!cert) throw certificateErrors.notFound();
    const v = await this.compose(cert, origin);
    return { serial: v.serial, valid: v.valid, revokedAt: v.revokedAt, issuedOn: v.issuedOn, hours: v.hours, cadre: v.cadre, class: v.class, checkedOn: this.calendar.day(Date.now()) };
  }

  /** 撤销: the certificate stays (its serial is not reused) and says it was revoked. Call under the class's lock. */
  async revoke(classId: string, userId: string, by: unknown, reason: string, now: number): Promise<CertificateDoc> {
    const cert = await this.forEnrolment(classId, userId);
    if (!cert) throw certificateErrors.none();
    if (cert.revokedAt) throw certificateErrors.revoked();
    await this.models.TrainingCertificate.updateOne({ _id: cert._id }, { $set: { revokedAt: new Date(now), revokedBy: by, revokeReason: reason } });
    return { ...cert, revokedAt: new Date(now), revokeReason: reason };
  }
}
