// Real mediasoup workers (Debian's mediasoup-worker binary), real processes, real signals.
import { once } from 'node:events';
import { readFile, readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebRtcTransport } from 'mediasoup/lib/types';
import { WorkerPool, WorkerPoolError } from '../../media/worker-pool';
import type { WorkerDiedEvent, WorkerReplacedEvent } from '../../media/worker-pool';

const WORKER_BIN = process.env.MEDIASOUP_WORKER_BIN ?? '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker';
const RTC_MIN_PORT = 47000;
const RTC_MAX_PORT = 47999;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** mediasoup-worker processes whose parent is this test process (Linux /proc). */
async function childWorkerPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid ..."; comm is cut to 15 characters.
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (match?.[1]?.startsWith('mediasoup-work') && Number(match[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function createPool(): Promise<WorkerPool> {
  return WorkerPool.create({
    numWorkers: 2,
    logLevel: 'error',
    rtcMinPort: RTC_MIN_PORT,
    rtcMaxPort: RTC_MAX_PORT,
    workerBin: WORKER_BIN,
    restartDelayMs: 50,
  });
}

async function createTransport(pool: WorkerPool): Promise<{ transport: WebRtcTransport; workerIndex: number }> {
  const { router, workerIndex } = await pool.createRouter();
  const transport = await router.createWebRtcTransport({ listenIps: [{ ip: '127.0.0.1' }] });
  return { transport, workerIndex };
}

describe('WorkerPool', () => {
  let pool: WorkerPool;

  beforeEach(async () => {
    pool = await createPool();
  });

  afterEach(async () => {
    await pool.close();
  });

  it('starts the requested number of workers as live processes and reports up', () => {
    const status = pool.status();
    expect(status).toMatchObject({ state: 'up', total: 2, alive: 2 });
    expect(pool.workers).toHaveLength(2);
    for (const worker of status.workers) {
      expect(worker.alive).toBe(true);
      expect(isRunning(worker.pid!)).toBe(true);
    }
    expect(pool.getWorker(0)?.pid).toBe(status.workers[0]!.pid);
    expect(pool.getWorker(5)).toBeUndefined();
  });

  it('gives each worker its own slice of the RTC port range', () => {
    const [a, b] = pool.status().workers;
    expect(a).toMatchObject({ rtcMinPort: 47000, rtcMaxPort: 47499 });
    expect(b).toMatchObject({ rtcMinPort: 47500, rtcMaxPort: 47999 });
  });

  it('creates a router and a WebRTC transport on 127.0.0.1 within its worker’s port slice', async () => {
    const { transport, workerIndex } = await createTransport(pool);
    const slot = pool.status().workers[workerIndex]!;
    const candidate = transport.iceCandidates[0]!;
    expect(candidate.ip).toBe('127.0.0.1');
    expect(candidate.port).toBeGreaterThanOrEqual(slot.rtcMinPort);
    expect(candidate.port).toBeLessThanOrEqual(slot.rtcMaxPort);
  });

  it('puts new routers on the least loaded worker', async () => {
    const first = await pool.createRouter();
    const second = await pool.createRouter();
    expect(new Set([first.workerIndex, second.workerIndex])).toEqual(new Set([0, 1]));
    expect(pool.status().workers.map((w) => w.routers)).toEqual([1, 1]);

    first.router.close();
    expect(pool.status().workers[first.workerIndex]!.routers).toBe(0);
    const third = await pool.createRouter();
    expect(third.workerIndex).toBe(first.workerIndex);
  });

  it('spreads routers created concurrently over both workers', async () => {
    const routers = await Promise.all(Array.from({ length: 6 }, () => pool.createRouter()));
    expect(pool.status().workers.map((w) => w.routers)).toEqual([3, 3]);
    expect(routers.filter((r) => r.workerIndex === 0)).toHaveLength(3);
  });

  it('replaces a SIGKILLed worker on the same slot, reporting died then replaced', async () => {
    const events: string[] = [];
    pool.on('worker-died', () => events.push('worker-died'));
    pool.on('worker-replaced', () => events.push('worker-replaced'));
    const victim = pool.status().workers[1]!.pid!;
    const survivor = pool.status().workers[0]!.pid!;

    const died = once(pool, 'worker-died') as Promise<[WorkerDiedEvent]>;
    const replaced = once(pool, 'worker-replaced') as Promise<[WorkerReplacedEvent]>;
    process.kill(victim, 'SIGKILL');

    const [diedEvent] = await died;
    expect(diedEvent).toMatchObject({ index: 1, pid: victim });
    expect(diedEvent.error.message).toContain('SIGKILL');

    const [replacedEvent] = await replaced;
    expect(replacedEvent.index).toBe(1);
    expect(replacedEvent.oldPid).toBe(victim);
    expect(replacedEvent.newPid).not.toBe(victim);
    expect(events).toEqual(['worker-died', 'worker-replaced']);

    const status = pool.status();
    expect(status).toMatchObject({ state: 'up', total: 2, alive: 2 });
    expect(status.workers.map((w) => w.pid)).toEqual([survivor, replacedEvent.newPid]);
    expect(isRunning(replacedEvent.newPid)).toBe(true);
    expect(status.workers[1]).toMatchObject({ rtcMinPort: 47500, rtcMaxPort: 47999 });
  });

  it('reports degraded while a dead worker waits for its replacement', async () => {
    const victim = pool.status().workers[0]!.pid!;
    const died = once(pool, 'worker-died');
    const replaced = once(pool, 'worker-replaced');
    process.kill(victim, 'SIGKILL');
    await died;
    expect(pool.status()).toMatchObject({ state: 'degraded', alive: 1 });
    expect(pool.status().workers[0]).toMatchObject({ pid: null, alive: false });
    expect(pool.getWorker(0)).toBeUndefined();
    await replaced;
    expect(pool.status().state).toBe('up');
  });

  it('closes the routers of a worker that dies and stops counting them', async () => {
    const routers = await Promise.all([pool.createRouter(), pool.createRouter()]);
    const onSlot1 = routers.find((r) => r.workerIndex === 1)!;
    const replaced = once(pool, 'worker-replaced');
    process.kill(pool.status().workers[1]!.pid!, 'SIGKILL');
    await replaced;
    expect(onSlot1.router.closed).toBe(true);
    expect(pool.status().workers.map((w) => w.routers)).toEqual([1, 0]);
  });

  it('creates routers and transports on the replacement worker', async () => {
    const replaced = once(pool, 'worker-replaced') as Promise<[WorkerReplacedEvent]>;
    process.kill(pool.status().workers[1]!.pid!, 'SIGKILL');
    const [{ newPid }] = await replaced;

    // Slot 0 already carries a router, so the next one lands on the replacement (slot 1).
    await pool.createRouter();
    const { transport, workerIndex } = await createTransport(pool);
    expect(workerIndex).toBe(1);
    expect(pool.getWorker(1)?.pid).toBe(newPid);
    expect(transport.iceCandidates[0]!.port).toBeGreaterThanOrEqual(47500);
  });

  it('close() is idempotent, emits close once and leaves no worker process behind', async () => {
    await createTransport(pool);
    const pids = pool.status().workers.map((w) => w.pid!);
    let closeEvents = 0;
    pool.on('close', () => closeEvents++);

    const first = pool.close();
    const second = pool.close();
    await Promise.all([first, second]);
    await pool.close();

    expect(closeEvents).toBe(1);
    expect(pool.closed).toBe(true);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(await childWorkerPids()).toEqual([]);
    expect(pool.status()).toMatchObject({ state: 'down', alive: 0 });
    expect(pool.workers).toEqual([]);
  });

  it('does not restart workers after close()', async () => {
    const pids = pool.status().workers.map((w) => w.pid!);
    let replacements = 0;
    pool.on('worker-replaced', () => replacements++);
    await pool.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(replacements).toBe(0);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });

  it('closing while a replacement is pending leaves no worker process behind', async () => {
    const victim = pool.status().workers[0]!.pid!;
    const survivor = pool.status().workers[1]!.pid!;
    const died = once(pool, 'worker-died');
    process.kill(victim, 'SIGKILL');
    await died;
    await pool.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isRunning(survivor)).toBe(false);
    expect(pool.status().alive).toBe(0);
  });

  it('closing while a replacement is starting leaves no worker process behind', async () => {
    await pool.close();
    pool = await WorkerPool.create({
      numWorkers: 2,
      rtcMinPort: RTC_MIN_PORT,
      rtcMaxPort: RTC_MAX_PORT,
      workerBin: WORKER_BIN,
      restartDelayMs: 0,
    });
    let closing: Promise<void> | undefined;
    pool.on('worker-died', () => {
      // The replacement is spawned on the next timer tick; close a few ms later, mid-start.
      setTimeout(() => {
        closing = pool.close();
      }, 5);
    });
    process.kill(pool.status().workers[0]!.pid!, 'SIGKILL');
    await waitUntil(() => closing !== undefined);
    await closing;
    expect(await childWorkerPids()).toEqual([]);
    expect(pool.status()).toMatchObject({ state: 'down', alive: 0 });
  });

  it('refuses to create routers once closed', async () => {
    await pool.close();
    await expect(pool.createRouter()).rejects.toMatchObject({ name: 'WorkerPoolError', code: 'pool-closed' });
  });

  it('refuses a worker binary that can no longer take effect', async () => {
    // mediasoup is loaded by now and has read MEDIASOUP_WORKER_BIN for good.
    await expect(
      WorkerPool.create({ numWorkers: 1, rtcMinPort: 48000, rtcMaxPort: 48099, workerBin: '/opt/other/mediasoup-worker' }),
    ).rejects.toThrow(/MEDIASOUP_WORKER_BIN/);
  });
});

describe('WorkerPool.create', () => {
  it('rejects with worker-start-failed when the workers cannot start', async () => {
    const error = await WorkerPool.create({
      numWorkers: 2,
      rtcMinPort: 48000,
      rtcMaxPort: 48099,
      workerBin: WORKER_BIN,
      // The worker exits at once with code 42 ("wrong settings") on an unknown log level.
      logLevel: 'loud' as 'warn',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerPoolError);
    expect(error).toMatchObject({ code: 'worker-start-failed' });
  });

  it('rejects invalid options before starting anything', async () => {
    await expect(WorkerPool.create({ numWorkers: 3, rtcMinPort: 48000, rtcMaxPort: 48001 })).rejects.toThrow(
      /fewer than numWorkers/,
    );
  });
});
