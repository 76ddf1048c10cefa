/**
 * Rows of an external-training import (外出培训学时批量导入), no I/O. A cadre is named by their
 * login (用户名: the users model has no ID-card number) and cross-checked by name (姓名). A row
 * is refused, with its Excel row number and a stable code, when a field is missing, the cadre is
 * unknown or not a cadre, the name does not match, a date is bad or in the future, the end is
 * before the start, the training ended in a closed year (before the previous county year: those
 * hours are past their study years' checks and printed records), the hours are outside
 * (0, MAX_HOURS], the channel is unknown, or the same
 * training of the same cadre is on another row or already recorded. A row's key is cadre + title +
 * first day + organiser (text squeezed of spaces, case folded); the record imported from it gets
 * an `_id` derived from that key, so the store's primary key keeps it from being imported twice,
 * whichever file or upload brings it and however two uploads race.
 */
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { cellText as sheetCellText, mapHeader as mapSheetHeader } from '../../excel/sheet-import';

export const MAX_HOURS = 200;

/** 渠道: the channels of training taken elsewhere (the class channels they share, plus 其他). */
export const externalChannels = ['university', 'provincial', 'visit', 'other'] as const;
export type ExternalChannel = (typeof externalChannels)[number];

/** What the 渠道 column accepts (squeezed, lower case) → channel. */
const CHANNEL_WORDS: [RegExp, ExternalChannel][] = [
  [/^(高校培训|高校|大学|清华大学|吉林大学|university)$/, 'university'],
  [/^(搭车培训|搭车|省委组织部|provincial)$/, 'provincial'],
  [/^(考察学习|考察|visit)$/, 'visit'],
  [/^(其他|其它|other)$/, 'other'],
];
export const CHANNEL_CHOICES = ['高校培训', '搭车培训', '考察学习', '其他'];

export function parseChannel(text: string): ExternalChannel | null {
  const t = text.replace(/\s/g, '').toLowerCase();
  return CHANNEL_WORDS.find(([re]) => re.test(t))?.[1] ?? null;
}

/** A record with no channel of its own (a cadre's claim): guessed from its organiser and title. */
export function guessChannel(organiser: string, title: string): ExternalChannel {
  const text = `${organiser} ${title}`;
  if (/搭车|省委组织部/.test(text)) return 'provincial';
  if (/考察/.test(text)) return 'visit';
  if (/大学|学院/.test(organiser)) return 'university';
  return 'other';
}

export type ImportField = 'username' | 'displayName' | 'title' | 'organiser' | 'startDay' | 'endDay' | 'hours' | 'channel' | 'note';

export const IMPORT_COLUMNS: { field: ImportField; header: string; required: boolean; width: number; note: string }[] = [
  { field: 'username', header: '用户名', required: true, width: 16, note: '干部的登录用户名(平台账号)' },
  { field: 'displayName', header: '姓名', required: true, width: 12, note: '用于核对:须与该账号的姓名一致' },
  { field: 'title', header: '培训名称', required: true, width: 32, note: '如:清华大学县域经济发展专题培训班' },
  { field: 'organiser', header: '主办单位', required: true, width: 20, note: '如:清华大学、省委组织部' },
  { field: 'startDay', header: '开始日期', required: true, width: 12, note: '日期,如 2026-03-10' },
  { field: 'endDay', header: '结束日期', required: true, width: 12, note: '日期,不早于开始日期,不晚于今天' },
  { field: 'hours', header: '认定学时', required: true, width: 10, note: `大于 0、不超过 ${MAX_HOURS} 的数字,最多一位小数` },
  { field: 'channel', header: '渠道', required: true, width: 12, note: `可填:${CHANNEL_CHOICES.join('、')}` },
  { field: 'note', header: '备注', required: false, width: 24, note: '选填' },
];

export interface RowError {
  row: number;
  field: string;
  code: string;
  message: string;
  messageEn: string;
}

