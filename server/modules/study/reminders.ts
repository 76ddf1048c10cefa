/**
 * Reminders before the year ends (学时提醒): from October, each month (and once more from
 * 15 December) every cadre below the yearly requirement gets a notice with what is left. The
 * notice id names the year and month, so running the sweep again (every few hours, after a
 * restart, or by an admin) reminds nobody twice in one month.
 *
 * An admin may also remind those behind in their scope at any time of the year (the org admin the
 * county or one unit subtree, a unit admin their own subtree): the notice id is then the month's
 * too (`credit-2026-06`), so pressing the button twice in a month reminds nobody twice either.
 * Every run that reminded someone, and every run an admin asked for, is logged (ReminderRun) with
 * who was reminded and the figures of that moment.
 *
 * The text of a reminder quotes hours earned, which change after it is sent: it is rendered again
 * from the current summary each time the user reads their notices (NoticeService.renderWith), so
 * the bell never says "0 hours" to someone who has since earned some.
 */
import type { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { NoticeService } from '../notices/notices.service';
import { MAX_LISTED_RECIPIENTS } from '../notices/reminder-run.model';
import { eachLimited } from '../reports/each-limited';
import { isBehind } from './credit-rules';
import type { StudyEngine } from './study-engine';

const round1 = (x: number) => Math.round(x * 10) / 10;
/** Notice boxes written at once by a run. */
const SEND_AT_ONCE = 8;
const PROGRESS_EVERY_MS = 250;
export const REMINDER_KIND = 'credit-reminder';

/** The notice id of this moment's reminder, or null before October (months and days of the county's calendar). */
export function reminderId(at: number, calendar: CountyCalendar): string | null {
  const { year, month, day } = calendar.parts(at);
  if (month < 10) return null;
  if (month === 12 && day >= 15) return `credit-${year}-final`;
  return `credit-${year}-${String(month).padStart(2, '0')}`;
}

/** The id an admin's run uses: the sweep's from October, else the month's. */
export function manualReminderId(at: number, calendar: CountyCalendar): string {
  const { year, month } = calendar.parts(at);
  return reminderId(at, calendar) ?? `credit-${year}-${String(month).padStart(2, '0')}`;
}

/** The year a reminder id names (`credit-2026-11` → 2026), or null for another id. */
export function reminderYear(id: string): number | null {
  const m = /^credit-(\d{4})-/.exec(id);
  return m ? Number(m[1]) : null;
}

/** A reminder's words (Chinese and English) for `earned` of `required` hours in `year`. */
export function reminderText(year: number, earned: number, required: number, final: boolean) {
  const e = round1(earned);
  const left = round1(Math.max(0, required - e));
  const done = e >= required;
  return {
    title: final ? `${year} 年度学时即将截止` : `${year} 年度学时提醒`,
    titleEn: final ? `${year} study hours: the year ends soon` : `${year} study hours reminder`,
    body: done ? `您今年已获 ${e} 学时，已达到 ${required} 学时的要求。` : `您今年已获 ${e} 学时，要求 ${required} 学时，还差 ${left} 学时。请在年底前完成选学。`,
    bodyEn: done
      ? `You have earned ${e} study hours this year and met the ${required} required.`
      : `You have earned ${e} of the ${required} study hours required this year; ${left} to go before the year ends.`,
  };
}

export interface RunOptions {
  /** The admin who asked; absent for the monthly sweep. */
  by?: { id: Types.ObjectId; name: string };
  /** A unit subtree (its root first); absent for the whole county. */
  scope?: { unitId: Types.ObjectId; unitName: string; units: Types.ObjectId[] };
  /** Only list those behind; send nothing, log nothing. */
  dryRun?: boolean;
  /** Told how many of those behind have been handled, as the notices are written (at most every 250 ms, and at the end). */
  onProgress?: (done: number, total: number) => void;
}

export interface Recipient {
  userId: string;
  name: string;
  unitId?: string;
  earned: number;
  required: number;
}

export interface RunResult {
  checked: number;
  behind: number;
  reminded: number;
  noticeId: string | null;
  runId?: string;
}

/** A cadre of the scope and their hours of the year, as a kept roster answers (CountyService.cadreHours). */
export interface RosterRow {
  userId: string;
  name: string;
  unitId: string | null;
  rank: string;
  hours: number;
}

/** The enabled cadres of `units` (all when null) with their hours of `year`. */
export type CadreHours = (year: number, units: ReadonlySet<string> | null) => Promise<RosterRow[]>;

export class ReminderService {
  /** Where cadres and their hours come from when kept in memory (useRoster); without it, or when it fails, two scans of the store. */
  #cadreHours: CadreHours | null = null;
  #log: { warn(obj: object, msg: string): void } | null = null;

  constructor(
    private readonly models: Models,
    private readonly engine: StudyEngine,
    private readonly notices: NoticeService,
    private readonly calendar: CountyCalendar,
    private readonly now: () => Date = () => new Date(),
  ) {
    notices.renderWith(REMINDER_KIND, (userId, notice) => this.currentText(userId, notice.id));
  }

  /** Reads the cadres and their hours from a kept roster (the county's) instead of scanning the store. */
  useRoster(cadreHours: CadreHours, log: { warn(obj: object, msg: string): void }): void {
    this.#cadreHours = cadreHours;
    this.#log = log;
  }

  /** The reminder's text from the user's hours now (null: not a reminder id, keep what was sent). */
  async currentText(userId: string, noticeId: string) {
    const year = reminderYear(noticeId);
    if (year === null) return null;
    const user = await this.models.User.findById(userId, { rank: 1 }).lean();
    if (!user) return null;
    const policy = await this.engine.creditPolicy(user.rank ?? 'township');
    const summary = await this.models.Summary.findById(`${userId}:${year}`, { total: 1 }).lean();
    return reminderText(year, summary?.total ?? 0, policy.yearlyHours, noticeId.endsWith('-final'));
  }

  /**
   * One sweep over the cadres of the scope (all by default); returns how many were checked, behind
   * and newly reminded. The monthly sweep (no `by`) does nothing before October.
   */
  async run(options: Omit<RunOptions, 'dryRun'> = {}): Promise<RunResult> {
    const { recipients: _, ...counts } = await this.sweep(options);
    return counts;
  }

  /** Who a run now would remind in the scope (all cadres below the yearly requirement), sending nothing. */
  async preview(scope?: RunOptions['scope']): Promise<{ checked: number; noticeId: string | null; recipients: Recipient[] }> {
    const r = await this.sweep({ scope, dryRun: true });
    return { checked: r.checked, noticeId: r.noticeId, recipients: r.recipients };
  }

  private async sweep(options: RunOptions): Promise<RunResult & { recipients: Recipient[] }> {
    const now = this.now();
    const manual = options.by !== undefined || options.dryRun === true;
    const id = manual ? manualReminderId(now.getTime(), this.calendar) : reminderId(now.getTime(), this.calendar);
    if (!id) return { checked: 0, behind: 0, reminded: 0, noticeId: null, recipients: [] };
    const year = this.calendar.year(now.getTime());
    const month = this.calendar.month(now.getTime());
    const cadres = await this.roster(year, options.scope);
    const behind: Recipient[] = [];
    let reminded = 0;
    const final = id.endsWith('-final');
    for (const c of cadres) {
      const policy = await this.engine.creditPolicy(c.rank === 'county' ? 'county' : 'township');
      const earned = round1(c.hours);
      if (manual ? earned >= policy.yearlyHours : !isBehind(earned, policy, month)) continue;
      behind.push({ userId: c.userId, name: c.name, unitId: c.unitId ?? undefined, earned, required: policy.yearlyHours });
    }
    // A few boxes at a time (each under its own lock in the notice service): a county's thousands
    // one after the other took longer than the admin's request may stay open.
    if (!options.dryRun) {
      let done = 0;
      let toldAt = 0;
      options.onProgress?.(0, behind.length);
      await eachLimited(behind, SEND_AT_ONCE, async (who) => {
        if (await this.notices.send(who.userId, { id, kind: REMINDER_KIND, at: now, ...reminderText(year, who.earned, who.required, final), link: '/study' })) reminded++;
        done += 1;
        if (Date.now() - toldAt >= PROGRESS_EVERY_MS) {
          toldAt = Date.now();
          options.onProgress?.(done, behind.length);
        }
      });
      options.onProgress?.(done, behind.length);
    }
    const result = { checked: cadres.length, behind: behind.length, reminded, noticeId: id, recipients: behind };
    if (!options.dryRun && (reminded > 0 || options.by)) return { ...result, runId: await this.log(now, id, options, result) };
    return result;
  }

  /** The cadres of the scope and their hours: kept in memory when the county's roster answers, else two scans (not one read per cadre). */
  private async roster(year: number, scope?: RunOptions['scope']): Promise<RosterRow[]> {
    if (this.#cadreHours) {
      try {
        return await this.#cadreHours(year, scope ? new Set(scope.units.map(String)) : null);
      } catch (err) {
        this.#log?.warn({ err }, 'study.reminders | the kept roster failed; scanning the store');
      }
    }
    const users = await this.models.User.find(
      { role: 'cadre', disabled: { $ne: true }, ...(scope ? { orgUnitId: { $in: scope.units } } : {}) },
      { rank: 1, displayName: 1, username: 1, orgUnitId: 1 },
    ).lean();
    const totals = new Map<string, number>();
    for (const s of await this.models.Summary.find({ year }, { userId: 1, total: 1 }).lean()) {
      if (s.userId) totals.set(String(s.userId), s.total ?? 0);
    }
    return users.map((c) => ({ userId: String(c._id), name: c.displayName || c.username, unitId: c.orgUnitId ? String(c.orgUnitId) : null, rank: c.rank ?? 'township', hours: totals.get(String(c._id)) ?? 0 }));
  }

  private async log(at: Date, noticeId: string, options: RunOptions, r: RunResult & { recipients: Recipient[] }): Promise<string> {
    const doc = await this.models.ReminderRun.create({
      at,
      noticeId,
      byUserId: options.by?.id,
      byName: options.by?.name,
      unitId: options.scope?.unitId ?? null,
      unitName: options.scope?.unitName,
      checked: r.checked,
      behind: r.behind,
      reminded: r.reminded,
      recipients: r.recipients.slice(0, MAX_LISTED_RECIPIENTS),
    });
    return String(doc._id);
  }

  /**
   * The latest runs, newest first. `scope` (a unit admin's subtree) keeps the runs of units in it
   * and, of county-wide runs, the recipients in it (runs with none of them are left out).
   */
  async runs(scope: Types.ObjectId[] | null, limit: number) {
    const rows = await this.models.ReminderRun.find(scope ? { $or: [{ unitId: { $in: scope } }, { unitId: null }] } : {})
      .sort({ at: -1 })
      .limit(limit)
      .lean();
    const inScope = new Set((scope ?? []).map(String));
    const out = [];
    for (const r of rows) {
      const partial = scope !== null && !r.unitId;
      const recipients = partial ? r.recipients.filter((p) => p.unitId && inScope.has(String(p.unitId))) : r.recipients;
      if (partial && recipients.length === 0) continue;
      out.push({
        id: String(r._id),
        at: new Date(r.at).toISOString(),
        noticeId: r.noticeId,
        byName: r.byName ?? undefined,
        automatic: !r.byUserId,
        unitId: r.unitId ? String(r.unitId) : null,
        unitName: r.unitName ?? undefined,
        partial,
        checked: r.checked,
        behind: partial ? recipients.length : r.behind,
        // Of a county-wide run a unit admin sees only their cadres, not how many the county reminded.
        reminded: partial ? null : r.reminded,
        recipients: recipients.map((p) => ({ userId: String(p.userId), name: p.name, unitId: p.unitId ? String(p.unitId) : undefined, earned: p.earned, required: p.required })),
      });
    }
    return out;
  }
}
