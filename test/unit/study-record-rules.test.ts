/**
 * The study record's pure rules (server/modules/study-record/record-rules.ts): channels from the
 * ledger's sources, hours grouped by channel with training at 0, the unit report's assessment,
 * a digest that follows the figures and not the order they were read in, and codes that only the
 * portal's key signs.
 */
import { describe, expect, it } from 'vitest';
import { checkRecordFont } from '../../server/modules/study-record/routes';
import { loadConfig } from '../../config';
import { buildFigures, channelOf, figuresDigest, groupByChannel, openCode, recordKey, signCode, type EntryFact } from '../../server/modules/study-record/record-rules';

const user = '64b7f0c2a1b2c3d4e5f60718';
const entries: EntryFact[] = [
  { lectureId: 'a', title: '关键在于落实', day: '2026-03-05', hours: 2, required: true, source: 'individual' },
  { lectureId: 'b', title: '清华大学论坛', day: '2026-04-10', hours: 1.5, required: false, source: 'live' },
  { lectureId: 'c', title: '空中课堂:乡村振兴', day: '2026-02-01', hours: 3, required: true, source: 'station' },
  { lectureId: 'd', title: '数字乡村建设', day: '2026-05-20', hours: 0.5, required: false },
];

describe('study record rules', () => {
  it('maps ledger sources to channels, unknown and missing ones to self-selected study', () => {
    expect(channelOf('individual')).toBe('selfStudy');
    expect(channelOf(undefined)).toBe('selfStudy');
    expect(channelOf('live')).toBe('live');
    expect(channelOf('station')).toBe('airClassroom');
    expect(channelOf('training')).toBe('training');
    expect(channelOf('something-new')).toBe('selfStudy');
  });

  it('groups hours by channel, every channel listed and training at 0', () => {
    const f = buildFigures(2026, 50, entries);
    const by = Object.fromEntries(f.channels.map((c) => [c.channel, c]));
    expect(f.channels.map((c) => c.channel)).toEqual(['selfStudy', 'live', 'airClassroom', 'training']);
    expect(by.selfStudy).toEqual({ channel: 'selfStudy', hours: 2.5, required: 2, elective: 0.5, lectures: 2 });
    expect(by.live).toEqual({ channel: 'live', hours: 1.5, required: 0, elective: 1.5, lectures: 1 });
    expect(by.airClassroom).toEqual({ channel: 'airClassroom', hours: 3, required: 3, elective: 0, lectures: 1 });
    expect(by.training).toEqual({ channel: 'training', hours: 0, required: 0, elective: 0, lectures: 0 });
    expect(f.earned).toEqual({ total: 7, required: 5, elective: 2 });
    expect(f.lectures.map((l) => l.day)).toEqual(['2026-02-01', '2026-03-05', '2026-04-10', '2026-05-20']);
  });

  it('adds tenths without float noise', () => {
    const tenths = Array.from({ length: 10 }, (_, i) => ({ lectureId: `x${i}`, title: 't', day: '2026-01-02', hours: 0.1, required: false, source: 'live' }));
    expect(groupByChannel(buildFigures(2026, 0, tenths).lectures)[1]!.hours).toBe(1);
  });

  it('assesses against the whole year requirement like the unit report (met at exactly the requirement)', () => {
    expect(buildFigures(2026, 7, entries).result).toBe('met');
    expect(buildFigures(2026, 7.1, entries).result).toBe('behind');
    expect(buildFigures(2026, 7.1, entries).requiredHours).toBe(7.1);
  });

  it('leaves out entries of another year', () => {
    const f = buildFigures(2026, 50, [...entries, { lectureId: 'z', title: 'old', day: '2025-12-31', hours: 9, required: true, source: 'individual' }]);
    expect(f.earned.total).toBe(7);
  });

  it('digests the figures: the same whatever the read order, different when any hour changes', () => {
    const a = figuresDigest(user, 2026, buildFigures(2026, 50, entries));
    const b = figuresDigest(user, 2026, buildFigures(2026, 50, [...entries].reverse()));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toBe(a);
    const changed = entries.map((e, i) => (i === 1 ? { ...e, hours: 2 } : e));
    expect(figuresDigest(user, 2026, buildFigures(2026, 50, changed))).not.toBe(a);
    expect(figuresDigest(user, 2025, buildFigures(2026, 50, entries))).not.toBe(a);
  });

  it('opens only codes signed with the same key, and refuses any altered part', () => {
    const key = recordKey('a-session-secret-of-at-least-32-characters');
    const digest = figuresDigest(user, 2026, buildFigures(2026, 50, entries));
    const code = signCode(key, user, 2026, digest);
    expect(openCode(key, code)).toEqual({ userId: user, year: 2026, digest });
    const [u, y, d, m] = code.split('-') as [string, string, string, string];
    const flip = (s: string) => (s[0] === '0' ? '1' : '0') + s.slice(1);
    expect(openCode(key, [u, y, flip(d), m].join('-'))).toBeNull();
    expect(openCode(key, [u, '2025', d, m].join('-'))).toBeNull();
    expect(openCode(key, [flip(u), y, d, m].join('-'))).toBeNull();
    expect(openCode(key, [u, y, d, flip(m)].join('-'))).toBeNull();
    expect(openCode(recordKey('another-secret-of-at-least-32-characters!'), code)).toBeNull();
    expect(openCode(key, 'not a code')).toBeNull();
  });

  it('names the config key when the PDF font is missing, and defaults to Noto Sans CJK', () => {
    const config = loadConfig({});
    expect(config.studyRecord.fontPath).toBe('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc');
    expect(() => checkRecordFont(config.studyRecord.fontPath)).not.toThrow();
    expect(() => checkRecordFont('/nowhere/font.ttc')).toThrow(/^Invalid configuration: STUDY_RECORD_FONT .*\/nowhere\/font\.ttc/);
  });
});
