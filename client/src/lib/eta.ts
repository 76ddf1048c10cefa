/** A remaining-time estimate in words, in the UI language: "约 1 分 20 秒" / "about 1 min 20 s". */
import { t } from './i18n/index.ts';
import { etaParts } from './studio/upload-format.ts';

export function formatEta(seconds: number): string {
  const { h, m, s } = etaParts(seconds);
  if (h > 0) return t('eta.hm', { h, m });
  if (m > 0) return t('eta.ms', { m, s });
  return t('eta.s', { s });
}
