import { describe, expect, it } from 'vitest';
import { ApiError } from '../../client/src/lib/api/client';
import { LECTURE_CATEGORIES, ROLES } from '../../client/src/lib/api/types';
import { en } from '../../client/src/lib/i18n/en';
import { describeError, format, translate } from '../../client/src/lib/i18n/translate';
import { zhCN } from '../../client/src/lib/i18n/zh-CN';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('client i18n dictionaries', () => {
  it('English has exactly the Chinese keys, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [key, text] of Object.entries(en)) expect(text.trim(), key).not.toBe('');
  });

  it('both languages use the same placeholders for each key', () => {
    for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
    }
  });

  it('labels every role and lecture category in both languages', () => {
    for (const role of ROLES) expect(zhCN[`role.${role}`]).toBeTruthy();
    for (const category of LECTURE_CATEGORIES) expect(en[`category.${category}`]).toBeTruthy();
    expect(translate('zh-CN', 'role.orgAdmin')).toBe('组织部管理员');
    expect(translate('zh-CN', 'category.party-history')).toBe('党史党性');
  });

  it('the language switch names the other language', () => {
    expect(translate('zh-CN', 'lang.switch')).toBe('English');
    expect(translate('en', 'lang.switch')).toBe('中文');
  });
});

describe('client i18n formatting', () => {
  it('fills placeholders and leaves unknown ones alone', () => {
    expect(format('{name}，您好', { name: '张伟' })).toBe('张伟，您好');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});

describe('client error messages by code', () => {
  it('prefers the dictionary text for a known code', () => {
    const error = new ApiError(401, 'INVALID_CREDENTIALS', 'server text', 'server text en');
    expect(describeError('zh-CN', error)).toBe(zhCN['error.INVALID_CREDENTIALS']);
    expect(describeError('en', error)).toBe(en['error.INVALID_CREDENTIALS']);
  });

  it('falls back to the server message in the current language for an unknown code', () => {
    const error = new ApiError(409, 'LECTURE_TAKEN', '课程已被占用', 'Lecture taken');
    expect(describeError('zh-CN', error)).toBe('课程已被占用');
    expect(describeError('en', error)).toBe('Lecture taken');
  });

  it('shows the lock time when the server says until when', () => {
    const error = new ApiError(423, 'ACCOUNT_LOCKED', 'x', 'x', { lockedUntil: '2026-03-01T08:05:00.000Z' });
    expect(describeError('zh-CN', error)).toMatch(/账号已锁定至 \S+/);
    expect(describeError('en', error)).toContain('locked until');
  });

  it('shows the wait for a rate limit when Retry-After is known', () => {
    expect(describeError('zh-CN', new ApiError(429, 'RATE_LIMITED', 'x', 'x', undefined, 30))).toBe('请求过于频繁，请 30 秒后再试。');
    expect(describeError('en', new ApiError(429, 'RATE_LIMITED', 'x'))).toBe(en['error.RATE_LIMITED']);
  });

  it('has a generic sentence for anything that is not an ApiError', () => {
    expect(describeError('en', new Error('boom'))).toBe(en['error.UNKNOWN']);
  });
});
