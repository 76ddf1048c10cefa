/**
 * Failed logins take as long as the slowest recent one. A known name is read from the store by id,
 * an unknown one by a name lookup that FerretDB answers by scanning every user (seconds at county
 * scale, docs/store-on-ferretdb.md): without a floor, the time of a failure would tell which names
 * are real. Every failure, of either kind, is held until the longest of the last WINDOW failures
 * (capped), so both kinds answer at the same moment. Successes are never held: only the owner of
 * the password sees them.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const WINDOW = 32;
const CAP_MS = 5_000;

export class FailureFloor {
  private readonly recent: number[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records how long this failure took to decide, then waits until the floor has passed. */
  async hold(startedAt: number): Promise<void> {
    const took = this.now() - startedAt;
    this.recent.push(Math.min(took, CAP_MS));
    if (this.recent.length > WINDOW) this.recent.shift();
    const floor = Math.max(...this.recent);
    const left = startedAt + floor - this.now();
    if (left > 1) await sleep(left);
  }
}
