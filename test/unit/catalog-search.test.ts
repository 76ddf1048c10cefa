import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexGrams, matchesQuery, queryGrams } from '../../server/modules/catalog/search';

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
