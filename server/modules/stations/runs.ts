/**
 * Station runs in memory and in the store, and their statistics roll-ups. A run is one station's
 * run of one session (`session:station`, StationRun): its playbacks, each learner's presence
 * (claims and evidence), the station's credited spans per playback (kept so that evidence arriving
 * later — a 签退 scan, the roster confirmation — can be credited), and what each learner earned.
 * - Runs of the last day are loaded at start and kept; every check-in writes its run at once,
 *   beats mark it dirty and the flush timer writes it within seconds. FerretDB updates are not
 *   atomic: every write of a run goes through its `run:<id>` lock (KeyedLock).
 * - Roll-ups (StationDay, per local day of the session's start): a run is "held" once the station
 *   was credited any playing inside the session's window; person-times are the distinct learners
 *   checked in; learner seconds the wall time credited to them. Written with `$set` under
 *   `runs.<runId>`, so rewriting them is harmless.
 */
import type { Models } from '../../store/models';
import { insertIfAbsent } from '../../store/errors';
import { flatten, unflatten, type Interval } from '../study/intervals';
import { flattenSpans, presentAt, spansOf, unflattenSpans, type SpanFacts } from './group-credit';
import { KeyedLock } from './keyed-lock';
import { evidenceOf, minus, type PresenceEvidence } from './presence-evidence';
import type { RunDoc } from './station.model';
import type { CountyCalendar } from '../../calendar';
import { CHECKIN_LEAD_MS, isOn } from './station-rules';
import type { SessionEntry } from './timetable.service';

export interface Presence extends PresenceEvidence {
  name: string;
  spans: Interval[];
  since: number;
  scans: number[];
  outs: number[];
}

export interface Earned {
  /** Media intervals credited. */
  iv: Interval[];
  /** Wall seconds credited. */
  w: number;
  /** Server-time pieces offered to the engine (never offered twice). */
  wall: Interval[];
}

export interface RunState {
  id: string;
  sessionId: string;
  stationId: string;
  lectureId: string;
  day: string;
  startAt: number;
  endAt: number;
  playbacks: Set<string>;
  present: Map<string, Presence>;
  /** Media credited to the station (its own playing). */
  played: Interval[];
  /** The station's credited spans per playback (server-time wall, media). */
  credited: Map<string, SpanFacts[]>;
  learners: Map<string, Earned>;
  held: boolean;
  firstBeatAt?: number;
  lastBeatAt?: number;
  dirty: boolean;
  /** The roll-up figures last written (JSON). */
  rolled?: string;
}

export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PresenceRules {
  /** How long a QR scan evidences presence (STATION_PRESENCE_RESCAN_MINUTES). */
  rescanMs: number;
}

/** A learner's evidenced presence in a run that was not offered to the engine yet (`extra`: offered in this batch). */
export function unoffered(run: RunState, userId: string, rules: PresenceRules, extra: readonly Interval[] = []): Interval[] {
  const p = run.present.get(userId);
  if (!p) return [];
  return minus(evidenceOf(p, rules.rescanMs), [...(run.learners.get(userId)?.wall ?? []), ...extra]);
}

/** Runs stay in memory (and count for "one station at a time") this long after their session ended. */
export const KEEP_MS = 26 * 3600_000;

type StoredPresence = { name?: string; spans?: number[]; since?: number; scans?: number[]; outs?: number[]; conf?: number };
type StoredEarned = { iv?: number[]; w?: number; wall?: number[] };

