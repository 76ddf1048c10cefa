/**
 * Demo training (培训班 and 外出培训) with the figures of the article behind the portal:
 * - classes: 9 cohorts of the 党史党性教育专题培训班 (2,891 person-times), 4 on emergencies and
 *   petitions (1,885), 3 on finance (230), the 县情县策专题研讨班 (1,200) and the travelling
 *   classroom 干教大篷车 (67 outings, 6,400 person-times), each outing a cohort. Every cohort but
 *   the last 党史 one has ended in the report year (this county year, or the last one while the
 *   year's last cohort has not ended yet) and is complete; that one starts in a week and takes
 *   applications, so the demo cadre can apply. Its person-times are completed enrolments;
 * - training elsewhere (外出培训), approved records: 108 person-times at 清华大学, 257 搭车培训 with
 *   the provincial organisation department, 20 community cadres to Hong Kong and Macao, 1,313
 *   village cadres on study visits to 华西村 and elsewhere, 100 大学生村官 to 通化 and 辉南 — and,
 *   to reach the article's 3,949 in all, the 域外 items its third part names (延安 and the other
 *   revolutionary sites, 新加坡, 上海, 海南, 苏州, 潍坊, 白城) and one line for the rest it does not.
 *   Channels: 清华大学 and 南洋理工 are university (122), 搭车 provincial (257), the two study visits
 *   visit (1,413), the rest other (2,157); the report reads them from organiser and title;
 * - the people: 1,200 demo cadres (演示干部, accounts no one can log into: their password is
 *   random and thrown away) across the demo units, so a cohort of 1,200 fits; person-times above
 *   that are the same cadres in several cohorts and trips.
 * The ledger is not written here: the year report counts enrolments and records; demo-ledger.ts
 * credits them afterwards in bulk (an entry per completed enrolment and approved record).
 * Idempotent (classes by name and cohort; cadres by username; records of new classes and of the
 * first seeding only); insertMany throughout, so seeding stays within seconds.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { CountyCalendar } from '../calendar';
import { hashPassword } from '../modules/auth/password';
import type { Models } from '../store/models';

interface DemoClass {
  name: string;
  cohorts: number;
  /** The article's person-times over all past cohorts. */
  personTimes: number;
  category: '专题培训' | '集中轮训';
  channel: 'county' | 'caravan';
  contentCategory: 'party-history' | 'implementation' | 'development' | 'service';
  creditHours: number;
  days: number;
  venue: string;
  /** First month (1–12) of the first cohort; cohorts follow a month apart (the caravan's spread over the year). */
  month: number;
}

export const demoClasses: DemoClass[] = [
  { name: '党史党性教育专题培训班', cohorts: 9, personTimes: 2891, category: '专题培训', channel: 'county', contentCategory: 'party-history', creditHours: 16, days: 3, venue: '县委党校', month: 2 },
  { name: '突发事件预防与应对专题培训班', cohorts: 2, personTimes: 940, category: '专题培训', channel: 'county', contentCategory: 'implementation', creditHours: 8, days: 2, venue: '县委党校', month: 4 },
  { name: '维稳信访知识专题培训班', cohorts: 2, personTimes: 945, category: '专题培训', channel: 'county', contentCategory: 'implementation', creditHours: 8, days: 2, venue: '县委党校', month: 5 },
  { name: '财务知识管理专题培训班', cohorts: 3, personTimes: 230, category: '专题培训', channel: 'county', contentCategory: 'implementation', creditHours: 12, days: 2, venue: '县财政局会议室', month: 3 },
  { name: '县情县策专题研讨班', cohorts: 1, personTimes: 1200, category: '集中轮训', channel: 'county', contentCategory: 'development', creditHours: 8, days: 2, venue: '县委党校', month: 9 },
  { name: '干教大篷车流动课堂', cohorts: 67, personTimes: 6400, category: '专题培训', channel: 'caravan', contentCategory: 'service', creditHours: 2, days: 1, venue: '', month: 3 },
];

type Channel = 'university' | 'provincial' | 'visit' | 'other';
interface DemoTrip {
  title: string;
  organiser: string;
  channel: Channel;
  personTimes: number;
  /** Trips it took (a cadre goes on one trip of a kind at most once a year). */
  trips: number;
  days: number;
  hours: number;
}

