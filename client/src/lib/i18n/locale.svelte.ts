/**
 * The UI language: Chinese by default, English second. The choice is kept in localStorage under
 * `locale` and mirrored on `<html lang>` and the document title. `t()` reads the reactive
 * `lang`, so any template that calls it re-renders when the language changes.
 */
import {
  DEFAULT_LANG,
  describeError,
  isLang,
  translate,
  type Lang,
  type Params,
} from './translate.ts';
import type { MessageKey } from './zh-CN.ts';

export const LOCALE_STORAGE_KEY = 'locale';

function readStored(): Lang {
  try {
    const stored = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    return isLang(stored) ? stored : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG; // storage can be disabled (private mode, policies)
  }
}

export class Locale {
  lang = $state<Lang>(readStored());

  /** The language the switch button offers. */
  readonly other = $derived<Lang>(this.lang === 'zh-CN' ? 'en' : 'zh-CN');

  set(lang: Lang): void {
    this.lang = lang;
    try {
      globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, lang);
    } catch {
      // not persisted; the choice still holds for this page
    }
  }

  toggle(): void {
    this.set(this.other);
  }

  t = (key: MessageKey, params?: Params): string => translate(this.lang, key, params);

  /** Text for an error from the API client, by its code. */
  error = (error: unknown): string => describeError(this.lang, error);

  dateTime = (value: string | number | Date, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string =>
    new Intl.DateTimeFormat(this.lang, options).format(new Date(value));

  number = (value: number, options?: Intl.NumberFormatOptions): string =>
    new Intl.NumberFormat(this.lang, options).format(value);
}

export const locale = new Locale();
export const t = locale.t;
