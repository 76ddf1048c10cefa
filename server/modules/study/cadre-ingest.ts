/**
 * A cadre's heartbeats (学时心跳), judged one batch at a time per cadre (the engine's lock): each
 * beat by heartbeat-policy.ts on a staged copy of its playback, each placed span offered to the
 * cadre's clock. The judged batch is applied to memory and handed to the log before the lock is
 * released, so the cadre's next batch is judged on it without waiting for the store (a player
 * that beats faster than an insert takes is not held to one batch per insert); its beats are
 * acknowledged only once the log holds the batch. A failed commit takes back, newest first, every
 * batch applied since (study-engine.ts commitApplied()), and answers 503: the client's retry with
 * the same seqs is judged afresh. Completion is asked only once the batch is durable.
 */
import { decide } from './heartbeat-policy';
import { addInterval, flatten, frontier } from './intervals';
import { type FlagKind, type LectureInfo, type PlaybackSession, type Progress } from './records';
import type { Reservation, StagedCredit } from './batch-effects';
import { groupByPlayback, type IncomingBeat, type RejectedBeat, type SessionView } from './incoming-beats';
import type { StudyEngine } from './study-engine';
import { beatEntry, type WalEntry } from './wal';

export interface CadreAnswer {
  acks: { playbackId: string; seq: number }[];
  rejected: RejectedBeat[];
  sessions: Record<string, SessionView>;
}

/** A judged batch, applied to memory and handed to the log; `durable` settles with its commit. */
export interface JudgedBatch {
  acks: { playbackId: string; seq: number }[];
  rejected: RejectedBeat[];
  touched: { pid: string; s: PlaybackSession; p: Progress; content: LectureInfo | null; info: LectureInfo | null }[];
  durable: Promise<void>;
}

/** Judges a batch (under the cadre's lock), applies it and hands it to the log. */
export async function judgeCadreBeats(e: StudyEngine, userId: string, beats: IncomingBeat[]): Promise<JudgedBatch> {
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
  const undo = e.snapshotForUndo(touched.map((t) => t.s), staged.map((c) => c.p), reserved);
  for (const fn of apply) fn();
  for (const c of staged) e.credit(c.p, c.intervals, c.wallSec, c.source, c.position, now);
  const durable = e.commitApplied(entries, undo, touched.map((t) => t.p));
  return { acks, rejected, touched, durable };
}

/** Waits until the batch is durable, then answers: the sessions' views and any completion. */
export async function answerCadreBeats(e: StudyEngine, batch: JudgedBatch): Promise<CadreAnswer> {
  await batch.durable;
  const { acks, rejected, touched } = batch;
  const now = e.now();
  const views: Record<string, SessionView> = {};
  for (const t of touched) {
    if (t.info?.attentionChecks) e.attention.schedule(t.s, now, e.place.holds(t.s));
    views[t.pid] = e.view(t.s, t.p, t.content);
  }
  for (const t of touched) {
    // Most beats complete nothing: the ledger is asked only when the content may be complete, and
    // only on durable credit (a later batch of the cadre still in flight may yet be taken back).
    if (t.p.completedAt === null && (!e.ledger.reached(t.p) || e.unconfirmedCredits(t.p))) continue;
    const hours = await e.ledger.checkCompletion(t.p, t.content);
    views[t.pid]!.completed = t.p.completedAt !== null;
    if (hours !== undefined) views[t.pid]!.creditHours = hours;
  }
  return { acks, rejected, sessions: views };
}
