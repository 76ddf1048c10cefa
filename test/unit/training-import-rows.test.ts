/** Pure rules of the external-training import and the year report: days, channels, row keys, sums. */
import { describe, expect, it } from 'vitest';
import { externalIdOf, guessChannel, parseChannel, parseDay, rowKey } from '../../server/modules/training/external-import-rows';
import { yearReport } from '../../server/modules/training/training-report';

describe('import rows', () => {
  it('read the days people type and refuse days that do not exist', () => {
    for (const text of ['2026-03-10', '2026/3/10', '2026.3.10', '2026年3月10日', '20260310', ' 2026-3-10 ']) expect(parseDay(text)).toBe('2026-03-10');
    for (const text of ['2026-02-30', '2026-13-01', '10/03/2026', '', 'abc', '1980-01-01']) expect(parseDay(text)).toBeNull();
  });

  it('know the channels by their Chinese names and guess a claim’s from its organiser', () => {
    expect(['高校培训', '清华大学', '搭车培训', '搭车', '考察学习', '其他', ' 考察 '].map(parseChannel)).toEqual(['university', 'university', 'provincial', 'provincial', 'visit', 'other', 'visit']);
    expect(parseChannel('出国')).toBeNull();
    expect(guessChannel('清华大学', '县域经济专题培训班')).toBe('university');
    expect(guessChannel('县委组织部', '赴华西村考察学习')).toBe('visit');
    expect(guessChannel('省委组织部', '乡镇干部培训班')).toBe('provincial');
  });

  it('name a record by its cadre, title, first day and organiser, whatever the spaces and case', () => {
    const a = rowKey('u1', '清华大学 乡村振兴 班', '2026-09-14', 'Tsinghua');
    expect(rowKey('u1', '清华大学乡村振兴班 ', '2026-09-14', ' tsinghua')).toBe(a);
    expect(externalIdOf(a)).toMatch(/^[0-9a-f]{24}$/);
    expect(externalIdOf(a)).toBe(externalIdOf(rowKey('u1', '清华大学乡村振兴班', '2026-09-14', 'TSINGHUA')));
    expect(externalIdOf(a)).not.toBe(externalIdOf(rowKey('u2', '清华大学乡村振兴班', '2026-09-14', 'Tsinghua')));
  });
});

describe('year report', () => {
  it('counts cohorts, seated and completed places and hours by category and channel, and external records by channel', () => {
    const r = yearReport(
      2026,
      [
        { id: 'c1', name: '党史班', category: '专题培训', channel: 'county' },
        { id: 'c2', name: '党史班', category: '专题培训', channel: 'county' },
        { id: 'c3', name: '大篷车', category: '专题培训', channel: 'caravan' },
      ],
      [
        { classId: 'c1', state: 'completed', hours: 16 },
        { classId: 'c1', state: 'enrolled', hours: 0 },
        { classId: 'c1', state: 'withdrawn', hours: 0 },
        { classId: 'c2', state: 'completed', hours: 12.5 },
        { classId: 'c3', state: 'completed', hours: 2 },
        { classId: 'other-year', state: 'completed', hours: 99 },
      ],
      [
        { userId: 'u1', channel: 'visit', hours: 16 },
        { userId: 'u1', channel: 'visit', hours: 8 },
        { userId: 'u2', channel: 'university', hours: 40 },
      ],
      new Date('2026-12-03T00:00:00Z'),
    );
    expect(r.classes.byCategory).toEqual([
      { category: '专题培训', channel: 'county', cohorts: 2, enrolled: 3, completed: 2, hours: 28.5 },
      { category: '专题培训', channel: 'caravan', cohorts: 1, enrolled: 1, completed: 1, hours: 2 },
    ]);
    expect(r.classes.byName.map((c) => [c.name, c.cohorts])).toEqual([['党史班', 2], ['大篷车', 1]]);
    expect(r.external.byChannel).toEqual([
      { channel: 'university', personTimes: 1, cadres: 1, hours: 40 },
      { channel: 'provincial', personTimes: 0, cadres: 0, hours: 0 },
      { channel: 'visit', personTimes: 2, cadres: 1, hours: 24 },
      { channel: 'other', personTimes: 0, cadres: 0, hours: 0 },
    ]);
    expect(r.totals).toEqual({ personTimes: 3 + 3, hours: 30.5 + 64 });
  });
});
