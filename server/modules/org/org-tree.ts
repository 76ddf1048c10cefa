/**
 * Pure rules of the organisation tree. Exactly one county at the root; party committees sit under
 * the county; units sit under a committee (or, for county agencies, directly under the county).
 * Nothing here touches the store.
 */
export const orgKinds = ['county', 'committee', 'unit'] as const;
export type OrgKind = (typeof orgKinds)[number];

const allowedParents: Record<OrgKind, (OrgKind | null)[]> = {
  county: [null],
  committee: ['county'],
  unit: ['committee', 'county'],
};

export function canPlace(kind: OrgKind, parentKind: OrgKind | null): boolean {
  return allowedParents[kind].includes(parentKind);
}

export interface FlatNode {
  id: string;
  name: string;
  kind: OrgKind;
  parentId: string | null;
}
export interface TreeNode extends FlatNode {
  children: TreeNode[];
}

/** Builds the forest from flat rows; children sorted by kind then name (zh collation). Orphans become roots. */
export function buildTree(rows: FlatNode[]): TreeNode[] {
  const byId = new Map<string, TreeNode>(rows.map((r) => [r.id, { ...r, children: [] }]));
  const roots: TreeNode[] = [];
  for (const node of byId.values()) {
    const parent = node.parentId ? byId.get(node.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const order = (a: TreeNode, b: TreeNode) =>
    orgKinds.indexOf(a.kind) - orgKinds.indexOf(b.kind) || a.name.localeCompare(b.name, 'zh-CN');
  const sortRec = (nodes: TreeNode[]) => {
    nodes.sort(order);
    nodes.forEach((n) => sortRec(n.children));
  };
  sortRec(roots);
  return roots;
}

/** Ids of `id` and everything below it. */
export function subtreeIds(rows: FlatNode[], id: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const r of rows) {
    if (!r.parentId) continue;
    const list = children.get(r.parentId) ?? [];
    list.push(r.id);
    children.set(r.parentId, list);
  }
  const out = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const cur = stack.pop()!;
    if (out.has(cur)) continue; // a cycle in bad data must not loop forever
    out.add(cur);
    stack.push(...(children.get(cur) ?? []));
  }
  return out;
}

/** Path from the root down to `id` (inclusive), or [] when unknown. Stops on cycles. */
export function pathTo(rows: FlatNode[], id: string): FlatNode[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const path: FlatNode[] = [];
  const seen = new Set<string>();
  let cur = byId.get(id);
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    path.unshift(cur);
    cur = cur.parentId ? byId.get(cur.parentId) : undefined;
  }
  return path;
}

/** Would moving `id` under `newParentId` create a cycle? */
export function wouldCycle(rows: FlatNode[], id: string, newParentId: string): boolean {
  return subtreeIds(rows, id).has(newParentId);
}
