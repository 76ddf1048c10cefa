/**
 * Chinese-substring search without `$text` (FerretDB has none): every searchable field is cut
 * into character n-grams stored on the lecture (`searchGrams`, indexed). A query becomes the
 * grams it must all contain (`$all`), and candidates are then checked for the real substring, so
 * gram coincidences ("干部" + "部教" in different places) never show up as hits.
 * CJK text: unigrams and bigrams. Latin/digit words: uni-, bi- and trigrams. Everything is
 * lower-cased and NFKC-normalised so full-width letters match too.
 */
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Runs of CJK characters and runs of letters/digits, in order. */
function runs(text: string): { cjk: boolean; s: string }[] {
  const out: { cjk: boolean; s: string }[] = [];
  for (const m of normalize(text).matchAll(/[\u3400-\u9fff\uf900-\ufaff]+|[\p{L}\p{N}]+/gu)) {
    out.push({ cjk: CJK.test(m[0][0]!), s: m[0] });
  }
  return out;
}

function ngrams(s: string, n: number): string[] {
  const chars = [...s];
  if (chars.length < n) return [];
  const out: string[] = [];
  for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(''));
  return out;
}

/** Grams to store for a document made of these fields. */
export function indexGrams(...fields: (string | string[] | undefined)[]): string[] {
  const grams = new Set<string>();
  for (const f of fields.flat()) {
    if (!f) continue;
    for (const r of runs(f)) {
      if (r.cjk) {
        for (const g of ngrams(r.s, 1)) grams.add(g);
        for (const g of ngrams(r.s, 2)) grams.add(g);
      } else {
        // Uni- and bigrams let a one- or two-letter query find any word containing it.
        for (const n of [1, 2, 3]) ngrams(r.s, n).forEach((g) => grams.add(g));
      }
    }
  }
  return [...grams];
}

/** Grams a document must contain to possibly match the query ([] = query has nothing searchable). */
export function queryGrams(query: string): string[] {
  const grams = new Set<string>();
  for (const r of runs(query)) {
    const len = [...r.s].length;
    if (r.cjk) (len === 1 ? ngrams(r.s, 1) : ngrams(r.s, 2)).forEach((g) => grams.add(g));
    else if (len >= 3) ngrams(r.s, 3).forEach((g) => grams.add(g));
    else grams.add(r.s); // a 1-2 letter word is itself a stored gram
  }
  return [...grams];
}

/** Does the document really contain every term of the query (as substrings, any field)? */
export function matchesQuery(query: string, ...fields: (string | string[] | undefined)[]): boolean {
  const hay = normalize(fields.flat().filter(Boolean).join('\n'));
  return runs(query).every((r) => hay.includes(r.s));
}

/**
 * What a lecture is found by: its own words, and the names of its topic (专题) and of its
 * training need (类别, in both languages), so "落实" finds every 落实能力 lecture, not only the
 * ones that say 落实 in the title. The category names are the interface's labels (zh-CN.ts/en.ts).
 */
export const categoryNames: Readonly<Record<string, readonly string[]>> = {
  service: ['服务能力', 'Service capability'],
  implementation: ['落实能力', 'Implementation capability'],
  development: ['发展能力', 'Development capability'],
  'party-history': ['党史党性', 'Party history and spirit'],
};

export interface Searchable {
  title: string;
  summary?: string | null;
  lecturer?: string | null;
  institution?: string | null;
  topic?: string | null;
  category?: string | null;
  tags?: string[] | null;
}

/** The normalised text of a lecture in three widening tiers: title; title and its headings (topic, category, tags); everything. */
export interface SearchTexts {
  title: string;
  heading: string;
  all: string;
}

function headingFields(l: Searchable): string[] {
  return [l.topic ?? '', ...(categoryNames[l.category ?? ''] ?? []), ...(l.tags ?? [])];
}

function restFields(l: Searchable): string[] {
  return [l.lecturer ?? '', l.institution ?? '', l.summary ?? ''];
}

/** Grams to store and index for a lecture (every field searched). */
export function lectureGrams(l: Searchable): string[] {
  return indexGrams(l.title, headingFields(l), restFields(l));
}

export function searchTexts(l: Searchable): SearchTexts {
  // Fields joined by a newline: a query term is one run without spaces, so it never spans two fields.
  const title = normalize(l.title);
  const heading = [title, ...headingFields(l).map(normalize)].join('\n');
  return { title, heading, all: [heading, ...restFields(l).map(normalize)].join('\n') };
}

/** The terms of a query as matched against SearchTexts ([] = nothing searchable). */
export function queryTerms(query: string): string[] {
  return runs(query).map((r) => r.s);
}

/**
 * How well a lecture matches (lower is better): 0 every term is in the title, 1 in the title
 * with its topic, category and tags, 2 anywhere (lecturer, institution, summary); -1 no match.
 */
export function matchRank(terms: readonly string[], t: SearchTexts): -1 | 0 | 1 | 2 {
  if (!terms.every((s) => t.all.includes(s))) return -1;
  if (terms.every((s) => t.title.includes(s))) return 0;
  return terms.every((s) => t.heading.includes(s)) ? 1 : 2;
}