export interface ImportRow {
  row: number;
  /** The key the record's `_id` is derived from. */
  key: string;
  externalId: string;
  userId: string;
  unitId: string | null;
  username: string;
  displayName: string;
  title: string;
  organiser: string;
  startDay: string;
  endDay: string;
  hours: number;
  channel: ExternalChannel;
  note: string;
  year: number;
}

export interface CadreFacts {
  id: string;
  displayName: string;
  role: string;
  disabled: boolean;
  unitId: string | null;
}

export interface CheckContext {
  today: string;
  /** The first county year still open to imports (the previous one). */
  firstOpenYear: number;
  cadres: ReadonlyMap<string, CadreFacts>;
  /** Keys of records already in the store (imported or entered by the cadre). */
  recorded: ReadonlySet<string>;
}

/** Cell text; a date cell becomes 'YYYY-MM-DD' (an invalid one, ''). */
export function cellText(value: unknown): string {
  return sheetCellText(value, (d) => (Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 10)));
}

export function mapHeader(cells: string[]): Map<ImportField, number> | { missing: string[] } {
  return mapSheetHeader(IMPORT_COLUMNS, cells);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 'YYYY-MM-DD' from 2026-03-10, 2026/3/10, 2026.3.10, 2026年3月10日 or 20260310; null when not a real day. */
export function parseDay(text: string): string | null {
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(text.trim()) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || y < 1990) return null;
  return `${y}-${pad(mo)}-${pad(d)}`;
}

const squeeze = (s: string) => s.replace(/\s+/g, '').toLowerCase();

export function rowKey(userId: string, title: string, startDay: string, organiser: string): string {
  return `${userId}|${squeeze(title)}|${startDay}|${squeeze(organiser)}`;
}

/** The `_id` of the record a row key imports: 12 bytes of its SHA-256. */
export function externalIdOf(key: string): string {
  return new Types.ObjectId(createHash('sha256').update(`external-import:${key}`).digest().subarray(0, 12)).toHexString();
}

const err = (row: number, field: string, code: string, message: string, messageEn: string): RowError => ({ row, field, code, message, messageEn });

