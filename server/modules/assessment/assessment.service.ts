/**
 * The yearly result per cadre (实效测评结果): the organisation department's rule per county year,
 * the roll-ups the quiz and completion services write to (noteTest, noteClass), and the results
 * the unit report and the study record show (resultsOf). One per store's `Models` (like the quiz
 * core), so the writers and the readers share the roll-ups kept in memory.
 *
 * The year of a quiz is the county year of its submission; the year of a class is the year its
 * hours are credited in (the completion service's). Noting is idempotent: a lecture or a class is
 * kept by id, once. A note that fails (the store down between the result and the roll-up) is
 * logged; the result itself stands and the roll-up misses it until noted again.
 */
import type { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import { AppError } from '../../errors';
import type { Models } from '../../store/models';
import { checkRule, gradeYear, type AssessmentRule, type YearlyResult } from './assessment-rules';
import { RollupRepository, RuleRepository, rollupId } from './assessment-repository';

interface Log {
  warn(obj: object, msg: string): void;
}

export const assessmentErrors = {
  badRule: (field: string, zh: string, en: string) => new AppError(400, 'ASSESSMENT_RULE_INVALID', zh, en, { field }),
  badYear: () => new AppError(400, 'BAD_YEAR', '年份不正确', 'Invalid year'),
};

/** A cadre's hours of the year, as the report or the record counted them. */
export interface CadreHours {
  userId: string;
  earned: number;
  required: number;
}

export class AssessmentService {
  readonly rules: RuleRepository;
  readonly rollups: RollupRepository;

  constructor(
    models: Models,
    private readonly calendar: CountyCalendar,
    private readonly log: Log,
  ) {
    this.rules = new RuleRepository(models);
    this.rollups = new RollupRepository(models);
  }

  async rule(year: number) {
    if (!Number.isInteger(year) || year < 2000 || year > 2100) throw assessmentErrors.badYear();
    return { year, ...(await this.rules.of(year)) };
  }

  async saveRule(year: number, rule: AssessmentRule, by: Types.ObjectId, now = Date.now()) {
    if (!Number.isInteger(year) || year < 2000 || year > 2100) throw assessmentErrors.badYear();
    const problem = checkRule(rule);
    if (problem) throw assessmentErrors.badRule(problem.field, problem.zh, problem.en);
    return { year, ...(await this.rules.save(year, rule, by, new Date(now))) };
  }

  /** An end test handed in (and perhaps passed): kept once per lecture in the cadre's county year. */
  noteTest = async (r: { userId: string; lectureId: string; passed: boolean; at: number }): Promise<void> => {
    try {
      await this.rollups.add(r.userId, this.calendar.year(r.at), r.passed ? ['quizzesTaken', 'quizzesPassed'] : ['quizzesTaken'], r.lectureId, new Date(r.at));
    } catch (err) {
      this.log.warn({ err, ...r }, 'assessment.noteTest() | roll-up not updated');
    }
  };

  /** A class completed, credited in `year`: kept once per class. */
  noteClass = async (userId: string, classId: string, year: number, at = Date.now()): Promise<void> => {
    try {
      await this.rollups.add(userId, year, ['classes'], classId, new Date(at));
    } catch (err) {
      this.log.warn({ err, userId, classId, year }, 'assessment.noteClass() | roll-up not updated');
    }
  };

  /** The year's results of these cadres (their roll-ups read by `_id`, several at a time). */
  async resultsOf(year: number, cadres: readonly CadreHours[]): Promise<{ rule: AssessmentRule; custom: boolean; results: Map<string, YearlyResult> }> {
    const { rule, custom } = await this.rules.of(year);
    const rolls = await this.rollups.many(cadres.map((c) => rollupId(c.userId, year)));
    const results = new Map<string, YearlyResult>();
    for (const c of cadres) {
      const r = rolls.get(rollupId(c.userId, year));
      results.set(c.userId, gradeYear(rule, { earned: c.earned, required: c.required, quizzesPassed: r?.quizzesPassed.length ?? 0, quizzesTaken: r?.quizzesTaken.length ?? 0, classesCompleted: r?.classes.length ?? 0 }));
    }
    return { rule, custom, results };
  }
}

const services = new WeakMap<object, AssessmentService>();

/** The store's one AssessmentService (each app and each test app has its own). */
export function assessmentOf(models: Models, calendar: CountyCalendar, log: Log): AssessmentService {
  let s = services.get(models);
  if (!s) services.set(models, (s = new AssessmentService(models, calendar, log)));
  return s;
}
