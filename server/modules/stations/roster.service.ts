/**
 * The roster confirmation (确认名单) and credit for evidence that arrives late.
 * - The station operator (the station account, or an admin of its unit) ticks the learners who
 *   stayed; the confirmation evidences each ticked learner's presence from their check-in to the
 *   confirmation, at most to the session's end (their claimed spans, so a 签退 still ends it).
 *   It may be given from the session's start until ROSTER_HOURS after its end, and again (it only
 *   ever adds). Unticked learners keep what their scans evidence.
 * - creditEvidence(): the part of a learner's evidence not yet offered, intersected with the
 *   station's credited spans kept on the run, goes to the study engine (creditLearners) per
 *   playback; what was offered is recorded on the run (`learners.<id>.wall`) under the station's
 *   beat lock, so confirming twice or a 签退 after a confirmation offers nothing twice (the
 *   engine's per-cadre clock would refuse it anyway).
 */
import type { GroupCredit, StudyEngine } from '../study/study-engine';
import { normalize, type Interval } from '../study/intervals';
import { shareOfSpan } from './group-credit';
import { evidenceOf, minus, seconds } from './presence-evidence';
import { unoffered, type PresenceRules, type Runs, type RunState } from './runs';
import { stationErrors } from './station-errors';
import type { StationEntry } from './stations.service';
import type { SessionEntry, TimetableService } from './timetable.service';

/** How long after its end a session's roster may still be confirmed. */
export const ROSTER_HOURS = 24;

export interface CreditOutcome {
  userId: string;
  /** Seconds of wall time newly evidenced over the station's credited spans (offered to the engine). */
  newSec: number;
  coveredSec?: number;
  progress?: number;
  completed?: boolean;
  creditHours?: number;
}

export class RosterService {
  constructor(
    private readonly deps: {
      engine: StudyEngine;
      timetable: TimetableService;
      runs: Runs;
      rules: PresenceRules;
    },
  ) {}

  private now() {
    return this.deps.runs.now();
  }

  /** The session a roster is about: the given one, else the current one, else the last one ended within ROSTER_HOURS. */
  private sessionFor(station: StationEntry, sessionId?: string): SessionEntry {
    const { timetable } = this.deps;
    const now = this.now();
    if (sessionId) {
      const s = timetable.get(sessionId);
      if (!s || !s.stationIds.includes(station.id)) throw stationErrors.sessionNotFound();
      return s;
    }
    const current = timetable.current(station.id, now);
    if (current) return current;
    const ended = timetable.range(now - ROSTER_HOURS * 3600_000, now, station.id).filter((s) => s.endAt <= now).sort((a, b) => b.endAt - a.endAt)[0];
    if (!ended) throw stationErrors.noSession();
    return ended;
  }

  /** Who checked in to a session at a station, with what their presence evidences so far. */
  async roster(station: StationEntry, sessionId?: string) {
    const session = this.sessionFor(station, sessionId);
    const run = await this.deps.runs.runOf(session, station.id);
    const now = this.now();
    const learners = [...run.present].map(([userId, p]) => {
      const last = p.spans[p.spans.length - 1];
      const claimed = p.spans.reduce((n, [a, b]) => n + Math.max(0, Math.min(b, now) - a), 0) / 1000;
      return {
        userId,
        name: p.name,
        checkedInAt: new Date(p.since).toISOString(),
        ...(last && last[1] < run.endAt ? { checkedOutAt: new Date(last[1]).toISOString() } : {}),
        present: Boolean(last && last[1] >= Math.min(now, run.endAt) && last[0] <= now),
        ...(p.scans.length ? { lastScanAt: new Date(p.scans[p.scans.length - 1]!).toISOString() } : {}),
        claimedSec: Math.round(claimed),
        evidencedSec: Math.round(seconds(evidenceOf(p, this.deps.rules.rescanMs).map(([a, b]) => [a, Math.min(b, now)] as const))),
        ...(p.confirmedAt ? { confirmedAt: new Date(p.confirmedAt).toISOString() } : {}),
      };
    });
    learners.sort((a, b) => a.checkedInAt.localeCompare(b.checkedInAt));
    return {
      session: { id: session.id, title: session.title, startAt: new Date(session.startAt).toISOString(), endAt: new Date(session.endAt).toISOString() },
      closesAt: new Date(session.endAt + ROSTER_HOURS * 3600_000).toISOString(),
      learners,
    };
  }

