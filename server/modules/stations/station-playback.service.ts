/**
 * What stations play (空中课堂): station playbacks, the media they fetch, and their heartbeats.
 * - The station's beats go through the study engine (StudyEngine.ingestGroup); each credited span
 *   (server-clock wall, media) is shared with the learners whose presence is *evidenced* over it
 *   (presence-evidence.ts, group-credit.ts), on their own progress and ledger. The span is also
 *   kept on the run, so evidence that comes later (a 签退 scan, the roster confirmation) can be
 *   credited then (presence.service.ts). Beats of one station and those late credits are
 *   serialised (`beats:<station>`), so a span is either shared live or kept for later, never lost.
 * - A playback the kiosk began while offline is opened by its batch, dated back to at most the
 *   session's check-in opening.
 * - Media a station's browser fetched (prefetch included) is delivery evidence for every
 *   playback of that lecture at that station.
 */
import type { AppConfig } from '../../../config';
import type { Models } from '../../store/models';
import type { LectureDoc } from '../catalog/lecture.model';
import { covered, normalize, progressOf, type Interval } from '../study/intervals';
import type { GroupShare, IncomingBeat, StudyEngine } from '../study/study-engine';
import { keepSpan, shareOfSpan, type SpanFacts } from './group-credit';
import { unoffered, type Log, type PresenceRules, type RunState, type Runs } from './runs';
import { stationErrors } from './station-errors';
import { CHECKIN_LEAD_MS } from './station-rules';
import type { StationEntry } from './stations.service';
import type { TimetableService } from './timetable.service';

export interface LectureMedia {
  at: number;
  kind: string;
  title: string;
  durationSec: number;
  required: boolean;
  prefix?: string;
  master?: string;
  poster?: string;
  thumbnails?: string;
  subtitles: { lang: string; label: string; key: string }[];
  liveState?: string;
}

/** A held run must have been played inside its session (from the check-in opening to 15 minutes after the end). */
const HELD_GRACE_MS = 15 * 60_000;
/** How far ahead a station may open a playback (and fetch media) to prefetch a replay. */
export const PREFETCH_MS = 8 * 24 * 3600_000;

export class StationPlaybackService {
  /** `station:lecture` -> the station's playbacks of it (media fetches are their evidence). */
  private readonly playing = new Map<string, Set<string>>();
  /** station -> what it played last and when. */
  readonly nowPlaying = new Map<string, { sessionId: string; lectureId: string; title: string; at: number }>();
  /** `station:lecture` -> segments the station's browser fetched (prefetch included). */
  private readonly fetched = new Map<string, { segments: Set<number>; dirty: boolean; loaded: boolean }>();
  private readonly lectures = new Map<string, LectureMedia>();

  constructor(
    private readonly deps: {
      models: Models;
      engine: StudyEngine;
      timetable: TimetableService;
      runs: Runs;
      rules: PresenceRules;
      cfg: AppConfig['stations'] & { heartbeatSec: number };
      liveState: (lectureId: string) => string | undefined;
      log: Log;
    },
  ) {}

  private now() {
    return this.deps.runs.now();
  }

  async lecture(id: string, fresh = false): Promise<LectureMedia | null> {
    const hit = this.lectures.get(id);
    const ttl = hit?.kind === 'live' ? 5_000 : 30_000;
    if (hit && !fresh && this.now() - hit.at < ttl) return hit;
    const l = await this.deps.models.Lecture.findById(id, { title: 1, kind: 1, media: 1, subtitles: 1, durationSec: 1, required: 1, live: 1 }).lean<LectureDoc>();
    if (!l) return null;
    const info: LectureMedia = {
      at: this.now(),
      kind: l.kind ?? 'recorded',
      title: l.title,
      durationSec: l.durationSec ?? 0,
      required: l.required ?? false,
      prefix: l.media?.prefix ?? undefined,
      master: l.media?.master ?? undefined,
      poster: l.media?.poster ?? undefined,
      thumbnails: l.media?.thumbnails ?? undefined,
      subtitles: (l.subtitles ?? []).filter((s) => s.lang && s.key).map((s) => ({ lang: s.lang!, label: s.label ?? s.lang!, key: s.key! })),
      liveState: l.live?.state ?? undefined,
    };
    this.lectures.set(id, info);
    return info;
  }

