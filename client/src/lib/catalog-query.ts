/**
 * The catalog's filters (课程目录 · 自主选学) as they live in the page URL, so a link or a
 * reload keeps them: `/?q=基层治理&category=service&required=true&sort=popular&page=2`.
 * Pure: parsing, writing back (defaults left out, keys in a fixed order), the API query, and
 * the page list for the pager. Changing any filter goes back to page 1.
 */
import { LECTURE_CATEGORIES, type LectureCategory } from './api/types.ts';

export type CatalogSort = 'newest' | 'popular';
export type RequiredFilter = '' | 'true' | 'false';
export type KindFilter = '' | 'recorded' | 'live';

export interface CatalogFilters {
  q: string;
  category: LectureCategory | '';
  topic: string;
  institution: string;
  lecturer: string;
  required: RequiredFilter;
  kind: KindFilter;
  sort: CatalogSort;
  page: number;
}

export const DEFAULT_FILTERS: Readonly<CatalogFilters> = {
  q: '',
  category: '',
  topic: '',
  institution: '',
  lecturer: '',
  required: '',
  kind: '',
  sort: 'newest',
  page: 1,
};

const MAX_Q = 100;

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

export function parseCatalogQuery(search: string): CatalogFilters {
  const params = new URLSearchParams(search);
  const text = (name: string) => (params.get(name) ?? '').trim().slice(0, MAX_Q);
  const page = Number.parseInt(params.get('page') ?? '', 10);
  return {
    q: text('q'),
    category: oneOf(params.get('category'), LECTURE_CATEGORIES, ''),
    topic: text('topic'),
    institution: text('institution'),
    lecturer: text('lecturer'),
    required: oneOf<RequiredFilter>(params.get('required'), ['true', 'false'], ''),
    kind: oneOf<KindFilter>(params.get('kind'), ['recorded', 'live'], ''),
    sort: oneOf<CatalogSort>(params.get('sort'), ['newest', 'popular'], 'newest'),
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  };
}

/** The query string for the page URL ('' when everything is at its default). */
export function catalogSearch(filters: CatalogFilters): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'category', 'topic', 'institution', 'lecturer', 'required', 'kind'] as const) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  if (filters.sort !== 'newest') params.set('sort', filters.sort);
  if (filters.page > 1) params.set('page', String(filters.page));
  const search = params.toString();
  return search ? `?${search}` : '';
}

/** The query for GET /api/lectures. */
export function apiQuery(filters: CatalogFilters, pageSize?: number): Record<string, string | number | undefined> {
  return {
    q: filters.q || undefined,
    category: filters.category || undefined,
    topic: filters.topic || undefined,
    institution: filters.institution || undefined,
    lecturer: filters.lecturer || undefined,
    required: filters.required || undefined,
    kind: filters.kind || undefined,
    sort: filters.sort,
    page: filters.page,
    pageSize,
  };
}

/** A changed filter set; any change other than the page itself starts again at page 1. */
export function withFilters(filters: CatalogFilters, change: Partial<CatalogFilters>): CatalogFilters {
  const next = { ...filters, ...change };
  if (!('page' in change)) next.page = 1;
  return next;
}

/** How many narrowing filters are set (search and sort not counted). */
export function activeFilterCount(filters: CatalogFilters): number {
  return (['category', 'topic', 'institution', 'lecturer', 'required', 'kind'] as const).filter((key) => filters[key] !== '').length;
}

export function totalPages(total: number, pageSize: number): number {
  return pageSize > 0 ? Math.max(1, Math.ceil(total / pageSize)) : 1;
}

/**
 * The pages the pager shows: always the first and last, the current one with `around` pages on
 * each side, and 'gap' where pages are skipped. [1, 'gap', 4, 5, 6, 'gap', 20]
 */
export function pageList(current: number, pages: number, around = 1): (number | 'gap')[] {
  if (pages <= 1) return [1];
  const wanted = new Set<number>([1, pages]);
  for (let p = current - around; p <= current + around; p++) if (p >= 1 && p <= pages) wanted.add(p);
  const sorted = [...wanted].sort((a, b) => a - b);
  const out: (number | 'gap')[] = [];
  let previous = 0;
  for (const p of sorted) {
    if (p - previous === 2) out.push(previous + 1);
    else if (p - previous > 2) out.push('gap');
    out.push(p);
    previous = p;
  }
  return out;
}
