/**
 * Statements of the xAPI Video Profile (https://w3id.org/xapi/video), built from what the server
 * credited, never from what a player claimed. Pure functions: the input is a playback's credited
 * pieces (media intervals with the server-time piece that earned them, in order of server time);
 * the crediting rules already decided what counts (docs/crediting-rules.md).
 * - A played run is a stretch of pieces continuous in media time (within TOLERANCE_SEC) and in
 *   server time (a gap over PAUSE_GAP_MS is a pause): `played` at its start, `paused` at its end.
 * - Between two runs that are not continuous in media time: `seeked` (time-from, time-to).
 * - A run whose speed (media seconds over server seconds) differs from the one before: `interacted`
 *   with the speed in the context.
 * - `played-segments` and `progress` are the actor's credited union of the content up to that
 *   statement (earlier playbacks included, as the ledger counts them), over `length`.
 * - `completed` once, in the playback whose credit brings progress from below to at or above the
 *   completion threshold, which every statement states in its context.
 * - `initialized` before the first run of a playback part, `terminated` when it ends or idles; a
 *   playback that credits again after that is a new part with a new session id.
 * Ids are name-based UUIDs (version 5 layout) of playback, part, sequence and verb: building the
 * same trail again yields the same ids, so a rebuild or a resend never duplicates a statement.
 */
import { createHash } from 'node:crypto';
import { covered, normalize, progressOf, type Interval } from '../study/intervals';

export const VIDEO = 'https://w3id.org/xapi/video';
export const EXT = {
  sessionId: `${VIDEO}/extensions/session-id`,
  length: `${VIDEO}/extensions/length`,
  completionThreshold: `${VIDEO}/extensions/completion-threshold`,
  playedSegments: `${VIDEO}/extensions/played-segments`,
  progress: `${VIDEO}/extensions/progress`,
  time: `${VIDEO}/extensions/time`,
  timeFrom: `${VIDEO}/extensions/time-from`,
  timeTo: `${VIDEO}/extensions/time-to`,
  speed: `${VIDEO}/extensions/speed`,
  quality: `${VIDEO}/extensions/quality`,
  fullScreen: `${VIDEO}/extensions/full-screen`,
} as const;

export const VERBS = {
  initialized: { id: 'http://adlnet.gov/expapi/verbs/initialized', zh: '初始化', en: 'initialized' },
  played: { id: `${VIDEO}/verbs/played`, zh: '播放', en: 'played' },
  paused: { id: `${VIDEO}/verbs/paused`, zh: '暂停', en: 'paused' },
  seeked: { id: `${VIDEO}/verbs/seeked`, zh: '跳转', en: 'seeked' },
  interacted: { id: 'http://adlnet.gov/expapi/verbs/interacted', zh: '交互', en: 'interacted' },
  completed: { id: 'http://adlnet.gov/expapi/verbs/completed', zh: '完成', en: 'completed' },
  terminated: { id: 'http://adlnet.gov/expapi/verbs/terminated', zh: '结束', en: 'terminated' },
} as const;
export type VerbName = keyof typeof VERBS;

/** Media seconds two credited pieces may be apart and still be one continuous run. */
export const TOLERANCE_SEC = 1.5;
/** Server time between two credited pieces beyond which the run was paused. */
export const PAUSE_GAP_MS = 30_000;

/** One credit: media intervals and the server-time span (ms) that earned them. */
export interface Piece {
  w0: number;
  w1: number;
  iv: Interval[];
}

/** Where a playback's statements stand (persisted with its trail). */
export interface ProfileState {
  part: number;
  seq: number;
  initialized: boolean;
  /** The actor's credited union of the content so far (seconds). */
  covered: Interval[];
  /** Media end of the last emitted run, for `seeked`. */
  lastEnd: number | null;
  /** Speed of the last emitted run. */
  speed: number | null;
  completed: boolean;
  /** Server time (ms) spent in this part's runs, for `completed`'s duration. */
  wallMs: number;
  /** Server time of the last emitted piece's end. */
  lastAt: number | null;
}

export interface ProfileFacts {
  /** Stable key of the trail: playback (and learner for a station's playback). */
  key: string;
  actor: { homePage: string; name: string };
  activity: { id: string; name: string; kind: string };
  lengthSec: number;
  threshold: number;
  /** More context extensions (IRI keys), e.g. the station. */
  extensions?: Record<string, unknown>;
  /** Quality and full screen when the server knows them (it rarely does). */
  quality?: string;
  fullScreen?: boolean;
}

export interface Statement {
  id: string;
  actor: { objectType: 'Agent'; account: { homePage: string; name: string } };
  verb: { id: string; display: Record<string, string> };
  object: { objectType: 'Activity'; id: string; definition: { type: string; name: Record<string, string> } };
  result?: { completion?: boolean; duration?: string; extensions: Record<string, unknown> };
  context: { contextActivities: { category: { id: string; definition: { type: string } }[] }; extensions: Record<string, unknown> };
  timestamp: string;
}

export const initialState = (covered: Interval[], threshold: number, lengthSec: number): ProfileState => ({
  part: 1,
  seq: 0,
  initialized: false,
  covered: normalize(covered),
  lastEnd: null,
  speed: null,
  completed: lengthSec > 0 && progressOf(covered, lengthSec) >= threshold,
  wallMs: 0,
  lastAt: null,
});

