/**
 * The media base: the mediasoup worker pool and the ffmpeg check, created once per app and
 * closed after HTTP and sockets. A worker that dies is replaced by the pool; the server only
 * logs it (rooms listen to the same events later).
 */
import fp from 'fastify-plugin';
import { checkFfmpeg, WorkerPool } from '../../../media';

export interface MediaBase {
  pool: WorkerPool;
  ffmpeg: Awaited<ReturnType<typeof checkFfmpeg>>;
}

export class MediaToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaToolError';
  }
}

export default fp(
  async (app) => {
    const { mediasoup: ms, ffmpeg: ffcfg } = app.config;
    const ffmpeg = await checkFfmpeg({ ffmpegPath: ffcfg.ffmpegPath, ffprobePath: ffcfg.ffprobePath });
    if (!ffmpeg.ok || !ffmpeg.h264) {
      app.log.error({ reason: ffmpeg.reason }, 'media | ffmpeg is not usable: install it with "apt-get install ffmpeg" (or run bash scripts/setup.sh)');
    }
    let pool: WorkerPool;
    try {
      pool = await WorkerPool.create({
        numWorkers: ms.numWorkers,
        logLevel: ms.logLevel,
        rtcMinPort: ms.rtcMinPort,
        rtcMaxPort: ms.rtcMaxPort,
        workerBin: ms.workerBin,
      });
    } catch (err) {
      throw new MediaToolError(
        `The mediasoup worker did not start from ${ms.workerBin} (${(err as Error).message}): install Debian's mediasoup-worker 3.8.4 (bash scripts/setup.sh) or set MEDIASOUP_WORKER_BIN`,
      );
    }
    pool.on('worker-died', (e) => app.log.error({ index: e.index, pid: e.pid }, 'media | mediasoup worker died'));
    pool.on('worker-replaced', (e) => app.log.warn({ index: e.index, oldPid: e.oldPid, newPid: e.newPid }, 'media | mediasoup worker replaced'));
    app.decorate('media', { pool, ffmpeg } satisfies MediaBase);
  },
  { name: 'media' },
);
