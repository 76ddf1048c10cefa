import { describe, expect, it } from 'vitest';
import { buildTree, canPlace, pathTo, subtreeIds, wouldCycle, type FlatNode } from '../../server/modules/org/org-tree';

const rows: FlatNode[] = [
  { id: 'c', name: '通榆县', kind: 'county', parentId: null },
  { id: 'k2', name: '开通镇党委', kind: 'committee', parentId: 'c' },
  { id: 'k1', name: '苏公坨乡党委', kind: 'committee', parentId: 'c' },
  { id: 'u1', name: '苏公坨村党支部', kind: 'unit', parentId: 'k1' },
  { id: 'u2', name: '苏公坨乡人民政府', kind: 'unit', parentId: 'k1' },
  { id: 'u3', name: '兴隆社区党委', kind: 'unit', parentId: 'k2' },
  { id: 'a', name: '县委组织部', kind: 'unit', parentId: 'c' },
];

describe('organisation tree', () => {
  it('places committees under the county and units under a committee or the county', () => {
    expect(canPlace('county', null)).toBe(true);
    expect(canPlace('committee', 'county')).toBe(true);
    expect(canPlace('unit', 'committee')).toBe(true);
    expect(canPlace('unit', 'county')).toBe(true);
    expect(canPlace('committee', 'committee')).toBe(false);
    expect(canPlace('county', 'county')).toBe(false);
    expect(canPlace('unit', null)).toBe(false);
    expect(canPlace('committee', 'unit')).toBe(false);
  });

  it('builds one root with committees before units, names in pinyin order', () => {
    const [root, ...rest] = buildTree(rows);
    expect(rest).toHaveLength(0);
    expect(root!.name).toBe('通榆县');
    expect(root!.children.map((n) => n.name)).toEqual(['开通镇党委', '苏公坨乡党委', '县委组织部']);
    expect(root!.children[1]!.children.map((n) => n.id).sort()).toEqual(['u1', 'u2']);
  });

  it('keeps orphans visible as roots instead of dropping them', () => {
    const roots = buildTree([...rows, { id: 'x', name: '孤立单位', kind: 'unit', parentId: 'missing' }]);
    expect(roots.map((r) => r.id)).toContain('x');
  });

  it('lists a subtree including its root', () => {
    expect([...subtreeIds(rows, 'k1')].sort()).toEqual(['k1', 'u1', 'u2']);
    expect(subtreeIds(rows, 'c').size).toBe(rows.length);
    expect([...subtreeIds(rows, 'u3')]).toEqual(['u3']);
  });

  it('gives the path from the county down', () => {
    expect(pathTo(rows, 'u1').map((n) => n.id)).toEqual(['c', 'k1', 'u1']);
    expect(pathTo(rows, 'nope')).toEqual([]);
  });

  it('detects moves that would create a cycle, and survives cyclic data', () => {
    expect(wouldCycle(rows, 'k1', 'u1')).toBe(true);
    expect(wouldCycle(rows, 'u1', 'k2')).toBe(false);
    const cyclic: FlatNode[] = [
      { id: 'p', name: 'p', kind: 'committee', parentId: 'q' },
      { id: 'q', name: 'q', kind: 'unit', parentId: 'p' },
    ];
    expect(subtreeIds(cyclic, 'p').size).toBe(2);
    expect(pathTo(cyclic, 'p').length).toBe(2);
  });
});
