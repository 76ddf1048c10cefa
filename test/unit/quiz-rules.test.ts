import { describe, expect, it } from 'vitest';
import { creditWaits, drawQuestions, isCorrect, phaseOf, questionProblems, scoreAttempt, seededRandom, spanWatched, toBankChoice, type QuestionFields } from '../../server/modules/quiz/quiz-rules';
import { checkQuizRow, mapQuizHeader, parseClock } from '../../server/modules/quiz/quiz-rows';

const q = (over: Partial<QuestionFields> = {}): QuestionFields => ({ kind: 'single', stem: '题干', options: ['甲', '乙', '丙'], answer: [1], spanFrom: null, spanTo: null, explanation: '', ...over });

describe('span unlocking', () => {
  it('unlocks a span that lies in the watched union', () => {
    expect(spanWatched([[0, 30]], 10, 20)).toBe(true);
    expect(spanWatched([[0, 12], [12, 40]], 10, 20)).toBe(true);
  });
  it('keeps a span locked when part of it was not credited', () => {
    expect(spanWatched([[0, 15]], 10, 20)).toBe(false);
    expect(spanWatched([[0, 12], [18, 40]], 10, 20)).toBe(false);
    expect(spanWatched([], 0, 4)).toBe(false);
  });
  it('tolerates a sliver at the edge (1 s or 5 %)', () => {
    expect(spanWatched([[0.6, 4]], 0, 4)).toBe(true);
    expect(spanWatched([[0, 95]], 0, 100)).toBe(true);
    expect(spanWatched([[0, 93]], 0, 100)).toBe(false);
  });
});

describe('questions', () => {
  it('accepts a well-formed question of each kind', () => {
    expect(questionProblems(q(), 0)).toEqual([]);
    expect(questionProblems(q({ kind: 'multi', options: ['a', 'b', 'c', 'd'], answer: [0, 2] }), 0)).toEqual([]);
    expect(questionProblems(q({ kind: 'judge', options: ['正确', '错误'], answer: [0] }), 0)).toEqual([]);
  });
  it('names the field of each problem', () => {
    expect(questionProblems(q({ answer: [5] }), 0).map((p) => p.code)).toEqual(['QUIZ_ANSWER_INVALID']);
    expect(questionProblems(q({ answer: [0, 1] }), 0).map((p) => p.code)).toEqual(['QUIZ_ANSWER_SINGLE']);
    expect(questionProblems(q({ kind: 'multi', options: ['a', 'b', 'c'], answer: [0] }), 0).map((p) => p.code)).toEqual(['QUIZ_ANSWER_MULTI']);
    expect(questionProblems(q({ options: ['a', 'a'] }), 0).map((p) => p.code)).toContain('QUIZ_OPTION_DUPLICATE');
    expect(questionProblems(q({ spanFrom: 10, spanTo: null }), 0)[0]).toMatchObject({ field: 'span', code: 'QUIZ_SPAN_INCOMPLETE' });
    expect(questionProblems(q({ spanFrom: 10, spanTo: 5 }), 0)[0]?.code).toBe('QUIZ_SPAN_ORDER');
    expect(questionProblems(q({ spanFrom: 10, spanTo: 500 }), 60)[0]?.code).toBe('QUIZ_SPAN_PAST_END');
  });
});

