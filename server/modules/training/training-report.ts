/**
 * The year report of training (培训年度统计), no I/O: classes (培训班) by category and channel —
 * cohorts (期次), person-times enrolled (参训人次: enrolled or completed) and completed (结业人次),
 * hours credited (sum of completed enrolments' hours) — and training taken elsewhere (外出培训) by
 * channel — person-times (approved records), cadres and hours allowed. A class counts in the year
 * of its `year`; an external record in the year of its last day.
 */
import { classChannels, type ClassChannel } from './training.model';
import { externalChannels, type ExternalChannel } from './external-import-rows';

export interface ClassFacts {
  id: string;
  name: string;
  category: string;
  channel: ClassChannel;
}
export interface EnrolmentFacts {
  classId: string;
  state: string;
  hours: number;
}
export interface ExternalFacts {
  userId: string;
  channel: ExternalChannel;
  hours: number;
}

export interface ClassRow {
  category: string;
  channel: ClassChannel;
  cohorts: number;
  enrolled: number;
  completed: number;
  hours: number;
}
export interface NamedClassRow extends ClassRow {
  name: string;
}
export interface ExternalRow {
  channel: ExternalChannel;
  personTimes: number;
  cadres: number;
  hours: number;
}

export interface YearReport {
  year: number;
  classes: { byCategory: ClassRow[]; byName: NamedClassRow[]; totals: Omit<ClassRow, 'category' | 'channel'> };
  external: { byChannel: ExternalRow[]; totals: Omit<ExternalRow, 'channel'> };
  /** Person-times and hours of both: completed class places plus external records. */
  totals: { personTimes: number; hours: number };
  computedAt: string;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const SEATED = new Set(['enrolled', 'completed']);

export function yearReport(year: number, classes: ClassFacts[], enrolments: EnrolmentFacts[], external: ExternalFacts[], at: Date): YearReport {
  const byClass = new Map(classes.map((c) => [c.id, { enrolled: 0, completed: 0, hours: 0 }]));
  for (const e of enrolments) {
    const f = byClass.get(e.classId);
    if (!f) continue;
    if (SEATED.has(e.state)) f.enrolled++;
    if (e.state === 'completed') {
      f.completed++;
      f.hours += e.hours || 0;
    }
  }
  const groups = new Map<string, NamedClassRow>();
  const named = new Map<string, NamedClassRow>();
  for (const c of classes) {
    const f = byClass.get(c.id)!;
    for (const [map, key] of [[groups, `${c.category}|${c.channel}`], [named, `${c.name}|${c.category}|${c.channel}`]] as const) {
      const row = map.get(key) ?? { name: c.name, category: c.category, channel: c.channel, cohorts: 0, enrolled: 0, completed: 0, hours: 0 };
      row.cohorts++;
      row.enrolled += f.enrolled;
      row.completed += f.completed;
      row.hours += f.hours;
      map.set(key, row);
    }
  }
  const order = (a: ClassRow, b: ClassRow) => classChannels.indexOf(a.channel) - classChannels.indexOf(b.channel) || b.completed - a.completed;
  const byCategory = [...groups.values()].map(({ name: _n, ...row }) => ({ ...row, hours: r1(row.hours) })).sort(order);
  const byName = [...named.values()].map((row) => ({ ...row, hours: r1(row.hours) })).sort(order);
  const classTotals = byCategory.reduce((t, r) => ({ cohorts: t.cohorts + r.cohorts, enrolled: t.enrolled + r.enrolled, completed: t.completed + r.completed, hours: r1(t.hours + r.hours) }), { cohorts: 0, enrolled: 0, completed: 0, hours: 0 });

  const ext = new Map<ExternalChannel, { personTimes: number; cadres: Set<string>; hours: number }>();
  for (const e of external) {
    const row = ext.get(e.channel) ?? { personTimes: 0, cadres: new Set<string>(), hours: 0 };
    row.personTimes++;
    row.cadres.add(e.userId);
    row.hours += e.hours || 0;
    ext.set(e.channel, row);
  }
  const byChannel = externalChannels.map((channel) => {
    const row = ext.get(channel);
    return { channel, personTimes: row?.personTimes ?? 0, cadres: row?.cadres.size ?? 0, hours: r1(row?.hours ?? 0) };
  });
  const extTotals = { personTimes: external.length, cadres: new Set(external.map((e) => e.userId)).size, hours: r1(external.reduce((s, e) => s + (e.hours || 0), 0)) };
  return {
    year,
    classes: { byCategory, byName, totals: classTotals },
    external: { byChannel, totals: extTotals },
    totals: { personTimes: classTotals.completed + extTotals.personTimes, hours: r1(classTotals.hours + extTotals.hours) },
    computedAt: at.toISOString(),
  };
}

export const CHANNEL_LABELS: Record<ClassChannel | ExternalChannel, string> = {
  county: '县内培训',
  university: '高校培训',
  provincial: '搭车培训',
  visit: '考察学习',
  caravan: '干教大篷车',
  other: '其他',
};
