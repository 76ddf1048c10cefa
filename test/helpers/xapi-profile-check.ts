/**
 * An independent check of statements against the xAPI Video Profile (https://w3id.org/xapi/video),
 * written from the profile's text, not from the portal's builder: it imports nothing of server/.
 * Checks per statement: a UUID id, an actor identified by account with a URL homePage, a verb of
 * the profile, a video activity, the profile in contextActivities.category, session-id and
 * length in context.extensions (never in result), the result extensions each verb requires,
 * progress equal to the union of played-segments over length (within rounding), completion only
 * at or above the completion threshold the statement states. Per session: it starts with
 * initialized, nothing follows terminated, and completed comes at most once.
 * Returns the problems found (empty when the statements pass).
 */
const V = 'https://w3id.org/xapi/video';
const X = (name: string) => `${V}/extensions/${name}`;

const VERBS: Record<string, { result: string[]; resultRequired: boolean }> = {
  'http://adlnet.gov/expapi/verbs/initialized': { result: [], resultRequired: false },
  [`${V}/verbs/played`]: { result: ['time'], resultRequired: true },
  [`${V}/verbs/paused`]: { result: ['time', 'progress', 'played-segments'], resultRequired: true },
  [`${V}/verbs/seeked`]: { result: ['time-from', 'time-to'], resultRequired: true },
  'http://adlnet.gov/expapi/verbs/interacted': { result: ['time'], resultRequired: true },
  'http://adlnet.gov/expapi/verbs/completed': { result: ['time', 'progress', 'played-segments'], resultRequired: true },
  'http://adlnet.gov/expapi/verbs/terminated': { result: ['time', 'progress', 'played-segments'], resultRequired: true },
};
const CONTEXT_ONLY = ['session-id', 'length', 'completion-threshold', 'user-agent', 'volume', 'video-playback-size', 'screen-size', 'full-screen', 'quality'];

type Json = Record<string, any>;

/** Parses "0[.]12.5[,]30[.]45" into [[0, 12.5], [30, 45]]; null when malformed. */
export function parseSegments(s: string): [number, number][] | null {
  if (s === '') return [];
  const out: [number, number][] = [];
  for (const part of s.split('[,]')) {
    const m = /^(\d+(?:\.\d+)?)\[\.\](\d+(?:\.\d+)?)$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (!(b >= a)) return null;
    out.push([a, b]);
  }
  return out;
}

/** Length of the union of segments, clipped to [0, length]. */
export function unionLength(segs: [number, number][], length: number): number {
  const sorted = segs.map(([a, b]) => [Math.max(0, a), Math.min(length, b)] as [number, number]).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let sum = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (a > end) {
      sum += b - a;
      end = b;
    } else if (b > end) {
      sum += b - end;
      end = b;
    }
  }
  return sum;
}

