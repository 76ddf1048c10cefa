/**
 * The published catalog, held in memory and kept up to date on every write. FerretDB 1.24 on
 * SQLite scans a whole collection for `$all`, `$in` and sorted queries (~0.6-1 s at 5,000
 * lectures), so browsing and search run here (well under a millisecond) and the store is read
 * only by `_id`. The index is rebuilt from the store at start and every few minutes, so a write
 * made by another process shows up within that period.
 */
import { lectureGrams, matchRank, queryGrams, queryTerms, searchTexts, type SearchTexts } from './search';
import type { LectureDoc } from './lecture.model';

export interface CatalogEntry {
  id: string;
  title: string;
  summary: string;
  lecturer: string;
  institution: string;
  category: string;
  topic: string;
  tags: string[];
  kind: string;
  required: boolean;
  durationSec: number;
  creditHours: number;
  hasPoster: boolean;
  /** First rung first: playable, higher rungs still being made (高清版本处理中). */
  higherRungsPending: boolean;
  /** Its lowest rung is still being made: watchable from the start up to what is made. */
  stillEncoding: boolean;
  watchCount: number;
  publishedAt: number;
  audience: string[];
  grams: Set<string>;
  /** Normalised text for the substring check and the ranking (title first). */
  text: SearchTexts;
  seatLimit?: number;
  seatsLeft?: number;
  attentionChecks: boolean;
  live?: LiveView;
  replayOf?: string;
}

export interface LiveView {
  scheduledAt?: string;
  state: 'scheduled' | 'live' | 'ended';
  startedAt?: string;
  endedAt?: string;
  replayLectureId?: string;
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : undefined);

/** A live lecture's schedule and state as the API shows it. */
export function liveView(l: Pick<LectureDoc, 'live'>): LiveView | undefined {
  if (!l.live) return undefined;
  return {
    scheduledAt: iso(l.live.scheduledAt),
    state: (l.live.state ?? 'scheduled') as LiveView['state'],
    startedAt: iso(l.live.startedAt),
    endedAt: iso(l.live.endedAt),
    replayLectureId: l.live.replayLectureId ? String(l.live.replayLectureId) : undefined,
  };
}

export interface CatalogQuery {
  q?: string;
  category?: string;
  topic?: string;
  institution?: string;
  lecturer?: string;
  required?: boolean;
  kind?: string;
  sort?: 'newest' | 'popular';
  page: number;
  pageSize: number;
  /** The viewer's unit and the units above it; undefined = sees every audience (admins). */
  viewerUnits?: string[];
}

/** The descriptive fields of a lecture with their defaults, shared by the index and the API views. */
export function lectureFields(l: LectureDoc) {
  return {
    id: String(l._id),
    title: l.title,
    summary: l.summary ?? '',
    lecturer: l.lecturer ?? '',
    institution: l.institution ?? '',
    category: l.category,
    topic: l.topic ?? '',
    tags: l.tags ?? [],
    kind: l.kind ?? 'recorded',
    required: l.required ?? false,
    attentionChecks: l.attentionChecks ?? false,
    durationSec: l.durationSec ?? 0,
    creditHours: l.creditHours ?? 0,
    watchCount: l.watchCount ?? 0,
    seatLimit: l.seatLimit ?? undefined,
    live: liveView(l),
    replayOf: l.replayOf ? String(l.replayOf) : undefined,
  };
}

