/**
 * Pure translation helpers (no browser state), shared by the locale store and unit tests.
 *
 * Server errors are shown by their stable `code`: a dictionary entry `error.<CODE>` wins; a code
 * the client does not know falls back to the server's own text in the current language
 * (`messageEn` for English, `message` for Chinese), then to a generic sentence.
 */
import { ApiError } from '../api/client.ts';
import { en } from './en.ts';
import { zhCN, type MessageKey, type Messages } from './zh-CN.ts';

export type Lang = 'zh-CN' | 'en';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];
export const DEFAULT_LANG: Lang = 'zh-CN';

export const dictionaries: Record<Lang, Messages> = { 'zh-CN': zhCN, en };

export type Params = Record<string, string | number>;

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key);
}

/** Replaces `{name}` placeholders; unknown placeholders are left as they are. */
export function format(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  return format(dictionaries[lang][key], params);
}

function lockedUntil(details: unknown): Date | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const value = (details as { lockedUntil?: unknown }).lockedUntil;
  if (typeof value !== 'string') return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The sentence to show for an error thrown by the API client (or anything else). */
export function describeError(lang: Lang, error: unknown): string {
  if (!(error instanceof ApiError)) return translate(lang, 'error.UNKNOWN');
  if (error.code === 'ACCOUNT_LOCKED') {
    const until = lockedUntil(error.details);
    if (until) {
      const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(until);
      return translate(lang, 'error.ACCOUNT_LOCKED_UNTIL', { time });
    }
  }
  if (error.code === 'RATE_LIMITED' && error.retryAfter !== undefined && error.retryAfter > 0) {
    return translate(lang, 'error.RATE_LIMITED_RETRY', { seconds: error.retryAfter });
  }
  const key = `error.${error.code}`;
  if (isMessageKey(key)) return translate(lang, key);
  const serverText = lang === 'en' ? (error.messageEn ?? error.message) : error.message;
  if (serverText && serverText !== error.code) return serverText;
  return translate(lang, error.status >= 500 ? 'error.SERVER_ERROR' : 'error.UNKNOWN');
}