const isUrl = (s: unknown) => {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

export function checkStatement(s: Json): string[] {
  const p: string[] = [];
  const where = `${s?.verb?.id ?? '?'} ${s?.id ?? '?'}`;
  const bad = (m: string) => p.push(`${where}: ${m}`);
  if (typeof s.id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s.id)) bad('id is not a UUID');
  const acc = s.actor?.account;
  if (!acc || typeof acc.name !== 'string' || !acc.name) bad('actor has no account name');
  if (!isUrl(acc?.homePage)) bad(`actor account homePage is not an http(s) URL: ${acc?.homePage}`);
  const verb = VERBS[s.verb?.id];
  if (!verb) bad('verb is not one of the video profile');
  if (s.object?.definition?.type !== `${V}/activity-type/video`) bad('object is not a video activity');
  if (!isUrl(s.object?.id) && !/^[a-z][a-z0-9+.-]*:/i.test(String(s.object?.id))) bad('object id is not an IRI');
  const cats = s.context?.contextActivities?.category;
  if (!Array.isArray(cats) || !cats.some((c: Json) => c?.id === V)) bad('the profile is not in contextActivities.category');
  const cx: Json = s.context?.extensions ?? {};
  const rx: Json = s.result?.extensions ?? {};
  if (typeof cx[X('session-id')] !== 'string' || !cx[X('session-id')]) bad('context has no session-id');
  for (const k of CONTEXT_ONLY) if (X(k) in rx) bad(`${k} is in result.extensions (the profile puts it in context)`);
  for (const k of ['time', 'time-from', 'time-to', 'progress', 'played-segments']) if (X(k) in cx) bad(`${k} is in context.extensions (the profile puts it in result)`);
  const length = cx[X('length')];
  if (!(typeof length === 'number' && length > 0)) bad('context has no length');
  if (s.verb?.id === 'http://adlnet.gov/expapi/verbs/initialized' && !(X('length') in cx)) bad('initialized without length');
  if (verb) for (const k of verb.result) if (!(X(k) in rx)) bad(`result lacks ${k}`);
  for (const k of ['time', 'time-from', 'time-to']) if (k in rx && !(typeof rx[X(k)] === 'number' && rx[X(k)] >= 0)) bad(`${k} is not a time`);
  const threshold = cx[X('completion-threshold')];
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) bad('completion-threshold is not in 0..1');
  if (X('played-segments') in rx || X('progress') in rx) {
    const segs = parseSegments(String(rx[X('played-segments')] ?? ''));
    const progress = rx[X('progress')];
    if (!segs) bad('played-segments is malformed');
    else if (typeof progress !== 'number' || progress < 0 || progress > 1) bad('progress is not in 0..1');
    else if (typeof length === 'number' && length > 0) {
      const expect = unionLength(segs, length) / length;
      if (Math.abs(expect - progress) > 0.002) bad(`progress ${progress} is not union(played-segments)/length = ${expect.toFixed(4)}`);
    }
  }
  if (s.verb?.id === 'http://adlnet.gov/expapi/verbs/completed') {
    if (s.result?.completion !== true) bad('completed without result.completion true');
    if (typeof s.result?.duration !== 'string' || !/^P/.test(s.result.duration)) bad('completed without a duration');
    if (typeof threshold !== 'number') bad('completed does not state the completion threshold');
    else if (!(rx[X('progress')] >= threshold)) bad(`completed at progress ${rx[X('progress')]} below the threshold ${threshold}`);
  }
  if (typeof s.timestamp !== 'string' || Number.isNaN(Date.parse(s.timestamp))) bad('no timestamp');
  return p;
}

/** Checks statements one by one and each session's sequence (by timestamp, then as given). */
export function checkStatements(list: Json[]): string[] {
  const p = list.flatMap(checkStatement);
  const ids = new Set<string>();
  for (const s of list) {
    if (ids.has(s.id)) p.push(`duplicate statement id ${s.id}`);
    ids.add(s.id);
  }
  const bySession = new Map<string, Json[]>();
  for (const s of list) {
    const sid = s.context?.extensions?.[X('session-id')];
    if (typeof sid !== 'string') continue;
    bySession.set(sid, [...(bySession.get(sid) ?? []), s]);
  }
  for (const [sid, ss] of bySession) {
    const verbs = ss.map((s) => String(s.verb.id).split('/').pop());
    if (verbs[0] !== 'initialized') p.push(`session ${sid} does not start with initialized (${verbs.join(',')})`);
    const t = verbs.indexOf('terminated');
    if (t >= 0 && t !== verbs.length - 1) p.push(`session ${sid} goes on after terminated`);
    if (verbs.filter((v) => v === 'completed').length > 1) p.push(`session ${sid} completes twice`);
    const actors = new Set(ss.map((s) => `${s.actor.account.homePage}|${s.actor.account.name}`));
    if (actors.size > 1) p.push(`session ${sid} has several actors`);
  }
  return p;
}

/** Verbs of statements in order, short names ("played", "paused" ...). */
export const verbsOf = (list: Json[]) => list.map((s) => String(s.verb.id).split('/').pop());
