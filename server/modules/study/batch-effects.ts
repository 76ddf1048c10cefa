/**
 * What a judged batch of beats changes in memory (cadre-ingest.ts, group-ingest.ts): the cadre
 * clock's grants for its placed spans, its playbacks' state, flags and end, and its credit to
 * progress — and the snapshot that takes all of it back when the batch's log commit fails
 * (applied-batches.ts). Every grant is recorded as a reservation so a failed commit can release it.
 * Credit is a union of intervals and adds wall time only with new coverage, so the log replayed at
 * start (log-replay.ts) applies it again without changing anything it should not.
 */
import type { CadreClock } from './cadre-clock';
import type { CountingPlace } from './counting-place';
import { shareOfWall, type PlacedSpan, type SessionState } from './heartbeat-policy';
import { addInterval, covered, intersect, normalize, watchedAgain, type Interval } from './intervals';
import { addFlag, type FlagKind, type PlaybackSession, type Progress } from './records';

/** A credit staged during a batch, applied to the progress once the log holds it. */
export interface StagedCredit {
  p: Progress;
  intervals: Interval[];
  wallSec: number;
  pieces: Interval[];
  source: Progress['source'];
  position: number;
}

/** Clock pieces granted during a batch: taken back if its log commit fails. */
export interface Reservation {
  userId: string;
  pieces: Interval[];
}

/** What a judged batch changes in memory, to take it back if its commit fails (newest first). */
export function snapshotForUndo(clock: CadreClock, sessions: PlaybackSession[], progress: Progress[], reserved: Reservation[]): () => void {
  const ss = sessions.map((s) => ({ s, state: s.state, flags: copyFlags(s.flags), ended: s.ended, lastServerAt: s.lastServerAt }));
  const ps = [...new Set(progress)].map((p) => ({ p, intervals: p.intervals, wallSec: p.wallSec, source: p.source, lastPosition: p.lastPosition, lastWatchedAt: p.lastWatchedAt }));
  return () => {
    for (const r of reserved) clock.release(r.userId, r.pieces);
    for (const x of ss) Object.assign(x.s, { state: x.state, flags: x.flags, ended: x.ended, lastServerAt: x.lastServerAt, dirty: true });
    for (const x of ps) Object.assign(x.p, { intervals: x.intervals, wallSec: x.wallSec, source: x.source, lastPosition: x.lastPosition, lastWatchedAt: x.lastWatchedAt, dirty: true });
  };
}

/**
 * Offers a placed span to the cadre's clock and returns what it earns: the granted pieces and
 * their share of the span's media. Refused seconds are flagged (`parallel-sessions`, `too-old`).
 * The grant is recorded in `reserved` so a failed commit can take it back.
 */
export function grantSpan(clock: CadreClock, userId: string, span: PlacedSpan, reserved: Reservation[], flags: [FlagKind, number][], now: number) {
  const g = clock.grantFirstFit(userId, span.chainFrom, span.chainMs, now);
  const grantedMs = covered(g.granted);
  if (g.granted.length) reserved.push({ userId, pieces: g.granted });
  if (g.refusedMs > 1) flags.push(['parallel-sessions', g.refusedMs / 1000]);
  if (g.tooOldMs > 1) flags.push(['too-old', g.tooOldMs / 1000]);
  // The granted time earns the span's media in order, from its start.
  const share = shareOfWall(span, [[span.chainFrom, span.chainFrom + grantedMs]], [span.chainFrom, span.chainFrom + span.chainMs]);
  return { ...share, pieces: g.granted };
}

/** Grants a learner the evidenced pieces of a station's span exactly (they are server times), through their clock. */
export function grantPresence(clock: CadreClock, userId: string, span: PlacedSpan, evidence: readonly Interval[], reserved: Reservation[]) {
  const g = clock.grant(userId, intersect(normalize(evidence), [[span.wallFrom, span.wallTo]]));
  if (g.granted.length) reserved.push({ userId, pieces: g.granted });
  return { ...shareOfWall(span, g.granted), pieces: g.granted, refusedMs: g.refusedMs };
}

/**
 * Applies a judged batch to its playback once the log holds it: the state after its last beat,
 * its flags, and its end (which frees the counting place). False when a newer state is there.
 */
export function applyBeats(place: CountingPlace, s: PlaybackSession, final: { state: SessionState; flags: [FlagKind, number][]; ended: boolean; reopened: boolean }, now: number): boolean {
  if (final.state.lastSeq <= s.state.lastSeq) return false;
  s.state = final.state;
  s.lastServerAt = now;
  s.dirty = true;
  for (const [k, sec] of final.flags) addFlag(s, k, sec);
  if (final.ended) {
    s.ended = true;
    place.release(s);
  } else if (s.ended && final.reopened) s.ended = false;
  return true;
}

/**
 * Adds credited media to a progress; wall time only with new coverage (a replayed credit adds
 * nothing). Media already covered that comes again (a cadre going back over a part) is noted in
 * `again` — not when the log is replayed at start (`replayed`): that credit was seen before.
 */
export function credit(p: Progress, intervals: readonly Interval[], wallSec: number, source: Progress['source'], position: number, at: number, replayed = false) {
  if (intervals.length) {
    const before = covered(p.intervals);
    if (!replayed) p.again = watchedAgain(p.again, p.intervals, intervals);
    for (const iv of intervals) p.intervals = addInterval(p.intervals, iv);
    if (covered(p.intervals) > before + 1e-6) {
      p.wallSec += wallSec;
      if (source) p.source = source;
    }
  }
  p.lastPosition = position;
  p.lastWatchedAt = Math.max(p.lastWatchedAt, at);
  p.dirty = true;
}

function copyFlags(flags: PlaybackSession['flags']): PlaybackSession['flags'] {
  const out: PlaybackSession['flags'] = {};
  for (const [k, v] of Object.entries(flags)) out[k as FlagKind] = { ...v };
  return out;
}
