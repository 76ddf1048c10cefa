/**
 * 提醒未达标干部 on the compliance page, as a queued job (`county-remind`): a county's thousands
 * behind take longer than a request should be held open (notices are written one box at a time,
 * each under its own lock), so the button starts a reminder and the screen polls its progress.
 * Rules:
 * - start() checks the actor's scope (as the dashboard) and counts those behind now; the job
 *   looks them up again when it runs, with the requester's scope checked again then;
 * - a cadre is reminded at most once a county day (the notice's id names the day), so a retry
 *   after a crash or a second press reminds nobody twice; `sent` counts the notices this reminder
 *   wrote (after a crash it may miss those of the last half second before it);
 * - progress (done / sent) is written at most every PROGRESS_MS and at the end, by the job alone;
 * - only the requester's scope sees a reminder: a unit admin one under their own unit.
 */
import { Types } from 'mongoose';
import { errors } from '../../errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import { JobAbortedError, type JobHandler, type JobQueue } from '../jobs/job-queue';
import { eachLimited } from '../reports/each-limited';
import type { UserDoc } from '../users/user.model';
import type { CountyReminderDoc } from './county.model';
import type { CountyService } from './county.service';

export const COUNTY_REMIND_JOB = 'county-remind';
const PROGRESS_MS = 500;
/** Notice boxes written at once. */
const AT_ONCE = 8;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReminderView {
  id: string;
  year: number;
  node: string;
  nodeName: string;
  state: CountyReminderDoc['state'];
  total: number;
  done: number;
  sent: number;
  failure?: string;
  createdAt: string;
  finishedAt?: string;
}

function view(doc: CountyReminderDoc): ReminderView {
  return {
    id: String(doc._id),
    year: doc.year,
    node: doc.node,
    nodeName: doc.nodeName,
    state: doc.state,
    total: doc.total,
    done: doc.done,
    sent: doc.sent,
    ...(doc.failure ? { failure: doc.failure } : {}),
    createdAt: new Date(doc.createdAt).toISOString(),
    ...(doc.finishedAt ? { finishedAt: new Date(doc.finishedAt).toISOString() } : {}),
  };
}

export class CountyReminders {
  constructor(
    private readonly models: Models,
    private readonly county: CountyService,
    private readonly jobs: JobQueue,
    private readonly log: Log,
  ) {}

  async start(actor: UserDoc, q: { year: number; node: string }): Promise<ReminderView> {
    const { year, nodeName, behind } = await this.county.behindUnder(actor, q);
    const doc = await this.models.CountyReminder.create({ year, node: q.node, nodeName, requestedBy: actor._id, state: 'queued', total: behind.length });
    await this.jobs.enqueue(COUNTY_REMIND_JOB, { reminderId: String(doc._id) }, { maxAttempts: 3 });
    this.log.info({ reminderId: String(doc._id), year, node: q.node, behind: behind.length, by: String(actor._id) }, 'county.remind() | queued');
    return view(doc.toObject() as CountyReminderDoc);
  }

  async get(actor: UserDoc, id: string): Promise<ReminderView> {
    const doc = Types.ObjectId.isValid(id) ? await this.models.CountyReminder.findById(id).lean<CountyReminderDoc>() : null;
    if (!doc) throw errors.notFound('提醒', 'Reminder');
    await this.county.assertScope(actor, doc.year, doc.node);
    return view(doc);
  }

  private write(id: string, set: Record<string, unknown>) {
    return storeLock(this.models).run(`countyReminder:${id}`, () => this.models.CountyReminder.updateOne({ _id: id }, { $set: set }).exec());
  }

  handler(): JobHandler {
    return async (job, ctx) => {
      const id = String((job.payload as { reminderId?: string }).reminderId ?? '');
      const doc = Types.ObjectId.isValid(id) ? await this.models.CountyReminder.findById(id).lean<CountyReminderDoc>() : null;
      if (!doc || doc.state === 'done') return;
      try {
        await this.send(doc, ctx.signal, (p) => ctx.progress(p));
      } catch (err) {
        const last = !ctx.signal.aborted && ctx.attempt >= (job.maxAttempts ?? 1);
        await this.write(id, last ? { state: 'failed', failure: (err as Error).message, finishedAt: new Date() } : { state: 'queued' }).catch(() => {});
        throw err;
      }
    };
  }

  private async send(doc: CountyReminderDoc, signal: AbortSignal, percent: (p: number) => Promise<void>) {
    const id = String(doc._id);
    const started = Date.now();
    const actor = await this.models.User.findById(doc.requestedBy).lean<UserDoc>();
    if (!actor) throw new Error('the admin who asked for this reminder no longer exists');
    const { behind } = await this.county.behindUnder(actor, { year: doc.year, node: doc.node });
    const at = new Date(this.county.clock());
    let done = 0;
    let sent = doc.sent;
    let last = 0;
    await this.write(id, { state: 'running', total: behind.length, done: 0 });
    await eachLimited(behind, AT_ONCE, async (one) => {
      if (signal.aborted) throw new JobAbortedError();
      if (await this.county.remindOne(doc.year, at, one)) sent += 1;
      done += 1;
      if (Date.now() - last >= PROGRESS_MS && done < behind.length) {
        last = Date.now();
        await this.write(id, { done, sent });
        await percent(Math.floor((done / behind.length) * 100));
      }
    });
    await this.write(id, { state: 'done', done, sent, total: behind.length, finishedAt: new Date() });
    this.log.info({ reminderId: id, behind: behind.length, sent, ms: Date.now() - started }, 'county.remind() | done');
  }
}
