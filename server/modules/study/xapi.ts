/**
 * xAPI statements (学习记录) for credited completions: built from what the server credited (the
 * watched union, the wall time), never from the client's claims; stored as JSON text (xAPI
 * extension keys are IRIs with dots, which the store does not allow as keys) and forwarded to an
 * LRS when one is configured. Issue 16 grows this into the full video profile with queued delivery.
 */
import { randomUUID } from 'node:crypto';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import { insertIfAbsent } from '../../store/errors';
import type { LedgerEntry } from './credit-ledger';
import { playedSegments, progressOf } from './intervals';
import type { Progress } from './records';

/** At most this many county days in one export range (about ten years). */
const MAX_RANGE_DAYS = 3700;

/**
 * The store filter for statements stored from the start of county day `from` to the end of county
 * day `to` (YYYY-MM-DD, either may be absent), or why the range is wrong.
 */
export function xapiRange(q: { from?: string; to?: string }, calendar: Pick<CountyCalendar, 'instant'>): { filter: { stored?: { $gte?: Date; $lt?: Date } } } | { error: { zh: string; en: string } } {
  const at = (day: string, next: boolean) => {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    return calendar.instant(y, m, d + (next ? 1 : 0));
  };
  const from = q.from ? at(q.from, false) : undefined;
  const to = q.to ? at(q.to, true) : undefined;
  if (from !== undefined && to !== undefined) {
    if (from >= to) return { error: { zh: `开始日期 (${q.from}) 晚于结束日期 (${q.to})`, en: `The start (${q.from}) is after the end (${q.to})` } };
    if (to - from > MAX_RANGE_DAYS * 86_400_000) return { error: { zh: '日期范围过长', en: 'The date range is too long' } };
  }
  if (from === undefined && to === undefined) return { filter: {} };
  return { filter: { stored: { ...(from !== undefined ? { $gte: new Date(from) } : {}), ...(to !== undefined ? { $lt: new Date(to) } : {}) } } };
}

interface Log {
  warn(obj: object, msg: string): void;
}

export class XapiRecorder {
  constructor(
    private readonly models: Models,
    private readonly cfg: { lrsUrl?: string; lrsAuth?: string },
    private readonly log: Log,
  ) {}

  async completed(entry: LedgerEntry, p: Progress) {
    const id = randomUUID();
    const statement = {
      id,
      actor: { objectType: 'Agent', account: { homePage: 'urn:cadre-portal', name: String(entry.userId) } },
      verb: { id: 'http://adlnet.gov/expapi/verbs/completed', display: { 'zh-CN': '完成', 'en-US': 'completed' } },
      object: {
        objectType: 'Activity',
        id: `urn:cadre-portal:lecture:${String(entry.lectureId)}`,
        definition: { type: 'https://w3id.org/xapi/video/activity-type/video', name: { 'zh-CN': entry.title ?? '' } },
      },
      result: {
        completion: true,
        duration: `PT${Math.round(p.wallSec)}S`,
        extensions: {
          'https://w3id.org/xapi/video/extensions/played-segments': playedSegments(p.intervals),
          'https://w3id.org/xapi/video/extensions/progress': Math.round(progressOf(p.intervals, p.durationSec) * 1000) / 1000,
          'https://w3id.org/xapi/video/extensions/length': p.durationSec,
          'urn:cadre-portal:credit-hours': entry.hours,
        },
      },
      context: { extensions: { 'https://w3id.org/xapi/video/extensions/session-id': entry._id } },
      timestamp: new Date(entry.at).toISOString(),
    };
    await insertIfAbsent(this.models.Xapi.collection.insertOne({ _id: id as never, ledgerId: entry._id, json: JSON.stringify(statement), stored: new Date() }));
    if (this.cfg.lrsUrl) void this.forward(id, statement);
  }

  private async forward(id: string, statement: object) {
    try {
      const res = await fetch(`${this.cfg.lrsUrl!.replace(/\/$/, '')}/statements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', ...(this.cfg.lrsAuth ? { authorization: this.cfg.lrsAuth } : {}) },
        body: JSON.stringify(statement),
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) await this.models.Xapi.updateOne({ _id: id }, { $set: { forwardedAt: new Date() } });
      else this.log.warn({ status: res.status }, 'study.xapi | LRS refused the statement');
    } catch (err) {
      this.log.warn({ err }, 'study.xapi | LRS unreachable');
    }
  }
}
