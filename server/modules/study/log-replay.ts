/**
 * Replaying the study log at start (wal.ts): every entry is applied again to the records it names,
 * idempotently — sequence numbers only move forward, intervals and clock pieces are unions, wall
 * time is added only with new coverage — so a batch replayed twice, or a snapshot older than a
 * record written back later, changes nothing it should not.
 */
import { fromRuns, normalize, unflatten } from './intervals';
import type { Progress } from './records';
import type { StudyEngine } from './study-engine';
import type { WalEntry } from './wal';

export async function replayEntry(engine: StudyEngine, e: WalEntry) {
  if (e.k === 'b' || e.k === 's') {
    const s = await engine.loadSession(e.p);
    if (!s) return;
    if (e.seq > s.state.lastSeq) {
      const st = s.state;
      s.state = { ...st, lastSeq: e.seq, lastPosition: e.pos, lastClientAt: e.ca, playing: e.pl, visible: e.v, offsetMs: e.off ?? st.offsetMs, lastEnd: e.le ?? st.lastEnd, playMs: e.pm ?? st.playMs, advanceSec: e.adv ?? st.advanceSec, clippedMs: e.cl ?? st.clippedMs };
    }
    if (e.k === 's') {
      for (const i of fromRuns(e.d)) s.delivered.add(i);
      if (e.ds?.length) s.deliveredSpans = normalize([...s.deliveredSpans, ...unflatten(e.ds)]);
    }
    s.dirty = true;
  } else if (e.k === 'd') {
    const s = await engine.loadSession(e.p);
    if (!s) return;
    e.i?.forEach((i) => s.delivered.add(i));
    if (e.iv?.length) s.deliveredSpans = normalize([...s.deliveredSpans, ...unflatten(e.iv)]);
    s.dirty = true;
  } else if (e.k === 'p') {
    const p = await engine.loadProgress(e.u, e.l);
    p.intervals = normalize([...p.intervals, ...unflatten(e.iv)]);
    if (e.ag?.length) p.again = normalize([...p.again, ...unflatten(e.ag)]);
    p.wallSec = Math.max(p.wallSec, e.w);
    if (e.dur) p.durationSec = e.dur;
    if (e.at >= p.lastWatchedAt) {
      p.lastPosition = e.pos;
      p.lastWatchedAt = e.at;
    }
    if (e.done !== null && (p.completedAt === null || e.done < p.completedAt)) p.completedAt = e.done;
    p.dirty = true;
  } else if (e.k === 'u') {
    await engine.loadClock(e.u);
    engine.clock.load(e.u, unflatten(e.iv));
  } else {
    await engine.loadClock(e.u);
    if (e.wf?.length) engine.clock.add(e.u, unflatten(e.wf));
    engine.credit(await engine.loadProgress(e.u, e.l), unflatten(e.iv), e.w, e.src as Progress['source'], e.pos, e.at, true);
  }
}
