/** Shapes of /api/plans as the client sees them (server/modules/plans/schemas.ts). */
import type { CadreRank, LectureCategory } from '../api/types.ts';

export type PlanSource = 'assigned' | 'required' | 'selected';

/** One lecture (or selected 专题) of a cadre's plan. */
export interface PlanItem {
  key: string;
  lectureId?: string;
  topic?: string;
  title: string;
  category?: LectureCategory;
  kind: string;
  durationSec: number;
  creditHours: number;
  sources: PlanSource[];
  selectionId?: string;
  assignmentIds: string[];
  note: string;
  /** The county day it is due by (YYYY-MM-DD), due at that day's end. */
  dueDay?: string;
  dueAt?: string;
  daysLeft?: number;
  overdue: boolean;
  late: boolean;
  /** 0..1 */
  progress: number;
  completed: boolean;
  completedAt?: string;
  lastWatchedAt?: string;
}

/** GET /api/plans/mine */
export interface MyPlan {
  year: number;
  today: string;
  items: PlanItem[];
  totals: { all: number; completed: number; overdue: number; dueSoon: number };
  finishedLectureIds: string[];
}

/** One assignment as an admin sees it (GET /api/plans/assignments). */
export interface PlanAssignment {
  id: string;
  kind: 'lecture' | 'class';
  title: string;
  lectures: { id: string; title: string; durationSec: number; creditHours: number; available: boolean }[];
  units: { id: string; name: string }[];
  ranks: CadreRank[];
  year: number;
  dueDay: string;
  dueAt: string;
  pastDue: boolean;
  note: string;
  editable: boolean;
  counts: { assigned: number; completed: number };
  createdAt: string;
}

export interface PlanAssignmentInput {
  title?: string;
  lectureIds: string[];
  unitIds: string[];
  ranks: CadreRank[];
  dueDay: string;
  note?: string;
}
