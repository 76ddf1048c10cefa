/**
 * The demo county's credit ledger (学时台账) at the article's size, so the county dashboard shows
 * its figures: over the 1,200 demo cadres (演示干部, demo-training.ts) for this county year until
 * now and, lighter (half), the year before:
 * - self-selected study, the university forums and the air classroom as planned in
 *   demo-ledger-plan.ts (4,761 / 9,500 / 18,000 person-times a year);
 * - training classes, the travelling classroom and training elsewhere from the demo training
 *   records themselves (completed enrolments, approved external records, each credited as the
 *   training module credits it: `_id` user:class:year or user:record:year), in the year those fall
 *   in; a year they do not reach gets planned ones instead.
 * Written in bulk with the yearly summaries (demo-ledger-writer.ts), then the county tallies
 * (server/modules/county). Idempotent: entries whose `_id` exists are skipped, and a seeded county
 * is recognised at once. Seed the demo county and its training first (seed-demo.ts).
 */
import { CountyCalendar } from '../calendar';
import type { Models } from '../store/models';
import { CountyService } from '../modules/county/county.service';
import { CreditLedger } from '../modules/study/credit-ledger';
import { addEntry, emptyTally, tallyId, toDoc, type Tally } from '../modules/county/tally';
import { DEMO_CADRES } from './demo-training';
import { channels, planYear, tally, type Channel, type LedgerDoc, type PlanCadre } from './demo-ledger-plan';
import { writeLedger, type Progress } from './demo-ledger-writer';

const SEED = 2009;
/** The year before, as a share of this one (the dashboard shows it beside). */
const PREVIOUS_YEAR = 0.5;
const TRAINING: readonly Channel[] = ['trainingClass', 'caravan', 'external'];

/** The demo training records as the training module would have credited them. */
async function trainingEntries(models: Models, calendar: CountyCalendar, now: number, cadres: Set<string>): Promise<LedgerDoc[]> {
  const out: LedgerDoc[] = [];
  const classes = new Map((await models.TrainingClass.find({ completedAt: { $ne: null } }).lean()).map((c) => [String(c._id), c]));
  const enrolments = await models.TrainingEnrolment.find({ state: 'completed' }, { classId: 1, userId: 1 }).lean();
  for (const e of enrolments) {
    const c = classes.get(String(e.classId));
    if (!c || !cadres.has(String(e.userId))) continue;
    const at = Math.min(now, calendar.dayAt(c.endDay, 12));
    const year = calendar.year(at);
    const title = c.cohort > 1 || /期/.test(c.name) ? `${c.name}(第${c.cohort}期)` : c.name;
    out.push({ _id: `${e.userId}:${c._id}:${year}`, userId: e.userId, lectureId: c._id, year, hours: c.creditHours ?? 0, required: c.required ?? true, category: c.contentCategory ?? 'service', topic: 'training', title, at: new Date(at), source: 'training', trainingChannel: c.channel });
  }
  const external = await models.ExternalTraining.find({ state: 'approved' }, { userId: 1, title: 1, endDay: 1, hoursAllowed: 1 }).lean();
  for (const d of external) {
    if (!cadres.has(String(d.userId))) continue;
    const at = Math.min(now, calendar.dayAt(d.endDay, 12));
    const year = calendar.year(at);
    out.push({ _id: `${d.userId}:${d._id}:${year}`, userId: d.userId, lectureId: d._id, year, hours: d.hoursAllowed ?? 0, required: false, topic: 'external', title: `外出培训:${d.title}`, at: new Date(at), source: 'external' });
  }
  return out;
}

