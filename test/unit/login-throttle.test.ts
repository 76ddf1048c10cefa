import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../server/modules/auth/login-throttle';

const cfg = { maxFailures: 3, delaySeconds: 2, lockSeconds: 60, accountMaxFailures: 10 };

function throttle(config = cfg) {
  const clock = { now: 1_000_000 };
  return { t: new LoginThrottle(config, () => clock.now), clock };
}

describe('login throttle', () => {
  it('lets a source try maxFailures times, then makes it wait, doubling up to the cap', () => {
    const { t, clock } = throttle();
    expect(t.fail('orgadmin', 'A')).toBe(0);
    expect(t.fail('orgadmin', 'A')).toBe(0);
    expect(t.check('orgadmin', 'A')).toBe(0);
    expect(t.fail('orgadmin', 'A')).toBe(2);
    expect(t.check('orgadmin', 'A')).toBe(2);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      clock.now += t.check('orgadmin', 'A') * 1000;
      expect(t.check('orgadmin', 'A')).toBe(0);
      waits.push(t.fail('orgadmin', 'A'));
    }
    expect(waits).toEqual([4, 8, 16, 32, 60, 60, 60, 60]);
  });

  it('does not make another source of the same account wait', () => {
    const { t } = throttle();
    for (let i = 0; i < 5; i++) t.fail('orgadmin', 'stranger');
    expect(t.check('orgadmin', 'stranger')).toBeGreaterThan(0);
    expect(t.check('orgadmin', 'office')).toBe(0);
  });

  it('treats unknown and real names alike: it never learns which is which', () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) {
      t.fail('orgadmin', 'A');
      t.fail('no-such-user', 'A');
    }
    expect(t.check('orgadmin', 'A')).toBe(t.check('no-such-user', 'A'));
  });

  it('clears a source on success and trusts it when the whole account is under attack', () => {
    const { t, clock } = throttle();
    t.fail('orgadmin', 'office');
    t.succeed('orgadmin', 'office');
    expect(t.list().some((l) => l.kind === 'source' && l.ip === 'office')).toBe(false);
    // Ten failures from ten machines lock the account for strangers, not for the office.
    for (let i = 0; i < 10; i++) t.fail('orgadmin', `bot-${i}`);
    expect(t.check('orgadmin', 'new-machine')).toBe(60);
    expect(t.check('orgadmin', 'office')).toBe(0);
    clock.now += 61_000;
    expect(t.check('orgadmin', 'new-machine')).toBe(0);
  });

  it('never locks the account as a whole when accountMaxFailures is 0', () => {
    const { t } = throttle({ ...cfg, accountMaxFailures: 0 });
    for (let i = 0; i < 50; i++) t.fail('orgadmin', `bot-${i}`);
    expect(t.check('orgadmin', 'new-machine')).toBe(0);
  });

  it('lists counts and waits, and forgets one when an administrator clears it', () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) t.fail('cadre', '10.0.0.9');
    const locks = t.list();
    const source = locks.find((l) => l.kind === 'source')!;
    expect(source).toMatchObject({ username: 'cadre', ip: '10.0.0.9', failures: 3 });
    expect(source.blockedUntil).not.toBeNull();
    expect(locks.find((l) => l.kind === 'account')).toMatchObject({ username: 'cadre', failures: 3, sources: 1, blockedUntil: null });
    expect(t.clear(source.key)).toBe(true);
    expect(t.clear(source.key)).toBe(false);
    expect(t.check('cadre', '10.0.0.9')).toBe(0);
  });

  it('forgets counts a day after the last failure', () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 2; i++) t.fail('cadre', 'A');
    clock.now += 25 * 3600_000;
    t.prune();
    expect(t.list()).toEqual([]);
    // Counting starts again from zero.
    expect(t.fail('cadre', 'A')).toBe(0);
  });
});
