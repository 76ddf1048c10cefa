/**
 * A portal that shuts down while it is claiming a job (the JobQueue on the real store): the claim
 * already wrote `running` under this process when close() began. The job is handed back at once
 * (queued, due now, the attempt not counted, no owner) instead of being started against a store
 * about to close and then waiting out its lease (seen in CI as a replay job counted twice, and a
 * write after the store closed). A job running at close() is handed back as before.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobQueue } from '../../server/modules/jobs/job-queue';
import type { JobDoc } from '../../server/modules/jobs/job.model';
import { build, type TestApp } from '../helpers/build';

let t: TestApp;
const silent = { info() {}, warn() {}, error() {} };

beforeAll(async () => {
  t = await build();
});
afterAll(() => t?.close());

const jobOf = (id: Types.ObjectId) => t.app.store.models.Job.findById(id).lean<JobDoc>();

describe('closing the job queue', () => {
  it('hands back a job whose claim was in flight when close() began, and never starts it', async () => {
    const { models } = t.app.store;
    const queue = new JobQueue(models, { ...t.app.config.jobs, pollMs: 60_000 }, silent);
    const started: string[] = [];
    queue.register('close-race', async (job) => {
      started.push(String(job._id));
    });
    const job = await models.Job.create({ type: 'close-race', payload: {}, state: 'queued', runAfter: new Date(), maxAttempts: 3 });

    // The claim's write reaches the store; its answer is held until close() has begun.
    let claimed!: () => void;
    const claimWritten = new Promise<void>((resolve) => (claimed = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const real = models.Job.findOneAndUpdate.bind(models.Job);
    const spy = vi.spyOn(models.Job, 'findOneAndUpdate').mockImplementationOnce(((...args: Parameters<typeof real>) => {
      const query = real(...args);
      return {
        lean: () =>
          query.lean().then(async (doc: unknown) => {
            claimed();
            await gate;
            return doc;
          }),
      };
    }) as never);
    try {
      queue.start();
      await claimWritten;
      expect(await jobOf(job._id)).toMatchObject({ state: 'running', attempts: 1, owner: queue.owner });
      const closing = queue.close();
      let closed = false;
      void closing.then(() => (closed = true));
      await sleep(50);
      // close() waits for the claim in flight.
      expect(closed).toBe(false);
      release();
      await closing;
      expect(started).toEqual([]);
      const after = await jobOf(job._id);
      expect(after).toMatchObject({ state: 'queued', attempts: 0 });
      expect(after!.owner).toBeUndefined();
      expect(after!.leaseUntil).toBeUndefined();
      expect(after!.runAfter!.getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      spy.mockRestore();
      release();
      await queue.close();
    }

    // The next process takes it at once and counts one attempt.
    const next = new JobQueue(models, { ...t.app.config.jobs, pollMs: 50 }, silent);
    next.register('close-race', async (j) => {
      started.push(String(j._id));
    });
    try {
      next.start();
      await expect.poll(async () => (await jobOf(job._id))?.state, { timeout: 10_000, interval: 50 }).toBe('done');
      expect(started).toEqual([String(job._id)]);
      expect(await jobOf(job._id)).toMatchObject({ attempts: 1 });
    } finally {
      await next.close();
    }
  });

  it('hands back a job that is running when close() is called, its attempt not counted', async () => {
    const { models } = t.app.store;
    const queue = new JobQueue(models, { ...t.app.config.jobs, pollMs: 60_000 }, silent);
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    queue.register('close-running', (_job, ctx) => {
      running();
      return new Promise<void>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
    });
    const job = await models.Job.create({ type: 'close-running', payload: {}, state: 'queued', runAfter: new Date(), maxAttempts: 3 });
    queue.start();
    await isRunning;
    await queue.close();
    const after = await jobOf(job._id);
    expect(after).toMatchObject({ state: 'queued', attempts: 0 });
    expect(after!.owner).toBeUndefined();
  });
});
