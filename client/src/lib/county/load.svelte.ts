/**
 * One figure set a county page shows: loading (nothing yet), ready (with `busy` while a newer one
 * loads, the last figures staying on screen, dimmed), or failed. A new load aborts the one
 * before, so a slow answer for an older year or node never overwrites a newer one.
 */
import { untrack } from 'svelte';

export type LoadState<T> = { status: 'loading' } | { status: 'ready'; data: T } | { status: 'error'; error: unknown };

export class Loaded<T> {
  state = $state<LoadState<T>>({ status: 'loading' });
  busy = $state(false);
  #controller: AbortController | undefined;

  get data(): T | undefined {
    return this.state.status === 'ready' ? this.state.data : undefined;
  }

  /** Starts a load; called from an effect, it tracks only what the caller read before. */
  load(fetch: (signal: AbortSignal) => Promise<T>): void {
    untrack(() => {
      this.#controller?.abort();
      const controller = new AbortController();
      this.#controller = controller;
      if (this.state.status === 'error') this.state = { status: 'loading' };
      this.busy = true;
      fetch(controller.signal).then(
        (data) => {
          if (controller.signal.aborted) return;
          this.state = { status: 'ready', data };
          this.busy = false;
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          this.state = { status: 'error', error };
          this.busy = false;
        },
      );
    });
  }

  abort(): void {
    this.#controller?.abort();
  }
}
