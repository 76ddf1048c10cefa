/** The pure rules of completion (completion-rules.ts) and of nomination quotas (training-rules.ts). */
import { describe, expect, it } from 'vitest';
import { certificateSerial, checkCadre, presenceNeeded, type RuleSession } from '../../server/modules/training/completion-rules';
import { quotaLeft, quotaUnitOf } from '../../server/modules/training/training-rules';
import { openCertificateCode, signCertificate, certificateKey } from '../../server/modules/training/certificate-code';

const sessions: RuleSession[] = [
  { id: 's1', kind: 'in-person', title: '开班式', lectureId: null },
  { id: 's2', kind: 'site-visit', title: '现场教学', lectureId: null },
  { id: 's3', kind: 'caravan', title: '大篷车', lectureId: null },
  { id: 's4', kind: 'recorded', title: '网络课', lectureId: 'L1' },
];
const att = (entries: [string, boolean, boolean][]) => new Map(entries.map(([id, checkIn, checkOut]) => [id, { checkIn, checkOut }]));

describe('completion rules', () => {
  it('counts a presence session only with both check-in and check-out', () => {
    const c = checkCadre({ presenceShare: 1, recordedAll: true }, sessions, { attendance: att([['s1', true, true], ['s2', true, false], ['s3', false, true]]), watched: new Set(['L1']) });
    expect(c).toMatchObject({ met: false, missing: ['presence'], presence: { required: 3, needed: 3, attended: 1, partial: ['现场教学', '大篷车'], absent: [] } });
  });

  it('rounds the share up and never asks for more than there are', () => {
    expect([presenceNeeded(0.5, 3), presenceNeeded(2 / 3, 3), presenceNeeded(0.8, 5), presenceNeeded(1.5, 2), presenceNeeded(0, 4), presenceNeeded(1, 0)]).toEqual([2, 2, 4, 2, 0, 0]);
  });

  it('asks for every recorded lecture only when the class says so, and meets a class with no sessions', () => {
    const e = { attendance: att([['s1', true, true], ['s2', true, true], ['s3', true, true]]), watched: new Set<string>() };
    expect(checkCadre({ presenceShare: 1, recordedAll: true }, sessions, e)).toMatchObject({ met: false, missing: ['recorded'], recorded: { unwatched: ['网络课'] } });
    expect(checkCadre({ presenceShare: 1, recordedAll: false }, sessions, e).met).toBe(true);
    expect(checkCadre({ presenceShare: 1, recordedAll: true }, [], { attendance: new Map(), watched: new Set() }).met).toBe(true);
  });

  it('takes the quiz and evaluation from the hook: none is met, false is missing', () => {
    const e = { attendance: new Map(), watched: new Set<string>() };
    expect(checkCadre({ presenceShare: 1, recordedAll: true }, [], { ...e, quiz: null, evaluation: undefined })).toMatchObject({ met: true, quiz: 'none', evaluation: 'none' });
    expect(checkCadre({ presenceShare: 1, recordedAll: true }, [], { ...e, quiz: false, evaluation: true })).toMatchObject({ met: false, missing: ['quiz'], quiz: 'missing', evaluation: 'met' });
  });

  it('formats serials as year-培训-class-seq', () => {
    expect(certificateSerial(2026, 12, 7)).toBe('2026-培训-012-0007');
  });
});

describe('nomination quotas', () => {
  const q = [{ unitId: 'town', quota: 2 }, { unitId: 'village', quota: 1 }];
  it('counts a cadre against the nearest unit with a quota, none when no unit has one', () => {
    expect(quotaUnitOf(q, ['village', 'town', 'county'])).toBe('village');
    expect(quotaUnitOf(q, ['gov', 'town', 'county'])).toBe('town');
    expect(quotaUnitOf(q, ['other', 'county'])).toBeNull();
    expect(quotaUnitOf([], ['other'])).toBeUndefined();
  });
  it('leaves what the live nominations have not taken', () => {
    const left = quotaLeft({ overallQuota: 3, unitQuotas: q }, [{ quotaUnitId: 'town' }, { quotaUnitId: 'village' }]);
    expect([left.overall, left.units.get('town'), left.units.get('village')]).toEqual([1, 1, 0]);
    expect(quotaLeft({ overallQuota: 0, unitQuotas: [] }, [{ quotaUnitId: null }]).overall).toBe(Infinity);
  });
});

describe('certificate codes', () => {
  it('opens only codes signed with the key', () => {
    const key = certificateKey('secret');
    const code = signCertificate(key, 'a'.repeat(24));
    expect(openCertificateCode(key, code)).toBe('a'.repeat(24));
    expect(openCertificateCode(certificateKey('other'), code)).toBeNull();
    expect(openCertificateCode(key, code.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBeNull();
    expect(openCertificateCode(key, 'junk')).toBeNull();
  });
});