/** The article's training elsewhere: 3,949 person-times in all. */
export const demoTrips: DemoTrip[] = [
  { title: '清华大学县域干部免费培训班', organiser: '清华大学', channel: 'university', personTimes: 108, trips: 2, days: 5, hours: 40 },
  { title: '省委组织部专题培训班(搭车培训)', organiser: '省委组织部', channel: 'provincial', personTimes: 257, trips: 5, days: 5, hours: 32 },
  { title: '社区管理高级研修班(香港、澳门)', organiser: '县委组织部', channel: 'other', personTimes: 20, trips: 1, days: 7, hours: 40 },
  { title: '赴华西村等地考察学习', organiser: '县委组织部', channel: 'visit', personTimes: 1313, trips: 14, days: 3, hours: 16 },
  { title: '大学生村官赴通化、辉南考察学习', organiser: '县委组织部', channel: 'visit', personTimes: 100, trips: 1, days: 3, hours: 16 },
  { title: '延安、井冈山、韶山革命传统教育', organiser: '县委组织部', channel: 'other', personTimes: 245, trips: 3, days: 5, hours: 24 },
  { title: '新加坡南洋理工大学公共管理高级研修班', organiser: '南洋理工大学', channel: 'university', personTimes: 14, trips: 1, days: 14, hours: 80 },
  { title: '上海财务金融管理高级研修班', organiser: '县委组织部', channel: 'other', personTimes: 40, trips: 1, days: 5, hours: 32 },
  { title: '海南招商引资专题培训', organiser: '县委组织部', channel: 'other', personTimes: 20, trips: 1, days: 5, hours: 32 },
  { title: '苏州工业经济专题培训', organiser: '县委组织部', channel: 'other', personTimes: 50, trips: 1, days: 5, hours: 32 },
  { title: '潍坊、华西村新农村建设专题培训', organiser: '县委组织部', channel: 'other', personTimes: 145, trips: 2, days: 5, hours: 24 },
  { title: '白城工业集中区体验式培养', organiser: '县委组织部', channel: 'other', personTimes: 14, trips: 1, days: 10, hours: 40 },
  { title: '其他域外培训(文中未分项列明)', organiser: '县委组织部', channel: 'other', personTimes: 1623, trips: 17, days: 3, hours: 16 },
];

export const DEMO_CADRES = 1200;
const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志民春海波宁新利文辉晓东亮成林';
const VILLAGES = ['苏公坨村', '兴隆社区', '开通镇东风村', '瞻榆镇新立村', '双岗镇永胜村', '边昭镇光明村', '鸿兴镇胜利村', '新华镇团结村', '八面乡民主村', '向海乡前进村'];

const pad = (n: number) => String(n).padStart(2, '0');
/** `total` split into `parts` whole numbers that sum to it exactly. */
const split = (total: number, parts: number) => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

async function demoCadres(models: Models, units: Types.ObjectId[]): Promise<{ ids: Types.ObjectId[]; unitOf: Map<string, Types.ObjectId | null>; created: number }> {
  const names = Array.from({ length: DEMO_CADRES }, (_, i) => `tyd${String(i + 1).padStart(4, '0')}`);
  const found = await models.User.find({ username: { $in: names } }, { username: 1, orgUnitId: 1 }).lean();
  const have = new Map(found.map((u) => [u.username, u._id]));
  const unitOf = new Map(found.map((u) => [String(u._id), u.orgUnitId ?? null]));
  const hash = have.size < names.length ? await hashPassword(randomBytes(18).toString('base64'), { N: 1024 }) : '';
  const now = new Date();
  const docs = names
    .map((username, i) => ({ i, username }))
    .filter(({ username }) => !have.has(username))
    .map(({ i, username }) => ({
      _id: new Types.ObjectId(),
      username,
      displayName: `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${i % 3 ? GIVEN[(i * 13 + 5) % GIVEN.length] : ''}`,
      passwordHash: hash,
      role: 'cadre',
      rank: i % 10 === 0 ? 'county' : 'township',
      orgUnitId: units[i % units.length],
      disabled: false,
      failedLogins: 0,
      mustChangePassword: false,
      createdAt: now,
      updatedAt: now,
      __v: 0,
    }));
  if (docs.length) await models.User.collection.insertMany(docs as never[], { ordered: false });
  for (const d of docs) {
    have.set(d.username, d._id);
    unitOf.set(String(d._id), d.orgUnitId ?? null);
  }
  return { ids: names.map((n) => have.get(n)!), unitOf, created: docs.length };
}

