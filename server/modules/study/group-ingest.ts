/**
 * Group credit (集体收看) at terminal stations. A station's playback is attributed to the station
 * (`userId` = station id, `station: true`) and its beats are judged by the same decide() as a
 * cadre's — one counting place per station, the station's clock offset estimated per session,
 * delivery evidence from the bytes its kiosk fetched — except the frontier rule (the timetable,
 * not a viewer, decides where a scheduled replay stands) and attention checks (nobody answers for
 * a room). Each placed span is handed to the stations module's `share` rule, which names the
 * learners whose presence is evidenced and the server-time pieces (`wall`) of it; each learner
 * is credited through their own cadre clock (a cadre present at a station and studying at home
 * earns each second once), as ordinary `c` entries in the same log commit as the station's beats.
 * A roster confirmed later (creditLearners) credits the same way, after the fact.
 */
import { randomBytes } from 'node:crypto';
import type { LectureDoc } from '../catalog/lecture.model';
import { decide, openSession, type PlacedSpan } from './heartbeat-policy';
import { covered, flatten, normalize, progressOf, type Interval } from './intervals';
import { type FlagKind, type PlaybackSession, type Progress } from './records';
import type { Reservation } from './batch-effects';
import { groupByPlayback, type IncomingBeat } from './incoming-beats';
import type { StudyEngine } from './study-engine';
import { beatEntry, type WalEntry } from './wal';

/** What one learner present at a station earns from a span. */
export interface GroupCredit {
  userId: string;
  /** Media intervals (within the span's credited media). */
  intervals: Interval[];
  wallSec: number;
  /** Server-time pieces of the span during which the learner's presence is evidenced. */
  wall: Interval[];
}

/** The station module's rule: who was present for which part of a span of this playback. */
export type GroupShare = (playbackId: string, span: PlacedSpan) => GroupCredit[];

export interface GroupLearnerView {
  userId: string;
  coveredSec: number;
  progress: number;
  completed: boolean;
  creditHours?: number;
}

export interface GroupView {
  counting: boolean;
  reason?: 'other-session' | 'unknown-session';
  /** Media intervals credited to the station by this call. */
  credited: Interval[];
  /** Learners credited by this call, with their progress afterwards. */
  learners: GroupLearnerView[];
}

type Flags = [FlagKind, number][];

export class GroupCredits {
  constructor(private readonly engine: StudyEngine) {}

  /**
   * Opens a station playback. A kiosk that was offline at the start played from its cache under
   * an id of its own; its batch opens the playback late, dated back to when it could have started
   * (the caller bounds that by the timetable).
   */
  async open(stationId: string, lecture: LectureDoc, meta: { ip?: string; userAgent?: string; runId?: string; playbackId?: string; openedAt?: number }) {
    const e = this.engine;
    if (meta.playbackId) {
      const known = await e.loadSession(meta.playbackId);
      if (known) return { playbackId: known.id, counting: known.station === true && known.userId === stationId && e.place.claim(known, e.now(), { seq: 0, position: 0, rate: 1, playing: false, visible: true, event: 'tick', clientAt: 0 }) };
    }
    const id = meta.playbackId ?? randomBytes(12).toString('base64url');
    const now = e.now();
    const openedAt = Math.min(now, meta.openedAt ?? now);
    const s: PlaybackSession = { id, userId: stationId, lectureId: String(lecture._id), kind: lecture.kind ?? 'recorded', state: openSession(openedAt), delivered: new Set(), deliveredSpans: [], flags: {}, lastServerAt: now, ended: false, dirty: false, station: true };
    await e.insertStationPlayback(s, lecture, meta);
    return { playbackId: id, counting: e.place.claim(s, now, { seq: 0, position: 0, rate: 1, playing: false, visible: true, event: 'tick', clientAt: 0 }) };
  }

  /** A station's beats: judged like a cadre's, each credited span shared with the learners present. */
  async ingest(stationId: string, beats: IncomingBeat[], share: GroupShare): Promise<{ acks: { playbackId: string; seq: number }[]; sessions: Record<string, GroupView> }> {
    const e = this.engine;
    const now = e.now();
    const entries: WalEntry[] = [];
    const acks: { playbackId: string; seq: number }[] = [];
    const views: Record<string, GroupView> = {};
    const reserved: Reservation[] = [];
    const apply: (() => void)[] = [];
    const credits: { p: Progress; intervals: Interval[]; wallSec: number; position: number; pid: string }[] = [];
    for (const [pid, list] of groupByPlayback(beats)) {
      const s = await e.loadSession(pid);
      if (!s || !s.station || s.userId !== stationId) {
        list.forEach((b) => acks.push({ playbackId: pid, seq: b.seq }));
        views[pid] = { counting: false, reason: 'unknown-session', credited: [], learners: [] };
        continue;
      }
      const info = await e.lecture(s.lectureId);
      const content = await e.content(info);
      const durationSec = content?.durationSec ?? 0;
      const view: GroupView = { counting: true, credited: [], learners: [] };
      views[pid] = view;
      let st = s.state;
      let ended = false;
      const flags: Flags = [];
      const newest = Math.max(...list.map((b) => b.clientAt));
      for (const b of list.sort((x, y) => x.seq - y.seq)) {
        acks.push({ playbackId: pid, seq: b.seq });
        if (b.seq <= st.lastSeq) continue;
        const counting = e.place.claim(s, now, b);
        view.counting = counting;
        const d = decide(st, b, { nowMs: now, policy: e.policy, durationSec, required: false, frontier: 0, delivered: e.deliveredCoverage(s, info?.segmentSec ?? 4), counting, live: s.kind === 'live' || content?.kind === 'live', batchNewestClientAt: newest });
        for (const f of d.flags) flags.push([f.kind, f.sec]);
        st = d.next;
        if (b.event === 'end' || b.event === 'unload') ended = true;
        entries.push(beatEntry(s.id, b, st));
        if (!d.span) continue;
        view.credited = normalize([...view.credited, ...d.span.intervals]);
        for (const c of share(pid, d.span)) {
          if (!c.wall?.length) continue;
          await e.loadClock(c.userId);
          const got = e.grantPresence(c.userId, d.span, c.wall, reserved);
          if (!got.intervals.length) continue;
          const p = await e.loadProgress(c.userId, content?.id ?? s.lectureId);
          if (durationSec) p.durationSec = durationSec;
          credits.push({ p, intervals: got.intervals, wallSec: got.wallSec, position: b.position, pid });
          entries.push({ k: 'c', u: c.userId, l: p.lectureId, iv: flatten(got.intervals), w: got.wallSec, pos: b.position, at: now, wf: flatten(got.pieces), src: 'station' });
        }
      }
      const final = { state: st, flags, ended, reopened: false };
      apply.push(() => e.applyBeats(s, final, now));
    }
    await e.commit(entries, reserved);
    for (const fn of apply) fn();
    const touched = new Map<string, { p: Progress; pid: string }>();
    for (const c of credits) {
      e.credit(c.p, c.intervals, c.wallSec, 'station', c.position, now);
      touched.set(c.p.id, { p: c.p, pid: c.pid });
    }
    for (const { p, pid } of touched.values()) views[pid]!.learners.push(await this.learnerView(p));
    return { acks, sessions: views };
  }

