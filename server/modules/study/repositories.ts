/**
 * The study engine's data access, one repository per collection, each hiding what FerretDB 1.24
 * needs (docs/store-on-ferretdb.md):
 * - every hot read and write names its document by a composed `_id` alone (a filter on anything
 *   else makes FerretDB decode every document);
 * - records are written back with `upsert: true` (FerretDB then finds the document by `_id`;
 *   without it, it scans the collection);
 * - intervals are stored flat ([a0, b0, a1, b1, ...]): FerretDB rejects nested arrays;
 * - inserts that may find their key taken go through insertIfAbsent (the one atomic primitive).
 * Nothing here decides anything; callers serialise read-modify-writes.
 */
import { EventEmitter } from 'node:events';
import { Types } from 'mongoose';
import type { Models } from '../../store/models';
import { insertIfAbsent } from '../../store/errors';
import type { LectureDoc } from '../catalog/lecture.model';
import { openSession } from './heartbeat-policy';
import { covered, flatten, normalize, unflatten, type Interval } from './intervals';
import type { FlagKind, LectureInfo, PlaybackSession, Progress } from './records';
import type { LedgerEntry } from './credit-ledger';

export class LectureFactsRepository {
  constructor(private readonly models: Models) {}

  async find(id: string, now: number): Promise<LectureInfo | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const l = await this.models.Lecture.findById(id, { title: 1, durationSec: 1, media: 1, required: 1, creditHours: 1, category: 1, topic: 1, kind: 1, attentionChecks: 1, replayOf: 1 }).lean<LectureDoc>();
    if (!l) return null;
    return {
      id,
      contentId: l.replayOf ? String(l.replayOf) : id,
      title: l.title,
      durationSec: l.durationSec ?? 0,
      segmentSec: l.media?.segmentSec ?? 4,
      required: l.required ?? false,
      creditHours: l.creditHours ?? 0,
      category: l.category,
      topic: l.topic ?? '',
      kind: l.kind ?? 'recorded',
      attentionChecks: l.attentionChecks ?? false,
      loadedAt: now,
    };
  }
}

export class PlaybackRepository {
  constructor(private readonly models: Models) {}

  async insert(doc: { id: string; userId: Types.ObjectId; lectureId: unknown; openedAt: number; kind: string; ip?: string; userAgent?: string; station?: boolean; runId?: string }) {
    await this.models.Playback.collection.insertOne({
      _id: doc.id as never,
      userId: doc.userId,
      lectureId: doc.lectureId,
      openedAt: new Date(doc.openedAt),
      kind: doc.kind,
      lastSeq: 0,
      delivered: [],
      ip: doc.ip,
      userAgent: doc.userAgent?.slice(0, 300),
      ...(doc.station ? { station: true, runId: doc.runId } : {}),
    });
  }

  async find(id: string): Promise<PlaybackSession | null> {
    const row = await this.models.Playback.findById(id).lean();
    if (!row) return null;
    const openedAt = new Date(row.openedAt).getTime();
    const fresh = openSession(openedAt);
    return {
      id,
      userId: String(row.userId),
      lectureId: String(row.lectureId),
      kind: row.kind ?? 'recorded',
      state: {
        ...fresh,
        lastSeq: row.lastSeq ?? 0,
        lastPosition: row.lastPosition ?? 0,
        lastClientAt: row.lastClientAt ?? null,
        playing: row.playing ?? false,
        visible: row.visible ?? true,
        offsetMs: row.offsetMs ?? null,
        lastEnd: row.lastEnd ?? openedAt,
        playMs: row.playMs ?? 0,
        advanceSec: row.advanceSec ?? 0,
        clippedMs: row.clippedMs ?? 0,
      },
      delivered: new Set(row.delivered ?? []),
      deliveredSpans: unflatten((row.deliveredSpans ?? []) as number[]),
      deliveredWritten: (row.delivered?.length ?? 0) + ((row.deliveredSpans?.length ?? 0) >> 1),
      flags: {},
      lastServerAt: 0,
      ended: false,
      dirty: false,
      station: (row as { station?: boolean }).station === true,
    };
  }

  async writeBack(s: PlaybackSession) {
    const st = s.state;
    const deliveredNow = s.delivered.size + s.deliveredSpans.length;
    await this.models.Playback.updateOne(
      { _id: s.id },
      {
        $set: {
          lastSeq: st.lastSeq,
          lastPosition: st.lastPosition,
          lastClientAt: st.lastClientAt,
          playing: st.playing,
          visible: st.visible,
          offsetMs: st.offsetMs,
          lastEnd: st.lastEnd,
          playMs: st.playMs,
          advanceSec: st.advanceSec,
          clippedMs: st.clippedMs,
          // The sets only grow: rewritten only when they did (FerretDB converts every element).
          ...(deliveredNow !== s.deliveredWritten ? { delivered: [...s.delivered], deliveredSpans: flatten(s.deliveredSpans) } : {}),
        },
      },
      { upsert: true },
    );
    s.deliveredWritten = deliveredNow;
  }
}

export class ProgressRepository {
  constructor(private readonly models: Models) {}

