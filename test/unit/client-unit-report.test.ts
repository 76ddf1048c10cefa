/**
 * The unit report page's pure helpers (client/src/lib/reports/unit-report.ts): the range from the
 * query or the form, the API and export links, sorting by a clicked header and the sub-unit chart.
 */
import { describe, expect, it } from 'vitest';
import { checkRange, exportHref, nextSort, rangeFromQuery, remindUrl, reportUrl, sortMembers, subUnitSeries, wholeYear, withResultScore, yearRange } from '../../client/src/lib/reports/unit-report';

describe('the unit report range', () => {
  it('takes from/to, or an older ?year=, else the county year', () => {
    expect(rangeFromQuery('2026-03-01', '2026-06-30', null, 2026)).toEqual({ from: '2026-03-01', to: '2026-06-30' });
    expect(rangeFromQuery(null, null, '2025', 2026)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
    expect(rangeFromQuery('bad', null, 'x', 2026)).toEqual(yearRange(2026));
  });

  it('knows a whole year and checks what a form asks for', () => {
    expect(wholeYear(yearRange(2026))).toBe(2026);
    expect(wholeYear({ from: '2026-01-01', to: '2026-06-30' })).toBeNull();
    expect(checkRange('2026-01-01', '2026-12-31')).toBe('ok');
    expect(checkRange('2026-02-01', '2026-01-01')).toBe('reversed');
    expect(checkRange('2020-01-01', '2026-01-01')).toBe('too-long');
    expect(checkRange('', '2026-01-01')).toBe('missing');
  });
});

describe('the unit report links', () => {
  it('names the unit report, its exports by sheet and the reminders', () => {
    const r = { from: '2026-01-01', to: '2026-06-30' };
    expect(reportUrl('u1', r)).toBe('/api/reports/units/u1/report?from=2026-01-01&to=2026-06-30');
    expect(exportHref('u1', r, 'xlsx')).toBe('/api/reports/units/u1/report.xlsx?from=2026-01-01&to=2026-06-30');
    expect(exportHref('u1', r, 'csv', 'members')).toBe('/api/reports/units/u1/report.csv?from=2026-01-01&to=2026-06-30');
    expect(exportHref('u1', r, 'csv', 'lectures')).toBe('/api/reports/units/u1/report.csv?from=2026-01-01&to=2026-06-30&sheet=lectures');
    expect(remindUrl('u/1')).toBe('/api/reports/units/u%2F1/reminders');
  });
});

describe('the member table and the sub-unit chart', () => {
  it('flips a clicked column; a new one starts ascending for text, descending for numbers', () => {
    expect(nextSort({ key: 'percent', dir: 'asc' }, 'percent')).toEqual({ key: 'percent', dir: 'desc' });
    expect(nextSort({ key: 'percent', dir: 'asc' }, 'earned')).toEqual({ key: 'earned', dir: 'desc' });
    expect(nextSort({ key: 'percent', dir: 'asc' }, 'unitName')).toEqual({ key: 'unitName', dir: 'asc' });
  });

  it('sorts by the yearly result (实效测评) score, best first on the first click', () => {
    const m = (username: string, score: number) => ({ username, result: { grade: score >= 90 ? 'excellent' : 'pass', score } });
    const rows = withResultScore([m('a', 72), m('b', 95), m('c', 60)]);
    expect(rows.map((r) => r.resultScore)).toEqual([72, 95, 60]);
    const first = nextSort({ key: 'percent', dir: 'asc' }, 'resultScore');
    expect(first).toEqual({ key: 'resultScore', dir: 'desc' });
    expect(sortMembers(rows, 'resultScore', first.dir).map((r) => r.username)).toEqual(['b', 'a', 'c']);
    expect(sortMembers(rows, 'resultScore', 'asc').map((r) => r.username)).toEqual(['c', 'a', 'b']);
  });

  it('stacks met and behind per sub-unit, labels cut to fit', () => {
    const row = (name: string, met: number, behind: number) => ({ unitId: name, name, members: met + behind, met, behind, earned: 0, requiredHours: 0, averageHours: 0, metPercent: 0 });
    expect(subUnitSeries([row('苏公坨乡人民政府办公室', 3, 1), row('村', 0, 2)], 6)).toEqual({ labels: ['苏公坨乡人…', '村'], met: [3, 0], behind: [1, 2] });
  });
});
