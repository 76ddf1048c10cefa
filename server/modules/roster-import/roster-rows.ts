/**
 * 花名册 (roster) rows: the template's columns, and the check of every row (pure, no I/O).
 * A row becomes an account only when every field is right; otherwise each problem is reported
 * with its Excel row number, field and a stable code, in Chinese and English. The username is
 * the key: two rows with one username are both reported (neither is guessed to be right), and
 * a username already in the store is skipped when it is the same person (same name and unit, a
 * re-import) and reported otherwise. Unit admins may only import into their own subtree with the
 * roles user-scope.ts lets them hand out.
 */
import type { Rank, Role } from '../users/user.model';
import { mayManage, type UserScope } from '../users/user-scope';
import { mapHeader as mapSheetHeader } from '../../excel/sheet-import';

/** The template's columns, in order: header (zh), the field it fills, required or not. */
export const ROSTER_COLUMNS = [
  { header: '姓名', field: 'displayName', required: true, width: 12, note: '必填 / required' },
  { header: '用户名', field: 'username', required: true, width: 18, note: '必填,登录名:3–32 位字母、数字或 _ . -,全县唯一 / login name, unique in the county' },
  { header: '单位', field: 'unit', required: true, width: 26, note: '必填,与组织机构名称一致;重名时写"上级/单位" / unit name as in the org tree' },
  { header: '职级', field: 'rank', required: false, width: 14, note: '乡科级 或 县处级,干部默认乡科级 / township or county' },
  { header: '角色', field: 'role', required: false, width: 14, note: '干部(默认)、单位管理员、终端站点 / cadre (default), unit admin, station' },
  { header: '手机', field: 'phone', required: false, width: 16, note: '选填,11 位手机号 / optional mobile' },
] as const;
export type RosterField = (typeof ROSTER_COLUMNS)[number]['field'];

/** Words accepted for a rank and a role, Chinese first (as the template's drop-downs offer them). */
const RANKS: Record<string, Rank> = { 乡科级: 'township', 乡科级及以下: 'township', township: 'township', 县处级: 'county', 县处级及以上: 'county', county: 'county' };
const ROLES: Record<string, Role> = { 干部: 'cadre', cadre: 'cadre', 单位管理员: 'unitAdmin', unitadmin: 'unitAdmin', 终端站点: 'station', station: 'station', 授课教师: 'lecturer', lecturer: 'lecturer' };
export const RANK_CHOICES = ['乡科级', '县处级'];
export const ROLE_CHOICES = ['干部', '单位管理员', '终端站点'];

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
const PHONE_PATTERN = /^1[3-9]\d{9}$/;

export interface RowError {
  row: number;
  field: RosterField | 'row';
  code: string;
  message: string;
  messageEn: string;
  /** The username of the row, when it has one (so the admin can find it). */
  username?: string;
}

export interface RosterRow {
  row: number;
  username: string;
  displayName: string;
  orgUnitId: string;
  role: Role;
  rank?: Rank;
  phone?: string;
}

/** Units by name, and by "parent/name" for names that occur more than once. */
export interface UnitIndex {
  byName: Map<string, string[]>;
  byPath: Map<string, string>;
}

export function indexUnits(units: { id: string; name: string; parentId: string | null }[]): UnitIndex {
  const names = new Map(units.map((u) => [u.id, u.name]));
  const byName = new Map<string, string[]>();
  const byPath = new Map<string, string>();
  for (const u of units) {
    byName.set(u.name, [...(byName.get(u.name) ?? []), u.id]);
    if (u.parentId) byPath.set(`${names.get(u.parentId)}/${u.name}`, u.id);
  }
  return { byName, byPath };
}

/** Maps header cells to fields; the missing required columns otherwise. */
export function mapHeader(cells: string[]): Map<RosterField, number> | { missing: string[] } {
  // "用户名/身份证后六位", "职级(乡科级/县处级)": the column is known by how its header starts.
  return mapSheetHeader(ROSTER_COLUMNS, cells);
}

const err = (row: number, field: RowError['field'], code: string, message: string, messageEn: string, username?: string): RowError => ({ row, field, code, message, messageEn, ...(username ? { username } : {}) });