  async find(userId: string, contentId: string): Promise<Progress> {
    const id = `${userId}:${contentId}`;
    const row = await this.models.Progress.findById(id).lean();
    return {
      id,
      userId,
      lectureId: contentId,
      intervals: unflatten((row?.intervals ?? []) as number[]),
      again: unflatten((row?.again ?? []) as number[]),
      wallSec: row?.wallSec ?? 0,
      durationSec: row?.durationSec ?? 0,
      lastPosition: row?.lastPosition ?? 0,
      lastWatchedAt: row?.lastWatchedAt ? new Date(row.lastWatchedAt).getTime() : 0,
      completedAt: row?.completedAt ? new Date(row.completedAt).getTime() : null,
      dirty: false,
    };
  }

  async writeBack(p: Progress) {
    await this.models.Progress.updateOne(
      { _id: p.id },
      {
        $set: {
          userId: new Types.ObjectId(p.userId),
          lectureId: new Types.ObjectId(p.lectureId),
          intervals: flatten(p.intervals),
          again: flatten(p.again),
          coveredSec: covered(p.intervals),
          wallSec: p.wallSec,
          durationSec: p.durationSec,
          lastPosition: p.lastPosition,
          lastWatchedAt: p.lastWatchedAt ? new Date(p.lastWatchedAt) : undefined,
          completedAt: p.completedAt ? new Date(p.completedAt) : undefined,
        },
      },
      { upsert: true },
    );
  }
}

export class CadreClockRepository {
  constructor(private readonly models: Models) {}

  async find(userId: string): Promise<Interval[]> {
    const row = await this.models.CadreClock.findById(userId).lean();
    return unflatten((row?.iv ?? []) as number[]);
  }

  async writeBack(userId: string, iv: readonly Interval[]) {
    await this.models.CadreClock.updateOne({ _id: userId }, { $set: { iv: flatten(normalize(iv)), at: new Date() } }, { upsert: true });
  }
}

export interface FlagRecord {
  userId?: string;
  lectureId?: string;
  playbackId?: string;
  kind: FlagKind | string;
  count: number;
  seconds: number;
  detail?: object;
  at: Date;
}

export class FlagRepository {
  constructor(private readonly models: Models) {}

  /** Inserts (never updates): FerretDB inserts cost ~1 ms whatever the collection's size. */
  async insert(f: FlagRecord) {
    await this.models.StudyFlag.create({
      ...f,
      userId: f.userId && Types.ObjectId.isValid(f.userId) ? new Types.ObjectId(f.userId) : undefined,
      lectureId: f.lectureId && Types.ObjectId.isValid(f.lectureId) ? new Types.ObjectId(f.lectureId) : undefined,
      seconds: Math.round(f.seconds * 10) / 10,
    });
  }
}

/** What changed in a yearly summary: a ledger entry or a studied lecture was listed. */
export interface SummaryChange {
  userId: string;
  year: number;
  entry?: string;
  lecture?: string;
}

/** A cadre's yearly summary (`user:year`) and study index (`user`): read first, insert what is missing, update by `_id` alone. */
export class SummaryRepository {
  /**
   * After each change of a summary's `entries` or `lectures` (the unit report keeps them in
   * memory); `entryAdded` with the whole ledger entry, once per entry (the county tallies).
   */
  readonly changes = new EventEmitter<{ changed: [SummaryChange]; entryAdded: [LedgerEntry] }>();

  constructor(private readonly models: Models) {}

  /** Makes sure the summary exists and returns the fields asked for, or null if it was just created. */
  async ensure(userId: string, year: number, projection: Record<string, 1>) {
    const id = `${userId}:${year}`;
    const found = await this.models.Summary.findById(id, projection).lean();
    if (found) return found;
    await insertIfAbsent(this.models.Summary.create({ _id: id, userId: new Types.ObjectId(userId), year }));
    return null;
  }

  async addLecture(userId: string, year: number, lectureId: string) {
    const summary = await this.ensure(userId, year, { lectures: 1 });
    if ((summary?.lectures as string[] | undefined)?.includes(lectureId)) return;
    await this.models.Summary.updateOne({ _id: `${userId}:${year}` }, { $addToSet: { lectures: lectureId } });
    this.changes.emit('changed', { userId, year, lecture: lectureId });
  }

  async addEntry(userId: string, year: number, entryId: string, inc: Record<string, number>, entry?: LedgerEntry): Promise<boolean> {
    const summary = await this.ensure(userId, year, { entries: 1 });
    if ((summary?.entries as string[] | undefined)?.includes(entryId)) return false;
    await this.models.Summary.updateOne({ _id: `${userId}:${year}` }, { $push: { entries: entryId }, $inc: inc });
    this.changes.emit('changed', { userId, year, entry: entryId });
    if (entry) this.changes.emit('entryAdded', entry);
    return true;
  }

  async usage(userId: string, year: number) {
    return this.models.Summary.findById(`${userId}:${year}`, { byDay: 1, byTopic: 1 }).lean();
  }

  /** Adds the year to the user's list of years (read first: most calls change nothing). */
  async listYear(userId: string, year: number) {
    const idx = await this.models.StudyIndex.findById(userId, { years: 1 }).lean();
    if (idx?.years?.includes(year)) return;
    if (!idx && (await insertIfAbsent(this.models.StudyIndex.create({ _id: userId, years: [year] })))) return;
    await this.models.StudyIndex.updateOne({ _id: userId }, { $addToSet: { years: year } });
  }
}
