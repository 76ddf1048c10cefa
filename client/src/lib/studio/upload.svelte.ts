/**
 * Resumable upload of a lecture's recording over tus 1.0 (`/api/uploads/`), one per lecture.
 *
 * The session cookie goes along (same origin). tus-js-client keeps the upload URL in
 * localStorage under the file's fingerprint (name, type, size, mtime), so after a reload or a
 * dropped link the same file picked again continues from the server's offset instead of
 * starting over; the fingerprint is dropped when the upload succeeds or the server refuses the
 * file for good. Uploads live in a module-level registry so leaving the studio page and coming
 * back finds them still running.
 */
import type { DetailedError, PreviousUpload, Upload as TusUpload } from 'tus-js-client';
import { ApiError } from '../api/client.ts';
import { uploadError } from './upload-format.ts';

export const UPLOAD_ENDPOINT = '/api/uploads/';
export const CHUNK_SIZE = 8 * 1024 * 1024;
export const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];

export type UploadStatus = 'idle' | 'starting' | 'uploading' | 'paused' | 'done' | 'error';

export class LectureUpload {
  status = $state<UploadStatus>('idle');
  sent = $state(0);
  total = $state(0);
  fileName = $state('');
  error = $state<ApiError | null>(null);
  /** This upload continues one left unfinished (reload, lost link). */
  resumed = $state(false);

  readonly lectureId: string;
  #upload: TusUpload | null = null;
  #onDone: (lectureId: string) => void;

  constructor(lectureId: string, onDone: (lectureId: string) => void) {
    this.lectureId = lectureId;
    this.#onDone = onDone;
  }

  /** Whether the failure may go away by trying again (a network or server problem, not a refusal). */
  get retryable(): boolean {
    return this.status === 'error' && this.error !== null && (this.error.status === 0 || this.error.status >= 500 || this.error.status === 423);
  }

  async start(file: File): Promise<void> {
    if (this.#upload) void this.#upload.abort();
    this.fileName = file.name;
    this.total = file.size;
    this.sent = 0;
    this.resumed = false;
    this.error = null;
    this.status = 'starting';
    const tus = await import('tus-js-client');
    const upload: TusUpload = new tus.Upload(file, {
      endpoint: UPLOAD_ENDPOINT,
      metadata: { lectureId: this.lectureId, filename: file.name, filetype: file.type || 'application/octet-stream' },
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => {
        if (this.#upload !== upload) return;
        this.sent = sent;
        this.total = total;
      },
      onSuccess: () => {
        if (this.#upload !== upload) return;
        this.sent = this.total;
        this.status = 'done';
        this.#onDone(this.lectureId);
      },
      onError: (error: Error | DetailedError) => {
        if (this.#upload !== upload) return;
        this.error = uploadError(error);
        this.status = 'error';
        // A refusal (422 MEDIA_REJECTED, 413, 403…) is final: do not offer to resume it later.
        if (this.error.status >= 400 && this.error.status < 500 && this.error.status !== 423) void this.#forget(upload, file);
      },
    });
    this.#upload = upload;
    try {
      const previous = (await upload.findPreviousUploads())
        .filter((p) => p.metadata.lectureId === this.lectureId)
        .sort((a, b) => b.creationTime.localeCompare(a.creationTime));
      if (previous[0]) {
        upload.resumeFromPreviousUpload(previous[0]);
        this.resumed = true;
      }
    } catch {
      // storage unavailable: a fresh upload
    }
    if (this.#upload !== upload) return;
    this.status = 'uploading';
    upload.start();
  }

  pause(): void {
    if (!this.#upload || (this.status !== 'uploading' && this.status !== 'starting')) return;
    void this.#upload.abort();
    this.status = 'paused';
  }

  resume(): void {
    if (!this.#upload || !(this.status === 'paused' || this.retryable)) return;
    this.error = null;
    this.status = 'uploading';
    this.#upload.start();
  }

  /** Forgets the upload shown (after the lecture moved on, e.g. a new file is to be chosen). */
  reset(): void {
    if (this.status === 'uploading' || this.status === 'starting') return;
    this.#upload = null;
    this.status = 'idle';
    this.sent = this.total = 0;
    this.error = null;
    this.fileName = '';
  }

  async #forget(upload: TusUpload, file: File): Promise<void> {
    try {
      const tus = await import('tus-js-client');
      const fingerprint = await tus.defaultOptions.fingerprint(file, upload.options);
      for (const p of await tus.defaultOptions.urlStorage.findUploadsByFingerprint(fingerprint)) {
        if (p.metadata.lectureId === this.lectureId) await tus.defaultOptions.urlStorage.removeUpload(p.urlStorageKey);
      }
    } catch {
      // nothing stored
    }
  }
}

const registry = new Map<string, LectureUpload>();

/** The upload of `lectureId` (created on first use); `onDone` is called when it completes. */
export function uploadFor(lectureId: string, onDone: (lectureId: string) => void): LectureUpload {
  let upload = registry.get(lectureId);
  if (!upload) {
    upload = new LectureUpload(lectureId, onDone);
    registry.set(lectureId, upload);
  }
  return upload;
}

/** Unfinished uploads left by an earlier visit (tus fingerprints in localStorage), by lecture. */
export async function pendingUploads(): Promise<Map<string, PreviousUpload & { filename?: string }>> {
  const out = new Map<string, PreviousUpload & { filename?: string }>();
  try {
    const tus = await import('tus-js-client');
    for (const p of await tus.defaultOptions.urlStorage.findAllUploads()) {
      const id = p.metadata?.lectureId;
      if (!id) continue;
      const known = out.get(id);
      if (!known || known.creationTime < p.creationTime) out.set(id, { ...p, filename: p.metadata.filename });
    }
  } catch {
    // no storage
  }
  return out;
}