export async function seedDemoLedger(models: Models, calendar = new CountyCalendar('Asia/Shanghai'), now = Date.now(), progress?: Progress) {
  const names = Array.from({ length: DEMO_CADRES }, (_, i) => `tyd${String(i + 1).padStart(4, '0')}`);
  const users = (await models.User.find({ username: { $in: names } }, { username: 1, orgUnitId: 1 }).lean()).sort((a, b) => a.username.localeCompare(b.username));
  if (!users.length) return { entries: 0, inserted: 0, summaries: 0, tallies: 0, years: [] as number[], byChannel: tally([]) };
  const units = new Map((await models.OrgUnit.find({}, { kind: 1, ancestors: 1 }).lean()).map((u) => [String(u._id), u]));
  const committeeOf = (unitId: unknown) => {
    const u = units.get(String(unitId));
    return String(u?.kind === 'unit' ? u.ancestors?.[u.ancestors.length - 1] ?? unitId : unitId);
  };
  const cadres: PlanCadre[] = users.map((u) => ({ id: u._id, group: committeeOf(u.orgUnitId) }));
  const thisYear = calendar.year(now);
  // Seeded before (`npm run demo` seeds at every start): the first and last cadres' summaries are there.
  const seeded = async (u: { _id: unknown }, year: number) => Boolean(await models.Summary.exists({ _id: `${String(u._id)}:${year}` }));
  if ((await seeded(users[0]!, thisYear)) && (await seeded(users.at(-1)!, thisYear - 1))) return { entries: 0, inserted: 0, summaries: 0, tallies: 0, years: [thisYear - 1, thisYear], byChannel: tally([]) };
  const training = await trainingEntries(models, calendar, now, new Set(users.map((u) => String(u._id))));
  const entries: LedgerDoc[] = [];
  for (const year of [thisYear - 1, thisYear]) {
    const from = calendar.startOfYear(year);
    const to = Math.min(now, calendar.startOfYear(year + 1));
    const scale = year === thisYear ? 1 : PREVIOUS_YEAR;
    const fromRecords = training.filter((e) => e.year === year);
    entries.push(...fromRecords);
    const only = fromRecords.length ? channels.filter((c) => !TRAINING.includes(c)) : undefined;
    entries.push(...planYear({ year, from, to, scale, seed: SEED, calendar, cadres, only }));
  }
  // On a store with no ledger and no tallies yet (a first seeding) the tallies are these entries'
  // (as county-tallies.ts adds them); otherwise they are rebuilt from the whole ledger (slower: it reads it back).
  const first = !(await models.Ledger.exists({})) && !(await models.CountyTally.exists({}));
  const written = await writeLedger(models, calendar, entries, progress);
  const years = [thisYear - 1, thisYear];
  let tallies = 0;
  if (written.inserted && first) {
    const unitOf = new Map(users.map((u) => [String(u._id), u.orgUnitId ? String(u.orgUnitId) : null]));
    const computed = new Map<string, Tally>();
    for (const e of entries) {
      const unitId = unitOf.get(String(e.userId)) ?? null;
      const id = tallyId(e.year, unitId);
      let t = computed.get(id);
      if (!t) computed.set(id, (t = emptyTally(e.year, unitId || '-')));
      addEntry(t, { userId: String(e.userId), year: e.year, month: calendar.month(e.at.getTime()), hours: e.hours, source: e.source, trainingChannel: e.trainingChannel, topic: e.topic, category: e.category });
    }
    await models.CountyTally.collection.insertMany([...computed.values()].map((t) => toDoc(t)) as never[]);
    tallies = computed.size;
  } else if (written.inserted) {
    tallies = (await rebuildCountyTallies(models, calendar, years)).tallies;
  }
  const byChannel = tally(entries.filter((e) => e.year === thisYear));
  return { ...written, tallies, years, byChannel };
}

const quiet = { info() {}, warn() {} };

/**
 * Recomputes the county tallies from the ledger (server/modules/county), as `app.county.rebuild()`
 * does, without starting the portal: for seeding scripts, with no portal running on the store.
 */
export async function rebuildCountyTallies(models: Models, calendar: CountyCalendar, years?: number[]) {
  const policies = new CreditLedger(models, calendar, 1, quiet, Date.now, async () => {});
  const county = new CountyService({ models, calendar, policies, notices: () => undefined, log: quiet });
  return county.rebuild(years?.length ? { years } : {});
}
