/**
 * Reviewing flagged study records (可疑学习记录). A flag is written once when the crediting rules
 * refuse or doubt something (repositories.ts FlagRepository, checkin-flags.ts) and never changed
 * by them; an admin then marks it reviewed with a note (what they found, what they did), and the
 * list can show the open ones, the reviewed ones or all. An org admin reviews the county's flags,
 * a unit admin only those of the cadres and stations of their unit subtree; a flag already
 * reviewed is not reviewed again (409), so a second admin's note never overwrites the first.
 */
import { Types } from 'mongoose';
import { AppError, errors } from '../../errors';
import { storeLock } from '../../store/keyed-lock';
import type { Models } from '../../store/models';
import type { OrgService } from '../org/org.service';
import type { UserDoc } from '../users/user.model';
import { flagReason } from './flag-reasons';
import type { FlagView } from './schemas';

export type FlagState = 'open' | 'reviewed' | 'all';

interface FlagRow {
  _id: Types.ObjectId;
  userId?: Types.ObjectId | null;
  lectureId?: Types.ObjectId | null;
  playbackId?: string | null;
  kind: string;
  count?: number | null;
  seconds?: number | null;
  at: Date;
  reviewedAt?: Date | null;
  reviewedByName?: string | null;
  reviewNote?: string | null;
}

export class FlagReviewService {
  constructor(
    private readonly models: Models,
    private readonly org: OrgService,
    private readonly now: () => number = Date.now,
  ) {}

  /** The ids (cadres and stations) whose flags a unit admin may see; null for the org admin (all). */
  private async reach(actor: UserDoc): Promise<Types.ObjectId[] | null> {
    if (actor.role === 'orgAdmin') return null;
    const scope = actor.orgUnitId ? await this.org.subtree(actor.orgUnitId) : [];
    const users = await this.models.User.find({ orgUnitId: { $in: scope } }, { _id: 1 }).lean();
    const stations = await this.models.Station.find({ unitId: { $in: scope } }, { _id: 1 }).lean();
    return [...users, ...stations].map((r) => r._id);
  }

  async list(actor: UserDoc, limit: number, state: FlagState = 'all'): Promise<FlagView[]> {
    const reach = await this.reach(actor);
    const filter: Record<string, unknown> = reach ? { userId: { $in: reach } } : {};
    if (state === 'open') filter.reviewedAt = { $exists: false };
    if (state === 'reviewed') filter.reviewedAt = { $exists: true };
    return this.views(await this.models.StudyFlag.find(filter).sort({ at: -1 }).limit(limit).lean());
  }

  private async views(rows: FlagRow[]): Promise<FlagView[]> {
    const names = new Map((await this.models.User.find({ _id: { $in: rows.map((r) => r.userId).filter(Boolean) } }, { displayName: 1, username: 1 }).lean()).map((u) => [String(u._id), u.displayName || u.username]));
    return rows.map((f) => {
      const reason = flagReason(f.kind);
      return {
        id: String(f._id),
        userId: f.userId ? String(f.userId) : undefined,
        userName: f.userId ? names.get(String(f.userId)) : undefined,
        lectureId: f.lectureId ? String(f.lectureId) : undefined,
        playbackId: f.playbackId ?? undefined,
        kind: f.kind,
        count: f.count ?? 1,
        seconds: Math.round((f.seconds ?? 0) * 10) / 10,
        reason: `${reason.zh} / ${reason.en}`,
        at: new Date(f.at).toISOString(),
        ...(f.reviewedAt ? { review: { at: new Date(f.reviewedAt).toISOString(), byName: f.reviewedByName ?? '', note: f.reviewNote ?? '' } } : {}),
      };
    });
  }

  /** Marks one flag reviewed with the admin's note; refuses flags outside the admin's reach and a second review. */
  async review(actor: UserDoc, id: string, note: string): Promise<FlagView> {
    const notFound = () => errors.notFound('可疑学习记录', 'Flag');
    if (!Types.ObjectId.isValid(id)) throw notFound();
    return storeLock(this.models).run(`flag:${id}`, async () => {
      const flag = await this.models.StudyFlag.findById(id).lean();
      if (!flag) throw notFound();
      const reach = await this.reach(actor);
      // Out of reach answers as if absent: a unit admin learns nothing of other units' flags.
      if (reach && !(flag.userId && reach.some((r) => r.equals(flag.userId!)))) throw notFound();
      if (flag.reviewedAt) throw new AppError(409, 'FLAG_ALREADY_REVIEWED', '该记录已由他人处理', 'This flag has already been reviewed');
      await this.models.StudyFlag.updateOne(
        { _id: flag._id },
        { $set: { reviewedAt: new Date(this.now()), reviewedBy: actor._id, reviewedByName: actor.displayName || actor.username, reviewNote: note.trim() } },
      );
      const updated = await this.models.StudyFlag.findById(id).lean();
      return (await this.views([updated!]))[0]!;
    });
  }
}
