// What the Excel import screens (花名册, 外出培训学时) share about a queued import job on the
// server: whether it is still running, how far it is, and polling it while it runs.

export const isJobRunning = (job: { state: string } | null): boolean => job !== null && (job.state === 'queued' || job.state === 'running');

export const jobPercent = (done: number, total: number): number => (total > 0 ? Math.round((100 * done) / total) : 0);

/**
 * Fetches the job once after `delayMs`; returns what cancels it, so that an `$effect` that runs
 * again on each new state of the job polls it until it stops running, and stops when the screen goes.
 */
export function pollJob<J>(get: (signal: AbortSignal) => Promise<J>, delayMs: number, onJob: (job: J) => void, onError: (error: unknown) => void): () => void {
  const controller = new AbortController();
  const timer = setTimeout(async () => {
    try {
      onJob(await get(controller.signal));
    } catch (error) {
      if (!(error instanceof DOMException)) onError(error);
    }
  }, delayMs);
  return () => {
    clearTimeout(timer);
    controller.abort();
  };
}
