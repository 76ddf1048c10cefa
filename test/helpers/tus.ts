/** Node-side tus uploads for tests, through tus-js-client like the browser does. */
import { readFile } from 'node:fs/promises';
import * as tus from 'tus-js-client';

export interface UploadResult {
  url: string | null;
  error?: { status?: number; body?: string; message: string };
  progress: number[];
}

export async function tusUpload(baseUrl: string, cookie: string, file: string, metadata: Record<string, string>, opts: { chunkSize?: number; abortAtFraction?: number; uploadUrl?: string } = {}): Promise<UploadResult> {
  const data = await readFile(file);
  const progress: number[] = [];
  return new Promise<UploadResult>((resolve) => {
    const upload: tus.Upload = new tus.Upload(data, {
      endpoint: `${baseUrl}/api/uploads/`,
      uploadUrl: opts.uploadUrl,
      chunkSize: opts.chunkSize ?? 256 * 1024,
      retryDelays: [],
      headers: { cookie },
      metadata: { filename: file.split('/').pop()!, ...metadata },
      storeFingerprintForResuming: false,
      onProgress(sent, total) {
        progress.push(total ? sent / total : 1);
        if (opts.abortAtFraction !== undefined && total && sent / total >= opts.abortAtFraction) {
          void upload.abort(false).then(() => resolve({ url: upload.url, progress }));
        }
      },
      onSuccess: () => resolve({ url: upload.url, progress }),
      onError(err) {
        const e = err as tus.DetailedError;
        resolve({ url: upload.url, progress, error: { status: e.originalResponse?.getStatus(), body: e.originalResponse?.getBody(), message: err.message } });
      },
    });
    upload.start();
  });
}
