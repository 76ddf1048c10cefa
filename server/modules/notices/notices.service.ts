/**
 * Sending and reading notices. A notice has a stable id chosen by its sender (e.g.
 * `credit-2026-11`), so sending it twice to one user stores it once; a user who is online gets
 * it pushed over socket.io at once (room `user:<id>`).
 */
import type { Server as IoServer } from 'socket.io';
import type { Models } from '../../store/models';
import { MAX_NOTICES, type Notice } from './notice.model';
import { insertIfAbsent } from '../../store/errors';

export interface NoticeView {
  id: string;
  kind: string;
  at: Date;
  title: string;
  titleEn: string;
  body: string;
  bodyEn: string;
  link?: string;
  read: boolean;
}

export class NoticeService {
  constructor(
    private readonly models: Models,
    private readonly io?: () => IoServer | undefined,
  ) {}

  /** Stores the notice for the user unless it is there already; true when it was new. */
  async send(userId: string, notice: Notice): Promise<boolean> {
    const { NoticeBox } = this.models;
    // Read first: FerretDB 1.24 finds an update's document by scanning the collection (one box
    // per user), while an `_id` read or an insert does not, and a sweep re-sends what most boxes hold.
    const had = await NoticeBox.findById(userId, { ids: 1 }).lean();
    if (had?.ids.includes(notice.id)) return false;
    if (!had) {
      if (await insertIfAbsent(NoticeBox.collection.insertOne({ _id: userId as never, items: [notice], ids: [notice.id], read: [] }))) {
        this.emit(userId, notice);
        return true;
      }
    }
    // The condition keeps a notice single when two senders race.
    const res = await NoticeBox.updateOne({ _id: userId, ids: { $ne: notice.id } }, { $push: { items: notice, ids: notice.id } });
    if (res.modifiedCount === 0) return false;
    const box = await NoticeBox.findById(userId, { ids: 1 }).lean();
    if (box && box.ids.length > MAX_NOTICES) await this.trim(userId);
    this.emit(userId, notice);
    return true;
  }

  private emit(userId: string, notice: Notice) {
    this.io?.()?.to(`user:${userId}`).emit('notice', { ...notice, at: new Date(notice.at).toISOString(), read: false });
  }

  private async trim(userId: string) {
    const box = await this.models.NoticeBox.findById(userId).lean();
    if (!box) return;
    const keep = [...box.items].sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime()).slice(0, MAX_NOTICES);
    const ids = new Set(keep.map((n) => n.id));
    await this.models.NoticeBox.updateOne({ _id: userId }, { $set: { items: keep, ids: [...ids], read: box.read.filter((r) => ids.has(r)) } });
  }

  async list(userId: string): Promise<{ items: NoticeView[]; unread: number }> {
    const box = await this.models.NoticeBox.findById(userId).lean();
    if (!box) return { items: [], unread: 0 };
    const read = new Set(box.read);
    const items = [...box.items]
      .sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime())
      .map((n): NoticeView => ({ id: n.id, kind: n.kind, at: n.at, title: n.title, titleEn: n.titleEn, body: n.body ?? '', bodyEn: n.bodyEn ?? '', link: n.link ?? undefined, read: read.has(n.id) }));
    return { items, unread: items.filter((n) => !n.read).length };
  }

  /** Marks the given notices (all when none are given) as read. */
  async markRead(userId: string, ids?: string[]) {
    const box = await this.models.NoticeBox.findById(userId, { ids: 1 }).lean();
    if (!box) return;
    const known = new Set(box.ids);
    const which = (ids ?? box.ids).filter((id) => known.has(id));
    if (which.length) await this.models.NoticeBox.updateOne({ _id: userId }, { $addToSet: { read: { $each: which } } });
  }
}
