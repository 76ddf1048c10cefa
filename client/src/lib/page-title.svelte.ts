/**
 * A page's own title (a lecture's name) for the document title; the shell falls back to the
 * route's title when a page sets none. Pages set it when their data arrives and clear it on
 * leaving.
 */
class PageTitle {
  value = $state<string | null>(null);
}

export const pageTitle = new PageTitle();
