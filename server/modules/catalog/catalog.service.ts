/**
 * Lecture editing and visibility. Who may edit: the organisation department and unit admins,
 * and a lecturer its own lectures. Who may watch: anyone logged in, for a published lecture
 * whose audience is empty (everyone) or includes the viewer's unit or a unit above it; editors
 * may always preview. Publishing a recorded lecture needs its HLS ladder's first rung (higher
 * rungs may still be in the making, `media.pending`).
 * Every write of a lecture runs under its `lecture:<id>` key of the store's lock (`writeLecture`):
 * FerretDB rewrites the whole document on any update, so two concurrent writes (an edit and a
 * watch count, a seat recount, processing progress) would otherwise lose one.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Types } from 'mongoose';
import type { Storage } from '../../../media';
import { AppError, errors } from '../../errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { UserDoc } from '../users/user.model';
import { CatalogIndex, lectureFields, type CatalogQuery } from './catalog-index';
import type { LectureCategory, LectureDoc, LectureKind } from './lecture.model';
import { lectureGrams, type Searchable } from './search';

export interface LectureInput {
  title?: string;
  summary?: string;
  lecturer?: string;
  institution?: string;
  topic?: string;
  category?: LectureCategory;
  tags?: string[];
  creditHours?: number;
  required?: boolean;
  attentionChecks?: boolean;
  audienceUnitIds?: string[];
  kind?: 'recorded' | 'live';
  /** Limited offering (选学名额); null removes the limit. */
  seatLimit?: number | null;
  /** Live lectures: the start time (ISO 8601). */
  scheduledAt?: string;
}

const editorRoles = new Set(['orgAdmin', 'unitAdmin']);

/** The org admin edits every lecture; a lecturer or a unit admin only the lectures they created (a unit admin changes nothing of other units). */
export function canEdit(user: UserDoc, l: Pick<LectureDoc, 'createdBy'>): boolean {
  return user.role === 'orgAdmin' || ((user.role === 'lecturer' || user.role === 'unitAdmin') && Boolean(l.createdBy?.equals(user._id)));
}

export function canView(user: UserDoc, l: Pick<LectureDoc, 'state' | 'audienceUnitIds' | 'createdBy'>, viewerUnits: string[]): boolean {
  if (canEdit(user, l)) return true;
  if (l.state !== 'published') return false;
  const audience = (l.audienceUnitIds ?? []).map(String);
  return audience.length === 0 || audience.some((u) => viewerUnits.includes(u));
}

export function posterUrl(l: Pick<LectureDoc, '_id' | 'media' | 'updatedAt'>): string | undefined {
  return l.media?.poster ? `/media/posters/${String(l._id)}?v=${new Date(l.updatedAt ?? 0).getTime()}` : undefined;
}

export function toAdminView(l: LectureDoc) {
  return {
    ...lectureFields(l),
    coverUrl: posterUrl(l),
    publishedAt: l.publishedAt ? new Date(l.publishedAt).toISOString() : undefined,
    seatsTaken: typeof l.seatLimit === 'number' ? l.seatLimit - (l.seatsLeft ?? l.seatLimit) : undefined,
    state: l.state,
    audienceUnitIds: (l.audienceUnitIds ?? []).map(String),
    processing: {
      state: l.processing?.state ?? 'none',
      percent: l.processing?.percent ?? 0,
      etaSec: l.processing?.etaSec ?? undefined,
      stage: l.processing?.stage ?? undefined,
      attempts: l.processing?.attempts ?? 0,
      error: l.processing?.error?.code ? { code: l.processing.error.code, message: l.processing.error.message ?? '', messageEn: l.processing.error.messageEn ?? '' } : undefined,
    },
    createdAt: new Date(l.createdAt).toISOString(),
    /** The rungs of the ladder a player can use, by name ("720p", "360p", "audio"), best first. */
    renditions: (l.media?.renditions ?? []).map((r) => r.name ?? '').filter(Boolean),
    /** Rungs still being made while the lecture already plays at the lower ones (高清版本处理中). */
    pendingRungs: (l.media?.pending ?? []).filter(Boolean),
    /** Rungs listed while still being made (watchable from the start up to what is made). */
    growingRungs: (l.media?.growing ?? []).filter(Boolean),
  };
}
export type LectureAdminView = ReturnType<typeof toAdminView>;

/** Runs a read-modify-write of one lecture after every earlier one (catalog, seats, processing, uploads, live). */
export function writeLecture<T>(models: Models, id: string, fn: () => Promise<T>): Promise<T> {
  return storeLock(models).run(`lecture:${id}`, fn);
}

/**
 * `lecture-changed` (LectureDoc): a lecture was edited or its state changed (published, withdrawn,
 * its media became ready, a live lecture started or ended), after the change was stored: the live
 * rooms tell their viewers when a replay can be watched, the timetable ends or cancels bookings.
 * (Seat counts alone go to the index without the event.)
 */
export interface CatalogEvents {
  'lecture-changed': [LectureDoc];
}

