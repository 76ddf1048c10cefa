/**
 * Which pages the navigation offers to a role. Both bars are built from the route table
 * (routes.ts), so a link never leads to a page the role may not open: the header (and the phone
 * menu) lists every page of the role; the bottom bar on phones keeps the five a cadre uses most
 * (首页, 我的学习计划, 我的学习, 课表, 签到), again only those the role may open.
 */
import type { Role } from '../../api/types.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { routeAllows, routes, type RouteName } from '../../routes.ts';

export interface NavItem {
  route: RouteName;
  href: string;
  label: MessageKey;
  testid: string;
}

/** The header's links, in order. `admin` stands for the whole console (every admin* route). */
const PRIMARY: readonly Omit<NavItem, 'href'>[] = [
  { route: 'home', label: 'nav.home', testid: 'nav-home' },
  { route: 'plan', label: 'plan.title', testid: 'nav-plan' },
  { route: 'training', label: 'training.title', testid: 'nav-training' },
  { route: 'study', label: 'nav.study', testid: 'nav-study' },
  { route: 'unitReport', label: 'nav.unitReport', testid: 'nav-unit-report' },
  { route: 'timetable', label: 'timetable.title', testid: 'nav-timetable' },
  { route: 'stations', label: 'stations.title', testid: 'nav-stations' },
  { route: 'admin', label: 'admin.title', testid: 'nav-admin' },
  { route: 'studio', label: 'nav.studio', testid: 'nav-studio' },
];

/** The phone's bottom bar: short labels, at most five. */
const BOTTOM: readonly Omit<NavItem, 'href'>[] = [
  { route: 'home', label: 'layout.nav.home', testid: 'bottom-home' },
  { route: 'plan', label: 'layout.nav.plan', testid: 'bottom-plan' },
  { route: 'study', label: 'layout.nav.study', testid: 'bottom-study' },
  { route: 'timetable', label: 'layout.nav.timetable', testid: 'bottom-timetable' },
  { route: 'checkin', label: 'layout.nav.checkin', testid: 'bottom-checkin' },
];

function allowed(items: readonly Omit<NavItem, 'href'>[], role: Role): NavItem[] {
  const out: NavItem[] = [];
  for (const item of items) {
    const def = routes.find((r) => r.name === item.route);
    if (def && routeAllows(def, role)) out.push({ ...item, href: def.path });
  }
  return out;
}

export function primaryNav(role: Role): NavItem[] {
  return allowed(PRIMARY, role);
}

export function bottomNav(role: Role): NavItem[] {
  return allowed(BOTTOM, role);
}

/** Whether `current` is the page of `item` (the console counts for all its admin* pages). */
export function isCurrent(item: NavItem, current: RouteName | undefined): boolean {
  if (!current) return false;
  if (item.route === 'admin') return current.startsWith('admin');
  return item.route === current;
}

/** Roles that may open a route (for the 无权限 page); undefined = every signed-in role. */
export function rolesFor(route: RouteName): readonly Role[] | undefined {
  return routes.find((r) => r.name === route)?.roles;
}
