/**
 * Makes the study engine's in-memory state durable without updating a document per record:
 * FerretDB 1.24 on SQLite finds an update's document by scanning the collection (32 ms per update
 * at 2,000 playbacks, 177 ms at 11,265; docs/store-on-ferretdb.md), whereas an insert costs ~1 ms.
 * So a checkpoint starts a new log generation (wal.ts), writes into it a snapshot of every record
 * not yet written back (playbacks, progress, cadre clocks; one insert per 1,000 records), and
 * drops the generations before it. Records are written back to their collections once, when they
 * leave memory (idle), a bounded number per checkpoint; flags are inserted.
 */
import type { CadreClock } from './cadre-clock';
import { flatten, toRuns } from './intervals';
import { REVIEWED_FLAGS, type FlagKind, type PlaybackSession, type Progress } from './records';
import type { CadreClockRepository, FlagRepository, PlaybackRepository, ProgressRepository } from './repositories';
import type { WalEntry, WalWriter } from './wal';

interface Log {
  error(obj: object, msg: string): void;
}

export interface StudyMemory {
  sessions: Map<string, PlaybackSession>;
  progress: Map<string, Progress>;
  clock: CadreClock;
}

export class Checkpointer {
  private running: Promise<void> | null = null;

  constructor(
    private readonly mem: StudyMemory,
    private readonly wal: WalWriter,
    private readonly repos: { playbacks: PlaybackRepository; progress: ProgressRepository; clocks: CadreClockRepository; flags: FlagRepository },
    private readonly log: Log,
    private readonly now: () => number,
    /** Lists newly studied content in the yearly summaries (bounded per call). */
    private readonly indexNew: () => Promise<void>,
  ) {}

  /** The checkpoint running now, if any. */
  get current() {
    return this.running;
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      try {
        const applied = await this.wal.rotate();
        const { entries, clocks } = this.snapshot();
        try {
          await this.wal.write(entries);
        } catch (err) {
          this.mem.clock.markDirty(clocks);
          throw err;
        }
        await this.wal.discard(applied);
        await this.writeFlags();
        await this.indexNew();
        await this.evictIdle();
      } catch (err) {
        this.log.error({ err }, 'study.checkpoint() | failed; the log is kept and retried');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** The whole state of every record in memory that its collection does not hold yet. */
  private snapshot(): { entries: WalEntry[]; clocks: string[] } {
    const out: WalEntry[] = [];
    for (const s of this.mem.sessions.values()) {
      if (!s.dirty) continue;
      const st = s.state;
      out.push({ k: 's', p: s.id, seq: st.lastSeq, pos: st.lastPosition, ca: st.lastClientAt, pl: st.playing, v: st.visible, off: st.offsetMs, le: st.lastEnd, pm: st.playMs, adv: st.advanceSec, cl: st.clippedMs, d: toRuns(s.delivered), ds: flatten(s.deliveredSpans) });
    }
    for (const p of this.mem.progress.values()) {
      if (!p.dirty) continue;
      out.push({ k: 'p', u: p.userId, l: p.lectureId, iv: flatten(p.intervals), ag: flatten(p.again), w: p.wallSec, dur: p.durationSec, pos: p.lastPosition, at: p.lastWatchedAt, done: p.completedAt });
    }
    // Every clock still in memory goes in each snapshot: the generations before it are dropped.
    const clocks: string[] = [];
    this.mem.clock.takeDirty();
    for (const { userId, iv } of this.mem.clock.idle(-1)) {
      clocks.push(userId);
      if (iv.length) out.push({ k: 'u', u: userId, iv: flatten(iv) });
    }
    return { entries: out, clocks };
  }

  /** Attempts go to the flags collection (inserts) with the seconds they were refused; a failed insert keeps its count. */
  private async writeFlags() {
    for (const s of this.mem.sessions.values()) {
      const flagged = Object.entries(s.flags).filter(([k]) => REVIEWED_FLAGS.includes(k as FlagKind));
      s.flags = {};
      for (let i = 0; i < flagged.length; i++) {
        const [kind, f] = flagged[i]!;
        try {
          await this.repos.flags.insert({ userId: s.userId, lectureId: s.lectureId, playbackId: s.id, kind, count: f!.count, seconds: f!.sec, detail: s.station ? { station: true } : undefined, at: new Date(this.now()) });
        } catch (err) {
          for (const [k, g] of flagged.slice(i)) {
            const cur = (s.flags[k as FlagKind] ??= { count: 0, sec: 0 });
            cur.count += g!.count;
            cur.sec += g!.sec;
          }
          throw err;
        }
      }
    }
  }

  /**
   * Writes back records idle for a while (sessions 10 min, progress and clocks 30 min) and lets
   * them leave memory, at most `budget` writes per checkpoint: each costs the store a scan.
   */
  private async evictIdle(budget = 200) {
    const { sessions, progress, clock } = this.mem;
    let left = await this.evict(sessions, (s) => s.lastServerAt, 10 * 60_000, budget, (s) => this.repos.playbacks.writeBack(s));
    left = await this.evict(progress, (p) => p.lastWatchedAt, 30 * 60_000, left, (p) => this.repos.progress.writeBack(p));
    for (const { userId, iv } of clock.idle(30 * 60_000)) {
      if (left-- <= 0) break;
      const at = clock.changedAt(userId);
      await this.repos.clocks.writeBack(userId, iv.slice());
      // A cadre who came back while it was written keeps the clock (its new credit is not written yet).
      if (clock.changedAt(userId) === at) clock.drop(userId);
    }
  }

  /** evictIdle() for one kind of record; returns the budget left. */
  private async evict<R extends { id: string; dirty: boolean }>(records: Map<string, R>, lastAt: (r: R) => number, idleMs: number, budget: number, write: (r: R) => Promise<void>): Promise<number> {
    const idle = (r: R) => this.now() - lastAt(r) > idleMs;
    for (const r of [...records.values()]) {
      if (!idle(r)) continue;
      if (r.dirty) {
        if (budget <= 0) continue;
        budget--;
        r.dirty = false;
        try {
          await write(r);
        } catch (err) {
          r.dirty = true;
          throw err;
        }
      }
      if (!r.dirty && idle(r)) records.delete(r.id);
    }
    return budget;
  }
}