  liveStateOf(lectureId: string, info: LectureMedia | null) {
    return this.deps.liveState(lectureId) ?? info?.liveState ?? 'scheduled';
  }

  // ---- playback --------------------------------------------------------------------------

  async openPlayback(station: StationEntry, sessionId: string, meta: { ip?: string; userAgent?: string }) {
    const now = this.now();
    const { runs, timetable, engine } = this.deps;
    const session = timetable.get(sessionId);
    if (!session || !session.stationIds.includes(station.id)) throw stationErrors.sessionNotFound();
    // On now, or coming within the prefetch horizon: the kiosk opens its playback early to fetch
    // the replay into its cache under it, and plays it with the same playback at the start.
    const upcoming = session.startAt > now && session.startAt - now <= PREFETCH_MS;
    if (!runs.isOnNow(session, now) && !upcoming) throw stationErrors.notInSession();
    const info = await this.lecture(session.lectureId, true);
    const lecture = await this.deps.models.Lecture.findById(session.lectureId).lean<LectureDoc>();
    if (!info || !lecture) throw stationErrors.sessionNotFound();
    const run = await runs.runOf(session, station.id);
    const opened = await engine.openStation(station.id, lecture, { ...meta, runId: run.id });
    await this.attach(run, opened.playbackId);
    const base = `/media/station/${session.lectureId}`;
    const common = { playbackId: opened.playbackId, sessionId: session.id, heartbeatSec: this.deps.cfg.heartbeatSec, serverNow: now, startAt: new Date(session.startAt).toISOString(), endAt: new Date(session.endAt).toISOString() };
    if (session.kind === 'live') {
      return { ...common, live: true as const, lectureId: session.lectureId, state: this.liveStateOf(session.lectureId, info), ...(info.master ? { masterUrl: `${base}/${info.master}` } : {}) };
    }
    if (!info.master) throw stationErrors.mediaNotReady();
    const durationSec = info.durationSec || session.durationSec;
    const offsetSec = Math.min(durationSec, Math.max(0, (now - session.startAt) / 1000));
    const progress = progressOf(run.played, durationSec);
    return {
      ...common,
      live: false as const,
      lectureId: session.lectureId,
      masterUrl: `${base}/${info.master}`,
      posterUrl: info.poster ? `${base}/${info.poster}` : undefined,
      thumbnailsUrl: info.thumbnails ? `${base}/${info.thumbnails}` : undefined,
      subtitles: info.subtitles.map((s) => ({ lang: s.lang, label: s.label, url: `${base}/subs/${s.lang}.vtt` })),
      durationSec,
      expiresAt: new Date(session.endAt + HELD_GRACE_MS).toISOString(),
      counting: opened.counting,
      reason: opened.counting ? undefined : 'other-session',
      resumeAt: offsetSec,
      offsetSec,
      required: info.required,
      progress,
      completed: progress >= engine.policy.completionThreshold,
    };
  }

  /** Links a station playback to its run; segments the station fetched ahead are its evidence too. */
  private async attach(run: RunState, playbackId: string) {
    if (!run.playbacks.has(playbackId)) {
      run.playbacks.add(playbackId);
      await this.deps.runs.saveLocked(run);
    }
    this.deps.runs.byPlayback.set(playbackId, run.id);
    const key = `${run.stationId}:${run.lectureId}`;
    const set = this.playing.get(key) ?? new Set<string>();
    set.add(playbackId);
    this.playing.set(key, set);
    const m = await this.fetchedOf(key);
    if (m.segments.size) this.deps.engine.recordDeliveries(playbackId, m.segments);
  }

  /** A run left memory: its playbacks no longer take fetched segments. */
  forget(stationId: string, lectureId: string, playbackId: string) {
    this.playing.get(`${stationId}:${lectureId}`)?.delete(playbackId);
  }

  private async fetchedOf(key: string) {
    let m = this.fetched.get(key);
    if (!m) {
      m = { segments: new Set(), dirty: false, loaded: false };
      this.fetched.set(key, m);
    }
    if (!m.loaded) {
      const row = await this.deps.models.StationMedia.findById(key).lean();
      for (const i of row?.segments ?? []) m.segments.add(i);
      m.loaded = true;
    }
    return m;
  }