/** A name-based UUID (version 5 layout, SHA-1) in the portal's namespace. */
export function nameUuid(name: string): string {
  const h = createHash('sha1').update('cadre-portal/xapi/').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** "0[.]12.5[,]30[.]45", the profile's form. */
export function playedSegments(list: readonly Interval[]): string {
  return normalize(list).map(([a, b]) => `${r3(a)}[.]${r3(b)}`).join('[,]');
}

/** ISO 8601 duration with seconds, e.g. PT754.5S. */
export const isoDuration = (ms: number) => `PT${Math.round(ms / 100) / 10}S`;

interface Run {
  w0: number;
  w1: number;
  a: number;
  b: number;
  iv: Interval[];
}

/** Pieces in server-time order, joined into played runs. */
export function runsOf(pieces: readonly Piece[]): Run[] {
  const out: Run[] = [];
  for (const p of [...pieces].filter((x) => x.iv.length).sort((x, y) => x.w0 - y.w0)) {
    const iv = normalize(p.iv);
    const a = iv[0]![0];
    const b = iv[iv.length - 1]![1];
    const last = out[out.length - 1];
    if (last && Math.abs(a - last.b) <= TOLERANCE_SEC && p.w0 - last.w1 <= PAUSE_GAP_MS) {
      last.w1 = Math.max(last.w1, p.w1);
      last.b = Math.max(last.b, b);
      last.iv = normalize([...last.iv, ...iv]);
    } else out.push({ w0: p.w0, w1: Math.max(p.w0, p.w1), a, b, iv });
  }
  return out;
}

/** The speed of a run, to a quarter (1x, 1.25x ...); null without server time. */
function speedOf(run: Run): number | null {
  const wall = (run.w1 - run.w0) / 1000;
  if (!(wall > 0.5)) return null;
  return Math.round((covered(run.iv) / wall) * 4) / 4 || null;
}

/**
 * The statements for newly credited pieces (and `terminated` when the part ends), and the state
 * after them. Does not change its inputs.
 */
export function buildStatements(facts: ProfileFacts, state: ProfileState, pieces: readonly Piece[], opts: { terminate: boolean; nowMs: number }): { statements: Statement[]; state: ProfileState } {
  const st: ProfileState = { ...state, covered: state.covered.slice() };
  const out: Statement[] = [];
  const sessionId = nameUuid(`${facts.key}|${st.part}`);
  const progress = () => (facts.lengthSec > 0 ? Math.min(1, r3(progressOf(st.covered, facts.lengthSec))) : 0);
  const emit = (verb: VerbName, at: number, result?: Statement['result'], context: Record<string, unknown> = {}) => {
    const v = VERBS[verb];
    out.push({
      id: nameUuid(`${facts.key}|${st.part}|${st.seq++}|${verb}`),
      actor: { objectType: 'Agent', account: { homePage: facts.actor.homePage, name: facts.actor.name } },
      verb: { id: v.id, display: { 'zh-CN': v.zh, 'en-US': v.en } },
      object: { objectType: 'Activity', id: facts.activity.id, definition: { type: `${VIDEO}/activity-type/video`, name: { 'zh-CN': facts.activity.name } } },
      ...(result ? { result } : {}),
      context: {
        contextActivities: { category: [{ id: VIDEO, definition: { type: 'http://adlnet.gov/expapi/activities/profile' } }] },
        extensions: { [EXT.sessionId]: sessionId, [EXT.length]: facts.lengthSec, [EXT.completionThreshold]: facts.threshold, ...(facts.extensions ?? {}), ...context },
      },
      timestamp: new Date(at).toISOString(),
    });
  };
  const segs = () => ({ [EXT.playedSegments]: playedSegments(st.covered), [EXT.progress]: progress() });
  for (const run of runsOf(pieces)) {
    const speed = speedOf(run);
    if (!st.initialized) {
      emit('initialized', run.w0, undefined, {
        ...(speed ? { [EXT.speed]: `${speed}x` } : {}),
        ...(facts.quality ? { [EXT.quality]: facts.quality } : {}),
        ...(facts.fullScreen !== undefined ? { [EXT.fullScreen]: facts.fullScreen } : {}),
      });
      st.initialized = true;
    } else if (speed && st.speed && speed !== st.speed) {
      emit('interacted', run.w0, { extensions: { [EXT.time]: r3(run.a) } }, { [EXT.speed]: `${speed}x` });
    }
    if (speed) st.speed = speed;
    if (st.lastEnd !== null && Math.abs(run.a - st.lastEnd) > TOLERANCE_SEC) {
      emit('seeked', run.w0, { extensions: { [EXT.timeFrom]: r3(st.lastEnd), [EXT.timeTo]: r3(run.a) } });
    }
    emit('played', run.w0, { extensions: { [EXT.time]: r3(run.a) } });
    st.covered = normalize([...st.covered, ...run.iv]);
    st.wallMs += run.w1 - run.w0;
    emit('paused', run.w1, { extensions: { [EXT.time]: r3(run.b), ...segs() } });
    if (!st.completed && facts.lengthSec > 0 && progressOf(st.covered, facts.lengthSec) >= facts.threshold) {
      emit('completed', run.w1, { completion: true, duration: isoDuration(st.wallMs), extensions: { [EXT.time]: r3(run.b), ...segs() } });
      st.completed = true;
    }
    st.lastEnd = run.b;
    st.lastAt = run.w1;
  }
  if (opts.terminate && st.initialized) {
    emit('terminated', st.lastAt ?? opts.nowMs, { extensions: { [EXT.time]: r3(st.lastEnd ?? 0), ...segs() } });
    return { statements: out, state: { ...st, part: st.part + 1, seq: 0, initialized: false, lastEnd: null, speed: null, wallMs: 0 } };
  }
  return { statements: out, state: st };
}
