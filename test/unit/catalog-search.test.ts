import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { queryCatalog, toEntry } from '../../server/modules/catalog/catalog-index';
import type { LectureDoc } from '../../server/modules/catalog/lecture.model';
import { indexGrams, matchesQuery, matchRank, queryGrams, queryTerms, searchTexts } from '../../server/modules/catalog/search';
import { demoLectures } from '../../server/seed/demo-lectures';

const doc = ['突发事件预防与应对专题培训', '清华大学论坛', '刘玉瑛', ['关键在于落实', 'Leadership 2024']];

describe('catalog search grams', () => {
  it('finds Chinese substrings of any length from one character up', () => {
    const grams = new Set(indexGrams(...doc));
    for (const q of ['突', '事件', '预防与应对', '清华', '论坛', '落实', '刘玉瑛']) {
      expect(queryGrams(q).every((g) => grams.has(g)), q).toBe(true);
      expect(matchesQuery(q, ...doc), q).toBe(true);
    }
  });

  it('finds Latin words case-insensitively, by prefix or inside the word', () => {
    const grams = new Set(indexGrams(...doc));
    for (const q of ['leader', 'LEADERSHIP', 'ship', 'le', '2024', 'Ｌｅａｄ']) {
      expect(queryGrams(q).every((g) => grams.has(g)), q).toBe(true);
    }
  });

  it('rejects gram coincidences that are not real substrings', () => {
    const d = ['干部教育', '部教'];
    expect(matchesQuery('干部教育', ...d)).toBe(true);
    expect(matchesQuery('部干', ...d)).toBe(false);
  });

  it('needs every term of a multi-word query', () => {
    expect(matchesQuery('清华 落实', ...doc)).toBe(true);
    expect(matchesQuery('清华 北大', ...doc)).toBe(false);
  });

  it('never misses a substring of an indexed text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'干部教育培训党史党性服务落实发展能力专题abcXYZ12 '), minLength: 1, maxLength: 30 }), fc.nat(), fc.nat(), (text, a, b) => {
        const chars = [...text];
        const start = a % chars.length;
        const q = chars.slice(start, start + 1 + (b % 6)).join('');
        if (!q.trim()) return;
        const grams = new Set(indexGrams(text));
        expect(queryGrams(q).every((g) => grams.has(g))).toBe(true);
        expect(matchesQuery(q, text)).toBe(true);
      }),
    );
  });
});

describe('catalog search over topics and categories (demo county)', () => {
  const day = 24 * 3600_000;
  const entries = demoLectures.map((d, i) =>
    toEntry({ ...d, _id: new Types.ObjectId(), kind: 'recorded', state: 'published', publishedAt: new Date(Date.UTC(2026, 0, 1) + i * day) } as unknown as LectureDoc),
  );
  const search = (q: string, sort?: 'newest' | 'popular') => queryCatalog(entries, { q, sort, page: 1, pageSize: 50 }).items.map((e) => e.title);

  it('finds every 落实能力 lecture when searching 落实, not only the ones with 落实 in the title', () => {
    const implementation = demoLectures.filter((d) => d.category === 'implementation').map((d) => d.title);
    expect(implementation.length).toBeGreaterThanOrEqual(4);
    expect(search('落实').sort()).toEqual([...implementation].sort());
  });

  it('ranks title matches before topic, category and summary matches', () => {
    const hits = search('落实');
    expect(hits[0]).toBe('关键在于落实');
    // Within a tier the chosen sort still applies (newest first here).
    expect(hits.slice(1)).toEqual(demoLectures.filter((d) => d.category === 'implementation' && d.title !== '关键在于落实').map((d) => d.title).reverse());
    const popular = search('基层', 'popular');
    expect(popular[0]).toBe('吉林大学学者讲坛：基层治理现代化');
  });

  it('finds a lecture by its topic name and its category name in English', () => {
    expect(search('维稳信访')).toContain('维稳信访知识专题');
    expect(search('宗旨意识')).toEqual(['增强群众观念、树立宗旨意识']);
    expect(search('party history')).toContain('开设红色课堂：党史党性教育');
  });

  it('ranks a title match above a topic match, and a topic match above a summary match', () => {
    const t = (title: string, topic: string, summary: string) => searchTexts({ title, topic, summary, category: 'service' });
    const terms = queryTerms('乡村振兴');
    expect(matchRank(terms, t('乡村振兴讲座', '', ''))).toBe(0);
    expect(matchRank(terms, t('讲座', '乡村振兴', ''))).toBe(1);
    expect(matchRank(terms, t('讲座', '', '围绕乡村振兴展开'))).toBe(2);
    expect(matchRank(terms, t('讲座', '', ''))).toBe(-1);
    expect(matchRank(queryTerms('服务能力'), t('讲座', '', ''))).toBe(1);
  });
});