export class CatalogService extends EventEmitter<CatalogEvents> {
  readonly index = new CatalogIndex();
  /** Watch counts not yet written, per lecture: one `$inc` per batch instead of one write per opening in a row. */
  private readonly watches = new Map<string, { n: number; done: Promise<void> }>();

  constructor(private readonly models: Models) {
    super();
  }

  /** Puts a written lecture into the index and tells the listeners (a throwing listener is not the writer's problem). */
  changed(l: LectureDoc) {
    this.index.apply(l);
    try {
      this.emit('lecture-changed', l);
    } catch {
      // listeners log their own failures
    }
  }

  async reloadIndex() {
    // One scan of the collection; only the fields the catalog needs.
    // searchGrams are computed again by the index (catalog-index.ts toEntry), not read.
    const rows = await this.models.Lecture.find({}, { sourceKey: 0, subtitles: 0, processing: 0, searchGrams: 0 }).lean<LectureDoc[]>();
    this.index.replaceAll(rows);
  }

  /** Units the viewer belongs to (its unit and every unit above it). */
  async viewerUnits(user: UserDoc): Promise<string[]> {
    if (!user.orgUnitId) return [];
    const unit = await this.models.OrgUnit.findById(user.orgUnitId, { ancestors: 1 }).lean();
    return unit ? [String(unit._id), ...unit.ancestors.map(String)] : [];
  }

  async browse(user: UserDoc, q: Omit<CatalogQuery, 'viewerUnits'>) {
    const viewerUnits = editorRoles.has(user.role) ? undefined : await this.viewerUnits(user);
    const res = this.index.query({ ...q, viewerUnits });
    const mine = await this.models.StudyIndex.findById(String(user._id), { selections: 1 }).lean();
    const selected = new Set((mine?.selections ?? []).map((s) => s.split(':')[1]));
    return {
      ...res,
      items: res.items.map((e) => ({
        id: e.id,
        title: e.title,
        summary: e.summary,
        lecturer: e.lecturer,
        institution: e.institution,
        category: e.category as LectureCategory,
        topic: e.topic,
        tags: e.tags,
        kind: e.kind as LectureKind,
        required: e.required,
        durationSec: e.durationSec,
        creditHours: e.creditHours,
        coverUrl: e.hasPoster ? `/media/posters/${e.id}` : undefined,
        higherRungsPending: e.higherRungsPending || undefined,
        stillEncoding: e.stillEncoding || undefined,
        watchCount: e.watchCount,
        publishedAt: e.publishedAt ? new Date(e.publishedAt).toISOString() : undefined,
        seatLimit: e.seatLimit,
        seatsTaken: e.seatLimit === undefined ? undefined : e.seatLimit - (e.seatsLeft ?? e.seatLimit),
        selected: selected.has(e.id),
        attentionChecks: e.attentionChecks,
        live: e.live,
        replayOf: e.replayOf,
      })),
    };
  }

  async load(id: string): Promise<LectureDoc> {
    const l = Types.ObjectId.isValid(id) ? await this.models.Lecture.findById(id).lean<LectureDoc>() : null;
    if (!l) throw errors.notFound('课程', 'Lecture');
    return l;
  }

  async loadViewable(user: UserDoc, id: string): Promise<LectureDoc> {
    const l = await this.load(id);
    if (!canView(user, l, await this.viewerUnits(user))) {
      // A lecture the viewer may not see is answered like a missing one for drafts, 403 otherwise.
      if (l.state !== 'published') throw errors.notFound('课程', 'Lecture');
      throw errors.forbidden();
    }
    return l;
  }

  async loadEditable(user: UserDoc, id: string): Promise<LectureDoc> {
    const l = await this.load(id);
    if (!canEdit(user, l)) throw errors.forbidden();
    return l;
  }

  private async checkAudience(ids: string[] | undefined) {
    if (!ids?.length) return;
    for (const id of ids) {
      if (!(await this.models.OrgUnit.exists({ _id: id }))) throw errors.notFound('受众单位', 'Audience unit');
    }
  }

  private grams(l: Searchable) {
    return lectureGrams(l);
  }

  async mine(user: UserDoc) {
    const filter = user.role === 'orgAdmin' ? {} : { createdBy: user._id };
    const rows = await this.models.Lecture.find(filter, { searchGrams: 0 }).sort({ createdAt: -1 }).limit(500).lean<LectureDoc[]>();
    return rows.map(toAdminView);
  }

  async create(user: UserDoc, input: LectureInput & { title: string; category: LectureCategory }) {
    await this.checkAudience(input.audienceUnitIds);
    let institution = input.institution;
    if (institution === undefined && user.institutionId) {
      institution = (await this.models.Institution.findById(user.institutionId).lean())?.name;
    }
    const { scheduledAt, ...rest } = input;
    const doc = {
      ...rest,
      ...(input.kind === 'live' ? { live: { scheduledAt: scheduledAt ? new Date(scheduledAt) : new Date(), state: 'scheduled' as const } } : {}),
      lecturer: input.lecturer ?? (user.role === 'lecturer' ? user.displayName : ''),
      institution: institution ?? '',
      createdBy: user._id,
      state: 'draft' as const,
    };
    const seats = typeof input.seatLimit === 'number' ? { seatLimit: input.seatLimit, seatsLeft: input.seatLimit } : { seatLimit: undefined };
    const created = await this.models.Lecture.create({ ...doc, ...seats, searchGrams: this.grams(doc) });
    return toAdminView(created.toObject() as unknown as LectureDoc);
  }