export async function seedDemoTraining(models: Models, calendar = new CountyCalendar('Asia/Shanghai'), now = Date.now()) {
  const have = new Set((await models.TrainingClass.find({ name: { $in: demoClasses.map((c) => c.name) } }, { name: 1, cohort: 1 }).lean()).map((c) => `${c.name}#${c.cohort}`));
  const admin = await models.User.findOne({ username: 'orgadmin' }, { _id: 1 }).lean();
  const createdBy = admin?._id ?? new Types.ObjectId();
  const units = (await models.OrgUnit.find({ kind: 'unit' }, { _id: 1 }).lean()).map((u) => u._id);
  const cadres = await demoCadres(models, units.length ? units : [new Types.ObjectId()]);
  const today = calendar.day(now);
  // The report year: this one once its last past cohort (in November) has ended, else the last.
  const year = calendar.year(now) - (`${calendar.year(now)}-11-30` < today ? 0 : 1);
  const classes = [];
  const enrolments = [];
  let next = 0;
  const take = () => cadres.ids[next++ % cadres.ids.length]!;
  for (const c of demoClasses) {
    const upcomingCohort = c.name === demoClasses[0]!.name ? c.cohorts : 0;
    const sizes = split(c.personTimes, c.cohorts - (upcomingCohort ? 1 : 0));
    for (let k = 1; k <= c.cohorts; k++) {
      const size = sizes[k - 1] ?? 0;
      const upcoming = k === upcomingCohort;
      if (have.has(`${c.name}#${k}`)) {
        next += size;
        continue;
      }
      const startDay = upcoming
        ? calendar.addDays(today, 7)
        : c.channel === 'caravan'
          ? calendar.addDays(`${year}-03-01`, Math.round(((k - 1) * 255) / c.cohorts))
          : `${year}-${pad(Math.min(11, c.month + k - 1))}-10`;
      const endDay = calendar.addDays(startDay, c.days - 1);
      const completedAt = upcoming ? null : new Date(calendar.dayAt(endDay, 18));
      const _id = new Types.ObjectId();
      const caravan = c.channel === 'caravan';
      classes.push({
        _id,
        name: c.name,
        cohort: k,
        category: c.category,
        channel: c.channel,
        organiser: '县委组织部',
        startDay,
        endDay,
        venue: caravan ? VILLAGES[k % VILLAGES.length]! : c.venue,
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
        note: caravan ? `干教大篷车送学第 ${k} 场(共 67 场次、培训 6,400 人次)` : `${c.name}共 ${c.cohorts} 期,培训 ${c.personTimes.toLocaleString('en-US')} 人次(本期 ${size} 人次)`,
        year: Number(startDay.slice(0, 4)),
        createdBy,
        completedAt,
      });
      for (let n = 0; n < size; n++) {
        const userId = take();
        const at = new Date(calendar.dayAt(calendar.addDays(startDay, -7), 9));
        enrolments.push({ _id: `${String(_id)}:${String(userId)}`, classId: _id, userId, unitId: cadres.unitOf.get(String(userId)) ?? null, state: 'completed', via: 'assigned', seq: n + 1, at, decidedAt: at, decidedBy: createdBy, reason: '', completedAt, hours: c.creditHours, override: null });
      }
    }
  }
  if (classes.length) await models.TrainingClass.insertMany(classes);
  for (let i = 0; i < enrolments.length; i += 2000) await models.TrainingEnrolment.collection.insertMany(enrolments.slice(i, i + 2000) as never[], { ordered: false });
  // Training elsewhere: written with the cadres, the first time only.
  const external: Record<string, unknown>[] = [];
  if (cadres.created) {
    let t = 0;
    for (const trip of demoTrips) {
      split(trip.personTimes, trip.trips).forEach((size, k) => {
        const startDay = calendar.addDays(`${year}-03-02`, (t++ * 7) % 250);
        const endDay = calendar.addDays(startDay, trip.days - 1);
        const decidedAt = new Date(calendar.dayAt(calendar.addDays(endDay, 3), 10));
        for (let n = 0; n < size; n++) {
          const userId = take();
          external.push({
            _id: new Types.ObjectId(),
            userId,
            unitId: cadres.unitOf.get(String(userId)) ?? null,
            title: trip.trips > 1 ? `${trip.title}(第 ${k + 1} 批)` : trip.title,
            organiser: trip.organiser,
            startDay,
            endDay,
            hoursClaimed: trip.hours,
            note: '',
            certificateType: null,
            certificateName: '',
            state: 'approved',
            hoursAllowed: trip.hours,
            reason: '',
            decidedBy: createdBy,
            decidedAt,
            year: Number(endDay.slice(0, 4)),
            createdAt: decidedAt,
            updatedAt: decidedAt,
            __v: 0,
          });
        }
      });
    }
    for (let i = 0; i < external.length; i += 2000) await models.ExternalTraining.collection.insertMany(external.slice(i, i + 2000) as never[], { ordered: false });
  }
  return { classes: classes.length, cadres: cadres.created, enrolments: enrolments.length, external: external.length, year };
}
