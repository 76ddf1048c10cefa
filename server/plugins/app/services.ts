/**
 * The app's long-lived services, shared by modules: media storage, the catalog (with its
 * in-memory index), the job queue with the transcode handler, and processing notifications to
 * the uploader's sockets, and the study engine. The queue starts when the app is ready and is closed before the media
 * pool and the store (its running jobs are handed back for the next start).
 */
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { LocalStorage } from '../../../media';
import { CatalogService } from '../../modules/catalog/catalog.service';
import { makeTranscodeHandler, recordTranscodeOutcome, type ProcessingEvent } from '../../modules/catalog/processing';
import { JobQueue } from '../../modules/jobs/job-queue';
import { StudyEngine } from '../../modules/study/study-engine';
import { quizCore } from '../../modules/quiz/quiz-core';
import { NoticeService } from '../../modules/notices/notices.service';
import { ReminderService } from '../../modules/study/reminders';
import { CountyService } from '../../modules/county/county.service';

export default fp(
  async (app, opts: { cookieSecret: string }) => {
    const { config, store } = app;
    mkdirSync(config.media.root, { recursive: true });
    mkdirSync(config.media.uploadDir, { recursive: true });
    const storage = await LocalStorage.create({ root: config.media.root });
    const catalog = new CatalogService(store.models);
    await catalog.reloadIndex();
    const reload = setInterval(() => {
      catalog.reloadIndex().catch((err: unknown) => app.log.warn({ err }, 'catalog | index reload failed'));
    }, 5 * 60_000);
    reload.unref();

    const notify = (event: ProcessingEvent) => {
      app.io?.to(`lecture:${event.lectureId}`).emit('lecture:processing', event);
    };
    const jobs = new JobQueue(store.models, config.jobs, app.log, async (job, outcome, error) => {
      if (job.type === 'transcode') return recordTranscodeOutcome({ models: store.models, storage, catalog, notify }, job, outcome, error);
      // A live replay that failed for good: the room keeps saying the replay is pending, so say why here.
      if (outcome === 'failed') app.log.error({ jobId: String(job._id), type: job.type, payload: job.payload, err: error }, 'jobs | failed for good');
    });
    const workDir = join(config.dataDir, 'work');
    mkdirSync(workDir, { recursive: true });
    jobs.register('transcode', makeTranscodeHandler({ models: store.models, storage, catalog, config, notify, workDir, log: app.log }));

    const study = new StudyEngine(store.models, config.study, app.log);
    // County tallies (server/modules/county): hear every new ledger entry, also those the log replays at start.
    const county = new CountyService({ models: store.models, calendar: app.calendar, policies: study, notices: () => (app.hasDecorator('notices') ? app.notices : undefined), log: app.log });
    study.ledger.summaries.changes.on('entryAdded', (entry) => county.onEntry(entry));
    void county.ready().catch((err: unknown) => app.log.warn({ err }, 'county | tallies not loaded'));
    // A lecture whose credit needs a passed test holds it, also for completions the log replays.
    study.ledger.creditGate = quizCore(store.models, app.calendar, app.log).holds.gate;
    await study.start();

    // Notices reach online users over socket.io (registered after this plugin, hence the getter).
    const notices = new NoticeService(store.models, () => (app.hasDecorator('io') ? app.io : undefined));
    const reminders = new ReminderService(store.models, study, notices, app.calendar);
    reminders.useRoster((year, units) => county.cadreHours(year, units), app.log);
    const sweep = () => {
      reminders.run().then(
        (r) => r.reminded && app.log.info(r, 'study.reminders | cadres behind were reminded'),
        (err: unknown) => app.log.warn({ err }, 'study.reminders | sweep failed'),
      );
    };
    let firstSweep: NodeJS.Timeout | undefined;
    const sweepTimer = setInterval(sweep, 6 * 3600_000);
    sweepTimer.unref();

    app.decorate('storage', storage);
    app.decorate('notices', notices);
    app.decorate('reminders', reminders);
    app.decorate('study', study);
    app.decorate('county', county);
    app.decorate('catalog', catalog);
    app.decorate('jobs', jobs);
    app.decorate('notifyProcessing', notify);
    app.decorate('playbackSecret', createHmac('sha256', opts.cookieSecret).update('playback-token').digest('base64url'));

    app.addHook('onReady', async () => {
      jobs.start();
      // The first sweep waits a minute, so a start-up (or a short test) is not slowed by it.
      firstSweep = setTimeout(sweep, 60_000);
      firstSweep.unref();
    });
    app.addHook('preClose', async () => {
      clearInterval(reload);
      clearInterval(sweepTimer);
      clearTimeout(firstSweep);
      await jobs.close();
    });
    // study.close() (flush the log, checkpoint) runs in app.ts's shutdown hook, before the store closes.
  },
  { name: 'services', dependencies: ['store'] },
);
