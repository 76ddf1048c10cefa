/**
 * The study record (学习档案) of one cadre and county year, and its verification. Who may read a
 * record: the cadre themselves, the organisation department, and a unit admin whose unit subtree
 * (本单位及下属单位) holds the cadre's unit, as for the unit report; anyone else is refused. The
 * public verification answers only for codes the portal signed (record-rules.ts), and shows the
 * portal's current figures beside whether the paper's still match them.
 */
import QRCode from 'qrcode';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import { pathTo, subtreeIds, type FlatNode } from '../org/org-tree';
import type { UserDoc } from '../users/user.model';
import { buildFigures, figuresDigest, openCode, signCode, type RecordFigures } from './record-rules';
import type { RecordUser, StudyRecordRepository } from './study-record-repository';
import type { AssessmentService } from '../assessment/assessment.service';
import type { AssessmentRule, YearlyResult } from '../assessment/assessment-rules';

export interface StudyRecordDeps {
  repo: StudyRecordRepository;
  calendar: CountyCalendar;
  /** The yearly requirement of a rank (the study engine's credit policies, cached there). */
  creditPolicy(rank: string): Promise<{ yearlyHours: number }>;
  /** Signs and checks verification codes (recordKey()). */
  key: Buffer;
  /** The yearly result (实效测评结果, server/modules/assessment): shown beside the figures, not in the digest. */
  assessment?: Pick<AssessmentService, 'resultsOf'>;
  now?: () => number;
}

export interface RecordPerson {
  userId: string;
  displayName: string;
  username: string;
  rank: 'township' | 'county';
  unitId: string | null;
  /** Unit names from the county down to the cadre's own unit. */
  unitPath: string[];
}

export interface StudyRecord {
  year: number;
  timeZone: string;
  person: RecordPerson;
  figures: RecordFigures;
  /** County day the record was issued (printed), 'YYYY-MM-DD'. */
  issuedOn: string;
  generatedAt: string;
  verification: { digest: string; code: string; url: string };
  /** The year's result under the organisation department's rule, with its parts. */
  assessment?: { rule: AssessmentRule; custom: boolean; result: YearlyResult };
}

export const recordErrors = {
  badCode: () => new AppError(404, 'RECORD_CODE_INVALID', '验证码无效:该档案不是本平台签发,或验证码已被改动', 'Invalid code: this record was not issued by the portal, or its code was altered'),
  badYear: () => new AppError(400, 'BAD_YEAR', '年份不正确', 'Invalid year'),
};

export class StudyRecordService {
  private readonly now: () => number;

  constructor(private readonly deps: StudyRecordDeps) {
    this.now = deps.now ?? Date.now;
  }

  get repo() {
    return this.deps.repo;
  }

  /** The record, for the cadre, the org admin or an admin of the cadre's units. */
  async record(actor: UserDoc, userId: string, year: number, origin: string): Promise<StudyRecord> {
    this.assertYear(year);
    const user = await this.deps.repo.user(userId);
    if (!user || user.role !== 'cadre') throw errors.notFound('干部', 'Cadre');
    const units = await this.deps.repo.units();
    if (!mayRead(actor, user, units)) throw errors.forbidden();
    return this.compose(user, year, units, origin);
  }

  /** Refuses a unit the actor may not export or watch; returns the unit. */
  async unitInScope(actor: UserDoc, unitId: string): Promise<{ unit: FlatNode; units: FlatNode[] }> {
    const units = await this.deps.repo.units();
    const unit = units.find((u) => u.id === unitId);
    if (!unit) throw errors.notFound('组织', 'Unit');
    if (actor.role === 'orgAdmin') return { unit, units };
    if (actor.role === 'unitAdmin' && actor.orgUnitId && subtreeIds(units, String(actor.orgUnitId)).has(unitId)) return { unit, units };
    throw errors.forbidden();
  }

  /** A cadre's record from what the store holds now. */
  async compose(user: RecordUser, year: number, units: readonly FlatNode[], origin: string): Promise<StudyRecord> {
    const { yearlyHours } = await this.deps.creditPolicy(user.rank);
    const figures = buildFigures(year, yearlyHours, await this.deps.repo.entries(user.userId, year));
    const digest = figuresDigest(user.userId, year, figures);
    const code = signCode(this.deps.key, user.userId, year, digest);
    const graded = this.deps.assessment ? await this.deps.assessment.resultsOf(year, [{ userId: user.userId, earned: figures.earned.total, required: figures.requiredHours }]) : null;
    const now = this.now();
    return {
      year,
      timeZone: this.deps.calendar.timeZone,
      person: {
        userId: user.userId,
        displayName: user.displayName,
        username: user.username,
        rank: user.rank,
        unitId: user.unitId,
        unitPath: user.unitId ? pathTo([...units], user.unitId).map((u) => u.name) : [],
      },
      figures,
      issuedOn: this.deps.calendar.day(now),
      generatedAt: new Date(now).toISOString(),
      verification: { digest, code, url: verifyUrl(origin, code) },
      ...(graded ? { assessment: { rule: graded.rule, custom: graded.custom, result: graded.results.get(user.userId)! } } : {}),
    };
  }

  /** What a scanned code stands for today: 404 unless the portal signed it. */
  async verify(code: string, origin: string) {
    const opened = openCode(this.deps.key, code);
    if (!opened) throw recordErrors.badCode();
    const user = await this.deps.repo.user(opened.userId);
    if (!user || user.role !== 'cadre') throw recordErrors.badCode();
    const current = await this.compose(user, opened.year, await this.deps.repo.units(), origin);
    const { figures, person } = current;
    return {
      valid: true as const,
      matches: current.verification.digest === opened.digest,
      year: opened.year,
      issuedDigest: opened.digest,
      currentDigest: current.verification.digest,
      checkedOn: current.issuedOn,
      timeZone: current.timeZone,
      // What the paper is checked against: the person and the figures, not the account name.
      person: { displayName: person.displayName, rank: person.rank, unitPath: person.unitPath },
      figures: { requiredHours: figures.requiredHours, earned: figures.earned, channels: figures.channels, lectureCount: figures.lectures.length, result: figures.result },
      ...(current.assessment ? { assessment: current.assessment.result } : {}),
    };
  }

  assertYear(year: number) {
    if (!Number.isInteger(year) || year < 2000 || year > 2100) throw recordErrors.badYear();
  }
}

/** May `actor` read the record of `user`? */
export function mayRead(actor: UserDoc, user: RecordUser, units: FlatNode[]): boolean {
  if (actor.role === 'orgAdmin') return true;
  if (actor.role === 'cadre') return String(actor._id) === user.userId;
  if (actor.role === 'unitAdmin') return Boolean(actor.orgUnitId && user.unitId && subtreeIds(units, String(actor.orgUnitId)).has(user.unitId));
  return false;
}

export const verifyUrl = (origin: string, code: string) => `${origin.replace(/\/$/, '')}/verify/${code}`;

/** The QR code of the verification URL as a PNG data URL, for the page (the PDF draws its own: record-pdf.ts). */
export const qrDataUrl = (url: string) => QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 1, width: 220 });
