/** What /api/training answers (server/modules/training/schemas.ts), for the pages. */
import type { LectureCategory } from '../api/types.ts';

export const CLASS_CATEGORIES = ['集中轮训', '专题培训', '任职培训', '初任培训', '岗位培训', '党员培训'] as const;
export type ClassCategory = (typeof CLASS_CATEGORIES)[number];
export const CLASS_CHANNELS = ['county', 'university', 'provincial', 'visit', 'caravan'] as const;
export type ClassChannel = (typeof CLASS_CHANNELS)[number];
export type EnrolmentState = 'pending' | 'enrolled' | 'waitlisted' | 'refused' | 'withdrawn' | 'completed';
export type Via = 'assigned' | 'applied';
export type ClaimState = 'pending' | 'approved' | 'refused';

export interface ClassFacts {
  id: string;
  name: string;
  cohort: number;
  category: ClassCategory;
  channel: ClassChannel;
  organiser: string;
  startDay: string;
  endDay: string;
  venue: string;
  capacity: number;
  units: { id: string; name: string }[];
  ranks: string[];
  creditHours: number;
  required: boolean;
  contentCategory: LectureCategory;
  applications: boolean;
  approval: boolean;
  withdrawBy: string;
  note: string;
  year: number;
  completedAt?: string;
  placesLeft: number;
}

export interface ClassView extends ClassFacts {
  managers: { id: string; displayName: string }[];
  counts: { enrolled: number; waitlisted: number; pending: number; completed: number };
  editable: boolean;
  manageable: boolean;
  nominationOpen?: boolean;
}

export interface MyClass extends ClassFacts {
  enrolment?: { state: EnrolmentState; via: Via; reason: string; hours: number };
  canApply: boolean;
  canWithdraw: boolean;
}

export interface RosterRow {
  userId: string;
  displayName: string;
  username: string;
  unit: string;
  state: EnrolmentState;
  via: Via;
  at: string;
  reason: string;
  hours: number;
  waitlistPosition?: number;
}

export interface ClassBody {
  name: string;
  cohort: number;
  category: ClassCategory;
  channel: ClassChannel;
  organiser: string;
  startDay: string;
  endDay: string;
  venue: string;
  capacity: number;
  unitIds: string[];
  ranks: ('township' | 'county')[];
  creditHours: number;
  required: boolean;
  contentCategory: LectureCategory;
  managerIds: string[];
  applications: boolean;
  approval: boolean;
  withdrawBy?: string;
  note: string;
}

export interface Claim {
  id: string;
  title: string;
  organiser: string;
  startDay: string;
  endDay: string;
  hoursClaimed: number;
  note: string;
  state: ClaimState;
  hoursAllowed: number;
  reason: string;
  year: number;
  certificate?: { name: string; type: string };
  decidedAt?: string;
  createdAt: string;
}

export interface ReviewClaim extends Claim {
  cadre: { id: string; displayName: string; username: string; unit: string };
}

// ---- completion (结业), certificates, nominations, sign-in sheet (server/modules/training/completion-schemas.ts) ----
export type MissingPart = 'presence' | 'recorded' | 'quiz' | 'evaluation';
export type Assessed = 'none' | 'met' | 'missing';
export interface CompletionRules {
  presenceShare: number;
  recordedAll: boolean;
  evaluationRequired?: boolean;
}
export interface CadreCheck {
  met: boolean;
  missing: MissingPart[];
  presence: { required: number; needed: number; attended: number; partial: string[]; absent: string[] };
  recorded: { required: number; watched: number; unwatched: string[] };
  quiz: Assessed;
  evaluation: Assessed;
}
export interface CompletionCheckView {
  rules: CompletionRules;
  completionOpen: boolean;
  sessions: { presence: number; screen: number };
  items: {
    userId: string;
    displayName: string;
    username: string;
    unit: string;
    state: EnrolmentState;
    check: CadreCheck;
    override?: { reason: string; missing: string[] };
    certificate?: { serial: string; valid: boolean };
  }[];
}
export interface CompleteReply {
  completed: number;
  credited: number;
  hours: number;
  certificates: number;
  skipped: { userId: string; missing: string[] }[];
}
export interface CertificateClass {
  id: string;
  name: string;
  cohort: number;
  organiser: string;
  startDay: string;
  endDay: string;
  category: string;
  channel: string;
}
export interface CertificateView {
  serial: string;
  valid: boolean;
  revokedAt?: string;
  revokeReason?: string;
  issuedOn: string;
  hours: number;
  cadre: { displayName: string; unit: string };
  class: CertificateClass;
  verification: { code: string; url: string };
  qr: string;
}
export interface CertificateCheck {
  serial: string;
  valid: boolean;
  revokedAt?: string;
  issuedOn: string;
  hours: number;
  cadre: { displayName: string; unit: string };
  class: CertificateClass;
  checkedOn: string;
}
export interface SignInSheetView {
  class: { id: string; name: string; cohort: number; startDay: string; endDay: string; venue: string; organiser: string };
  sessions: { id: string; title: string; kind: string; day: string; time: string; place: string; required: boolean }[];
  rows: { userId: string; displayName: string; username: string; unit: string; state: string; cells: { in: string | null; out: string | null }[] }[];
  counts: { checkedIn: number; complete: number }[];
  timeZone: string;
}
export interface ClassReportView {
  roster: number;
  sessions: { id: string; title: string; kind: string; day: string; checkedIn: number; complete: number }[];
  completion: { met: number; completed: number; overridden: number; certificates: number; revoked: number };
  missing: Record<MissingPart, number>;
  units: { unit: string; roster: number; met: number; completed: number }[];
}
export type NominationState = 'pending' | 'confirmed' | 'refused' | 'withdrawn';
export interface NominationRow {
  userId: string;
  displayName: string;
  username: string;
  unit: string;
  state: NominationState;
  reason: string;
  at: string;
}
export interface Quotas {
  open: boolean;
  overall?: { quota: number; left: number };
  units: { unitId: string; unit: string; quota: number; left: number }[];
}
export interface NominationSettings {
  open: boolean;
  overallQuota: number;
  unitQuotas: { unitId: string; quota: number }[];
}
export interface ClassNominations {
  manageable: boolean;
  settings: NominationSettings;
  quotas: Quotas;
  items: NominationRow[];
}
export interface OpenNominationClass {
  id: string;
  name: string;
  cohort: number;
  startDay: string;
  endDay: string;
  venue: string;
  creditHours: number;
  quotas: Quotas;
  items: NominationRow[];
}