export function checkRow(row: number, v: Partial<Record<ImportField, string>>, ctx: CheckContext): { ok: ImportRow } | { errors: RowError[] } {
  const errors: RowError[] = [];
  for (const col of IMPORT_COLUMNS) {
    if (col.required && !v[col.field]) errors.push(err(row, col.field, 'MISSING_FIELD', `缺少"${col.header}"`, `"${col.header}" is missing`));
  }
  const username = (v.username ?? '').toLowerCase();
  const cadre = username ? ctx.cadres.get(username) : undefined;
  if (username && (!cadre || cadre.role !== 'cadre' || cadre.disabled)) {
    errors.push(err(row, 'username', 'UNKNOWN_CADRE', `用户名"${v.username}"不是在册干部`, `"${v.username}" is not an active cadre`));
  } else if (cadre && v.displayName && squeeze(v.displayName) !== squeeze(cadre.displayName)) {
    errors.push(err(row, 'displayName', 'NAME_MISMATCH', `姓名"${v.displayName}"与账号"${username}"的姓名"${cadre.displayName}"不符`, `"${v.displayName}" is not the name of "${username}" (${cadre.displayName})`));
  }
  if ((v.title?.length ?? 0) > 100) errors.push(err(row, 'title', 'TOO_LONG', '培训名称过长(最多 100 字)', 'The title is too long (100 at most)'));
  if ((v.organiser?.length ?? 0) > 60) errors.push(err(row, 'organiser', 'TOO_LONG', '主办单位过长(最多 60 字)', 'The organiser is too long (60 at most)'));
  if ((v.note?.length ?? 0) > 200) errors.push(err(row, 'note', 'TOO_LONG', '备注过长(最多 200 字)', 'The note is too long (200 at most)'));
  const startDay = v.startDay ? parseDay(v.startDay) : null;
  const endDay = v.endDay ? parseDay(v.endDay) : null;
  if (v.startDay && !startDay) errors.push(err(row, 'startDay', 'BAD_DATE', `开始日期"${v.startDay}"不是有效日期`, `Start day "${v.startDay}" is not a date`));
  if (v.endDay && !endDay) errors.push(err(row, 'endDay', 'BAD_DATE', `结束日期"${v.endDay}"不是有效日期`, `End day "${v.endDay}" is not a date`));
  if (startDay && endDay && endDay < startDay) errors.push(err(row, 'endDay', 'END_BEFORE_START', '结束日期早于开始日期', 'The end day is before the start day'));
  if (endDay && Number(endDay.slice(0, 4)) < ctx.firstOpenYear) errors.push(err(row, 'endDay', 'YEAR_CLOSED', `${endDay.slice(0, 4)} 年度已结束,只能导入 ${ctx.firstOpenYear} 年以来的培训`, `The year ${endDay.slice(0, 4)} is closed: import training from ${ctx.firstOpenYear} on`));
  if (endDay && endDay > ctx.today) errors.push(err(row, 'endDay', 'FUTURE_TRAINING', '培训尚未结束,结束后再导入', 'The training has not ended yet'));
  const hours = v.hours ? Number(v.hours) : NaN;
  if (v.hours && !(hours > 0 && hours <= MAX_HOURS)) errors.push(err(row, 'hours', 'BAD_HOURS', `认定学时"${v.hours}"须为大于 0、不超过 ${MAX_HOURS} 的数字`, `Hours "${v.hours}" must be a number above 0 and at most ${MAX_HOURS}`));
  const channel = v.channel ? parseChannel(v.channel) : null;
  if (v.channel && !channel) errors.push(err(row, 'channel', 'BAD_CHANNEL', `渠道"${v.channel}"无效,可填:${CHANNEL_CHOICES.join('、')}`, `Unknown channel "${v.channel}"`));
  if (errors.length || !cadre || !startDay || !endDay || !channel) return { errors };
  const key = rowKey(cadre.id, v.title!, startDay, v.organiser!);
  if (ctx.recorded.has(key)) return { errors: [err(row, 'title', 'ALREADY_RECORDED', '该干部的这次培训已登记或导入过', 'This training of this cadre is already recorded')] };
  return {
    ok: {
      row,
      key,
      externalId: externalIdOf(key),
      userId: cadre.id,
      unitId: cadre.unitId,
      username,
      displayName: cadre.displayName,
      title: v.title!.trim(),
      organiser: v.organiser!.trim(),
      startDay,
      endDay,
      hours: Math.round(hours * 10) / 10,
      channel,
      note: v.note?.trim() ?? '',
      year: Number(endDay.slice(0, 4)),
    },
  };
}

/** Every row, and the file as a whole: the same training of the same cadre on two rows is reported on each. */
export function checkRows(rows: { row: number; values: Partial<Record<ImportField, string>> }[], ctx: CheckContext): { ok: ImportRow[]; errors: RowError[] } {
  const checked = rows.map((r) => ({ r, c: checkRow(r.row, r.values, ctx) }));
  const byKey = new Map<string, number[]>();
  for (const { c } of checked) if ('ok' in c) byKey.set(c.ok.key, [...(byKey.get(c.ok.key) ?? []), c.ok.row]);
  const ok: ImportRow[] = [];
  const errors: RowError[] = [];
  for (const { c } of checked) {
    if ('errors' in c) {
      errors.push(...c.errors);
      continue;
    }
    const twins = byKey.get(c.ok.key)!.filter((n) => n !== c.ok.row);
    if (twins.length) errors.push(err(c.ok.row, 'title', 'DUPLICATE_IN_FILE', `与第 ${twins.join('、')} 行是同一干部的同一次培训`, `The same training of the same cadre as row ${twins.join(', ')}`));
    else ok.push(c.ok);
  }
  errors.sort((a, b) => a.row - b.row);
  return { ok, errors };
}
