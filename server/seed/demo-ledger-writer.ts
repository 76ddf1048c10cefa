/**
 * Writes many credit-ledger entries at once, with the yearly summaries (`StudySummary`,
 * `${userId}:${year}`) and study index they imply, as the credit ledger would have left them entry
 * by entry (credit-ledger.ts): total, required/elective, byMonth in the county's months, byCategory;
 * for study in the player (individual, live, station) also byTopic, byDay and the lecture in
 * `lectures`; for training and external training not (creditOnce adds neither). Bulk inserts in
 * batches (per-entry service calls take hours on FerretDB 1.24 at a county's size).
 * Idempotent: entries are inserted if absent (their `_id` decides) and only the new ones are added
 * to summaries; a summary that exists already is updated once with all its new entries.
 * For seeding only: it takes no per-cadre lock, so no portal may run on the store meanwhile.
 */
import type { Collection } from 'mongodb';
import { Types } from 'mongoose';
import type { CountyCalendar } from '../calendar';
import { isDuplicateKey } from '../store/errors';
import type { Models } from '../store/models';
import type { LedgerDoc } from './demo-ledger-plan';

export type Progress = (what: string, done: number, total: number) => void;

interface SummaryDoc {
  _id: string;
  userId: Types.ObjectId;
  year: number;
  total: number;
  required: number;
  elective: number;
  byMonth: number[];
  byCategory: Record<string, number>;
  byTopic: Record<string, number>;
  byDay: Record<string, number>;
  entries: string[];
  lectures: string[];
}

const PLAYER = new Set(['individual', 'live', 'station']);
const round = (x: number) => Math.round(x * 100) / 100;
const add = (m: Record<string, number>, k: string, x: number) => (m[k] = round((m[k] ?? 0) + x));

/** Inserts `docs` in batches, skipping those whose `_id` is taken; returns the ones written. */
export async function insertNew<T extends { _id: unknown }>(collection: Collection, docs: readonly T[], batch = 1000, progress?: (done: number) => void): Promise<T[]> {
  const fresh: T[] = [];
  for (let i = 0; i < docs.length; i += batch) {
    const part = docs.slice(i, i + batch);
    const failed = new Set<number>();
    try {
      await collection.insertMany(part as never[], { ordered: false });
    } catch (err) {
      const errors = (err as { writeErrors?: { index: number; code?: number; err?: { code?: number } }[] | { index: number; code?: number } }).writeErrors;
      const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (!list.length) throw err;
      for (const e of list) {
        if (!isDuplicateKey({ code: e.code ?? (e as { err?: { code?: number } }).err?.code })) throw err;
        failed.add(e.index);
      }
    }
    part.forEach((d, k) => failed.has(k) || fresh.push(d));
    progress?.(Math.min(docs.length, i + batch));
  }
  return fresh;
}

/** True when every one of up to 32 entries spread over the list is stored already (a run that finished). */
async function written(models: Models, entries: readonly LedgerDoc[]): Promise<boolean> {
  if (!entries.length) return true;
  const step = Math.max(1, Math.floor(entries.length / 31));
  for (let i = 0; i < entries.length; i += step) if (!(await models.Ledger.exists({ _id: entries[i]!._id }))) return false;
  return Boolean(await models.Ledger.exists({ _id: entries[entries.length - 1]!._id }));
}

export async function writeLedger(models: Models, calendar: CountyCalendar, entries: readonly LedgerDoc[], progress?: Progress) {
  if (await written(models, entries)) return { entries: entries.length, inserted: 0, summaries: 0, summariesUpdated: 0, indexes: 0 };
  const fresh = await insertNew(models.Ledger.collection as unknown as Collection, entries, 1000, (d) => progress?.('台账 / ledger entries', d, entries.length));

  const summaries = new Map<string, SummaryDoc>();
  for (const e of fresh) {
    const id = `${e.userId}:${e.year}`;
    let s = summaries.get(id);
    if (!s) {
      s = { _id: id, userId: e.userId, year: e.year, total: 0, required: 0, elective: 0, byMonth: Array(12).fill(0), byCategory: {}, byTopic: {}, byDay: {}, entries: [], lectures: [] };
      summaries.set(id, s);
    }
    const at = e.at.getTime();
    s.total = round(s.total + e.hours);
    if (e.required) s.required = round(s.required + e.hours);
    else s.elective = round(s.elective + e.hours);
    const m = calendar.month(at);
    s.byMonth[m] = round(s.byMonth[m]! + e.hours);
    add(s.byCategory, e.category ?? 'other', e.hours);
    if (PLAYER.has(e.source)) {
      add(s.byTopic, e.topic || '-', e.hours);
      add(s.byDay, calendar.day(at), e.hours);
      const lecture = String(e.lectureId);
      if (!s.lectures.includes(lecture)) s.lectures.push(lecture);
    }
    s.entries.push(e._id);
  }
  const docs = [...summaries.values()];
  const created = await insertNew(models.Summary.collection as unknown as Collection, docs, 500, (d) => progress?.('年度汇总 / yearly summaries', d, docs.length));
  // Summaries there already (a cadre who studied before): their new entries added once.
  const createdIds = new Set(created.map((s) => s._id));
  const byId = new Map(fresh.map((e) => [e._id, e]));
  let updated = 0;
  for (const s of docs) {
    if (createdIds.has(s._id)) continue;
    const have = await models.Summary.findById(s._id, { entries: 1, lectures: 1 }).lean();
    const known = new Set((have?.entries ?? []) as string[]);
    const news = s.entries.filter((id) => !known.has(id)).map((id) => byId.get(id)!);
    if (!news.length) continue;
    const inc: Record<string, number> = {};
    for (const e of news) {
      const at = e.at.getTime();
      add(inc, 'total', e.hours);
      add(inc, e.required ? 'required' : 'elective', e.hours);
      add(inc, `byMonth.${calendar.month(at)}`, e.hours);
      add(inc, `byCategory.${e.category ?? 'other'}`, e.hours);
      if (PLAYER.has(e.source)) {
        add(inc, `byTopic.${e.topic || '-'}`, e.hours);
        add(inc, `byDay.${calendar.day(at)}`, e.hours);
      }
    }
    const lectures = [...new Set(news.filter((e) => PLAYER.has(e.source)).map((e) => String(e.lectureId)))].filter((l) => !((have?.lectures ?? []) as string[]).includes(l));
    await models.Summary.updateOne({ _id: s._id }, { $push: { entries: { $each: news.map((e) => e._id) } }, $inc: inc, ...(lectures.length ? { $addToSet: { lectures: { $each: lectures } } } : {}) });
    updated += 1;
  }

  // The study index lists each cadre's years.
  const years = new Map<string, Set<number>>();
  for (const s of docs) years.set(String(s.userId), (years.get(String(s.userId)) ?? new Set()).add(s.year));
  const index = [...years].map(([userId, ys]) => ({ _id: userId, selections: [] as string[], years: [...ys].sort() }));
  const indexed = new Set((await insertNew(models.StudyIndex.collection as unknown as Collection, index, 1000)).map((d) => d._id));
  for (const d of index) {
    if (indexed.has(d._id)) continue;
    const have = await models.StudyIndex.findById(d._id, { years: 1 }).lean();
    const missing = d.years.filter((y) => !(have?.years ?? []).includes(y));
    if (missing.length) await models.StudyIndex.updateOne({ _id: d._id }, { $addToSet: { years: { $each: missing } } });
  }
  return { entries: entries.length, inserted: fresh.length, summaries: created.length, summariesUpdated: updated, indexes: indexed.size };
}