  /** Writes fetched-segment sets that changed. */
  async flushFetched() {
    for (const [key, m] of this.fetched) {
      if (!m.dirty || !m.loaded) continue;
      m.dirty = false;
      await this.deps.runs.lock.run(`media:${key}`, () => this.deps.models.StationMedia.collection.updateOne({ _id: key as never }, { $set: { segments: [...m.segments].sort((a, b) => a - b) } }, { upsert: true }));
    }
  }

  /** May a station fetch a lecture's media? Only lectures scheduled there from 6 h ago to 8 days ahead. */
  mayFetch(stationId: string, lectureId: string, now = this.now()): boolean {
    return this.deps.timetable.range(now - 6 * 3600_000, now + PREFETCH_MS, stationId).some((s) => s.lectureId === lectureId);
  }

  /** May a station's socket join a live lecture? Only one scheduled there and on now. */
  mayJoinLive(stationId: string, lectureId: string, now = this.now()): boolean {
    return this.deps.timetable.range(now - 24 * 3600_000, now + 3600_000, stationId).some((s) => s.lectureId === lectureId && s.kind === 'live' && this.deps.runs.isOnNow(s, now));
  }

  /** Evidence: the media route sent a whole segment of a recorded lecture to a station. */
  recordFetch(stationId: string, lectureId: string, segment: number) {
    const key = `${stationId}:${lectureId}`;
    let m = this.fetched.get(key);
    if (!m) {
      m = { segments: new Set(), dirty: false, loaded: false };
      this.fetched.set(key, m);
      void this.fetchedOf(key).catch((err: unknown) => this.deps.log.warn({ err, key }, 'stations.media | could not load fetched segments'));
    }
    if (!m.segments.has(segment)) {
      m.segments.add(segment);
      m.dirty = true;
    }
    for (const pid of this.playing.get(key) ?? []) this.deps.engine.recordDelivery(pid, segment);
  }

  /** Evidence: part of a segment (a range, an aborted download, live timeline seconds) reached a station; its playbacks now get that media. */
  recordFetchedSpan(stationId: string, lectureId: string, fromSec: number, toSec: number) {
    for (const pid of this.playing.get(`${stationId}:${lectureId}`) ?? []) this.deps.engine.recordDeliveredSpan(pid, fromSec, toSec);
  }

  // ---- heartbeats ------------------------------------------------------------------------

  /** Finds the run of a playback this process has not seen (after a restart): the playback names it. */
  private async restore(station: StationEntry, pid: string, sessionHint?: string) {
    const { runs, timetable } = this.deps;
    if (runs.byPlayback.has(pid)) return;
    const row = await this.deps.models.Playback.findById(pid, { userId: 1, runId: 1 }).lean<{ userId: unknown; runId?: string }>();
    if (row) {
      if (String(row.userId) !== station.id || !row.runId) return;
      const [sessionId] = row.runId.split(':');
      const session = sessionId ? timetable.get(sessionId) : undefined;
      if (session) await this.attach(await runs.runOf(session, station.id), pid);
      return;
    }
    // Never opened: the kiosk started playing from its cache while offline. Open it now on the
    // session it names, dated back no further than the session's check-in opening.
    if (!sessionHint) return;
    const session = timetable.get(sessionHint);
    if (!session || !session.stationIds.includes(station.id)) return;
    const lecture = await this.deps.models.Lecture.findById(session.lectureId).lean<LectureDoc>();
    if (!lecture) return;
    const run = await runs.runOf(session, station.id);
    await this.deps.engine.openStation(station.id, lecture, { runId: run.id, playbackId: pid, openedAt: session.startAt - CHECKIN_LEAD_MS });
    await this.attach(run, pid);
  }

  heartbeats(station: StationEntry, beats: (IncomingBeat & { sessionId?: string })[]) {
    return this.deps.runs.lock.run(`beats:${station.id}`, () => this.ingest(station, beats));
  }

