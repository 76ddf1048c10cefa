/**
 * My selections (我的选学, 自主选学): which lectures the cadre chose, so every 选学 button on the
 * page (catalog cards, the lecture page) agrees. Loaded once per sign-in from
 * GET /api/study/selections (or the `selections` of GET /api/study/me on a server without it);
 * a card's own `selected` flag, when the catalog carries one, is trusted until then.
 * Limited offerings answer 409 SEATS_FULL when the last seat went; 409 ALREADY_SELECTED means
 * another tab selected it first, which the store takes as selected.
 */
import { ApiError, api, type ApiClient } from '../api/client.ts';
import type { MyStudy, Selection } from '../api/types.ts';

export class Selections {
  /** By lecture id. */
  byLecture = $state<Record<string, Selection>>({});
  loaded = $state(false);
  /** Lecture ids with a request running. */
  pending = $state<Record<string, boolean>>({});

  readonly #api: ApiClient;
  #loading: Promise<void> | null = null;
  #userId: string | null = null;

  constructor(client: ApiClient = api) {
    this.#api = client;
  }

  /** Loads the selections of `userId` (again only after a different user signs in, or `force`). */
  load(userId: string, force = false): Promise<void> {
    if (this.#userId !== userId) {
      this.#userId = userId;
      this.byLecture = {};
      this.loaded = false;
      this.#loading = null;
    }
    if (this.#loading && !force) return this.#loading;
    this.#loading = this.#fetch().catch((error: unknown) => {
      console.warn('selections.load() | could not load my selections', error);
      this.#loading = null;
    });
    return this.#loading;
  }

  isSelected(lectureId: string, hint?: boolean): boolean {
    if (this.loaded) return lectureId in this.byLecture;
    return hint ?? lectureId in this.byLecture;
  }

  /** 选学: resolves to the selection (also when another tab had made it already). */
  async select(lectureId: string): Promise<Selection> {
    this.pending = { ...this.pending, [lectureId]: true };
    try {
      const created = await this.#api.post<Partial<Selection> & { id: string }>('/api/study/selections', { lectureId });
      const selection: Selection = { title: '', required: false, ...created, lectureId };
      this.byLecture = { ...this.byLecture, [lectureId]: selection };
      return selection;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ALREADY_SELECTED') {
        await this.#fetch().catch(() => undefined);
        const known = this.byLecture[lectureId];
        if (known) return known;
      }
      throw error;
    } finally {
      const { [lectureId]: _done, ...rest } = this.pending;
      this.pending = rest;
    }
  }

  /** 取消选学. */
  async unselect(lectureId: string): Promise<void> {
    this.pending = { ...this.pending, [lectureId]: true };
    try {
      let selection = this.byLecture[lectureId];
      if (!selection) {
        await this.#fetch();
        selection = this.byLecture[lectureId];
      }
      if (!selection) return; // already gone
      try {
        await this.#api.delete(`/api/study/selections/${encodeURIComponent(selection.id)}`);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
      const { [lectureId]: _gone, ...rest } = this.byLecture;
      this.byLecture = rest;
    } finally {
      const { [lectureId]: _done, ...rest } = this.pending;
      this.pending = rest;
    }
  }

  /** Takes the list from an answer that carries it (GET /api/study/me). */
  adopt(items: readonly Selection[]): void {
    this.byLecture = indexByLecture(items);
    this.loaded = true;
  }

  async #fetch(): Promise<void> {
    let items: Selection[];
    try {
      items = (await this.#api.get<{ items: Selection[] }>('/api/study/selections')).items;
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
      items = (await this.#api.get<MyStudy>('/api/study/me')).selections ?? [];
    }
    this.adopt(items);
  }
}

export function indexByLecture(items: readonly Selection[]): Record<string, Selection> {
  const out: Record<string, Selection> = {};
  for (const s of items) if (s.lectureId) out[s.lectureId] = s;
  return out;
}

export const selections = new Selections();