describe('draws and scoring', () => {
  const bank = Array.from({ length: 10 }, (_, i) => ({ id: `q${i}`, kind: 'single' as const, options: ['a', 'b', 'c', 'd'] }));
  it('draws the asked number of distinct questions, each with a permutation of its options', () => {
    const d = drawQuestions(bank, 5, seededRandom('x'));
    expect(d).toHaveLength(5);
    expect(new Set(d.map((x) => x.q)).size).toBe(5);
    for (const item of d) expect([...item.order].sort()).toEqual([0, 1, 2, 3]);
    expect(drawQuestions(bank, 50, Math.random)).toHaveLength(10);
  });
  it('draws differently for different attempts', () => {
    const a = drawQuestions(bank, 5, seededRandom('attempt-1'));
    const b = drawQuestions(bank, 5, seededRandom('attempt-2'));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });
  it('maps displayed positions back through the draw', () => {
    expect(toBankChoice([2, 0, 3, 1], [0, 3])).toEqual([1, 2]);
    expect(toBankChoice([2, 0, 3, 1], [9, -1, 1, 1])).toEqual([0]);
  });
  it('counts a multiple choice right only when exactly the key', () => {
    expect(isCorrect([0, 2], [2, 0])).toBe(true);
    expect(isCorrect([0, 2], [0])).toBe(false);
    expect(isCorrect([0, 2], [0, 1, 2])).toBe(false);
  });
  it('scores each drawn question once and ignores answers to questions not drawn', () => {
    const draw = [{ q: 'a', order: [1, 0] }, { q: 'b', order: [0, 1] }];
    const keys = new Map([['a', [0]], ['b', [1]], ['c', [0]]]);
    const r = scoreAttempt(draw, keys, [{ questionId: 'a', choice: [1] }, { questionId: 'b', choice: [0] }, { questionId: 'c', choice: [0] }], 60);
    expect(r).toMatchObject({ right: 1, total: 2, score: 50, passed: false });
    expect(scoreAttempt(draw, keys, [{ questionId: 'a', choice: [1] }, { questionId: 'b', choice: [1] }], 60)).toMatchObject({ score: 100, passed: true });
  });
});

describe('attempts and credit', () => {
  it('numbers regular attempts, then make-ups, then none', () => {
    const s = { mainAttempts: 1, makeupAttempts: 2 };
    expect([1, 2, 3, 4].map((n) => phaseOf(n, s))).toEqual(['main', 'makeup', 'makeup', null]);
  });
  it('holds credit only under a pass policy with questions, until the pass', () => {
    expect(creditWaits({ needsPass: true }, 3, false)).toBe(true);
    expect(creditWaits({ needsPass: true }, 3, true)).toBe(false);
    expect(creditWaits({ needsPass: true }, 0, false)).toBe(false);
    expect(creditWaits({ needsPass: false }, 3, false)).toBe(false);
  });
});

describe('Excel rows', () => {
  const header = mapQuizHeader(['题型', '题干', '选项A', '选项B', '选项C', '选项D', '选项E', '选项F', '答案', '片段开始', '片段结束', '解析']);
  it('finds the columns, or names the missing ones', () => {
    expect(header instanceof Map).toBe(true);
    expect(mapQuizHeader(['题干'])).toEqual({ missing: ['题型', '答案'] });
  });
  it('reads clocks as seconds', () => {
    expect(parseClock('1:30')).toBe(90);
    expect(parseClock('01:02:03')).toBe(3723);
    expect(parseClock('45')).toBe(45);
    expect(parseClock('abc')).toBeNaN();
  });
  it('turns a good row into a question', () => {
    expect(checkQuizRow(2, { kind: '多选', stem: '哪些?', optionA: '甲', optionB: '乙', optionC: '丙', answer: 'A,C', spanFrom: '0:10', spanTo: '0:20' }, 60)).toEqual({
      question: { kind: 'multi', stem: '哪些?', options: ['甲', '乙', '丙'], answer: [0, 2], spanFrom: 10, spanTo: 20, explanation: '' },
    });
    expect(checkQuizRow(3, { kind: '判断', stem: '对吗', answer: '错误' }, 0)).toMatchObject({ question: { kind: 'judge', answer: [1] } });
  });
  it('lists every problem of a bad row with its row number and field', () => {
    const r = checkQuizRow(7, { kind: '单选', stem: '题', optionA: '甲', optionB: '乙', answer: 'D' }, 0);
    expect(r).toEqual({ errors: [expect.objectContaining({ row: 7, field: 'answer', code: 'QUIZ_ANSWER_INVALID' })] });
    expect(checkQuizRow(8, { kind: '问答', stem: '题', answer: 'A' }, 0)).toEqual({ errors: [expect.objectContaining({ row: 8, field: 'kind', code: 'QUIZ_ROW_KIND' })] });
    expect(checkQuizRow(9, { kind: '单选', stem: '题', optionA: '甲', optionB: '乙', answer: 'A', spanFrom: 'x' }, 0)).toEqual({ errors: [expect.objectContaining({ row: 9, field: 'spanFrom', code: 'QUIZ_ROW_CLOCK' })] });
  });
});
