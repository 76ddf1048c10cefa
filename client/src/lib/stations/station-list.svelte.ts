/**
 * One searchable, filtered, paged list of stations (the registry or the monitor): the query as
 * state, the server's page as state. Every change of the query reloads (answers that arrive out
 * of order are dropped); changing a filter goes back to page 1; the search is debounced.
 */
import { api, withQuery } from '../api/client.ts';
import type { StationPage, StationQuery } from './types.ts';

const SEARCH_DEBOUNCE_MS = 250;

export class StationList<P extends StationPage<unknown>> {
  query = $state<StationQuery>({ q: '', township: '', type: '', state: '', page: 1, pageSize: 25 });
  data = $state<P | null>(null);
  error = $state<unknown>(null);
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The search text (trimmed) of the last request. */
  #requestedQ = '';

  constructor(private readonly url: string) {}

  /** The query as the API takes it (empty filters left out). */
  params() {
    const q = this.query;
    return { q: q.q.trim() || undefined, township: q.township || undefined, type: q.type || undefined, state: q.state || undefined, page: q.page, pageSize: q.pageSize };
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    this.#requestedQ = this.query.q.trim();
    try {
      const page = await api.get<P>(withQuery(this.url, this.params()));
      if (seq !== this.#seq) return;
      this.data = page;
      this.error = null;
      if (page.page !== this.query.page) this.query.page = page.page;
    } catch (error) {
      if (seq === this.#seq) this.error = error;
    }
  }

  /**
   * Changes filters (back to page 1) or the page, and reloads. The request carries the search
   * text as typed so far, so a search still waiting for its debounce is sent now (a new search
   * starts at page 1 even when the change was a page) and not again later: a late debounce would
   * take the admin back to page 1 after they had paged on.
   */
  set(patch: Partial<StationQuery>) {
    const newSearch = this.#timer !== undefined && this.query.q.trim() !== this.#requestedQ;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    Object.assign(this.query, 'page' in patch && !newSearch ? patch : { ...patch, page: 1 });
    void this.load();
  }

  /** The search box changed: reloads once typing pauses, unless the list already shows this text. */
  search(text: string) {
    this.query.q = text;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (text.trim() !== this.#requestedQ) this.set({ q: text });
    }, SEARCH_DEBOUNCE_MS);
  }

  dispose() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#seq++;
  }
}
