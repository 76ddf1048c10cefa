/**
 * Sending and reading notices. A notice has a stable id chosen by its sender (e.g.
 * `credit-2026-11`), so sending it twice to one user stores it once; a user who is online gets
 * it pushed over socket.io at once (room `user:<id>`). A kind whose text goes stale (the year-end
 * reminder quotes the hours earned) registers a renderer: the text is then made again from current
 * figures each time the box is read, so the stored text is only what was true when it was sent. A user's box (one document) is written
 * only under its `notices:<user>` key of the store's lock: FerretDB rewrites the whole document on
 * any update, so a send racing a read marker (or another send) would otherwise lose one.
 */
import type { Server as IoServer } from 'socket.io';
import type { Models } from '../../store/models';
import { MAX_NOTICES, type Notice } from './notice.model';
import { insertIfAbsent } from '../../store/errors';
import { storeLock } from '../../store/keyed-lock';

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

/** Current text of a notice of one kind for its user, or null to keep the stored text. */
export type NoticeRenderer = (userId: string, notice: NoticeView) => Promise<Pick<NoticeView, 'title' | 'titleEn' | 'body' | 'bodyEn'> | null>;

export class NoticeService {
  private readonly renderers = new Map<string, NoticeRenderer>();

  constructor(
    private readonly models: Models,
    private readonly io?: () => IoServer | undefined,
  ) {}

  /** Renders notices of `kind` from current figures when they are read (one renderer per kind). */
  renderWith(kind: string, renderer: NoticeRenderer): void {
    this.renderers.set(kind, renderer);
  }

  /** Stores the notice for the user unless it is there already; true when it was new. */
  send(userId: string, notice: Notice): Promise<boolean> {
    return this.serialBox(userId, () => this.sendLocked(userId, notice));
  }

  private serialBox<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    return storeLock(this.models).run(`notices:${userId}`, fn);
  }

  private async sendLocked(userId: string, notice: Notice): Promise<boolean> {
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
    // By `_id` alone (another condition makes FerretDB decode every box): the lock and the read
    // above keep a notice single when two senders race.
    const res = await NoticeBox.updateOne({ _id: userId }, { $push: { items: notice, ids: notice.id } });
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
    const rendered = await Promise.all(items.map((n) => this.render(userId, n)));
    return { items: rendered, unread: rendered.filter((n) => !n.read).length };
  }

  private async render(userId: string, n: NoticeView): Promise<NoticeView> {
    const renderer = this.renderers.get(n.kind);
    if (!renderer) return n;
    // A failed read of the figures shows the text as sent rather than no notices at all.
    const text = await renderer(userId, n).catch(() => null);
    return text ? { ...n, ...text } : n;
  }

  /** Marks the given notices (all when none are given) as read. */
  markRead(userId: string, ids?: string[]): Promise<void> {
    return this.serialBox(userId, () => this.markReadLocked(userId, ids));
  }

  private async markReadLocked(userId: string, ids?: string[]) {
    const box = await this.models.NoticeBox.findById(userId, { ids: 1 }).lean();
    if (!box) return;
    const known = new Set(box.ids);
    const which = (ids ?? box.ids).filter((id) => known.has(id));
    if (which.length) await this.models.NoticeBox.updateOne({ _id: userId }, { $addToSet: { read: { $each: which } } });
  }
}
