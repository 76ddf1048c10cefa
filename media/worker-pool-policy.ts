// The worker pool's pure rules (worker-pool.ts): the port slice of each slot, the restart
// backoff, the pool's state and the least loaded live worker. No mediasoup here.
import type { PoolState, PortRange } from './worker-pool';

/** A worker that has lived this long is considered healthy: its death resets the backoff. */
export const STABLE_AFTER_MS = 10_000;
export const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Splits [min, max] into `count` contiguous, non-overlapping slices. The first slices take
 * one extra port each when the range does not divide evenly.
 */
export function splitPortRange(min: number, max: number, count: number): PortRange[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Invalid worker pool options: numWorkers must be an integer >= 1 (got ${count})`);
  }
  for (const [name, port] of [['rtcMinPort', min], ['rtcMaxPort', max]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`Invalid worker pool options: ${name} must be an integer port 1..65535 (got ${port})`);
    }
  }
  const size = max - min + 1;
  if (size < count) {
    throw new RangeError(
      `Invalid worker pool options: port range ${min}-${max} has ${Math.max(size, 0)} ports, fewer than numWorkers (${count})`,
    );
  }
  const base = Math.floor(size / count);
  const extra = size % count;
  const ranges: PortRange[] = [];
  let next = min;
  for (let i = 0; i < count; i++) {
    const length = base + (i < extra ? 1 : 0);
    ranges.push({ min: next, max: next + length - 1 });
    next += length;
  }
  return ranges;
}

/** Wait before the next start of a slot that has failed `failures` times in a row. */
export function restartDelay(failures: number, baseMs: number, maxMs = MAX_RESTART_DELAY_MS): number {
  if (failures <= 0) return 0;
  return Math.min(baseMs * 2 ** (failures - 1), maxMs);
}

export function poolState(total: number, alive: number): PoolState {
  if (total > 0 && alive === total) return 'up';
  if (alive === 0) return 'down';
  return 'degraded';
}

/**
 * Index of the slot with the fewest routers among live ones, scanning from `start` so that
 * ties rotate. `loads[i]` is null for a slot without a live worker.
 */
export function pickLeastLoaded(loads: readonly (number | null)[], start: number): number | undefined {
  let best: number | undefined;
  let bestLoad = Infinity;
  for (let k = 0; k < loads.length; k++) {
    const i = (start + k) % loads.length;
    const load = loads[i];
    if (load != null && load < bestLoad) {
      best = i;
      bestLoad = load;
    }
  }
  return best;
}
