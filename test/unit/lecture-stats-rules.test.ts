import { describe, expect, it } from 'vitest';
import { MIN_FOR_D, pairs, questionFigures, retention } from '../../server/modules/lecture-stats/stats-rules';

describe('retention', () => {
  it('counts per minute the cadres whose union covers at least half of it', () => {
    const unions = [
      pairs([0, 300]), // the whole 5 minutes
      pairs([0, 125]), // minutes 0, 1 and (5 s of) 2: not 2
      pairs([0, 150]), // half of minute 2 counts
      pairs([60, 120, 240, 290]), // minute 1, and 50 s of minute 4
    ];
    expect(retention(unions, 300)).toEqual([3, 4, 2, 1, 2]);
  });

  it('judges a short last minute by its own length and ignores time outside the lecture', () => {
    expect(retention([pairs([0, 100]), pairs([70, 1000])], 100)).toEqual([1, 2]);
    expect(retention([pairs([0, 100]), pairs([90, 1000])], 100)).toEqual([1, 1]);
    expect(retention([], 0)).toEqual([0]);
  });
});

describe('questionFigures', () => {
  it('gives difficulty always and discrimination from enough results', () => {
    const results = Array.from({ length: 20 }, (_, i) => ({
      score: i * 5,
      answers: [
        { q: 'easy', correct: true },
        { q: 'separating', correct: i >= 10 },
        ...(i % 2 ? [{ q: 'rare', correct: true }] : []),
      ],
    }));
    const [easy, separating, rare, unused] = questionFigures(['easy', 'separating', 'rare', 'unused'], results);
    expect(easy).toEqual({ questionId: 'easy', answered: 20, right: 20, difficulty: 1, discrimination: 0 });
    expect(separating).toMatchObject({ answered: 20, right: 10, difficulty: 0.5, discrimination: 1 });
    expect(rare!.answered).toBe(10);
    expect(rare!.discrimination).not.toBeNull();
    expect(unused).toEqual({ questionId: 'unused', answered: 0, right: 0, difficulty: null, discrimination: null });
    const few = questionFigures(['easy'], results.slice(0, MIN_FOR_D - 1));
    expect(few[0]!.discrimination).toBeNull();
  });
});
