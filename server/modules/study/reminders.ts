/**
 * Reminders before the year ends (学时提醒): from October, each month (and once more from
 * 15 December) every cadre below the yearly requirement gets a notice with what is left. The
 * notice id names the year and month, so running the sweep again (every few hours, after a
 * restart, or by an admin) reminds nobody twice in one month.
 */
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { NoticeService } from '../notices/notices.service';
import { isBehind } from './credit-rules';
import type { StudyEngine } from './study-engine';

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The notice id of this moment's reminder, or null before October (months and days of the county's calendar). */
export function reminderId(at: number, calendar: CountyCalendar): string | null {
  const { year, month, day } = calendar.parts(at);
  if (month < 10) return null;
  if (month === 12 && day >= 15) return `credit-${year}-final`;
  return `credit-${year}-${String(month).padStart(2, '0')}`;
}

export class ReminderService {
  constructor(
    private readonly models: Models,
    private readonly engine: StudyEngine,
    private readonly notices: NoticeService,
    private readonly calendar: CountyCalendar,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One sweep over all cadres; returns how many were checked, behind and newly reminded. */
  async run(): Promise<{ checked: number; behind: number; reminded: number; noticeId: string | null }> {
    const now = this.now();
    const id = reminderId(now.getTime(), this.calendar);
    if (!id) return { checked: 0, behind: 0, reminded: 0, noticeId: null };
    const year = this.calendar.year(now.getTime());
    const month = this.calendar.month(now.getTime());
    // Two scans (a daily job), not one read per cadre.
    const cadres = await this.models.User.find({ role: 'cadre', disabled: { $ne: true } }, { rank: 1 }).lean();
    const totals = new Map<string, number>();
    for (const s of await this.models.Summary.find({ year }, { userId: 1, total: 1 }).lean()) {
      if (s.userId) totals.set(String(s.userId), s.total ?? 0);
    }
    let behind = 0;
    let reminded = 0;
    const final = id.endsWith('-final');
    for (const c of cadres) {
      const policy = await this.engine.creditPolicy(c.rank ?? 'township');
      const earned = round1(totals.get(String(c._id)) ?? 0);
      if (!isBehind(earned, policy, month)) continue;
      behind++;
      const left = round1(policy.yearlyHours - earned);
      const sent = await this.notices.send(String(c._id), {
        id,
        kind: 'credit-reminder',
        at: now,
        title: final ? `${year} 年度学时即将截止` : `${year} 年度学时提醒`,
        titleEn: final ? `${year} study hours: the year ends soon` : `${year} study hours reminder`,
        body: `您今年已获 ${earned} 学时，要求 ${policy.yearlyHours} 学时，还差 ${left} 学时。请在年底前完成选学。`,
        bodyEn: `You have earned ${earned} of the ${policy.yearlyHours} study hours required this year; ${left} to go before the year ends.`,
        link: '/study',
      });
      if (sent) reminded++;
    }
    return { checked: cadres.length, behind, reminded, noticeId: id };
  }
}
