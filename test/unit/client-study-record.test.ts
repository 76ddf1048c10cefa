/** The study record pages' pure helpers (client/src/lib/study-record/record.ts). */
import { describe, expect, it } from 'vitest';
import { exportActive, exportPercent, exportsPath, hoursText, parseRecordYear, recordPath } from '../../client/src/lib/study-record/record';
import { matchRoute } from '../../client/src/lib/routes';

describe('study record client helpers', () => {
  it('prints hours with one decimal', () => {
    expect(hoursText(3)).toBe('3.0');
    expect(hoursText(0.1 + 0.2)).toBe('0.3');
  });

  it('shows export progress as a whole percentage, 100 only when done', () => {
    expect(exportPercent({ state: 'queued', done: 0, total: 0 })).toBe(0);
    expect(exportPercent({ state: 'running', done: 249, total: 500 })).toBe(49);
    expect(exportPercent({ state: 'running', done: 500, total: 500 })).toBe(100);
    expect(exportPercent({ state: 'done', done: 0, total: 0 })).toBe(100);
    expect(exportActive({ state: 'running' })).toBe(true);
    expect(exportActive({ state: 'failed' })).toBe(false);
  });

  it('accepts only county years the server accepts', () => {
    expect(parseRecordYear('2026')).toBe(2026);
    expect(parseRecordYear('1999')).toBeNull();
    expect(parseRecordYear('20x6')).toBeNull();
    expect(parseRecordYear(undefined)).toBeNull();
  });

  it('routes the record, the export screen and the public verification', () => {
    const record = matchRoute(recordPath('64b7f0c2a1b2c3d4e5f60718', 2026));
    expect(record).toMatchObject({ name: 'studyRecord', auth: true, params: { userId: '64b7f0c2a1b2c3d4e5f60718', year: '2026' } });
    expect(matchRoute(exportsPath('u1', 2026).split('?')[0]!).name).toBe('recordExports');
    expect(matchRoute('/verify/abc').name).toBe('verifyRecord');
    expect(matchRoute('/verify/abc').auth).toBe(false);
  });
});
