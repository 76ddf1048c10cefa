/**
 * The route table and pure path helpers used by the router (router.svelte.ts).
 * A route path is literal segments and `:name` parameters (`/lectures/:id`); a parameter matches
 * one non-empty segment. `roles` limits a page to some roles (others see the 无权限 page, 403;
 * a path that matches no route sees not-found). `?next=` carries the page to return to after logging in and only
 * ever holds a local path, so a crafted link cannot send a user to another site.
 */
import type { Role } from './api/types.ts';

export type RouteName = 'home' | 'login' | 'lecture' | 'live' | 'studio' | 'study' | 'unitReport' | 'kiosk' | 'checkin' | 'stations' | 'timetable' | 'notFound' | 'admin' | 'adminUsers' | 'adminImport' | 'adminPolicies' | 'adminReview' | 'adminReminders' | 'adminXapi' | 'adminPlans' | 'plan' | 'studyRecord' | 'recordExports' | 'verifyRecord' | 'training' | 'adminTraining' | 'adminTrainingHours' | 'adminTrainingReport' | 'classCheckin' | 'classManager' | 'certificate' | 'verifyCertificate' | 'adminTrainingNominations' | 'adminCounty' | 'adminCountyCompliance' | 'adminCountyReport';

export interface RouteDef {
  name: RouteName;
  path: string;
  /** Whether the page needs a signed-in user. */
  auth: boolean;
  /** Roles allowed to open the page; undefined = everyone signed in. */
  roles?: readonly Role[];
}

export interface RouteMatch extends RouteDef {
  params: Record<string, string>;
}

/** 讲授课程管理 is for lecturers and the admins who publish for the county or a unit. */
export const STUDIO_ROLES: readonly Role[] = ['lecturer', 'orgAdmin', 'unitAdmin'];

/** 我的学习 (the study record) is a cadre's own; the other roles earn no 学时. */
export const STUDY_ROLES: readonly Role[] = ['cadre'];

/** 单位学习统计 is for the unit's admin and the organisation department. */
export const UNIT_REPORT_ROLES: readonly Role[] = ['unitAdmin', 'orgAdmin'];

/** 学习档案 (a cadre's printable record): the cadre, and the admins who may read their unit (the server checks). */
export const STUDY_RECORD_ROLES: readonly Role[] = ['cadre', 'unitAdmin', 'orgAdmin'];

/** 管理控制台 (users, plans, review, reminders): the organisation department and, scoped to their units, unit admins. */
export const ADMIN_ROLES: readonly Role[] = ['unitAdmin', 'orgAdmin'];

/** County-wide settings (credit policies, the xAPI export) are the organisation department's. */
export const ORG_ADMIN_ROLES: readonly Role[] = ['orgAdmin'];

/** 终端站点 (registry, pairing, monitoring, statistics) and 课表 scheduling are for admins. */
export const STATION_ADMIN_ROLES: readonly Role[] = ['unitAdmin', 'orgAdmin'];