function fromDoc(d: RunDoc): RunState {
  const present = new Map<string, Presence>();
  for (const [uid, p] of Object.entries((d.present ?? {}) as Record<string, StoredPresence>)) {
    present.set(uid, { name: p.name ?? '', spans: spansOf(p.spans ?? []), since: p.since ?? 0, scans: p.scans ?? [], outs: p.outs ?? [], ...(p.conf ? { confirmedAt: p.conf } : {}) });
  }
  const learners = new Map<string, Earned>();
  for (const [uid, l] of Object.entries((d.learners ?? {}) as Record<string, StoredEarned>)) {
    learners.set(uid, { iv: unflatten(l.iv ?? []), w: l.w ?? 0, wall: unflatten(l.wall ?? []) });
  }
  const credited = new Map<string, SpanFacts[]>();
  for (const [pid, flat] of Object.entries(((d as { credited?: unknown }).credited ?? {}) as Record<string, number[]>)) credited.set(pid, unflattenSpans(flat));
  return {
    id: d._id,
    sessionId: d.sessionId,
    stationId: d.stationId,
    lectureId: d.lectureId,
    day: d.day,
    startAt: new Date(d.startAt).getTime(),
    endAt: new Date(d.endAt).getTime(),
    playbacks: new Set(d.playbacks ?? []),
    present,
    played: unflatten(d.played ?? []),
    credited,
    learners,
    held: d.held ?? false,
    firstBeatAt: d.firstBeatAt ? new Date(d.firstBeatAt).getTime() : undefined,
    lastBeatAt: d.lastBeatAt ? new Date(d.lastBeatAt).getTime() : undefined,
    dirty: false,
  };
}

export class Runs {
  readonly runs = new Map<string, RunState>();
  readonly byPlayback = new Map<string, string>();
  /** learner -> runs where they have a presence (the engine's presence probe reads it per beat). */
  private readonly byUser = new Map<string, Set<string>>();
  readonly lock = new KeyedLock();

  constructor(
    private readonly models: Models,
    private readonly liveState: (lectureId: string) => string | undefined,
    /** Runs roll up by the county day of their session's start (server/calendar.ts). */
    private readonly calendar: CountyCalendar,
    readonly now: () => number,
  ) {}

  async start() {
    const rows = await this.models.StationRun.find({ endAt: { $gte: new Date(this.now() - KEEP_MS) } }).lean<RunDoc[]>();
    for (const r of rows) this.remember(fromDoc(r));
  }

  private remember(run: RunState) {
    this.runs.set(run.id, run);
    for (const pid of run.playbacks) this.byPlayback.set(pid, run.id);
    for (const uid of run.present.keys()) this.index(uid, run.id);
  }

  /** Notes that a learner has a presence in a run (call when setting one). */
  index(userId: string, runId: string) {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(runId);
  }

  /** Runs where a learner has a presence. */
  runsOf(userId: string): RunState[] {
    const out: RunState[] = [];
    for (const id of this.byUser.get(userId) ?? []) {
      const run = this.runs.get(id);
      if (run) out.push(run);
    }
    return out;
  }

  /** Is a session open for check-ins and playing now? A live lecture that overruns stays on while live. */
  isOnNow(s: SessionEntry, now = this.now()): boolean {
    if (isOn(s, now)) return true;
    return s.kind === 'live' && now >= s.startAt - CHECKIN_LEAD_MS && this.liveState(s.lectureId) === 'live';
  }

  async runOf(session: SessionEntry, stationId: string): Promise<RunState> {
    const id = `${session.id}:${stationId}`;
    const hit = this.runs.get(id);
    if (hit) return hit;
    return this.lock.run(`load:${id}`, async () => {
      const again = this.runs.get(id);
      if (again) return again;
      const row = await this.models.StationRun.findById(id).lean<RunDoc>();
      const run: RunState = row
        ? fromDoc(row)
        : { id, sessionId: session.id, stationId, lectureId: session.lectureId, day: this.calendar.day(session.startAt), startAt: session.startAt, endAt: session.endAt, playbacks: new Set(), present: new Map(), played: [], credited: new Map(), learners: new Map(), held: false, dirty: false };
      if (!row) {
        await insertIfAbsent(
          this.models.StationRun.collection.insertOne({ _id: id as never, sessionId: run.sessionId, stationId, lectureId: run.lectureId, day: run.day, startAt: new Date(run.startAt), endAt: new Date(run.endAt), playbacks: [], present: {}, played: [], credited: {}, learners: {}, held: false }),
        );
      }
      this.remember(run);
      return run;
    });
  }

