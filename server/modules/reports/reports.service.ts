/**
 * The unit report (单位学时报表) and reminding the cadres behind it. Who may read which unit: the
 * organisation department any unit; a unit admin the units of their own subtree (本单位及下属
 * 单位), anything else is refused. Reading is a fixed number of bulk reads whatever the unit's
 * size (reports-repository.ts); the tables are built by report-rules.ts.
 *
 * A reminder is a notice (the bell) to each cadre behind in the range, through the notices
 * service. Its id names the unit, the range and the county day, so pressing the button twice
 * in a day reminds nobody twice; the answer says how many were behind and how many were reached.
 */
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import { subtreeIds } from '../org/org-tree';
import type { UserDoc } from '../users/user.model';
import type { NoticeService } from '../notices/notices.service';
import { buildReport, rangeRequirement, rangeYears, resolveRange, round1, type DayRange, type ReportTables } from './report-rules';
import type { ReportsRepository } from './reports-repository';
import { resultYear, withResults, yearHours, type ResultTables } from './report-results';
import type { AssessmentService } from '../assessment/assessment.service';

export interface ReportsDeps {
  repo: ReportsRepository;
  calendar: CountyCalendar;
  /** The study engine: credit policies per rank and lecture titles (both cached there). */
  study: {
    creditPolicy(rank: string): Promise<{ yearlyHours: number }>;
    lecture(id: string): Promise<{ title: string } | null>;
  };
  notices: Pick<NoticeService, 'send'>;
  /** The yearly result per cadre (server/modules/assessment): the rule and the roll-ups. */
  assessment: Pick<AssessmentService, 'resultsOf'>;
  now?: () => number;
}

export interface RangeQuery {
  from?: string;
  to?: string;
  year?: number;
}

export interface UnitReport extends Omit<ReportTables, 'members' | 'subUnits'>, ResultTables {
  unit: { id: string; name: string };
  range: DayRange & { timeZone: string };
  generatedAt: string;
}

const rangeErrors = {
  'bad-day': () => new AppError(400, 'BAD_RANGE', '日期不正确,请使用 年-月-日', 'Invalid date: use YYYY-MM-DD'),
  reversed: () => new AppError(400, 'BAD_RANGE', '开始日期晚于结束日期', 'The start date is after the end date'),
  'too-long': () => new AppError(400, 'BAD_RANGE', '统计区间最长 5 年', 'A report covers at most 5 years'),
};

export class ReportsService {
  private readonly now: () => number;

  constructor(private readonly deps: ReportsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async unitReport(actor: UserDoc, unitId: string, q: RangeQuery): Promise<UnitReport> {
    const range = resolveRange(q, this.deps.calendar.year(this.now()));
    if (typeof range === 'string') throw rangeErrors[range]();
    const { repo } = this.deps;
    const units = await repo.units();
    const unit = units.find((u) => u.id === unitId);
    if (!unit) throw errors.notFound('组织', 'Unit');
    if (actor.role === 'unitAdmin') {
      if (!actor.orgUnitId || !subtreeIds(units, String(actor.orgUnitId)).has(unitId)) throw errors.forbidden();
    } else if (actor.role !== 'orgAdmin') {
      throw errors.forbidden();
    }
    const cadres = await repo.cadresIn([...subtreeIds(units, unitId)]);
    const study = await repo.studyOf(cadres.map((c) => c.userId), rangeYears(range));
    const facts = await repo.ledger([...study.values()].flatMap((s) => s.entries));
    const [township, county] = await Promise.all([this.deps.study.creditPolicy('township'), this.deps.study.creditPolicy('county')]);
    const titles = await this.titlesOf(study, facts);
    const tables = buildReport({
      range,
      rootId: unitId,
      units,
      cadres,
      study,
      facts,
      titles,
      yearlyHours: (rank) => (rank === 'county' ? county.yearlyHours : township.yearlyHours),
    });
    // The yearly result of the range's last year, on that whole year's hours (report-results.ts).
    const year = resultYear(range);
    const hours = yearHours(study, facts, year);
    const yearly = (rank: 'township' | 'county') => rangeRequirement(rank === 'county' ? county.yearlyHours : township.yearlyHours, { from: `${year}-01-01`, to: `${year}-12-31` });
    const graded = await this.deps.assessment.resultsOf(year, cadres.map((c) => ({ userId: c.userId, earned: hours.get(c.userId) ?? 0, required: yearly(c.rank) })));
    const results = withResults(tables, graded.results, year, graded.custom);
    return { unit: { id: unit.id, name: unit.name }, range: { ...range, timeZone: this.deps.calendar.timeZone }, generatedAt: new Date(this.now()).toISOString(), ...tables, ...results };
  }

  /** Titles of lectures studied but completed by nobody in the report (the completed ones carry their title). */
  private async titlesOf(study: Map<string, { lectures: string[] }>, facts: Map<string, { lectureId: string; title: string }>) {
    const known = new Set([...facts.values()].filter((f) => f.title).map((f) => f.lectureId));
    const wanted = [...new Set([...study.values()].flatMap((s) => s.lectures))].filter((id) => !known.has(id));
    // Entries outside the range still name their lecture.
    const titles = new Map([...facts.values()].filter((f) => f.title).map((f) => [f.lectureId, f.title]));
    await Promise.all(wanted.map(async (id) => {
      const info = await this.deps.study.lecture(id);
      if (info) titles.set(id, info.title);
    }));
    return titles;
  }

  /** Sends a reminder to every cadre behind in the range; returns how many were behind and newly reminded. */
  async remindBehind(actor: UserDoc, unitId: string, q: RangeQuery): Promise<{ behind: number; reminded: number; noticeId: string }> {
    const report = await this.unitReport(actor, unitId, q);
    const { from, to } = report.range;
    const noticeId = `unit-reminder:${unitId}:${from}:${to}:${this.deps.calendar.day(this.now())}`;
    const behind = report.members.filter((m) => m.behind);
    let reminded = 0;
    const at = new Date(this.now());
    for (const m of behind) {
      const left = round1(m.requiredHours - m.earned);
      const sent = await this.deps.notices.send(m.userId, {
        id: noticeId,
        kind: 'unit-reminder',
        at,
        title: `${report.unit.name}:学时提醒`,
        titleEn: `${report.unit.name}: study hours reminder`,
        body: `${from} 至 ${to},您已获 ${m.earned} 学时,要求 ${m.requiredHours} 学时,还差 ${left} 学时。请抓紧完成学习。`,
        bodyEn: `From ${from} to ${to} you have earned ${m.earned} of the ${m.requiredHours} study hours asked; ${left} to go.`,
        link: '/study',
      });
      if (sent) reminded += 1;
    }
    return { behind: behind.length, reminded, noticeId };
  }
}