export const routes: readonly RouteDef[] = [
  { name: 'home', path: '/', auth: true },
  { name: 'login', path: '/login', auth: false },
  { name: 'lecture', path: '/lectures/:id', auth: true },
  { name: 'live', path: '/live/:id', auth: true },
  { name: 'studio', path: '/studio', auth: true, roles: STUDIO_ROLES },
  { name: 'study', path: '/study', auth: true, roles: STUDY_ROLES },
  { name: 'unitReport', path: '/admin/unit', auth: true, roles: UNIT_REPORT_ROLES },
  { name: 'recordExports', path: '/admin/unit/records', auth: true, roles: UNIT_REPORT_ROLES },
  { name: 'studyRecord', path: '/study-record/:userId/:year', auth: true, roles: STUDY_RECORD_ROLES },
  // Anyone who scans a printed record's QR code, signed in or not.
  { name: 'verifyRecord', path: '/verify/:code', auth: false },
  { name: 'stations', path: '/admin/stations', auth: true, roles: STATION_ADMIN_ROLES },
  { name: 'admin', path: '/admin', auth: true, roles: ADMIN_ROLES },
  { name: 'adminUsers', path: '/admin/users', auth: true, roles: ADMIN_ROLES },
  { name: 'adminImport', path: '/admin/users/import', auth: true, roles: ADMIN_ROLES },
  { name: 'adminPolicies', path: '/admin/policies', auth: true, roles: ORG_ADMIN_ROLES },
  { name: 'adminReview', path: '/admin/review', auth: true, roles: ADMIN_ROLES },
  { name: 'adminReminders', path: '/admin/reminders', auth: true, roles: ADMIN_ROLES },
  { name: 'adminXapi', path: '/admin/xapi', auth: true, roles: ORG_ADMIN_ROLES },
  { name: 'adminPlans', path: '/admin/plans', auth: true, roles: ADMIN_ROLES },
  { name: 'plan', path: '/plan', auth: true, roles: STUDY_ROLES },
  // 培训班 (issue 17): a cadre's classes and external training; the admins' classes and hours decisions.
  { name: 'training', path: '/training', auth: true, roles: STUDY_ROLES },
  { name: 'adminTraining', path: '/admin/training', auth: true, roles: ADMIN_ROLES },
  { name: 'adminTrainingHours', path: '/admin/training/hours', auth: true, roles: ADMIN_ROLES },
  // 推荐调训 (unit admins nominate), a cadre's 结业证书, and its public verification (scanned QR, signed out).
  { name: 'adminTrainingNominations', path: '/admin/training/nominations', auth: true, roles: ADMIN_ROLES },
  { name: 'certificate', path: '/training/certificates/:classId', auth: true, roles: STUDY_ROLES },
  { name: 'verifyCertificate', path: '/verify-certificate/:code', auth: false },
  { name: 'adminTrainingReport', path: '/admin/training/report', auth: true, roles: ORG_ADMIN_ROLES },
  // The county's picture (issue 19): statistics along the hierarchy, hours on track, the annual report.
  { name: 'adminCounty', path: '/admin/county', auth: true, roles: ADMIN_ROLES },
  { name: 'adminCountyCompliance', path: '/admin/county/compliance', auth: true, roles: ADMIN_ROLES },
  { name: 'adminCountyReport', path: '/admin/county/annual-report', auth: true, roles: ORG_ADMIN_ROLES },
  // A class's in-person sessions: the cadre's check-in link, the manager's (offline-capable) page.
  { name: 'classCheckin', path: '/class-checkin', auth: true, roles: STUDY_ROLES },
  { name: 'classManager', path: '/class-manager/:id', auth: true, roles: ADMIN_ROLES },
  { name: 'timetable', path: '/timetable', auth: true },
  { name: 'checkin', path: '/checkin', auth: true },
  // The station's own page: it signs in with its station credential, not a user session.
  { name: 'kiosk', path: '/kiosk', auth: false },
];

const notFound: RouteDef = { name: 'notFound', path: '', auth: true };

export function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) {
      if (!h) return null;
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return null; // a malformed %-escape is not a page
      }
    } else if (w !== h) {
      return null;
    }
  }
  return params;
}

export function matchRoute(pathname: string): RouteMatch {
  const path = normalisePath(pathname);
  for (const route of routes) {
    const params = matchPattern(route.path, path);
    if (params) return { ...route, params };
  }
  return { ...notFound, params: {} };
}

/** Whether a user with `role` may open the route (signed-in routes only). */
export function routeAllows(route: RouteDef, role: Role | undefined): boolean {
  return !route.roles || (role !== undefined && route.roles.includes(role));
}

export function lecturePath(id: string): string {
  return `/lectures/${encodeURIComponent(id)}`;
}

/** Accepts only local absolute paths ("/x"), never "//host" or "https://…", as a redirect target. */
export function safeNext(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

export function loginPath(next: string): string {
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
