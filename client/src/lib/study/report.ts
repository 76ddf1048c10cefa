/**
 * Pure helpers of the unit report's member table (单位学时报表): sorting by any column (ties by
 * username, so the order is stable), the completion histogram and the units an admin may pick.
 */
import type { OrgNode } from '../api/types.ts';

export type SortDir = 'asc' | 'desc';

const collator = typeof Intl !== 'undefined' ? new Intl.Collator('zh-CN') : null;

/** Sorts member rows by any column (numbers numerically, text in Chinese order), ties by username. */
export function sortMembers<T extends { username: string }>(items: readonly T[], key: keyof T, dir: SortDir): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator ? collator.compare(String(x), String(y)) : String(x).localeCompare(String(y));
    return c * sign || a.username.localeCompare(b.username);
  });
}

/** Completion buckets: 0–19 %, 20–39 %, 40–59 %, 60–79 %, 80–99 %, 100 % (met). */
export const COMPLETION_BUCKETS = ['0-19', '20-39', '40-59', '60-79', '80-99', '100'] as const;

export function completionHistogram(items: readonly { percent: number }[]): number[] {
  const counts = COMPLETION_BUCKETS.map(() => 0);
  for (const m of items) {
    const p = Number.isFinite(m.percent) ? m.percent : 0;
    const i = p >= 100 ? 5 : Math.min(4, Math.max(0, Math.floor(p / 20)));
    counts[i]! += 1;
  }
  return counts;
}

/** The units an admin may report on, depth-first with their depth: the whole tree, or the subtree of `rootId`. */
export function unitChoices(roots: readonly OrgNode[], rootId?: string | null): { id: string; name: string; depth: number }[] {
  const out: { id: string; name: string; depth: number }[] = [];
  const walk = (node: OrgNode, depth: number) => {
    out.push({ id: node.id, name: node.name, depth });
    for (const child of node.children ?? []) walk(child, depth + 1);
  };
  const find = (nodes: readonly OrgNode[]): OrgNode | null => {
    for (const n of nodes) {
      if (n.id === rootId) return n;
      const hit = find(n.children ?? []);
      if (hit) return hit;
    }
    return null;
  };
  if (rootId) {
    const root = find(roots);
    if (root) walk(root, 0);
  } else {
    roots.forEach((r) => walk(r, 0));
  }
  return out;
}