  private async ingest(station: StationEntry, beats: (IncomingBeat & { sessionId?: string })[]) {
    const now = this.now();
    const { runs, rules } = this.deps;
    const hints = new Map<string, string | undefined>();
    for (const b of beats) if (!hints.has(b.playbackId) || b.sessionId) hints.set(b.playbackId, b.sessionId);
    for (const [pid, hint] of hints) await this.restore(station, pid, hint);

    // What the engine credits, collected per run and applied once its log commit succeeded.
    type Pending = { played: Interval[]; spans: Map<string, SpanFacts[]>; learners: Map<string, { iv: Interval[]; w: number; wall: Interval[] }>; first: number; last: number };
    const pending = new Map<string, Pending>();
    const share: GroupShare = (pid, span) => {
      const run = runs.runs.get(runs.byPlayback.get(pid) ?? '');
      if (!run) return [];
      const inWindow = span.wallTo > run.startAt - CHECKIN_LEAD_MS && span.wallFrom < run.endAt + HELD_GRACE_MS;
      let pend = pending.get(run.id);
      if (!pend) pending.set(run.id, (pend = { played: [], spans: new Map(), learners: new Map(), first: span.wallFrom, last: span.wallTo }));
      if (inWindow) {
        pend.played.push(...span.intervals);
        const list = pend.spans.get(pid) ?? [];
        list.push(span);
        pend.spans.set(pid, list);
      }
      pend.first = Math.min(pend.first, span.wallFrom);
      pend.last = Math.max(pend.last, span.wallTo);
      const out = [];
      for (const userId of run.present.keys()) {
        // Only what is evidenced and not offered before (this batch's earlier spans included).
        const l = pend.learners.get(userId) ?? { iv: [], w: 0, wall: [] };
        const c = shareOfSpan(unoffered(run, userId, rules, l.wall), span);
        if (!c.intervals.length) continue;
        out.push({ userId, ...c });
        l.iv.push(...c.intervals);
        l.w += c.wallSec;
        l.wall = normalize([...l.wall, ...c.wall]);
        pend.learners.set(userId, l);
      }
      return out;
    };
    const res = await this.deps.engine.ingestGroup(station.id, beats, share);

    const held: RunState[] = [];
    for (const [runId, pend] of pending) {
      const run = runs.runs.get(runId);
      if (!run) continue;
      run.played = normalize([...run.played, ...pend.played]);
      for (const [pid, list] of pend.spans) {
        const kept = run.credited.get(pid) ?? [];
        for (const s of list) keepSpan(kept, s);
        run.credited.set(pid, kept);
      }
      for (const [uid, l] of pend.learners) {
        const cur = run.learners.get(uid) ?? { iv: [], w: 0, wall: [] };
        run.learners.set(uid, { iv: normalize([...cur.iv, ...l.iv]), w: cur.w + l.w, wall: normalize([...cur.wall, ...l.wall]) });
      }
      run.firstBeatAt = Math.min(run.firstBeatAt ?? pend.first, pend.first);
      run.lastBeatAt = Math.max(run.lastBeatAt ?? pend.last, pend.last);
      run.dirty = true;
      if (!run.held && covered(run.played) > 0) {
        run.held = true;
        held.push(run);
      }
    }
    // "Sessions held" is what the statistics count first: written at once.
    for (const run of held) await runs.saveLocked(run);

    const sessions: Record<string, { counting: boolean; reason?: string; progress: number; coveredSec: number; completed: boolean; present: number; credited: number }> = {};
    for (const [pid, v] of Object.entries(res.sessions)) {
      // Another station's (or an unknown) playback: acknowledged, nothing about it is told.
      const run = v.reason === 'unknown-session' ? undefined : runs.runs.get(runs.byPlayback.get(pid) ?? '');
      const session = run ? this.deps.timetable.get(run.sessionId) : undefined;
      const duration = (run && (await this.lecture(run.lectureId))?.durationSec) || session?.durationSec || 0;
      if (run && session && beats.some((b) => b.playbackId === pid && b.playing)) {
        this.nowPlaying.set(station.id, { sessionId: session.id, lectureId: session.lectureId, title: session.title, at: now });
      }
      const progress = run ? progressOf(run.played, duration) : 0;
      sessions[pid] = {
        counting: v.counting,
        ...(v.reason ? { reason: v.reason } : {}),
        progress,
        coveredSec: run ? covered(run.played) : 0,
        completed: progress >= this.deps.engine.policy.completionThreshold,
        present: run ? runs.presentNow(run, now).length : 0,
        credited: v.learners.length,
      };
    }
    return { acks: res.acks, sessions };
  }
}
