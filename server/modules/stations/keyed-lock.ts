/**
 * Runs tasks one at a time per key. FerretDB applies conditional and nested updates as
 * read-modify-write, so writes that must not lose each other (a run's document, a day's roll-up,
 * one learner's check-ins across stations) are serialised in this process; run one portal
 * process per store (docs/store-on-ferretdb.md).
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
}
