/**
 * The organisation tree (/api/org/tree) for an admin screen's unit picker, loaded once when the
 * component starts: `roots` is null while loading and [] when it could not be loaded. Call it
 * while a component initialises (it registers an $effect that aborts the load on destroy).
 */
import { api } from '../api/client.ts';
import type { OrgNode } from '../api/types.ts';

export function loadOrgTree(): { readonly roots: OrgNode[] | null } {
  let roots = $state<OrgNode[] | null>(null);
  $effect(() => {
    const controller = new AbortController();
    api.get<{ roots: OrgNode[] }>('/api/org/tree', controller.signal).then(
      (r) => (roots = r.roots),
      () => {
        if (!controller.signal.aborted) roots = [];
      },
    );
    return () => controller.abort();
  });
  return {
    get roots() {
      return roots;
    },
  };
}
