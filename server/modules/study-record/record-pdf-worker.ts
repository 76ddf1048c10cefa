/**
 * The PDF of a unit's study records drawn in a worker thread (record-pdf-thread.ts starts it):
 * pdfkit's drawing, the font's first load and its subsetting at the end (100-460 ms each,
 * measured) never hold the portal's event loop, where heartbeats and pages are answered.
 * Messages: `add` / `recordless` draw (answered `drawn`), `finish` ends the file (answered
 * `finished` with the page count); any failure is answered `failed` with its message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RecordPdf, type FontChoice } from './record-pdf';
import type { StudyRecord } from './study-record.service';

export type ToPdfWorker = { op: 'add'; record: StudyRecord } | { op: 'recordless'; unitName: string; year: number } | { op: 'finish' };
export type FromPdfWorker = { op: 'drawn' } | { op: 'finished'; pages: number } | { op: 'failed'; message: string };

const { file, font, title } = workerData as { file: string; font: FontChoice; title: string };
const port = parentPort!;
let pdf: RecordPdf | null = null;
const answer = (m: FromPdfWorker) => port.postMessage(m);

port.on('message', (m: ToPdfWorker) => {
  try {
    pdf ??= new RecordPdf(file, font, { title });
    if (m.op === 'add') {
      pdf.addRecord(m.record);
      answer({ op: 'drawn' });
    } else if (m.op === 'recordless') {
      pdf.addRecordless(m.unitName, m.year);
      answer({ op: 'drawn' });
    } else {
      pdf.finish().then(
        (pages) => answer({ op: 'finished', pages }),
        (err: Error) => answer({ op: 'failed', message: err.message }),
      );
    }
  } catch (err) {
    answer({ op: 'failed', message: (err as Error).message });
  }
});
