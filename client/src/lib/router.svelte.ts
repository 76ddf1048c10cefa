/**
 * A tiny history-based router. The server answers every non-API path with index.html, so real
 * paths (`/login`, `/`) survive a reload. The route table lives in routes.ts. Pages that keep
 * their state in the query (the catalog's filters) read `search` and write it with `setSearch`.
 */
import { matchRoute, normalisePath } from './routes.ts';

export class Router {
  path = $state(normalisePath(location.pathname));
  search = $state(location.search);
  readonly route = $derived(matchRoute(this.path));

  constructor() {
    window.addEventListener('popstate', () => this.#sync());
  }

  /** The current path with its query, as a `next` value. */
  get current(): string {
    return this.path + this.search;
  }

  query(name: string): string | null {
    return new URLSearchParams(this.search).get(name);
  }

  /** Replaces the query of the current page (`''` or `?a=1`), as a new history entry unless `replace`. */
  setSearch(search: string, options: { replace?: boolean } = {}): void {
    const target = this.path + (search && !search.startsWith('?') ? `?${search}` : search);
    if (target === location.pathname + location.search) return;
    if (options.replace) history.replaceState(null, '', target);
    else history.pushState(null, '', target);
    this.#sync();
  }

  navigate(to: string, options: { replace?: boolean } = {}): void {
    const url = new URL(to, location.origin);
    if (url.origin !== location.origin) {
      location.assign(url);
      return;
    }
    const target = url.pathname + url.search + url.hash;
    if (target === location.pathname + location.search + location.hash) return;
    if (options.replace) history.replaceState(null, '', target);
    else history.pushState(null, '', target);
    this.#sync();
    if (!options.replace) window.scrollTo(0, 0);
  }

  /** Click handler for in-app links: keeps modified clicks and new-tab links native. */
  handleLinkClick = (event: MouseEvent): void => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const href = anchor.getAttribute('href');
    if (!href || href.startsWith('#')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || /^\/(api|media|docs|socket\.io)(\/|$)/.test(url.pathname)) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  };

  #sync(): void {
    this.path = normalisePath(location.pathname);
    this.search = location.search;
  }
}

export const router = new Router();