  /** Writes a run (call under its lock) and then its roll-up. */
  async save(run: RunState) {
    run.dirty = false;
    const present: Record<string, object> = {};
    for (const [uid, p] of run.present) present[uid] = { name: p.name, spans: flatten(p.spans), since: p.since, scans: p.scans, outs: p.outs, ...(p.confirmedAt ? { conf: p.confirmedAt } : {}) };
    const learners: Record<string, object> = {};
    for (const [uid, l] of run.learners) learners[uid] = { iv: flatten(l.iv), w: Math.round(l.w * 1000) / 1000, wall: flatten(l.wall) };
    const credited: Record<string, number[]> = {};
    for (const [pid, list] of run.credited) credited[pid] = flattenSpans(list);
    await this.models.StationRun.collection.updateOne(
      { _id: run.id as never },
      {
        $set: {
          playbacks: [...run.playbacks],
          present,
          played: flatten(run.played),
          credited,
          learners,
          held: run.held,
          ...(run.firstBeatAt ? { firstBeatAt: new Date(run.firstBeatAt) } : {}),
          ...(run.lastBeatAt ? { lastBeatAt: new Date(run.lastBeatAt) } : {}),
        },
      },
    );
    await this.rollUp(run);
  }

  saveLocked(run: RunState) {
    return this.lock.run(`run:${run.id}`, () => this.save(run));
  }

  private async rollUp(run: RunState) {
    let sec = 0;
    for (const l of run.learners.values()) sec += l.w;
    const figures = { s: run.stationId, held: run.held ? 1 : 0, persons: run.present.size, sec: Math.round(sec) };
    const json = JSON.stringify(figures);
    if (json === run.rolled) return;
    await this.lock.run(`day:${run.day}`, () => this.models.StationDay.collection.updateOne({ _id: run.day as never }, { $set: { [`runs.${run.id}`]: figures } }, { upsert: true }));
    run.rolled = json;
  }

  /** Writes dirty runs; forgets runs long over. Returns the playbacks forgotten. */
  async flush(): Promise<{ stationId: string; lectureId: string; playbackId: string }[]> {
    const now = this.now();
    const gone: { stationId: string; lectureId: string; playbackId: string }[] = [];
    for (const run of [...this.runs.values()]) {
      if (run.dirty) await this.saveLocked(run);
      else if (run.endAt < now - KEEP_MS) {
        this.runs.delete(run.id);
        for (const uid of run.present.keys()) this.byUser.get(uid)?.delete(run.id);
        for (const pid of run.playbacks) {
          this.byPlayback.delete(pid);
          gone.push({ stationId: run.stationId, lectureId: run.lectureId, playbackId: pid });
        }
      }
    }
    return gone;
  }

  // ---- one station at a time -------------------------------------------------------------

  /** The run (of another station) where the learner is present at `at`, if any. */
  presentElsewhere(userId: string, stationId: string, at: number): RunState | undefined {
    return this.runsOf(userId).find((run) => run.stationId !== stationId && presentAt(run.present.get(userId)?.spans ?? [], at));
  }

  /** When the learner's next presence at another station begins after `at` (a new span here ends there). */
  nextElsewhere(userId: string, stationId: string, at: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const run of this.runsOf(userId)) {
      if (run.stationId === stationId) continue;
      for (const [a] of run.present.get(userId)?.spans ?? []) if (a > at && a < next) next = a;
    }
    return next;
  }

  /** The run where the learner is present at any station at `at` (their counting place then). */
  presentAnywhere(userId: string, at: number): RunState | undefined {
    return this.runsOf(userId).find((run) => presentAt(run.present.get(userId)?.spans ?? [], at));
  }

  presentNow(run: RunState, now: number) {
    const out: { userId: string; name: string; since: string }[] = [];
    for (const [userId, p] of run.present) {
      const span = p.spans.find(([a, b]) => a <= now && now < b);
      if (span) out.push({ userId, name: p.name, since: new Date(span[0]).toISOString() });
    }
    return out.sort((a, b) => a.since.localeCompare(b.since));
  }
}
