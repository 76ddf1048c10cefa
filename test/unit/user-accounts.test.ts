/** Account rules without I/O: who manages whom, roster rows, the first-login gate, one-time passwords. */
import { describe, expect, it } from 'vitest';
import { allowedBeforePasswordChange } from '../../server/modules/auth/password-gate';
import { generateOneTimePassword, isStrongEnough } from '../../server/modules/auth/password';
import { assignableRoles, mayChange, mayManage, type UserScope } from '../../server/modules/users/user-scope';
import { checkRows, indexUnits, mapHeader } from '../../server/modules/roster-import/roster-rows';

const township: UserScope = { all: false, ownUnit: 'c1', units: new Set(['c1', 'u1', 'u2']) };

describe('user scope', () => {
  it('lets the org admin manage every role anywhere', () => {
    expect(assignableRoles({ all: true }, undefined)).toEqual(['cadre', 'lecturer', 'unitAdmin', 'orgAdmin', 'station']);
  });

  it('keeps a unit admin to cadres and stations of its subtree and admins strictly below it', () => {
    expect(assignableRoles(township, 'u1')).toEqual(['cadre', 'unitAdmin', 'station']);
    expect(assignableRoles(township, 'c1')).toEqual(['cadre', 'station']);
    expect(assignableRoles(township, 'elsewhere')).toEqual([]);
    expect(mayManage(township, 'cadre', undefined)).toBe(false);
  });

  it('refuses moves out of the subtree and promotions past the actor', () => {
    expect(mayChange(township, { role: 'cadre', unitId: 'u1' }, { role: 'cadre', unitId: 'u2' })).toBe(true);
    expect(mayChange(township, { role: 'cadre', unitId: 'u1' }, { role: 'cadre', unitId: 'x' })).toBe(false);
    expect(mayChange(township, { role: 'cadre', unitId: 'u1' }, { role: 'orgAdmin', unitId: 'u1' })).toBe(false);
    expect(mayChange(township, { role: 'lecturer', unitId: 'u1' }, { role: 'cadre', unitId: 'u1' })).toBe(false);
  });
});

describe('roster rows', () => {
  const units = indexUnits([
    { id: 'county', name: '通榆县', parentId: null },
    { id: 'c1', name: '苏公坨乡党委', parentId: 'county' },
    { id: 'u1', name: '村党支部', parentId: 'c1' },
    { id: 'c2', name: '开通镇党委', parentId: 'county' },
    { id: 'u3', name: '村党支部', parentId: 'c2' },
  ]);

  it('finds the columns by how their headers start, and names the missing ones', () => {
    const at = mapHeader(['序号', '姓名', '用户名/身份证后六位', '单位', '职级(乡科级/县处级)']);
    expect(at instanceof Map && [...at]).toEqual([['displayName', 1], ['username', 2], ['unit', 3], ['rank', 4]]);
    expect(mapHeader(['姓名', '单位'])).toEqual({ missing: ['用户名'] });
  });

  it('resolves a unit name used twice only with its parent', () => {
    const res = checkRows(
      [
        { row: 2, values: { displayName: '甲', username: 'a01', unit: '村党支部' } },
        { row: 3, values: { displayName: '乙', username: 'a02', unit: '苏公坨乡党委 / 村党支部', rank: '县处级', phone: '139 0000 0001' } },
      ],
      units,
      { all: true },
    );
    expect(res.errors.map((e) => [e.row, e.code])).toEqual([[2, 'AMBIGUOUS_UNIT']]);
    expect(res.ok).toEqual([{ row: 3, username: 'a02', displayName: '乙', orgUnitId: 'u1', role: 'cadre', rank: 'county', phone: '13900000001' }]);
  });

  it('reports a username on two rows on both, case-insensitively, and keeps neither', () => {
    const res = checkRows(
      [
        { row: 2, values: { displayName: '甲', username: 'Dup1', unit: '苏公坨乡党委' } },
        { row: 9, values: { displayName: '乙', username: 'dup1', unit: '苏公坨乡党委' } },
      ],
      units,
      { all: true },
    );
    expect(res.ok).toEqual([]);
    expect(res.errors.map((e) => [e.row, e.code, e.message])).toEqual([
      [2, 'DUPLICATE_IN_FILE', '用户名"dup1"在第 9 行重复'],
      [9, 'DUPLICATE_IN_FILE', '用户名"dup1"在第 2 行重复'],
    ]);
  });

  it('refuses rows outside a unit admin’s subtree or with roles it may not hand out', () => {
    const res = checkRows(
      [
        { row: 2, values: { displayName: '甲', username: 'x01', unit: '开通镇党委' } },
        { row: 3, values: { displayName: '乙', username: 'x02', unit: '苏公坨乡党委', role: '单位管理员' } },
        { row: 4, values: { displayName: '丙', username: 'x03', unit: '苏公坨乡党委', role: '皇帝' } },
      ],
      units,
      { all: false, ownUnit: 'c1', units: new Set(['c1', 'u1']) },
    );
    expect(res.errors.map((e) => [e.row, e.code])).toEqual([[2, 'OUT_OF_SCOPE'], [3, 'OUT_OF_SCOPE'], [4, 'BAD_ROLE']]);
  });
});

describe('first login', () => {
  it('lets a user who must change the password only read me, change it and log out', () => {
    expect(allowedBeforePasswordChange('GET', '/api/auth/me')).toBe(true);
    expect(allowedBeforePasswordChange('POST', '/api/auth/password')).toBe(true);
    expect(allowedBeforePasswordChange('POST', '/api/auth/logout?x=1')).toBe(true);
    expect(allowedBeforePasswordChange('GET', '/api/lectures')).toBe(false);
    expect(allowedBeforePasswordChange('GET', '/api/auth/locks')).toBe(false);
    expect(allowedBeforePasswordChange('GET', '/media/hls/x/master.m3u8')).toBe(false);
    expect(allowedBeforePasswordChange('GET', '/assets/index.js')).toBe(true);
  });

  it('generates readable one-time passwords that pass the strength rule and do not repeat', () => {
    const seen = new Set(Array.from({ length: 2000 }, generateOneTimePassword));
    expect(seen.size).toBe(2000);
    for (const pw of seen) {
      expect(pw).toMatch(/^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/);
      expect(isStrongEnough(pw)).toBe(true);
    }
  });
});