  /** The operator confirms who stayed; each confirmed learner is credited what that newly evidences. */
  async confirm(station: StationEntry, sessionId: string, userIds: readonly string[]) {
    const session = this.sessionFor(station, sessionId);
    const now = this.now();
    if (now < session.startAt || now > session.endAt + ROSTER_HOURS * 3600_000) throw stationErrors.rosterClosed();
    const { runs } = this.deps;
    const run = await runs.runOf(session, station.id);
    const ids = [...new Set(userIds)];
    const known = ids.filter((id) => run.present.has(id));
    await runs.lock.run(`run:${run.id}`, async () => {
      for (const id of known) {
        const p = run.present.get(id)!;
        p.confirmedAt = Math.max(p.confirmedAt ?? 0, now);
      }
      await runs.save(run);
    });
    const outcomes = await this.creditEvidence(run, known);
    return {
      session: { id: session.id, title: session.title },
      confirmed: known.map((id) => ({ ...outcomes.get(id)!, name: run.present.get(id)!.name, newSec: Math.round(outcomes.get(id)!.newSec) })),
      unknown: ids.filter((id) => !run.present.has(id)),
    };
  }

  /**
   * Offers the engine what the learners' evidence newly covers of the station's credited spans.
   * Serialised with the station's beats, so a span is shared once: live or here.
   */
  creditEvidence(run: RunState, userIds: readonly string[]): Promise<Map<string, CreditOutcome>> {
    const { runs, rules, engine } = this.deps;
    return runs.lock.run(`beats:${run.stationId}`, async () => {
      const out = new Map<string, CreditOutcome>(userIds.map((id) => [id, { userId: id, newSec: 0 }]));
      const fresh = new Map<string, Interval[]>(userIds.map((id) => [id, unoffered(run, id, rules)]));
      let changed = false;
      for (const [pid, spans] of run.credited) {
        const credits: GroupCredit[] = [];
        for (const [userId, evidence] of fresh) {
          if (!evidence.length) continue;
          const c: GroupCredit = { userId, intervals: [], wallSec: 0, wall: [] };
          for (const span of spans) {
            const s = shareOfSpan(evidence, span);
            if (!s.intervals.length) continue;
            c.intervals = normalize([...c.intervals, ...s.intervals]);
            c.wallSec += s.wallSec;
            c.wall = normalize([...c.wall, ...s.wall]);
          }
          if (!c.intervals.length) continue;
          credits.push(c);
          // Another playback of the run covering the same wall time offers it no second time.
          fresh.set(userId, minus(evidence, c.wall));
        }
        if (!credits.length) continue;
        const res = await engine.creditLearners(pid, credits);
        changed = true;
        for (const c of credits) {
          const cur = run.learners.get(c.userId) ?? { iv: [], w: 0, wall: [] };
          run.learners.set(c.userId, { iv: normalize([...cur.iv, ...c.intervals]), w: cur.w + c.wallSec, wall: normalize([...cur.wall, ...c.wall]) });
          const o = out.get(c.userId)!;
          o.newSec += seconds(c.wall);
        }
        for (const r of res) Object.assign(out.get(r.userId) ?? {}, { coveredSec: r.coveredSec, progress: r.progress, completed: r.completed, ...(r.creditHours !== undefined ? { creditHours: r.creditHours } : {}) });
      }
      if (changed) await runs.saveLocked(run);
      return out;
    });
  }
}