export function toEntry(l: LectureDoc): CatalogEntry {
  // Built as one literal (no spread): entries are read in the search loop, and a spread-built
  // object measured 2x slower there (bench/catalog-search.ts).
  const f = lectureFields(l);
  return {
    id: f.id,
    title: f.title,
    summary: f.summary,
    lecturer: f.lecturer,
    institution: f.institution,
    category: f.category,
    topic: f.topic,
    tags: f.tags,
    kind: f.kind,
    required: f.required,
    durationSec: f.durationSec,
    creditHours: f.creditHours,
    watchCount: f.watchCount,
    seatLimit: f.seatLimit,
    attentionChecks: f.attentionChecks,
    live: f.live,
    replayOf: f.replayOf,
    hasPoster: Boolean(l.media?.poster),
    higherRungsPending: Boolean(l.media?.pending?.length),
    stillEncoding: Boolean(l.media?.growing?.length),
    publishedAt: l.publishedAt ? new Date(l.publishedAt).getTime() : 0,
    audience: (l.audienceUnitIds ?? []).map(String),
    seatsLeft: l.seatsLeft ?? undefined,
    // Computed, not read from the stored `searchGrams`: lectures written before a field became
    // searchable (topic and category names) are found by it without a migration.
    grams: new Set(lectureGrams(f)),
    text: searchTexts(f),
  };
}

/**
 * Pure query over entries: audience, filters, search, facets, sort, page. A search ranks title
 * matches first, then matches in the topic, category or tags, then the rest (matchRank); the
 * chosen sort orders each tier.
 */
export function queryCatalog(entries: Iterable<CatalogEntry>, q: CatalogQuery) {
  const grams = q.q ? queryGrams(q.q) : [];
  const terms = q.q ? queryTerms(q.q) : [];
  const rank = new Map<CatalogEntry, number>();
  const visible: CatalogEntry[] = [];
  for (const e of entries) {
    if (q.viewerUnits && e.audience.length && !e.audience.some((u) => q.viewerUnits!.includes(u))) continue;
    visible.push(e);
  }
  const topics = new Set<string>();
  const institutions = new Set<string>();
  const lecturers = new Set<string>();
  const hits: CatalogEntry[] = [];
  for (const e of visible) {
    if (e.topic) topics.add(e.topic);
    if (e.institution) institutions.add(e.institution);
    if (e.lecturer) lecturers.add(e.lecturer);
    if (q.category && e.category !== q.category) continue;
    if (q.topic && e.topic !== q.topic) continue;
    if (q.institution && e.institution !== q.institution) continue;
    if (q.lecturer && e.lecturer !== q.lecturer) continue;
    if (q.required !== undefined && e.required !== q.required) continue;
    if (q.kind && e.kind !== q.kind) continue;
    if (q.q) {
      if (!grams.every((g) => e.grams.has(g))) continue;
      const r = matchRank(terms, e.text);
      if (r < 0) continue;
      rank.set(e, r);
    }
    hits.push(e);
  }
  const byNewest = (a: CatalogEntry, b: CatalogEntry) => b.publishedAt - a.publishedAt || (a.id < b.id ? 1 : -1);
  const bySort = q.sort === 'popular' ? (a: CatalogEntry, b: CatalogEntry) => b.watchCount - a.watchCount || byNewest(a, b) : byNewest;
  hits.sort(rank.size ? (a, b) => rank.get(a)! - rank.get(b)! || bySort(a, b) : bySort);
  const zh = (a: string, b: string) => a.localeCompare(b, 'zh-CN');
  return {
    items: hits.slice((q.page - 1) * q.pageSize, q.page * q.pageSize),
    total: hits.length,
    facets: { topics: [...topics].sort(zh), institutions: [...institutions].sort(zh), lecturers: [...lecturers].sort(zh) },
  };
}

export class CatalogIndex {
  private entries = new Map<string, CatalogEntry>();

  replaceAll(lectures: LectureDoc[]) {
    this.entries = new Map(lectures.filter((l) => l.state === 'published').map((l) => [String(l._id), toEntry(l)]));
  }

  /** Adds, updates or drops one lecture according to its state. */
  apply(l: LectureDoc) {
    if (l.state === 'published') this.entries.set(String(l._id), toEntry(l));
    else this.entries.delete(String(l._id));
  }

  bumpWatch(id: string) {
    const e = this.entries.get(id);
    if (e) e.watchCount += 1;
  }

  get size() {
    return this.entries.size;
  }

  query(q: CatalogQuery) {
    return queryCatalog(this.entries.values(), q);
  }
}
