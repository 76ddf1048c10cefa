/**
 * The credit trail of each playback (and each learner of a station's playback): the pieces the
 * study engine credited, in server time, kept in memory until xapi.service.ts turns them into
 * statements. It is fed only with durable credit, off the heartbeat's answer: the log entries of
 * a batch once its commit returned (a `c` entry names the cadre, the content, the media and the
 * server-time pieces the cadre's clock granted; its playback is that of the beat entry after it
 * for a cadre, before it for a station), and the log replayed at start. Pieces are deduplicated
 * by their server time (a cadre's clock grants each millisecond once), so a replay adds nothing.
 */
import { addInterval, normalize, unflatten, type Interval } from '../study/intervals';
import type { WalEntry } from '../study/wal';
import { PAUSE_GAP_MS, TOLERANCE_SEC, type Piece } from './video-profile';

export interface Trail {
  key: string;
  playbackId: string;
  userId: string;
  /** The content credited (a replay's live lecture). */
  contentId: string;
  /** The learner's coverage of the content before this playback, when known. */
  base?: Interval[];
  /** Pieces not yet turned into statements. */
  pieces: Piece[];
  /** Server time of the newest piece. */
  lastAt: number;
  /** True when a station's playback credited a learner. */
  station: boolean;
  /** The ledger says the content is complete: settle now. */
  completedAt?: number;
}

export const trailKey = (playbackId: string, userId: string) => `${playbackId}|${userId}`;

export class CreditTrail {
  readonly trails = new Map<string, Trail>();
  /** Bases noted at a playback's opening, until its first credit. */
  private readonly opened = new Map<string, Interval[]>();
  /** Pieces before this server time were already emitted, per trail (filled from the store). */
  readonly emittedUntil = new Map<string, number>();

  constructor(private readonly coverageOf: (userId: string, contentId: string) => readonly Interval[] | undefined) {}

  /** A cadre opened a playback: their coverage before it. */
  open(playbackId: string, userId: string, coverage: readonly Interval[]) {
    if (this.opened.size > 50_000) this.opened.clear();
    this.opened.set(trailKey(playbackId, userId), normalize(coverage));
  }

  /** A credit to `userId` from a playback; `wall` are the server-time pieces (ms) that earned it. */
  note(playbackId: string, userId: string, contentId: string, media: readonly Interval[], wall: readonly Interval[], at: number, station: boolean) {
    if (!media.length) return;
    const key = trailKey(playbackId, userId);
    const w = normalize(wall);
    const w0 = w.length ? w[0]![0] : at;
    const w1 = w.length ? w[w.length - 1]![1] : at;
    if (w1 <= (this.emittedUntil.get(key) ?? -Infinity)) return;
    let t = this.trails.get(key);
    if (!t) {
      const base = this.opened.get(key);
      this.opened.delete(key);
      t = { key, playbackId, userId, contentId, pieces: [], lastAt: w1, station, ...(base ? { base } : {}) };
      this.trails.set(key, t);
    }
    // A replayed entry: its server time is noted already (a cadre's clock grants each ms once).
    if (t.pieces.some((p) => p.w0 === w0 || (w0 >= p.w0 && w0 < p.w1))) return;
    const iv = normalize(media);
    const last = t.pieces[t.pieces.length - 1];
    // A piece that continues the last one (in order, media and server time continuous as
    // runsOf() joins them) extends it: a playback holds one piece per played run between two
    // sweeps, not one per beat (a beat every second would be 15 per sweep, per viewer).
    if (last && last.iv.length && iv.length && w0 >= last.w1 && w0 - last.w1 <= PAUSE_GAP_MS && Math.abs(iv[0]![0] - last.iv[last.iv.length - 1]![1]) <= TOLERANCE_SEC) {
      last.w1 = w1;
      for (const x of iv) last.iv = addInterval(last.iv, x);
    } else t.pieces.push({ w0, w1, iv });
    t.lastAt = Math.max(t.lastAt, w1);
  }

  /** The credits of a committed batch of log entries (see the header for which playback each has). */
  noteEntries(entries: readonly WalEntry[]) {
    let pending: Extract<WalEntry, { k: 'c' }>[] = [];
    let lastBeat: string | null = null;
    for (const e of entries) {
      if (e.k === 'c') {
        if (e.src === 'station') {
          if (lastBeat) this.noteEntry(lastBeat, e);
        } else pending.push(e);
      } else if (e.k === 'b') {
        for (const c of pending) this.noteEntry(e.p, c);
        pending = [];
        lastBeat = e.p;
      }
    }
  }

  private noteEntry(playbackId: string, c: Extract<WalEntry, { k: 'c' }>) {
    this.note(playbackId, c.u, c.l, unflatten(c.iv), c.wf?.length ? unflatten(c.wf) : [], c.at, c.src === 'station');
  }

  /** The ledger wrote a completion: the learner's trails of that content settle at the next sweep. */
  completed(userId: string, contentId: string, at: number) {
    for (const t of this.trails.values()) if (t.userId === userId && t.contentId === contentId) t.completedAt = at;
  }

  /** The base of a trail: what was noted at opening, else the coverage now less this trail's pieces. */
  baseOf(t: Trail): Interval[] {
    if (t.base) return t.base;
    const now = this.coverageOf(t.userId, t.contentId) ?? [];
    const mine = normalize(t.pieces.flatMap((p) => p.iv));
    return subtract(now, mine);
  }
}

/** a minus b, both normalized lists. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [x, y] of normalize(a)) {
    let from = x;
    for (const [p, q] of normalize(b)) {
      if (q <= from || p >= y) continue;
      if (p > from) out.push([from, p]);
      from = Math.max(from, q);
    }
    if (from < y) out.push([from, y]);
  }
  return out;
}
