/**
 * Flagged study records (可疑学习记录) as GET /api/study/flags answers them, and the pure helpers
 * the admin panel draws them with. A flag records an attempt and the seconds of credit the server
 * refused for it (docs/crediting-rules.md); honest learners on a bad link or with a wrong clock
 * get none. The server's `reason` is "中文 / English"; the panel shows the half of the UI language.
 */
import type { Lang } from '../i18n/index.ts';
import type { FlagView } from '../../../../server/modules/study/schemas.ts';

/** The kinds the server records, in the order the panel lists them (server/modules/study/flag-reasons.ts). */
export const FLAG_KINDS = [
  'parallel-sessions',
  'too-fast',
  'clock-fast',
  'not-delivered',
  'rate-too-high',
  'attention-missed',
  'too-old',
  'many-accounts-one-device',
  'checkin-burst',
  'checkin-foreign-network',
  'present-elsewhere',
] as const;

export type FlagKind = (typeof FLAG_KINDS)[number];

/** One flag as the server sends it (the schema is the server's, one contract). */
export type StudyFlag = FlagView;

/** Which flags the list shows: not yet reviewed (the default), reviewed, or all. */
export type FlagState = 'open' | 'reviewed' | 'all';
export const FLAG_STATES: readonly FlagState[] = ['open', 'reviewed', 'all'];

/** A review note as the server takes it: trimmed, 1–500 characters, or why not. */
export function checkNote(note: string): { ok: true; note: string } | { ok: false; why: 'empty' | 'long' } {
  const trimmed = note.trim();
  if (!trimmed) return { ok: false, why: 'empty' };
  if (trimmed.length > 500) return { ok: false, why: 'long' };
  return { ok: true, note: trimmed };
}

export function isFlagKind(kind: string): kind is FlagKind {
  return (FLAG_KINDS as readonly string[]).includes(kind);
}

const SEPARATOR = ' / ';

/** The half of "中文 / English" for `lang`; text without the separator is shown as it is. */
export function reasonIn(reason: string, lang: Lang): string {
  const at = reason.indexOf(SEPARATOR);
  if (at < 0) return reason;
  return (lang === 'en' ? reason.slice(at + SEPARATOR.length) : reason.slice(0, at)).trim();
}

/** Whole minutes and seconds of a duration (rounded to the second). */
export function minutesAndSeconds(seconds: number): { minutes: number; seconds: number } {
  const whole = Math.max(0, Math.round(seconds));
  return { minutes: Math.floor(whole / 60), seconds: whole % 60 };
}

/** The kinds present in `flags`, known kinds in FLAG_KINDS order, unknown ones after, with how many flags each. */
export function kindCounts(flags: readonly StudyFlag[]): { kind: string; flags: number; seconds: number }[] {
  const by = new Map<string, { flags: number; seconds: number }>();
  for (const f of flags) {
    const entry = by.get(f.kind) ?? { flags: 0, seconds: 0 };
    entry.flags += 1;
    entry.seconds += f.seconds;
    by.set(f.kind, entry);
  }
  const rank = (kind: string) => (isFlagKind(kind) ? FLAG_KINDS.indexOf(kind) : FLAG_KINDS.length);
  return [...by]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([kind, v]) => ({ kind, flags: v.flags, seconds: Math.round(v.seconds * 10) / 10 }));
}

/** `Intl.DateTimeFormat` in the county's time zone; an unknown zone falls back to this browser's. */
export function countyFormatter(lang: Lang, timeZone: string | undefined): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  try {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat(lang, options);
  }
}
