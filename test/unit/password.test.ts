import { describe, expect, it } from 'vitest';
import { hashPassword, isStrongEnough, verifyPassword } from '../../server/modules/auth/password';

describe('passwords', () => {
  it('stores a salted scrypt hash, never the password', async () => {
    const a = await hashPassword('tongyu2026');
    const b = await hashPassword('tongyu2026');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toContain('tongyu2026');
    expect(a).not.toBe(b);
  });

  it('verifies the right password and refuses a wrong or malformed one', async () => {
    const h = await hashPassword('tongyu2026');
    expect(await verifyPassword('tongyu2026', h)).toBe(true);
    expect(await verifyPassword('tongyu2027', h)).toBe(false);
    expect(await verifyPassword('tongyu2026', 'plain')).toBe(false);
  });

  it('wants 8+ characters with letters and digits', () => {
    expect(isStrongEnough('abc12345')).toBe(true);
    expect(isStrongEnough('abc1234')).toBe(false);
    expect(isStrongEnough('abcdefgh')).toBe(false);
    expect(isStrongEnough('12345678')).toBe(false);
  });
});
