import { describe, expect, it } from 'vitest';
import { AppliedBatches } from '../../server/modules/study/applied-batches';
import type { Progress } from '../../server/modules/study/records';
import type { WalEntry } from '../../server/modules/study/wal';

/** A log whose commits the test settles one by one, in order. */
function fakeLog() {
  const calls: { entries: WalEntry[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  return {
    calls,
    commit: (entries: WalEntry[]) => new Promise<void>((resolve, reject) => calls.push({ entries, resolve, reject })),
  };
}

const entry = (seq: number): WalEntry => ({ k: 'b', p: 'pb', seq, pos: seq, ca: seq, pl: true, v: true });
const progress = (): Progress => ({ id: 'u:l', userId: 'u', lectureId: 'l', intervals: [], again: [], wallSec: 0, durationSec: 60, lastPosition: 0, lastWatchedAt: 0, completedAt: null, dirty: false });
const quietLog = { error: () => {} };
const unavailable = () => new Error('STUDY_LOG_UNAVAILABLE');

describe('applied batches (ack once durable, take back newest first)', () => {
  it('answers a batch only once its commit returned', async () => {
    const log = fakeLog();
    const batches = new AppliedBatches(log, quietLog, unavailable);
    let answered = false;
    const done = batches.commit([entry(1)], () => {}, []).then(() => (answered = true));
    await Promise.resolve();
    expect(answered).toBe(false);
    expect(log.calls).toHaveLength(1);
    log.calls[0]!.resolve();
    await done;
    expect(answered).toBe(true);
    expect(batches.size).toBe(0);
  });

  it('takes back the failed batch and every batch applied after it, newest first, and fails them all', async () => {
    const log = fakeLog();
    const batches = new AppliedBatches(log, quietLog, unavailable);
    const undone: number[] = [];
    const a = batches.commit([entry(1)], () => undone.push(1), []);
    const b = batches.commit([entry(2)], () => undone.push(2), []);
    const c = batches.commit([entry(3)], () => undone.push(3), []);
    log.calls[0]!.resolve();
    await expect(a).resolves.toBeUndefined();
    log.calls[1]!.reject(new Error('store down'));
    await expect(b).rejects.toThrow('STUDY_LOG_UNAVAILABLE');
    expect(undone).toEqual([3, 2]);
    // The later batch's insert succeeds, but it was built on the failed one: still refused.
    log.calls[2]!.resolve();
    await expect(c).rejects.toThrow('STUDY_LOG_UNAVAILABLE');
    expect(undone).toEqual([3, 2]);
    expect(batches.size).toBe(0);
  });

  it('answers a batch of duplicates no sooner than the batch before it, and fails with it', async () => {
    const log = fakeLog();
    const batches = new AppliedBatches(log, quietLog, unavailable);
    const first = batches.commit([entry(1)], () => {}, []);
    let dupAnswered = false;
    const dup = batches.commit([], () => {}, []).finally(() => (dupAnswered = true));
    await Promise.resolve();
    expect(log.calls).toHaveLength(1);
    expect(dupAnswered).toBe(false);
    log.calls[0]!.reject(new Error('store down'));
    await expect(first).rejects.toThrow();
    await expect(dup).rejects.toThrow('STUDY_LOG_UNAVAILABLE');
  });

  it('counts credits not yet durable per progress', async () => {
    const log = fakeLog();
    const batches = new AppliedBatches(log, quietLog, unavailable);
    const p = progress();
    const a = batches.commit([entry(1)], () => {}, [p]);
    const b = batches.commit([entry(2)], () => {}, [p]);
    expect(batches.unconfirmedCredits(p)).toBe(2);
    log.calls[0]!.resolve();
    await a;
    expect(batches.unconfirmedCredits(p)).toBe(1);
    log.calls[1]!.resolve();
    await b;
    expect(batches.unconfirmedCredits(p)).toBe(0);
  });
});
