/**
 * The route table and pure path helpers used by the router (router.svelte.ts).
 * Routes are matched by exact path; `?next=` carries the page to return to after logging in
 * and only ever holds a local path, so a crafted link cannot send a user to another site.
 */

export type RouteName = 'home' | 'login' | 'notFound';

export interface RouteDef {
  name: RouteName;
  path: string;
  /** Whether the page needs a signed-in user. */
  auth: boolean;
}

export const routes: readonly RouteDef[] = [
  { name: 'home', path: '/', auth: true },
  { name: 'login', path: '/login', auth: false },
];

const notFound: RouteDef = { name: 'notFound', path: '', auth: true };

export function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function matchRoute(pathname: string): RouteDef {
  const path = normalisePath(pathname);
  return routes.find((route) => route.path === path) ?? notFound;
}

/** Accepts only local absolute paths ("/x"), never "//host" or "https://…", as a redirect target. */
export function safeNext(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

export function loginPath(next: string): string {
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
