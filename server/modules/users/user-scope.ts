/**
 * Who may manage which account (pure rules, no I/O).
 * - The organisation department (orgAdmin, 组织部) manages every account in the county.
 * - A unit admin (单位管理员) manages accounts of its own unit and the units below it: cadres and
 *   station accounts anywhere in that subtree, and unit admins of units strictly below its own
 *   (a township committee names its villages' admins); never an org admin, a lecturer, itself or
 *   a peer of its own unit, and never an account outside the subtree, nor moves one out of it.
 */
import type { Role } from './user.model';

export type UserScope = { all: true } | { all: false; ownUnit: string; units: ReadonlySet<string> };

export const COUNTY_SCOPE: UserScope = { all: true };

/** May the actor with this scope hold (create, edit, see) an account of `role` in `unitId`? */
export function mayManage(scope: UserScope, role: Role, unitId: string | undefined | null): boolean {
  if (scope.all) return true;
  if (!unitId || !scope.units.has(unitId)) return false;
  if (role === 'cadre' || role === 'station') return true;
  return role === 'unitAdmin' && unitId !== scope.ownUnit;
}

/** The roles the actor may hand out in `unitId` (for the create/edit form and the import). */
export function assignableRoles(scope: UserScope, unitId: string | undefined | null): Role[] {
  const all: Role[] = ['cadre', 'lecturer', 'unitAdmin', 'orgAdmin', 'station'];
  return all.filter((r) => mayManage(scope, r, unitId));
}

/**
 * A change from (role, unit) to (role', unit'): the actor must hold the account both before and
 * after, so a unit admin can neither promote past its rights nor move an account out of reach.
 */
export function mayChange(scope: UserScope, before: { role: Role; unitId?: string | null }, after: { role: Role; unitId?: string | null }): boolean {
  return mayManage(scope, before.role, before.unitId) && mayManage(scope, after.role, after.unitId);
}
