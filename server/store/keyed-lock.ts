/**
 * Runs tasks one at a time per key. FerretDB 1.24 applies every update, even one `updateOne` with
 * `$inc` or a condition, as read-modify-write of the whole document, so two concurrent writes of
 * one document can lose one of them (docs/store-on-ferretdb.md). Every read-modify-write of a
 * document therefore runs under one key for that document in this process; run one portal process
 * per store (data-dir-lock.ts).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Keys with a task running or queued (tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}

const shared = new WeakMap<object, KeyedLock>();

/**
 * The lock for documents that several modules write (a lecture: catalog edits, watch counts, seat
 * counts, processing, uploads, live; a user: admin edits and password changes), keyed
 * `<kind>:<_id>`. One per store's `Models` bag, so each app (and each test app) has its own.
 * Never take a key inside a task already holding the same key: it would wait for itself.
 */
export function storeLock(models: object): KeyedLock {
  let lock = shared.get(models);
  if (!lock) shared.set(models, (lock = new KeyedLock()));
  return lock;
}
