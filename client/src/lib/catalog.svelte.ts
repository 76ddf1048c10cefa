/**
 * The lecture catalog (课程目录) for self-selected study (自主选学), page by page.
 * `load()` starts over at page 1; `loadMore()` appends the next page while `hasMore`.
 * A newer `load()` aborts an older one so a slow answer can never overwrite a fresh one.
 */
import { api, withQuery, type ApiClient } from './api/client.ts';
import type { Lecture, Page } from './api/types.ts';

export type CatalogStatus = 'idle' | 'loading' | 'ready' | 'error';

export class Catalog {
  items = $state<Lecture[]>([]);
  total = $state(0);
  page = $state(0);
  pageSize = $state(0);
  status = $state<CatalogStatus>('idle');
  loadingMore = $state(false);
  error = $state<unknown>(null);

  readonly hasMore = $derived(this.items.length < this.total);
  readonly isEmpty = $derived(this.status === 'ready' && this.total === 0);

  readonly #api: ApiClient;
  #controller: AbortController | null = null;

  constructor(client: ApiClient = api) {
    this.#api = client;
  }

  async load(): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.status = 'loading';
    this.error = null;
    try {
      const result = await this.#fetch(1, controller.signal);
      this.items = result.items;
      this.#apply(result);
      this.status = 'ready';
    } catch (error) {
      if (controller.signal.aborted) return;
      this.error = error;
      this.status = 'error';
    }
  }

  async loadMore(): Promise<void> {
    if (this.status !== 'ready' || this.loadingMore || !this.hasMore) return;
    const controller = this.#controller ?? new AbortController();
    this.loadingMore = true;
    this.error = null;
    try {
      const result = await this.#fetch(this.page + 1, controller.signal);
      const known = new Set(this.items.map((lecture) => lecture.id));
      this.items = [...this.items, ...result.items.filter((lecture) => !known.has(lecture.id))];
      this.#apply(result);
    } catch (error) {
      if (!controller.signal.aborted) this.error = error;
    } finally {
      this.loadingMore = false;
    }
  }

  dispose(): void {
    this.#controller?.abort();
    this.#controller = null;
  }

  #fetch(page: number, signal: AbortSignal): Promise<Page<Lecture>> {
    return this.#api.get<Page<Lecture>>(withQuery('/api/lectures', { page: page > 1 ? page : undefined }), signal);
  }

  #apply(result: Page<Lecture>): void {
    this.total = result.total;
    this.page = result.page;
    this.pageSize = result.pageSize;
  }
}
