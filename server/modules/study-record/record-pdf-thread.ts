/**
 * A unit's study-records PDF drawn off the event loop: the same calls as RecordPdf, each
 * answered once the worker thread (record-pdf-worker.ts) has drawn it, so the export's progress
 * counts drawn cadres. The worker is the bundled `record-pdf-worker.js` beside the server's
 * bundle in production (vite.server.config.ts builds both), else the TypeScript source through
 * tsx (development and tests). `close()` stops it (an aborted export).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FontChoice } from './record-pdf';
import type { FromPdfWorker, ToPdfWorker } from './record-pdf-worker';
import type { StudyRecord } from './study-record.service';

/** The worker: the bundled file in production; the TypeScript source registered with tsx otherwise. */
function startWorker(workerData: unknown): Worker {
  const bundled = new URL('./record-pdf-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled, { workerData });
  // A worker's own `--import tsx` does not hook its entry module on Node 20: register tsx first.
  const source = new URL('./record-pdf-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export class RecordPdfThread {
  private readonly worker: Worker;
  private waiting: { resolve: (m: FromPdfWorker) => void; reject: (err: Error) => void } | null = null;
  private broken: Error | null = null;

  constructor(file: string, font: FontChoice, meta: { title: string }) {
    this.worker = startWorker({ file, font, title: meta.title });
    this.worker.on('message', (m: FromPdfWorker) => {
      const w = this.waiting;
      this.waiting = null;
      if (m.op === 'failed') w?.reject(new Error(m.message));
      else w?.resolve(m);
    });
    const fail = (err: Error) => {
      this.broken ??= err;
      const w = this.waiting;
      this.waiting = null;
      w?.reject(err);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the PDF worker stopped (exit ${code})`)));
  }

  private ask(m: ToPdfWorker): Promise<FromPdfWorker> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(m);
    });
  }

  /** Draws one cadre's record from a new page. */
  async addRecord(record: StudyRecord): Promise<void> {
    await this.ask({ op: 'add', record });
  }

  /** The one page of an export whose unit has no cadres. */
  async addRecordless(unitName: string, year: number): Promise<void> {
    await this.ask({ op: 'recordless', unitName, year });
  }

  /** Ends the document, waits until the file is written, stops the worker; the page count. */
  async finish(): Promise<number> {
    try {
      const m = await this.ask({ op: 'finish' });
      return m.op === 'finished' ? m.pages : 0;
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.broken ??= new Error('the PDF worker was closed');
    await this.worker.terminate();
  }
}
