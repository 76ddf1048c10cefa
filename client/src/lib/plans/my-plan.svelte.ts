/**
 * My learning plan (我的学习计划), shared by the home page, the plan page and every 选学 button:
 * GET /api/plans/mine, reloaded after a selection changes so a 选学 shows in the plan at once,
 * and the lectures the cadre has finished (选学 is not offered on them).
 */
import { api, type ApiClient } from '../api/client.ts';
import type { MyPlan } from './types.ts';

export class MyPlanStore {
  data = $state<MyPlan | null>(null);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state<unknown>(null);
  readonly #api: ApiClient;
  #userId: string | null = null;
  #seq = 0;

  constructor(client: ApiClient = api) {
    this.#api = client;
  }

  readonly finished = $derived(new Set(this.data?.finishedLectureIds ?? []));

  /** Loads the plan of `userId` (again when another user signs in, or `force`). */
  async load(userId: string, force = false): Promise<void> {
    if (this.#userId !== userId) {
      this.#userId = userId;
      this.data = null;
      this.status = 'idle';
    } else if (!force && this.status !== 'idle' && this.status !== 'error') {
      return;
    }
    await this.refresh();
  }

  /** Reloads now (after a selection changed); the newest answer wins. */
  async refresh(): Promise<void> {
    if (!this.#userId) return;
    const seq = ++this.#seq;
    if (!this.data) this.status = 'loading';
    try {
      const data = await this.#api.get<MyPlan>('/api/plans/mine');
      if (seq !== this.#seq) return;
      this.data = data;
      this.status = 'ready';
      this.error = null;
    } catch (error) {
      if (seq !== this.#seq) return;
      this.error = error;
      if (!this.data) this.status = 'error';
    }
  }

  isFinished(lectureId: string): boolean {
    return this.finished.has(lectureId);
  }
}

export const myPlan = new MyPlanStore();
