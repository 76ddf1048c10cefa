/**
 * One GET the admin screens load and show: loading, ready with its data, or failed with the error,
 * and `reload()`. A new load aborts the one before, so a slow answer never overwrites a newer one;
 * while reloading, the last data stays on screen (no flash of "loading").
 */
import { untrack } from 'svelte';
import { api } from '../../api/client.ts';

export type ResourceState<T> = { status: 'loading' } | { status: 'ready'; data: T } | { status: 'error'; error: unknown };

export class Resource<T> {
  state = $state<ResourceState<T>>({ status: 'loading' });
  #controller: AbortController | undefined;

  constructor(private readonly path: () => string | null) {}

  /** The data when ready, else undefined. */
  get data(): T | undefined {
    return this.state.status === 'ready' ? this.state.data : undefined;
  }

  /** Loads again. Called from an effect, it depends on what `path` reads, never on the state it writes. */
  reload(): void {
    const path = this.path();
    untrack(() => this.#load(path));
  }

  #load(path: string | null): void {
    this.#controller?.abort();
    if (path === null) return;
    const controller = new AbortController();
    this.#controller = controller;
    if (this.state.status === 'error') this.state = { status: 'loading' };
    api.get<T>(path, controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) this.state = { status: 'ready', data };
      },
      (error: unknown) => {
        if (!controller.signal.aborted) this.state = { status: 'error', error };
      },
    );
  }

  abort(): void {
    this.#controller?.abort();
  }
}
