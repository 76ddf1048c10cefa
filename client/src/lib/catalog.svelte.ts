/**
 * The lecture catalog (课程目录) for self-selected study (自主选学), one page at a time for the
 * filters in the URL (catalog-query.ts). A newer `load()` aborts an older one so a slow answer
 * can never overwrite a fresh one. Facets (专题, 合作院校, 授课教师) come with every answer and
 * cover all the lectures the user may see, so the filter menus do not shrink as filters narrow.
 */
import { api, withQuery, type ApiClient } from './api/client.ts';
import type { CatalogFacets, CatalogPage, Lecture } from './api/types.ts';
import { apiQuery, totalPages, type CatalogFilters } from './catalog-query.ts';

export type CatalogStatus = 'idle' | 'loading' | 'ready' | 'error';

export class Catalog {
  items = $state<Lecture[]>([]);
  total = $state(0);
  page = $state(1);
  pageSize = $state(0);
  facets = $state<CatalogFacets>({ topics: [], institutions: [], lecturers: [] });
  status = $state<CatalogStatus>('idle');
  error = $state<unknown>(null);
  /** A load is running (possibly over results already shown). */
  busy = $state(false);

  readonly pages = $derived(totalPages(this.total, this.pageSize));
  readonly isEmpty = $derived(this.status === 'ready' && this.total === 0);

  readonly #api: ApiClient;
  readonly #pageSize: number | undefined;
  #controller: AbortController | null = null;

  constructor(client: ApiClient = api, pageSize?: number) {
    this.#api = client;
    this.#pageSize = pageSize;
  }

  async load(filters: CatalogFilters): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    // Keep the current cards on screen while the next page loads (no flash of "loading").
    if (this.status !== 'ready') this.status = 'loading';
    this.error = null;
    this.busy = true;
    try {
      const result = await this.#api.get<CatalogPage>(withQuery('/api/lectures', apiQuery(filters, this.#pageSize)), controller.signal);
      if (controller.signal.aborted) return;
      this.items = result.items;
      this.total = result.total;
      this.page = result.page;
      this.pageSize = result.pageSize;
      if (result.facets) this.facets = result.facets;
      this.status = 'ready';
    } catch (error) {
      if (controller.signal.aborted) return;
      this.error = error;
      this.status = 'error';
    } finally {
      if (this.#controller === controller) {
        this.#controller = null;
        this.busy = false;
      }
    }
  }

  dispose(): void {
    this.#controller?.abort();
    this.#controller = null;
    this.busy = false;
  }
}