  /**
   * Credits learners after the fact (the operator confirmed who stayed): each credit's wall pieces
   * go through the learner's clock; the media is the credit's, cut pro rata (in order) to what the
   * clock grants. Confirming twice credits nothing twice.
   */
  async creditLearners(playbackId: string, credits: GroupCredit[]): Promise<GroupLearnerView[]> {
    const e = this.engine;
    const s = await e.loadSession(playbackId);
    if (!s || !s.station) return [];
    const content = await e.content(await e.lecture(s.lectureId));
    const now = e.now();
    const entries: WalEntry[] = [];
    const reserved: Reservation[] = [];
    const staged: { p: Progress; intervals: Interval[]; wallSec: number; wall: Interval[] }[] = [];
    for (const c of credits) {
      const wall = normalize(c.wall ?? []);
      const wallLen = covered(wall);
      if (!(wallLen > 0) || !c.intervals.length) continue;
      await e.loadClock(c.userId);
      const g = e.clock.grant(c.userId, wall);
      if (!g.granted.length) continue;
      reserved.push({ userId: c.userId, pieces: g.granted });
      const intervals = mapInOrder(wall, normalize(c.intervals), g.granted);
      const wallSec = c.wallSec * (covered(g.granted) / wallLen);
      if (!intervals.length) continue;
      const p = await e.loadProgress(c.userId, content?.id ?? s.lectureId);
      if (content?.durationSec) p.durationSec = content.durationSec;
      staged.push({ p, intervals, wallSec, wall: g.granted });
      entries.push({ k: 'c', u: c.userId, l: p.lectureId, iv: flatten(intervals), w: wallSec, pos: p.lastPosition, at: now, wf: flatten(g.granted), src: 'station' });
    }
    await e.commit(entries, reserved);
    const out: GroupLearnerView[] = [];
    for (const c of staged) {
      e.credit(c.p, c.intervals, c.wallSec, 'station', c.p.lastPosition, now);
      // Its log entries name no playback (no beats): the xAPI trail is told here.
      e.xapiTrail.note(playbackId, c.p.userId, c.p.lectureId, c.intervals, c.wall, now, true);
      out.push(await this.learnerView(c.p));
    }
    return out;
  }

  private async learnerView(p: Progress): Promise<GroupLearnerView> {
    const e = this.engine;
    const hours = await e.ledger.checkCompletion(p, await e.content(await e.lecture(p.lectureId)));
    return { userId: p.userId, coveredSec: covered(p.intervals), progress: progressOf(p.intervals, p.durationSec), completed: p.completedAt !== null, ...(hours !== undefined ? { creditHours: hours } : {}) };
  }
}

/**
 * Maps wall pieces onto media in order: `wall` (sorted pieces) covers `media` (sorted intervals)
 * linearly when both are laid end to end; returns the media under `granted` (a subset of `wall`).
 */
export function mapInOrder(wall: readonly Interval[], media: readonly Interval[], granted: readonly Interval[]): Interval[] {
  const wallLen = covered(wall);
  const mediaLen = covered(media);
  if (!(wallLen > 0) || !(mediaLen > 0)) return [];
  const k = mediaLen / wallLen;
  // Offset of a wall instant along the laid-out wall pieces.
  const along = (t: number) => {
    let acc = 0;
    for (const [a, b] of wall) {
      if (t <= a) return acc;
      if (t < b) return acc + (t - a);
      acc += b - a;
    }
    return acc;
  };
  // The media position at an offset along the laid-out media intervals.
  const mediaAt = (off: number) => {
    let acc = 0;
    for (const [a, b] of media) {
      if (off <= acc + (b - a)) return a + (off - acc);
      acc += b - a;
    }
    return media[media.length - 1]![1];
  };
  const out: Interval[] = [];
  for (const [ga, gb] of granted) {
    const from = along(ga) * k;
    const to = along(gb) * k;
    // A granted piece may span several media intervals: cut it at their boundaries.
    let acc = 0;
    for (const [a, b] of media) {
      const lo = Math.max(from, acc);
      const hi = Math.min(to, acc + (b - a));
      if (hi > lo) out.push([mediaAt(lo), mediaAt(hi)]);
      acc += b - a;
    }
  }
  return normalize(out);
}