  update(user: UserDoc, id: string, input: LectureInput) {
    return writeLecture(this.models, id, () => this.updateLocked(user, id, input));
  }

  private async updateLocked(user: UserDoc, id: string, input: LectureInput) {
    const l = await this.loadEditable(user, id);
    await this.checkAudience(input.audienceUnitIds);
    const merged = { ...l, ...input };
    const { seatLimit, scheduledAt, ...fields } = input;
    const update: Record<string, unknown> = { $set: { ...fields, searchGrams: this.grams(merged) } };
    if (scheduledAt !== undefined) {
      if (l.kind !== 'live') throw new AppError(400, 'NOT_LIVE', '只有直播讲座可以设置开始时间', 'Only live lectures have a start time');
      (update.$set as Record<string, unknown>)['live.scheduledAt'] = new Date(scheduledAt);
    }
    if (seatLimit === null) update.$unset = { seatLimit: 1, seatsLeft: 1 };
    else if (typeof seatLimit === 'number') {
      // Keep the seats already taken: the new limit minus them is what is left.
      const taken = typeof l.seatLimit === 'number' ? l.seatLimit - (l.seatsLeft ?? l.seatLimit) : 0;
      if (seatLimit < taken) throw new AppError(409, 'SEATS_TAKEN', `已有 ${taken} 人选学,名额不能少于此数`, `${taken} seats are taken; the limit cannot be lower`);
      (update.$set as Record<string, unknown>).seatLimit = seatLimit;
      (update.$set as Record<string, unknown>).seatsLeft = seatLimit - taken;
    }
    const updated = await this.models.Lecture.findByIdAndUpdate(id, update, { returnDocument: 'after' }).lean<LectureDoc>();
    this.changed(updated!);
    return toAdminView(updated!);
  }

  publish(user: UserDoc, id: string) {
    return writeLecture(this.models, id, () => this.publishLocked(user, id));
  }

  private async publishLocked(user: UserDoc, id: string) {
    const l = await this.loadEditable(user, id);
    if (l.kind !== 'live' && !l.media?.master) {
      throw new AppError(409, 'MEDIA_NOT_READY', '课程视频尚未处理完成,暂不能发布', 'The lecture media is not processed yet; it cannot be published');
    }
    const updated = await this.models.Lecture.findByIdAndUpdate(id, { $set: { state: 'published', publishedAt: l.publishedAt ?? new Date() } }, { returnDocument: 'after' }).lean<LectureDoc>();
    this.changed(updated!);
    return toAdminView(updated!);
  }

  async withdraw(user: UserDoc, id: string) {
    await this.loadEditable(user, id);
    const updated = await writeLecture(this.models, id, () => this.models.Lecture.findByIdAndUpdate(id, { $set: { state: 'withdrawn' } }, { returnDocument: 'after' }).lean<LectureDoc>());
    this.changed(updated!); // a withdrawn replay is no longer linked from its live room
    return toAdminView(updated!);
  }

  async attachSubtitles(user: UserDoc, id: string, lang: string, label: string, vtt: string, storage: Storage) {
    await this.loadEditable(user, id);
    const key = `lectures/${id}/subtitles/${lang}.vtt`;
    const tmp = join(tmpdir(), `subs-${randomBytes(6).toString('hex')}.vtt`);
    await writeFile(tmp, vtt);
    await storage.put(tmp, key);
    const updated = await writeLecture(this.models, id, async () => {
      // Read again under the lock: another language may have been attached meanwhile.
      const l = await this.load(id);
      const subtitles = [...(l.subtitles ?? []).filter((s) => s.lang !== lang), { lang, label, key }];
      return this.models.Lecture.findByIdAndUpdate(id, { $set: { subtitles } }, { returnDocument: 'after' }).lean<LectureDoc>();
    });
    return toAdminView(updated!);
  }

  /**
   * Counts one opening. Openings that arrive while a count of the same lecture is being written
   * join the next batch (one `$inc` by their number), so a class opening a lecture at once costs
   * two writes, not one per viewer in a row, and none is lost.
   */
  async countWatch(id: string) {
    let batch = this.watches.get(id);
    if (batch) batch.n++;
    else {
      const b = { n: 1, done: Promise.resolve() };
      b.done = writeLecture(this.models, id, async () => {
        this.watches.delete(id);
        await this.models.Lecture.updateOne({ _id: id }, { $inc: { watchCount: b.n } });
      });
      this.watches.set(id, (batch = b));
    }
    await batch.done;
    this.index.bumpWatch(id);
  }
}
