/**
 * Number and date text of 我的学习, in the chosen language (locale reads a reactive `lang`, so
 * templates that call these re-render when it changes).
 */
import { locale } from '../i18n/index.ts';
import { roundHours } from '../study/credits.ts';

/** 学时 with at most one decimal: 12.5, 3. */
export const hoursText = (h: number): string => locale.number(roundHours(h), { maximumFractionDigits: 1 });

/** A calendar date (2026/03/05), or '' when there is none. */
export const dateText = (iso: string | undefined): string =>
  iso ? new Intl.DateTimeFormat(locale.lang, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso)) : '';
