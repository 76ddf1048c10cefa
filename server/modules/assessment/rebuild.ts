/**
 * Fills the yearly result's roll-ups from what the store already holds: every handed-in end test
 * (QuizResult of kind `test`) and every completed enrolment of a training class. For quizzes passed
 * and classes completed before the roll-ups existed, or a note lost to a crash between a result and
 * its roll-up. Only adds (noting is idempotent), through the same serialised writes as the portal;
 * reads each collection once (a full scan on FerretDB: run it rarely, e.g. once after an upgrade).
 * The class's year is the one its hours were credited in (training-rules.ts creditInstant).
 */
import type { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import { creditInstant } from '../training/training-rules';
import { eachLimited } from '../reports/each-limited';
import type { AssessmentService } from './assessment.service';

export async function rebuildRollups(models: Models, calendar: CountyCalendar, service: AssessmentService): Promise<{ tests: number; classes: number; added: number }> {
  let added = 0;
  type Test = { userId: Types.ObjectId; lectureId: Types.ObjectId; passed?: boolean; at: Date };
  const tests = await models.QuizResult.find({ kind: 'test' }, { userId: 1, lectureId: 1, passed: 1, at: 1 }).lean<Test[]>();
  // A lecture passed once counts once, taken or passed, whatever the order of its attempts.
  await eachLimited(tests, 8, async (r) => {
    const at = new Date(r.at);
    if (await service.rollups.add(String(r.userId), calendar.year(at.getTime()), r.passed ? ['quizzesTaken', 'quizzesPassed'] : ['quizzesTaken'], String(r.lectureId), at)) added++;
  });
  type Enrolment = { userId: Types.ObjectId; classId: Types.ObjectId; completedAt?: Date | null };
  const done = await models.TrainingEnrolment.find({ state: 'completed' }, { userId: 1, classId: 1, completedAt: 1 }).lean<Enrolment[]>();
  const ids = [...new Set(done.map((e) => String(e.classId)))];
  const classes = new Map<string, string>();
  for (const id of ids) {
    const c = await models.TrainingClass.findById(id, { endDay: 1 }).lean<{ endDay: string }>();
    if (c) classes.set(id, c.endDay);
  }
  await eachLimited(done, 8, async (e) => {
    const endDay = classes.get(String(e.classId));
    if (!endDay) return;
    const completedAt = e.completedAt ? new Date(e.completedAt).getTime() : calendar.dayAt(endDay, 12);
    const at = creditInstant(calendar, endDay, completedAt);
    if (await service.rollups.add(String(e.userId), calendar.year(at), ['classes'], String(e.classId), new Date(completedAt))) added++;
  });
  return { tests: tests.length, classes: done.length, added };
}
