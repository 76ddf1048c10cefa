/**
 * A cadre's heartbeats (学时心跳), judged one batch at a time per cadre (the engine's lock): each
 * beat by heartbeat-policy.ts on a staged copy of its playback, each placed span offered to the
 * cadre's clock; the decisions go to the log in one commit, and only once it is stored are the
 * playback, the progress and the flags changed in memory and the beats acknowledged. A failed
 * commit throws 503 after the clock's grants are taken back (study-engine.ts commit()).
 */
import { decide } from './heartbeat-policy';
import { addInterval, flatten, frontier } from './intervals';
import { type FlagKind, type LectureInfo, type PlaybackSession, type Progress } from './records';
import { groupByPlayback, type IncomingBeat, type RejectedBeat, type Reservation, type SessionView, type StagedCredit, type StudyEngine } from './study-engine';
import { beatEntry, type WalEntry } from './wal';

export interface CadreAnswer {
  acks: { playbackId: string; seq: number }[];
  rejected: RejectedBeat[];
  sessions: Record<string, SessionView>;
}

export async function ingestCadreBeats(e: StudyEngine, userId: string, beats: IncomingBeat[]): Promise<CadreAnswer> {
  const now = e.now();
  const acks: { playbackId: string; seq: number }[] = [];
  const rejected: RejectedBeat[] = [];
  const entries: WalEntry[] = [];
  const staged: StagedCredit[] = [];
  const reserved: Reservation[] = [];
  const apply: (() => void)[] = [];
  const touched: { pid: string; s: PlaybackSession; p: Progress; content: LectureInfo | null; info: LectureInfo | null }[] = [];
  for (const [pid, list] of groupByPlayback(beats)) {
    const s = await e.loadSession(pid);
    if (!s || s.userId !== userId || s.station) {
      for (const b of list) rejected.push({ playbackId: pid, seq: b.seq, code: 'PLAYBACK_NOT_FOUND', message: '找不到此次播放 / No such playback' });
      continue;
    }
    const info = await e.lecture(s.lectureId);
    const content = await e.content(info);
    const p = await e.loadProgress(userId, content?.id ?? s.lectureId);
    if (content?.durationSec) p.durationSec = content.durationSec;
    await e.loadClock(userId);
    let st = s.state;
    let ivs = p.intervals;
    let ended = false;
    const flags: [FlagKind, number][] = [];
    let consumedAttention = false;
    const newest = Math.max(...list.map((b) => b.clientAt));
    for (const b of list.sort((x, y) => x.seq - y.seq)) {
      acks.push({ playbackId: pid, seq: b.seq });
      if (b.seq <= st.lastSeq) continue; // a duplicate or replay: changes nothing
      const counting = e.place.claim(s, now, b);
      const paused = e.attention.paused(s, now) && !consumedAttention;
      const d = decide(st, b, { nowMs: now, policy: e.policy, durationSec: p.durationSec, required: content?.required ?? false, frontier: frontier(ivs, 1), delivered: e.deliveredCoverage(s, info?.segmentSec ?? 4), counting, live: s.kind === 'live' || content?.kind === 'live', attentionPaused: paused, batchNewestClientAt: newest });
      if (paused && s.attention?.skipNext && st.lastClientAt !== null) consumedAttention = true;
      for (const f of d.flags) flags.push([f.kind, f.sec]);
      st = d.next;
      if (d.span) {
        const got = e.grantSpan(userId, d.span, reserved, flags, now);
        if (got.intervals.length) {
          for (const iv of got.intervals) ivs = addInterval(ivs, iv);
          staged.push({ p, intervals: got.intervals, wallSec: got.wallSec, pieces: got.pieces, source: s.kind === 'live' ? 'live' : 'individual', position: b.position });
          entries.push({ k: 'c', u: userId, l: p.lectureId, iv: flatten(got.intervals), w: got.wallSec, pos: b.position, at: now, wf: flatten(got.pieces), src: s.kind === 'live' ? 'live' : 'individual' });
        }
      }
      if (b.event === 'end' || b.event === 'unload') ended = true;
      entries.push(beatEntry(s.id, b, st));
    }
    const final = { state: st, flags, ended, reopened: list[list.length - 1]!.event === 'play' };
    apply.push(() => {
      if (e.applyBeats(s, final, now) && consumedAttention) e.attention.consumed(s);
    });
    touched.push({ pid, s, p, content, info });
  }
  await e.commit(entries, reserved);
  for (const fn of apply) fn();
  for (const c of staged) e.credit(c.p, c.intervals, c.wallSec, c.source, c.position, now);
  const views: Record<string, SessionView> = {};
  for (const t of touched) {
    if (t.info?.attentionChecks) e.attention.schedule(t.s, now, e.place.holds(t.s));
    views[t.pid] = e.view(t.s, t.p, t.content);
  }
  for (const t of touched) {
    // Most beats complete nothing: the ledger is asked only when the content may be complete.
    if (t.p.completedAt === null && !e.ledger.reached(t.p)) continue;
    const hours = await e.ledger.checkCompletion(t.p, t.content);
    views[t.pid]!.completed = t.p.completedAt !== null;
    if (hours !== undefined) views[t.pid]!.creditHours = hours;
  }
  return { acks, rejected, sessions: views };
}