/** Checks one row's values (already read as text). */
export function checkRow(row: number, v: Partial<Record<RosterField, string>>, units: UnitIndex, scope: UserScope): { ok: RosterRow } | { errors: RowError[] } {
  const errors: RowError[] = [];
  const username = (v.username ?? '').toLowerCase();
  const name = username || undefined;
  for (const col of ROSTER_COLUMNS) {
    if (col.required && !v[col.field]) errors.push(err(row, col.field, 'MISSING_FIELD', `缺少"${col.header}"`, `"${col.header}" is missing`, name));
  }
  if (username && !USERNAME_PATTERN.test(username)) errors.push(err(row, 'username', 'BAD_USERNAME', '用户名须为 3–32 位字母、数字或 _ . -', 'The username needs 3–32 letters, digits, _ . -', name));
  if (v.displayName && v.displayName.length > 40) errors.push(err(row, 'displayName', 'NAME_TOO_LONG', '姓名过长(最多 40 字)', 'The name is too long (40 at most)', name));
  const role = v.role ? ROLES[v.role.replace(/\s/g, '').toLowerCase()] : 'cadre';
  if (!role) errors.push(err(row, 'role', 'BAD_ROLE', `角色"${v.role}"无效,可填:${ROLE_CHOICES.join('、')}`, `Unknown role "${v.role}"`, name));
  const rank = v.rank ? RANKS[v.rank.replace(/\s/g, '').toLowerCase()] : undefined;
  if (v.rank && !rank) errors.push(err(row, 'rank', 'BAD_RANK', `职级"${v.rank}"无效,可填:${RANK_CHOICES.join('、')}`, `Unknown rank "${v.rank}"`, name));
  const phone = v.phone?.replace(/[\s-]/g, '');
  if (phone && !PHONE_PATTERN.test(phone)) errors.push(err(row, 'phone', 'BAD_PHONE', `手机号"${v.phone}"不是 11 位手机号`, `"${v.phone}" is not an 11-digit mobile number`, name));
  let orgUnitId: string | undefined;
  if (v.unit) {
    const text = v.unit.replace(/\s*[/／]\s*/g, '/');
    const hits = text.includes('/') ? [units.byPath.get(text.split('/').slice(-2).join('/'))].filter((x): x is string => Boolean(x)) : (units.byName.get(text) ?? []);
    if (hits.length === 0) errors.push(err(row, 'unit', 'UNKNOWN_UNIT', `单位"${v.unit}"不存在`, `Unknown unit "${v.unit}"`, name));
    else if (hits.length > 1) errors.push(err(row, 'unit', 'AMBIGUOUS_UNIT', `单位"${v.unit}"有重名,请写"上级/单位"`, `Several units are named "${v.unit}": write "parent/unit"`, name));
    else orgUnitId = hits[0];
  }
  if (orgUnitId && role && !mayManage(scope, role, orgUnitId)) {
    errors.push(err(row, 'unit', 'OUT_OF_SCOPE', '无权在该单位创建此角色的账号', 'You may not create this role in this unit', name));
  }
  if (errors.length || !orgUnitId || !role) return { errors };
  return { ok: { row, username, displayName: v.displayName!, orgUnitId, role, ...(role === 'cadre' ? { rank: rank ?? 'township' } : {}), ...(phone ? { phone } : {}) } };
}

/**
 * Checks every row and the file as a whole: a username on two rows is reported on each (the
 * admin decides which one is right).
 */
export function checkRows(rows: { row: number; values: Partial<Record<RosterField, string>> }[], units: UnitIndex, scope: UserScope): { ok: RosterRow[]; errors: RowError[] } {
  const seen = new Map<string, number[]>();
  for (const r of rows) {
    const u = (r.values.username ?? '').toLowerCase();
    if (u) seen.set(u, [...(seen.get(u) ?? []), r.row]);
  }
  const ok: RosterRow[] = [];
  const errors: RowError[] = [];
  for (const r of rows) {
    const checked = checkRow(r.row, r.values, units, scope);
    const u = (r.values.username ?? '').toLowerCase();
    const twins = (seen.get(u) ?? []).filter((n) => n !== r.row);
    const dup = twins.length ? [err(r.row, 'username', 'DUPLICATE_IN_FILE', `用户名"${u}"在第 ${twins.join('、')} 行重复`, `Username "${u}" also on row ${twins.join(', ')}`, u)] : [];
    if ('ok' in checked && !dup.length) ok.push(checked.ok);
    else errors.push(...('errors' in checked ? checked.errors : []), ...dup);
  }
  return { ok, errors };
}
