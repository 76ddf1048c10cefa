/**
 * Words and numbers of the county pages in the chosen language: channel, rank and category names
 * (a code the dictionary does not know is shown as it is), counts, hours and percentages.
 */
import { isMessageKey, locale, t, type MessageKey } from '../i18n/index.ts';
import { changeOnLastYear, percent, roundHours } from './county.ts';
import type { CountyChannel } from './types.ts';

const known = (key: string, fallback: string) => (isMessageKey(key) ? t(key as MessageKey) : fallback);

export const channelLabel = (c: CountyChannel | string) => known(`county.channel.${c}`, c);
export const rankLabel = (r: string) => known(`rank.${r}`, r || '—');
export const categoryLabel = (c: string) => (isMessageKey(`category.${c}`) ? t(`category.${c}` as MessageKey) : known(`training.cat.${c}`, c || '—'));

export const count = (n: number) => locale.number(n);
export const hours = (h: number) => locale.number(roundHours(h), { maximumFractionDigits: 1 });
export const sharePct = (share: number) => `${locale.number(percent(share), { maximumFractionDigits: 1 })}%`;

/** The share on track of a group, or a dash when it has no cadres to be on track. */
export const shareOf = (share: number, cadres: number) => (cadres > 0 ? sharePct(share) : '—');

/** "+12.5%" / "−3%" against last year, or a dash when last year had nothing. */
export function changeText(now: number, prev: number): string {
  const c = changeOnLastYear(now, prev);
  if (c === null) return t('county.changeNone');
  const sign = c > 0 ? '+' : c < 0 ? '−' : '±';
  return `${sign}${locale.number(Math.abs(c), { maximumFractionDigits: 1 })}%`;
}

/** up / down / flat for the change's colour. */
export function changeDir(now: number, prev: number): 'up' | 'down' | 'flat' {
  const c = changeOnLastYear(now, prev);
  return c === null || c === 0 ? 'flat' : c > 0 ? 'up' : 'down';
}
