/** The yearly result's rule form on the client (client/src/lib/assessment/assessment.ts): drafts checked as the server checks them. */
import { describe, expect, it } from 'vitest';
import { checkDraft, draftOf, gradeSeries } from '../../client/src/lib/assessment/assessment';
import { checkRule, DEFAULT_RULE } from '../../server/modules/assessment/assessment-rules';

describe('the rule form', () => {
  it('turns the default rule into a draft and back', () => {
    expect(checkDraft(draftOf(DEFAULT_RULE))).toEqual({ rule: DEFAULT_RULE, problems: {} });
  });

  it('points out fields out of range, weights that do not add up to 100 and a pass mark above the excellent one', () => {
    const d = draftOf(DEFAULT_RULE);
    expect(checkDraft({ ...d, quizTarget: '0' }).problems).toEqual({ quizTarget: { kind: 'range', min: 1, max: 50 } });
    expect(checkDraft({ ...d, hoursWeight: '1.5' }).problems.hoursWeight).toMatchObject({ kind: 'range' });
    expect(checkDraft({ ...d, quizWeight: '30' })).toEqual({ rule: null, problems: { weights: { kind: 'weights', sum: 105 } } });
    expect(checkDraft({ ...d, passScore: '95' }).problems).toEqual({ passScore: { kind: 'order' } });
  });

  it('accepts only what the server accepts', () => {
    for (const change of [{ quizWeight: '30' }, { passScore: '95' }, { hoursWeight: '50', quizWeight: '35' }, { excellentScore: '100', passScore: '100' }]) {
      const { rule } = checkDraft({ ...draftOf(DEFAULT_RULE), ...change });
      const server = checkRule({ ...DEFAULT_RULE, ...Object.fromEntries(Object.entries(change).map(([k, v]) => [k, Number(v)])) });
      expect(rule === null, JSON.stringify(change)).toBe(server !== null);
    }
  });

  it('lists the counts per grade in chart order', () => {
    expect(gradeSeries({ fail: 3, excellent: 1, pass: 2 })).toEqual([1, 2, 3]);
  });
});
