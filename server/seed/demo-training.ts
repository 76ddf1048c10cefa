/**
 * Demo training classes (培训班) from the article behind the portal: 9 cohorts of the
 * 党史党性教育专题培训班 (2,891 person-times), 4 on emergencies and petitions (1,885), 3 on
 * finance (230), the 县情县策专题研讨班 (1,200) and the travelling classroom 干教大篷车 (67 sessions,
 * 6,400 person-times). Class documents only (no rosters): every cohort but the last 党史 one has
 * ended and is marked complete (in the current county year, or the last when it would not have
 * ended yet); that one starts in a week and takes applications, so the demo cadre can apply.
 * Idempotent (a class and cohort already there is skipped); one insertMany, so seeding stays fast.
 */
import { Types } from 'mongoose';
import { CountyCalendar } from '../calendar';
import type { Models } from '../store/models';

interface DemoClass {
  name: string;
  cohorts: number;
  /** The article's person-times over all cohorts. */
  personTimes: number;
  category: '专题培训' | '集中轮训';
  channel: 'county' | 'caravan';
  contentCategory: 'party-history' | 'implementation' | 'development' | 'service';
  creditHours: number;
  days: number;
  venue: string;
  /** First month (1–12) of the first cohort; cohorts follow a month apart. */
  month: number;
}

export const demoClasses: DemoClass[] = [
  { name: '党史党性教育专题培训班', cohorts: 9, personTimes: 2891, category: '专题培训', channel: 'county', contentCategory: 'party-history', creditHours: 16, days: 3, venue: '县委党校', month: 2 },
  { name: '突发事件预防与应对专题培训班', cohorts: 2, personTimes: 940, category: '专题培训', channel: 'county', contentCategory: 'implementation', creditHours: 8, days: 2, venue: '县委党校', month: 4 },
  { name: '维稳信访知识专题培训班', cohorts: 2, personTimes: 945, category: '专题培训', channel: 'county', contentCategory: 'implementation', creditHours: 8, days: 2, venue: '县委党校', month: 5 },
  { name: '财务知识管理专题培训班', cohorts: 3, personTimes: 230, category: '专题培训', channel: 'county', contentCategory: 'implementation', creditHours: 12, days: 2, venue: '县财政局会议室', month: 3 },
  { name: '县情县策专题研讨班', cohorts: 1, personTimes: 1200, category: '集中轮训', channel: 'county', contentCategory: 'development', creditHours: 8, days: 2, venue: '县委党校', month: 9 },
  { name: '干教大篷车流动课堂', cohorts: 1, personTimes: 6400, category: '专题培训', channel: 'caravan', contentCategory: 'service', creditHours: 4, days: 200, venue: '机关、乡村和社区（67 场次）', month: 3 },
];

const pad = (n: number) => String(n).padStart(2, '0');

export async function seedDemoTraining(models: Models, calendar = new CountyCalendar('Asia/Shanghai'), now = Date.now()): Promise<{ classes: number }> {
  const have = new Set((await models.TrainingClass.find({ name: { $in: demoClasses.map((c) => c.name) } }, { name: 1, cohort: 1 }).lean()).map((c) => `${c.name}#${c.cohort}`));
  const admin = await models.User.findOne({ username: 'orgadmin' }, { _id: 1 }).lean();
  const createdBy = admin?._id ?? new Types.ObjectId();
  const today = calendar.day(now);
  const year = calendar.year(now);
  const docs = [];
  for (const c of demoClasses) {
    for (let k = 1; k <= c.cohorts; k++) {
      if (have.has(`${c.name}#${k}`)) continue;
      const upcoming = c.name === demoClasses[0]!.name && k === c.cohorts;
      // Past cohorts a month apart from c.month in this year, or last year when that is not over yet.
      const at = (y: number) => `${y}-${pad(Math.min(12, c.month + k - 1))}-10`;
      let startDay = upcoming ? calendar.addDays(today, 7) : at(year);
      if (!upcoming && calendar.addDays(startDay, c.days - 1) >= today) startDay = at(year - 1);
      const endDay = calendar.addDays(startDay, c.days - 1);
      const size = Math.round(c.personTimes / c.cohorts);
      docs.push({
        name: c.name,
        cohort: k,
        category: c.category,
        channel: c.channel,
        organiser: '县委组织部',
        startDay,
        endDay,
        venue: c.venue,
        capacity: upcoming ? 60 : size,
        unitIds: [],
        ranks: [],
        creditHours: c.creditHours,
        required: true,
        contentCategory: c.contentCategory,
        managerIds: [createdBy],
        applications: upcoming,
        approval: false,
        withdrawBy: calendar.addDays(startDay, -1),
        note: `${c.name}共 ${c.cohorts} 期，培训 ${c.personTimes.toLocaleString('en-US')} 人次（本期约 ${size} 人次）`,
        year: Number(startDay.slice(0, 4)),
        createdBy,
        completedAt: upcoming ? null : new Date(calendar.dayAt(endDay, 18)),
      });
    }
  }
  if (docs.length) await models.TrainingClass.insertMany(docs);
  return { classes: docs.length };
}
