/**
 * Every admin screen (管理控制台), who may open it and which API routes it serves. The console
 * landing draws its cards from this table (hiding what the role may not open), and an integration
 * test (test/integration/admin-console.test.ts) holds "every admin API has a screen": each route
 * only admins may call must fall under one screen's `api` prefixes. Pure data, no Svelte.
 */
import type { Role } from '../../api/types.ts';

export type AdminScreenId = 'users' | 'import' | 'plans' | 'unitReport' | 'records' | 'review' | 'reminders' | 'policies' | 'xapi' | 'stations' | 'studio' | 'org' | 'training' | 'trainingHours' | 'trainingReport' | 'trainingNominations' | 'county' | 'countyCompliance' | 'countyReport';

export interface AdminScreen {
  id: AdminScreenId;
  /** Client path of the screen. */
  path: string;
  /** Roles that may open it; a unit admin's screens are scoped to their unit subtree. */
  roles: readonly Role[];
  /** API path prefixes the screen serves (`/api/study/flags` covers `/api/study/flags/:id`). */
  api: readonly string[];
}

const BOTH: readonly Role[] = ['orgAdmin', 'unitAdmin'];
const ORG: readonly Role[] = ['orgAdmin'];

export const ADMIN_SCREENS: readonly AdminScreen[] = [
  { id: 'users', path: '/admin/users', roles: BOTH, api: ['/api/users'] },
  { id: 'import', path: '/admin/users/import', roles: BOTH, api: ['/api/users/import', '/api/roster-imports'] },
  { id: 'plans', path: '/admin/plans', roles: BOTH, api: ['/api/study/assignments', '/api/plans'] },
  { id: 'unitReport', path: '/admin/unit', roles: BOTH, api: ['/api/reports'] },
  { id: 'records', path: '/admin/unit/records', roles: BOTH, api: ['/api/study-record/units', '/api/study-record/exports'] },
  { id: 'review', path: '/admin/review', roles: BOTH, api: ['/api/study/flags', '/api/auth/locks'] },
  { id: 'reminders', path: '/admin/reminders', roles: BOTH, api: ['/api/study/reminders'] },
  { id: 'policies', path: '/admin/policies', roles: ORG, api: ['/api/study/policies', '/api/assessment/rule'] },
  { id: 'xapi', path: '/admin/xapi', roles: ORG, api: ['/api/study/xapi'] },
  { id: 'stations', path: '/admin/stations', roles: BOTH, api: ['/api/stations', '/api/timetable', '/api/checkin'] },
  { id: 'studio', path: '/studio', roles: BOTH, api: ['/api/lectures', '/api/uploads', '/api/live'] },
  // The class's timetable, its rotating check-in codes and attendance: opened from a class's card.
  { id: 'training', path: '/admin/training', roles: BOTH, api: ['/api/training/classes', '/api/training-sessions'] },
  { id: 'trainingNominations', path: '/admin/training/nominations', roles: BOTH, api: ['/api/training/nominations'] },
  { id: 'trainingHours', path: '/admin/training/hours', roles: BOTH, api: ['/api/training/external-review', '/api/training/external-imports'] },
  { id: 'trainingReport', path: '/admin/training/report', roles: ORG, api: ['/api/training/report', '/api/training/report.xlsx'] },
  // The county's picture (issue 19); the server scopes a unit admin to their units.
  { id: 'county', path: '/admin/county', roles: BOTH, api: ['/api/county/dashboard'] },
  { id: 'countyCompliance', path: '/admin/county/compliance', roles: BOTH, api: ['/api/county/compliance'] },
  { id: 'countyReport', path: '/admin/county/annual-report', roles: ORG, api: ['/api/county/annual-report', '/api/county/annual-report.xlsx', '/api/county/rebuild'] },
  // 组织与合作院校: on the console itself (the org admin's panel there).
  { id: 'org', path: '/admin#org', roles: ORG, api: ['/api/org'] },
];

/** The screens `role` may open, in console order. */
export function screensFor(role: Role): AdminScreen[] {
  return ADMIN_SCREENS.filter((s) => s.roles.includes(role));
}

/** The screen serving an API path (the longest matching prefix), or undefined. */
export function screenOfApi(path: string): AdminScreen | undefined {
  let best: { screen: AdminScreen; length: number } | undefined;
  for (const screen of ADMIN_SCREENS) {
    for (const prefix of screen.api) {
      if ((path === prefix || path.startsWith(`${prefix}/`)) && (!best || prefix.length > best.length)) best = { screen, length: prefix.length };
    }
  }
  return best?.screen;
}
