/**
 * "This collection changed" signals, one per store (keyed by its models object, like storeLock):
 * in-memory roll-ups that read a collection once and keep the result (the unit report's rosters)
 * are told which documents changed and read those again. Every writer of the collection
 * calls `changed()` after its write; one portal process per store makes that complete.
 */
import { EventEmitter } from 'node:events';

export class ChangeSignal extends EventEmitter<{ changed: [ids: readonly string[] | null] }> {
  /** Goes up by one on every change. */
  version = 0;

  /** After a write: the `_id`s of the documents written, or null when unknown (anything may have changed). */
  changed(ids: readonly string[] | null = null): void {
    this.version += 1;
    this.emit('changed', ids);
  }
}

const shared = new WeakMap<object, Map<string, ChangeSignal>>();

/** The signal for `collection` of the store whose models these are. */
export function changeSignal(models: object, collection: 'users'): ChangeSignal {
  let byName = shared.get(models);
  if (!byName) shared.set(models, (byName = new Map()));
  let signal = byName.get(collection);
  if (!signal) byName.set(collection, (signal = new ChangeSignal()));
  return signal;
}
