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
