/**
 * The printable study record's rules (学习档案), with no I/O. A record is one cadre's county year:
 * every ledger entry of that year (credit-ledger.ts: one per cadre, content and county year), each
 * with its county day and hours, grouped by the channel it was earned in:
 * - selfStudy (自主选学): the cadre's own playback (ledger source `individual`, or none);
 * - live (直播论坛): a live lecture followed live (source `live`);
 * - airClassroom (空中课堂): group study at a terminal station (source `station`);
 * - training (培训班): training classes (source `training`) and approved training taken elsewhere
 *   (外出培训, source `external`), both from server/modules/training.
 * The assessment is the unit report's (report-rules.ts): the rank's yearly requirement over the
 * whole year, 达标 when the hours earned reach it, 未达标 below.
 *
 * Verification: the figures are reduced to a digest (sha256 of a canonical text, 16 hex), and the
 * paper carries the code `userId-year-digest-mac`, mac an HMAC of the other three under the
 * portal's key. A code whose mac fails was not issued by the portal (or was altered); a valid code
 * whose digest differs from today's figures was issued, but the figures changed since.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { rangeRequirement, round1 } from '../reports/report-rules';

export const CHANNELS = ['selfStudy', 'live', 'airClassroom', 'training'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The channel a ledger entry's `source` stands for. */
export function channelOf(source: string | null | undefined): Channel {
  switch (source) {
    case 'live':
      return 'live';
    case 'station':
      return 'airClassroom';
    case 'training':
    case 'external':
      return 'training';
    default:
      return 'selfStudy';
  }
}

/** One credited lecture as the record lists it. */
export interface RecordLecture {
  lectureId: string;
  title: string;
  /** County day of the credit, 'YYYY-MM-DD'. */
  day: string;
  hours: number;
  required: boolean;
  channel: Channel;
}

export interface ChannelHours {
  channel: Channel;
  hours: number;
  required: number;
  elective: number;
  lectures: number;
}

export interface RecordFigures {
  /** The year's requirement for the cadre's rank. */
  requiredHours: number;
  earned: { total: number; required: number; elective: number };
  channels: ChannelHours[];
  /** By county day, then title. */
  lectures: RecordLecture[];
  result: 'met' | 'behind';
}

/** A ledger entry as read for the record. */
export interface EntryFact {
  lectureId: string;
  title: string;
  day: string;
  hours: number;
  required: boolean;
  source?: string | null;
}

/** Hours per channel, every channel present (training at 0 until it exists), in CHANNELS order. */
export function groupByChannel(lectures: readonly RecordLecture[]): ChannelHours[] {
  return CHANNELS.map((channel) => {
    const mine = lectures.filter((l) => l.channel === channel);
    const required = mine.filter((l) => l.required).reduce((s, l) => s + l.hours, 0);
    const hours = mine.reduce((s, l) => s + l.hours, 0);
    return { channel, hours: round1(hours), required: round1(required), elective: round1(hours - required), lectures: mine.length };
  });
}

const collator = new Intl.Collator('zh-CN');

/** The figures of a cadre's year from their ledger entries and the rank's yearly requirement. */
export function buildFigures(year: number, yearlyHours: number, entries: readonly EntryFact[]): RecordFigures {
  const lectures: RecordLecture[] = entries
    .filter((e) => e.day.startsWith(`${year}-`))
    .map((e) => ({ lectureId: e.lectureId, title: e.title, day: e.day, hours: e.hours, required: e.required, channel: channelOf(e.source) }))
    .sort((a, b) => a.day.localeCompare(b.day) || collator.compare(a.title, b.title) || a.lectureId.localeCompare(b.lectureId));
  const total = round1(lectures.reduce((s, l) => s + l.hours, 0));
  const required = round1(lectures.filter((l) => l.required).reduce((s, l) => s + l.hours, 0));
  // The unit report's rule: the yearly requirement over the whole county year.
  const requiredHours = rangeRequirement(yearlyHours, { from: `${year}-01-01`, to: `${year}-12-31` });
  return {
    requiredHours,
    earned: { total, required, elective: round1(total - required) },
    channels: groupByChannel(lectures),
    lectures,
    result: total < requiredHours ? 'behind' : 'met',
  };
}

/** 16 hex of sha256 over a canonical text of the figures (order-independent of how they were read). */
export function figuresDigest(userId: string, year: number, f: RecordFigures): string {
  const lines = [
    `u=${userId}`,
    `y=${year}`,
    `req=${f.requiredHours}`,
    `t=${f.earned.total};r=${f.earned.required};e=${f.earned.elective}`,
    ...f.channels.map((c) => `c=${c.channel}:${c.hours}:${c.required}:${c.lectures}`),
    ...[...f.lectures].map((l) => `l=${l.lectureId}:${l.day}:${l.hours}:${l.required ? 1 : 0}:${l.channel}`).sort(),
    `res=${f.result}`,
  ];
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

export const CODE_PATTERN = '^[0-9a-f]{24}-[0-9]{4}-[0-9a-f]{16}-[0-9a-f]{16}$';
const CODE = new RegExp(CODE_PATTERN);

function mac(key: Buffer, userId: string, year: number, digest: string): string {
  return createHmac('sha256', key).update(`study-record:${userId}:${year}:${digest}`).digest('hex').slice(0, 16);
}

/** The verification code printed on the record. */
export function signCode(key: Buffer, userId: string, year: number, digest: string): string {
  return `${userId}-${year}-${digest}-${mac(key, userId, year, digest)}`;
}

/** The parts of a code the portal issued, or null for a malformed or altered one. */
export function openCode(key: Buffer, code: string): { userId: string; year: number; digest: string } | null {
  if (!CODE.test(code)) return null;
  const [userId, yearText, digest, given] = code.split('-') as [string, string, string, string];
  const year = Number(yearText);
  const want = Buffer.from(mac(key, userId, year, digest));
  const got = Buffer.from(given);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  return { userId, year, digest };
}

/** The key codes are signed with, derived from the portal's session secret (never the secret itself). */
export function recordKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('study-record-verification').digest();
}
